package lab

import "math/rand/v2"

// PCT is probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
// Nagarakatte, ASPLOS 2010). Each thread gets a random distinct priority
// above Depth; the highest-priority runnable thread always runs; at Depth-1
// random steps ("change points") the running thread's priority drops below
// every initial one. A bug of depth d among n threads and k steps is found
// with probability at least 1/(n*k^(d-1)) per schedule.
//
// Divergences from the paper: k is not known in advance, so change points are
// drawn from [1, k] where k is the length of schedule 0 (at least 100): the
// horizon. Fixing it after schedule 0 makes schedule i a pure function of
// (seed, depth, horizon, i), so schedules can run in any order, on any
// worker or machine (Seek); threads spawned mid-run get their random priority when first seen;
// steps are counted at decisions (when two or more threads are runnable),
// which are the only places priorities matter.
type PCT struct {
	seed, schedule uint64
	depth          int
	maxSteps       int
	rng            *rand.Rand
	prio           map[int]int
	change         []int // decision numbers where the running thread is demoted
	step           int
}

// NewPCT returns a PCT strategy of depth d (d >= 1) seeded with seed.
func NewPCT(seed uint64, d int) *PCT {
	if d < 1 {
		d = 1
	}
	return &PCT{seed: seed, depth: d, maxSteps: 100}
}

// NewSchedule implements Strategy.
func (p *PCT) NewSchedule() bool {
	if p.schedule == 1 && p.step > p.maxSteps {
		p.maxSteps = p.step // schedule 0 sets the horizon
	}
	p.rng = rand.New(rand.NewPCG(p.seed, p.schedule))
	p.schedule++
	p.prio = map[int]int{}
	p.change = p.change[:0]
	for range p.depth - 1 {
		p.change = append(p.change, 1+p.rng.IntN(p.maxSteps))
	}
	p.step = 0
	return true
}

// Pick implements Strategy.
func (p *PCT) Pick(runnable []int, current int) int {
	p.step++
	for _, id := range runnable {
		if _, ok := p.prio[id]; !ok {
			// Initial priorities are depth + a random value: distinct with
			// overwhelming probability, ties broken by the lower ID below.
			p.prio[id] = p.depth + 1 + p.rng.IntN(1<<30)
		}
	}
	for i, c := range p.change {
		if c == p.step && current >= 0 {
			p.prio[current] = p.depth - 1 - i // below every initial priority
		}
	}
	best := runnable[0]
	for _, id := range runnable[1:] {
		if p.prio[id] > p.prio[best] {
			best = id
		}
	}
	return best
}

// Horizon is k, the range change points are drawn from: the length of
// schedule 0, at least 100. Call it right after schedule 0 has run.
func (p *PCT) Horizon() int { return max(p.maxSteps, p.step) }

// Seek makes the next NewSchedule start schedule i with the horizon of
// schedule 0 (Horizon of a PCT that ran it). Schedule i is then the one a
// PCT that ran schedules 0..i-1 would run.
func (p *PCT) Seek(i uint64, horizon int) {
	p.schedule, p.maxSteps, p.step = i, horizon, 0
}
