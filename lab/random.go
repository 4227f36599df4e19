package lab

import "math/rand/v2"

// Random is the random-walk strategy: at every decision each runnable thread
// is equally likely. Schedule i of a Random seeded with s is a pure function of
// (s, i).
type Random struct {
	seed     uint64
	schedule uint64
	rng      *rand.Rand
}

// NewRandom returns a random walk seeded with seed.
func NewRandom(seed uint64) *Random { return &Random{seed: seed} }

// NewSchedule implements Strategy; a random walk never runs out.
func (r *Random) NewSchedule() bool {
	r.rng = rand.New(rand.NewPCG(r.seed, r.schedule))
	r.schedule++
	return true
}

// Pick implements Strategy.
func (r *Random) Pick(runnable []int, current int) int {
	return runnable[r.rng.IntN(len(runnable))]
}

// Seek makes the next NewSchedule start schedule i.
func (r *Random) Seek(i uint64) { r.schedule = i }
