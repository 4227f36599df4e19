package lab

// Shrink reduces a failing schedule before it is shown: fewer preemptions,
// then fewer decisions. run executes one world under the given strategy
// (a fresh engine each time) and same reports whether a result is the same
// failure as the original. Shrink returns the smallest failing result found;
// it tries at most budget runs. Each candidate is replayed under Guided and
// re-recorded, so the returned Decisions replay exactly under Replay.
func Shrink(failing *Result, run func(Strategy) *Result, same func(*Result) bool, budget int) *Result {
	best := failing
	tries := 0
	try := func(decisions []int) bool {
		if tries >= budget {
			return false
		}
		tries++
		r := run(NewGuided(decisions))
		if same(r) && (r.Preemptions < best.Preemptions ||
			(r.Preemptions == best.Preemptions && len(r.Decisions) < len(best.Decisions))) {
			best = r
			return true
		}
		return false
	}
	for improved := true; improved && tries < budget; {
		improved = false
		// Turn one preemption into "keep running the current thread".
		for i := range best.Decisions {
			if best.currents[i] < 0 || best.currents[i] == best.Decisions[i] {
				continue
			}
			d := append([]int(nil), best.Decisions...)
			d[i] = best.currents[i]
			if try(d) {
				improved = true
				break
			}
		}
		if improved {
			continue
		}
		// Cut the schedule short and continue without preemptions.
		for n := len(best.Decisions) / 2; n > 0 && !improved; n /= 2 {
			improved = try(best.Decisions[:len(best.Decisions)-n])
		}
	}
	return best
}
