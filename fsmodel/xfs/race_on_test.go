//go:build race

package xfs

// raceEnabled shrinks the heavier tests under the race detector.
const raceEnabled = true
