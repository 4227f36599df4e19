package fsx

import (
	"errors"
	"slices"
)

// Shrink reduces a failing log to a shorter one that still fails the same
// way (the same Signature: a data mismatch stays a data mismatch, an error
// stays the same oracle's or the same op's error of the same class; a
// reduction that fails some other way, such as a clone whose source range
// moved past EOF failing with EINVAL, is not kept), by delta debugging over
// its ops (Zeller and Hildebrandt's ddmin: drop chunks of ops, halve the
// chunk size when none can go).
//
// Each candidate is replayed with cfg, so cfg.Mount is called once per
// candidate (a model target builds a fresh engine each time). A one-thread
// replay is exact. A log of several threads needs cfg.Controlled: each
// candidate is then one deterministic schedule (a random walk seeded with
// cfg.Seed), though not the schedule of the original run, so what is kept is
// a smaller (ops, seed) pair that fails, to be replayed with the same seed.
// Epochs are renumbered so every candidate is a valid log. Shrink gives up
// after budget replays and returns the smallest failing streams found with
// their result.
func Shrink(cfg Config, streams [][]Op, budget int) ([][]Op, *Result, error) {
	if len(streams) > 1 && !cfg.Controlled {
		return nil, nil, errors.New("fsx: a log of several threads shrinks only under --controlled (free runs do not repeat)")
	}
	threads := len(streams)
	var all []Op // every op, thread by thread
	for _, s := range streams {
		all = append(all, s...)
	}
	try := func(ops []Op) (*Result, error) {
		c := cfg
		c.Replay = split(renumber(ops), threads)
		return Run(c)
	}
	res, err := try(all)
	if err != nil {
		return nil, nil, err
	}
	if res.Failure == nil {
		return nil, nil, errors.New("fsx: the log does not fail when replayed on this target")
	}
	want := res.Failure.Signature()
	best, bestRes := all, res
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
			if r.Failure != nil && r.Failure.Signature() == want {
				best, bestRes, removed = cand, r, true
				break
			}
		}
		switch {
		case removed:
			n = max(n-1, 2)
		case n == len(best):
			return split(renumber(best), threads), bestRes, nil
		default:
			n = min(2*n, len(best))
		}
	}
	return split(renumber(best), threads), bestRes, nil
}

// renumber gives the ops that are left consistent epochs: an op's new epoch
// is the number of exclusive ops left that ended an earlier epoch, so each
// exclusive op still ends the epoch it runs in, shared ops of a removed
// exclusive op's epoch join the next one, and every thread's epochs still
// rise.
func renumber(ops []Op) []Op {
	var ends []int64 // the old epochs the remaining exclusive ops end
	for _, op := range ops {
		if op.Excl {
			ends = append(ends, op.Epoch)
		}
	}
	slices.Sort(ends)
	out := make([]Op, len(ops))
	for i, op := range ops {
		n, _ := slices.BinarySearch(ends, op.Epoch) // exclusive ops ending earlier epochs
		op.Epoch = int64(n)
		out[i] = op
	}
	return out
}

// split sorts ops back into per-thread streams, keeping each thread's order.
func split(ops []Op, threads int) [][]Op {
	out := make([][]Op, threads)
	for _, op := range ops {
		out[op.Thread] = append(out[op.Thread], op)
	}
	return out
}
