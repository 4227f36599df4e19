package fsx

import (
	"errors"
	"slices"
)

// Shrink reduces a failing one-thread stream to a shorter one that still
// fails alike (a data mismatch stays a data mismatch, a size mismatch a size
// mismatch, an error an error), by delta debugging over the ops (Zeller and
// Hildebrandt's ddmin: drop chunks, halve the chunk size when none can go).
// Each candidate is replayed with cfg (so cfg.Mount is called once per
// candidate; a model target builds a fresh engine each time). It gives up
// after budget replays and returns the smallest failing stream found with
// its result. Epochs are renumbered so every candidate is a valid log.
func Shrink(cfg Config, stream []Op, budget int) ([]Op, *Result, error) {
	if cfg.Threads > 1 {
		return nil, nil, errors.New("fsx: only one-thread logs can be shrunk")
	}
	try := func(ops []Op) (*Result, error) {
		c := cfg
		c.Threads = 1
		c.Replay = [][]Op{renumber(ops)}
		return Run(c)
	}
	res, err := try(stream)
	if err != nil {
		return nil, nil, err
	}
	if res.Failure == nil {
		return nil, nil, errors.New("fsx: the log does not fail on this target")
	}
	want := res.Failure.class()
	best, bestRes := renumber(stream), res
	runs := 1
	for n := 2; n <= len(best) && runs < budget; {
		chunk := (len(best) + n - 1) / n
		removed := false
		for start := 0; start < len(best) && runs < budget; start += chunk {
			cand := slices.Concat(best[:start], best[min(start+chunk, len(best)):])
			r, err := try(cand)
			runs++
			if err != nil {
				return nil, nil, err
			}
			if r.Failure != nil && r.Failure.class() == want {
				best, bestRes, removed = renumber(cand), r, true
				break
			}
		}
		switch {
		case removed:
			n = max(n-1, 2)
		case n == len(best):
			return best, bestRes, nil
		default:
			n = min(2*n, len(best))
		}
	}
	return best, bestRes, nil
}

// class is what kind of failure f is, for Shrink's "fails alike".
func (f *Failure) class() string {
	switch {
	case f.Err != nil:
		return "error"
	case f.SizeMismatch:
		return "size"
	}
	return "data"
}

// renumber gives a one-thread stream consistent epochs: each exclusive op
// ends the epoch it runs in.
func renumber(ops []Op) []Op {
	out := make([]Op, len(ops))
	var e int64
	for i, op := range ops {
		op.Epoch, op.Thread = e, 0
		if op.Excl {
			e++
		}
		out[i] = op
	}
	return out
}
