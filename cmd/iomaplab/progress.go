package main

import (
	"fmt"
	"os"
	"time"
)

// progress draws a one-line progress bar on a terminal, at most ten times a
// second, and only once a run has lasted a second; elsewhere it stays quiet.
type progress struct {
	out   *os.File
	tty   bool
	start time.Time
	last  time.Time
	shown bool
}

func newProgress(out *os.File) *progress {
	fi, err := out.Stat()
	return &progress{out: out, tty: err == nil && fi.Mode()&os.ModeCharDevice != 0, start: time.Now()}
}

func (p *progress) show(label string, done, total int) {
	if !p.tty || time.Since(p.start) < time.Second || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	const width = 30
	n := width * done / max(total, 1)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < n {
			bar[i] = '#'
		}
	}
	fmt.Fprintf(p.out, "\r\033[K%s [%s] %d/%d", label, bar, done, total)
	p.shown = true
}

func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.out, "\r\033[K")
		p.shown = false
	}
}
