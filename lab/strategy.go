package lab

// Strategy decides who runs next in a controlled world. One Strategy drives a
// sequence of schedules (executions); see awslabs/shuttle's Scheduler, whose
// shape this copies.
type Strategy interface {
	// NewSchedule prepares the next schedule. It returns false when the
	// strategy has nothing left to explore (a bounded search is exhausted).
	NewSchedule() bool
	// Pick returns one of runnable (thread IDs in ascending order, at least
	// two of them). current is the ID of the thread that yielded if it is
	// still runnable, or -1. runnable is the world's buffer, valid during
	// the call only: a strategy that keeps it must copy it.
	Pick(runnable []int, current int) int
}
