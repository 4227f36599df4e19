package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Baseline is an earlier revision of iomaplab, built to compare one
// world's speed against in the same run.
type Baseline struct {
	// Rev is the revision as the user named it; Commit its full hash.
	Rev, Commit string
	// Bin is its iomaplab binary; Self is the binary measured against it
	// (this one).
	Bin, Self string
}

// BuildBaseline checks out rev of the git repository at repo into a new
// worktree under dir, builds its iomaplab into dir and removes the
// worktree again: only the binary stays, until the caller removes dir.
func BuildBaseline(repo, rev, dir string) (*Baseline, error) {
	commit, err := gitOut(repo, "rev-parse", "--verify", rev+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("--baseline %s: not a commit of %s: %v", rev, repo, err)
	}
	tree := filepath.Join(dir, "tree")
	if _, err := gitOut(repo, "worktree", "add", "--detach", tree, commit); err != nil {
		return nil, fmt.Errorf("--baseline %s: git worktree add: %v", rev, err)
	}
	defer func() {
		gitOut(repo, "worktree", "remove", "--force", tree)
		gitOut(repo, "worktree", "prune")
	}()
	bin := filepath.Join(dir, "iomaplab-"+commit[:12])
	build := exec.Command("go", "build", "-o", bin, "./cmd/iomaplab")
	build.Dir = tree
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("--baseline %s: go build: %v\n%s", rev, err, out)
	}
	return &Baseline{Rev: rev, Commit: commit, Bin: bin}, nil
}

func gitOut(repo string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// worldRun is one `iomaplab explore` process's cell: schedules, the
// cell's own wall time, and the process's CPU time (user + system).
type worldRun struct {
	schedules  int
	seconds    float64
	cpuSeconds float64
}

// exploreOnce runs bin's explore of scenario, correct, random walk, n
// schedules, seed, on memory devices, in one world (--jobs 1 where bin has
// the flag: revisions before it always ran one).
func exploreOnce(bin, scenario string, n int, seed uint64) (worldRun, error) {
	args := []string{"explore", scenario, "--strategy", "random", "--budget", fmt.Sprint(n),
		"--seed", fmt.Sprint(seed), "--device", "memory", "--json", "-q"}
	if hasFlag(bin, "explore", "--jobs") {
		args = append(args, "--jobs", "1")
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return worldRun{}, fmt.Errorf("%s %s: %v: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	var doc struct {
		Cells []struct {
			Verdict   string  `json:"verdict"`
			Schedules int     `json:"schedules"`
			Seconds   float64 `json:"seconds"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(out, &doc); err != nil || len(doc.Cells) != 1 {
		return worldRun{}, fmt.Errorf("%s explore: not one cell of JSON (%v)", bin, err)
	}
	c := doc.Cells[0]
	if c.Verdict != "clean" || c.Schedules != n || c.Seconds <= 0 {
		return worldRun{}, fmt.Errorf("%s explore %s: %s after %d schedules, want clean after %d", bin, scenario, c.Verdict, c.Schedules, n)
	}
	ps := cmd.ProcessState
	return worldRun{schedules: c.Schedules, seconds: c.Seconds,
		cpuSeconds: (ps.UserTime() + ps.SystemTime()).Seconds()}, nil
}

// hasFlag reports whether bin's sub --help lists flag.
func hasFlag(bin, sub, flag string) bool {
	out, _ := exec.Command(bin, sub, "--help").Output()
	return bytes.Contains(out, []byte(flag+" "))
}

// oneWorldVsBaseline: one world's schedules/s (random walk of the 2-thread
// scenario, one process per run) of this binary against the baseline
// revision's, the two run alternately with the same seed, so a change of
// load hits both; and the same per CPU second of the process, which other
// jobs on the machine disturb less than wall time.
func (b *bench) oneWorldVsBaseline(scenario string) error {
	base := b.cfg.Baseline
	self := base.Self
	if self == "" {
		var err error
		if self, err = os.Executable(); err != nil {
			return err
		}
	}
	n := b.cfg.Schedules
	seed := uint64(0)
	st, err := repeat(b.cfg.Runs, 4, b.progress, "lab one world vs "+base.Rev, func() ([]float64, error) {
		seed++
		cur, err := exploreOnce(self, scenario, n, seed)
		if err != nil {
			return nil, err
		}
		old, err := exploreOnce(base.Bin, scenario, n, seed)
		if err != nil {
			return nil, err
		}
		return []float64{
			float64(cur.schedules) / cur.seconds, float64(old.schedules) / old.seconds,
			float64(cur.schedules) / cur.cpuSeconds, float64(old.schedules) / old.cpuSeconds,
		}, nil
	})
	if err != nil {
		return err
	}
	rev := fmt.Sprintf("%s (%s)", base.Rev, base.Commit[:min(12, len(base.Commit))])
	b.add(&Figure{Group: "lab", Name: "one world schedules/s vs baseline", Unit: "schedules/s", Value: &st[0],
		Baseline: "revision " + rev, Base: &st[1],
		Note: fmt.Sprintf("iomaplab explore %s --strategy random --budget %d --device memory (--jobs 1), one process per run, alternating with the baseline's binary, same seeds; the cell's own seconds", scenario, n)})
	b.add(&Figure{Group: "lab", Name: "one world schedules per CPU second vs baseline", Unit: "schedules/s", Value: &st[2],
		Baseline: "revision " + rev, Base: &st[3],
		Note: "the same runs: schedules over the process's user+system CPU time (start-up and the catalogue's parsing included), less disturbed by other jobs than wall time"})
	return nil
}
