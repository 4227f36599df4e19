package explore

import (
	"sync"

	"iomaplab/scenario"
)

// Job is one cell to explore: a scenario with a variant.
type Job struct {
	Scenario *scenario.Scenario
	Variant  string
}

// RunCells explores jobs, opt.Jobs worlds at a time, and returns their
// cells in the jobs' order; onCell (if set) sees each cell in that order
// as soon as it and those before it are done. One job gets every worker
// (its units run in parallel); more jobs run side by side, a worker each.
// opt.Progress sees the schedules of all cells (from one goroutine at a
// time). The cells are the serial run's whatever opt.Jobs is.
func RunCells(jobs []Job, mk TargetFactory, opt Options, onCell func(*Cell)) []*Cell {
	cells := make([]*Cell, len(jobs))
	if len(jobs) == 1 || opt.Jobs <= 1 {
		total := 0
		for i, j := range jobs {
			o := opt
			base := total
			if opt.Progress != nil {
				o.Progress = func(done int) { total = base + done; opt.Progress(total) }
			}
			cells[i] = Explore(j.Scenario, j.Variant, mk, o)
			if onCell != nil {
				onCell(cells[i])
			}
		}
		return cells
	}
	var (
		mu      sync.Mutex
		next    int // next job to start
		emitted int // cells handed to onCell
		total   int
		wg      sync.WaitGroup
	)
	work := func() {
		defer wg.Done()
		for {
			mu.Lock()
			i := next
			next++
			mu.Unlock()
			if i >= len(jobs) {
				return
			}
			o := opt
			o.Jobs = 1
			last := 0
			o.Progress = func(done int) {
				mu.Lock()
				defer mu.Unlock()
				total += done - last
				last = done
				if opt.Progress != nil {
					opt.Progress(total)
				}
			}
			c := Explore(jobs[i].Scenario, jobs[i].Variant, mk, o)
			mu.Lock()
			cells[i] = c
			for emitted < len(cells) && cells[emitted] != nil {
				if onCell != nil {
					onCell(cells[emitted])
				}
				emitted++
			}
			mu.Unlock()
		}
	}
	n := min(opt.Jobs, len(jobs), MaxJobs)
	wg.Add(n)
	for range n - 1 {
		go work()
	}
	work()
	wg.Wait()
	return cells
}
