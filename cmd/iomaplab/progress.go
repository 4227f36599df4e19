package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Progress of long commands (explore, fsx, kernel, bench) goes to stderr,
// unless --quiet: on a terminal a bar redrawn in place (progress below, and
// fsx's startProgress); elsewhere, as in CI logs, a plain line every
// progressEvery (startStatus), so a log shows the run is alive and how far
// it got.

// isTerminal reports whether w is a character device.
func isTerminal(w io.Writer) bool {
	if s, ok := w.(*syncWriter); ok {
		w = s.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// syncWriter serialises writes from the command and its status line.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// startStatus prints line() and the elapsed time on stderr at every tick
// of a.ticker, if stderr is not a terminal and not quiet; line is called
// from another goroutine, so what it reads must be atomic. stop ends it.
func (a *app) startStatus(quiet bool, line func() string) (stop func()) {
	if quiet || isTerminal(a.stderr) {
		return func() {}
	}
	ticks, stopTicker := a.ticker()
	start := time.Now()
	show := func() {
		fmt.Fprintf(a.stderr, "%s, elapsed %s\n", line(), formatDuration(time.Since(start).Round(time.Second)))
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-ticks:
				show()
			case <-quit:
				select { // a tick that came with the end still shows
				case <-ticks:
					show()
				default:
				}
				return
			}
		}
	}()
	return func() {
		stopTicker()
		close(quit)
		<-finished
	}
}

// progress draws a one-line progress bar on a terminal, at most ten times a
// second, and only once a run has lasted a second; elsewhere it stays quiet.
type progress struct {
	out   io.Writer
	tty   bool
	start time.Time
	last  time.Time
	shown bool
}

func newProgress(out io.Writer, quiet bool) *progress {
	return &progress{out: out, tty: !quiet && isTerminal(out), start: time.Now()}
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
