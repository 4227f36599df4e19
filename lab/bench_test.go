package lab

import (
	"sync"
	"testing"
)

// BenchmarkFreeMutex measures a free world's lab Mutex, one holder at a
// time or four threads contending, beside sync.Mutex doing the same.
func BenchmarkFreeMutex(b *testing.B) {
	for _, threads := range []int{1, 4} {
		b.Run(map[int]string{1: "uncontended", 4: "4-threads"}[threads]+"/lab", func(b *testing.B) {
			var m Mutex
			n := 0
			NewFree().Run(func(t *Thread) {
				for i := range threads {
					t.Go("t", func(t *Thread) {
						for j := i; j < b.N; j += threads {
							m.Lock(t)
							n++
							m.Unlock(t)
						}
					})
				}
			})
		})
		b.Run(map[int]string{1: "uncontended", 4: "4-threads"}[threads]+"/sync", func(b *testing.B) {
			var m sync.Mutex
			var wg sync.WaitGroup
			n := 0
			for i := range threads {
				wg.Go(func() {
					for j := i; j < b.N; j += threads {
						m.Lock()
						n++
						m.Unlock()
					}
				})
			}
			wg.Wait()
		})
	}
}
