//go:build !race

package xfs

const raceEnabled = false
