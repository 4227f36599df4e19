// Package exempt is a fixture outside the engine: the same constructs are
// allowed here.
package exempt

import "sync"

var mu sync.Mutex

func Run() {
	mu.Lock()
	defer mu.Unlock()
	c := make(chan int)
	go func() { c <- 1 }()
	<-c
}
