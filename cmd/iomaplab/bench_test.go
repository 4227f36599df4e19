package main

import (
	"io"
	"testing"
)

func TestBenchBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"},
		{"--runs", "0"},
		{"--size", "1T"},
		{"--io", "1000"},
		{"--size", "4k", "--io", "64k"},
		{"--no-such-flag"},
		{"write", "--baseline", "HEAD"}, // --baseline measures the lab group
		{"lab", "--baseline", "no-such-revision-0x1"}, // not a commit
	} {
		if got := run(append([]string{"bench"}, args...), io.Discard, io.Discard); got != exitUsage {
			t.Errorf("bench %v: exit %d, want %d", args, got, exitUsage)
		}
	}
}
