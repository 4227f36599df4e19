//go:build race

package kernel

// raceEnabled: the test binary was built with -race.
const raceEnabled = true
