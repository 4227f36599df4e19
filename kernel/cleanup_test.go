package kernel

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"iomaplab/scenario"
)

// The child half of the cleanup tests: a real run whose OnParked hook
// blocks (the parent then sends SIGINT) or panics while the writer is
// parked. The supervisor must unmount, detach and resolve the fault either
// way, then exit 3 (signal) or 1 (panic).
func TestMain(m *testing.M) {
	if mode := os.Getenv("IOMAPLAB_KERNEL_CHILD"); mode != "" {
		os.Exit(cleanupChild(mode))
	}
	os.Exit(m.Run())
}

// cleanupChild runs write-stale-delalloc from its .scn file, whose
// OnParked hook blocks (the parent sends SIGINT) or panics while the writer
// is parked.
func cleanupChild(mode string) int {
	sc, err := LoadScenario("write-stale-delalloc")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cells, err := PlanScenarios([]*scenario.Scenario{sc}, []string{"xfs"}, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	_, err = RunScenarios(NewSupervisor(), ScenarioConfig{Cells: cells, Runs: 1, OnParked: func() {
		fmt.Fprintln(os.Stderr, "CHILD PARKED")
		if mode == "panic" {
			panic("injected panic in a worker goroutine")
		}
		select {} // parked until the signal
	}})
	fmt.Fprintln(os.Stderr, "child: RunScenarios returned:", err)
	return 0
}

// parkedChild is a cleanup-test child whose writer is parked in its window.
type parkedChild struct {
	cmd      *exec.Cmd
	tmp      string // the child's TMPDIR, two levels under the test's
	registry string // the child's workspace registry
	lines    chan string
	out      []string
}

// startParkedChild starts the child in mode with a private TMPDIR and
// returns once it reports its writer parked.
func startParkedChild(t *testing.T, mode string) *parkedChild {
	requireEnv(t, "xfs")
	c := &parkedChild{tmp: filepath.Join(t.TempDir(), "deep", "er"), registry: t.TempDir(), lines: make(chan string, 100)}
	if err := os.MkdirAll(c.tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(os.Args[0], "-test.run=^$")
	c.cmd.Env = append(os.Environ(), "IOMAPLAB_KERNEL_CHILD="+mode, "TMPDIR="+c.tmp, RegistryEnv+"="+c.registry)
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("child ended before parking:\n%s", strings.Join(c.out, "\n"))
			}
			c.out = append(c.out, l)
			if l == "CHILD PARKED" {
				return c
			}
		case <-deadline:
			c.cmd.Process.Kill()
			t.Fatalf("child never parked:\n%s", strings.Join(c.out, "\n"))
		}
	}
}

// wait collects the child's output until it exits and returns it.
func (c *parkedChild) wait(t *testing.T) string {
	done := make(chan error, 1)
	go func() {
		for l := range c.lines {
			c.out = append(c.out, l)
		}
		done <- c.cmd.Wait()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		c.cmd.Process.Kill()
		t.Fatalf("child did not exit: %s", strings.Join(c.out, "\n"))
	}
	return strings.Join(c.out, "\n")
}

// checkNothingLeft fails t for any loop device, mount, tracefs instance,
// task or file of the child's that remains.
func (c *parkedChild) checkNothingLeft(t *testing.T) {
	pid := c.cmd.Process.Pid
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		t.Errorf("child task %d still exists (blocked?)", pid)
	}
	for _, l := range leftoversUnder(t, c.tmp, pid) {
		t.Errorf("left behind: %s", l)
	}
	if ents, _ := os.ReadDir(c.tmp); len(ents) != 0 {
		t.Errorf("private temp dir not emptied: %v", ents)
	}
	if ents, _ := os.ReadDir(c.registry); len(ents) != 0 {
		t.Errorf("workspace registry not emptied: %v", ents)
	}
}

func runCleanupChild(t *testing.T, mode string, wantCode int) {
	c := startParkedChild(t, mode)
	if strings.HasSuffix(mode, "block") {
		if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}
	log := c.wait(t)
	if code := c.cmd.ProcessState.ExitCode(); code != wantCode {
		t.Errorf("child exit code %d, want %d", code, wantCode)
	}
	if strings.Contains(log, "cleanup ") {
		t.Errorf("cleanup reported errors:\n%s", log)
	}
	c.checkNothingLeft(t)
	t.Logf("child output:\n%s", log)
}

// leftoversUnder lists loop devices and mounts under dir, and the child's
// tracefs instance.
func leftoversUnder(t *testing.T, dir string, pid int) []string {
	var out []string
	if b, err := exec.Command("losetup", "-a").Output(); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, dir) {
				out = append(out, "loop: "+l)
			}
		}
	}
	if b, err := os.ReadFile("/proc/mounts"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, dir) {
				out = append(out, "mount: "+l)
			}
		}
	}
	if root := FindTraceRoot(); root != "" {
		if insts, _ := filepath.Glob(fmt.Sprintf("%s/instances/iomaplab-%d-*", root, pid)); len(insts) > 0 {
			out = append(out, "tracefs instance of the child")
		}
	}
	return out
}

func TestSIGINTWhileParkedCleansUp(t *testing.T) { runCleanupChild(t, "block", 3) }

// A panic is iomaplab's own bug: exit 3 (1 is for violations only), after cleanup.
func TestPanicWhileParkedCleansUp(t *testing.T) { runCleanupChild(t, "panic", 3) }
