package bad

import (
	"sync"
	"testing"
)

// Tests are exempt: they may coordinate real goroutines.
func TestExempt(t *testing.T) {
	var mu sync.Mutex
	mu.Lock()
	c := make(chan int, 1)
	go func() { c <- 1 }()
	<-c
	mu.Unlock()
}
