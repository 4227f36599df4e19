package kernel

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
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

func runCleanupChild(t *testing.T, mode string, wantCode int) {
	requireEnv(t, "xfs")
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "IOMAPLAB_KERNEL_CHILD="+mode, "TMPDIR="+tmp)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var out []string
	parked := false
	deadline := time.After(60 * time.Second)
	for !parked {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("child ended before parking:\n%s", strings.Join(out, "\n"))
			}
			out = append(out, l)
			parked = l == "CHILD PARKED"
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("child never parked:\n%s", strings.Join(out, "\n"))
		}
	}
	if strings.HasSuffix(mode, "block") {
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		for l := range lines {
			out = append(out, l)
		}
		done <- cmd.Wait()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("child did not exit after cleanup: %s", strings.Join(out, "\n"))
	}
	if code := cmd.ProcessState.ExitCode(); code != wantCode {
		t.Errorf("child exit code %d, want %d", code, wantCode)
	}
	log := strings.Join(out, "\n")
	if strings.Contains(log, "cleanup ") {
		t.Errorf("cleanup reported errors:\n%s", log)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		t.Errorf("child task %d still exists (blocked?)", pid)
	}
	for _, l := range leftoversUnder(t, tmp, pid) {
		t.Errorf("left behind: %s", l)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("private temp dir not emptied: %v", ents)
	}
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
		if _, err := os.Stat(fmt.Sprintf("%s/instances/iomaplab-%d", root, pid)); err == nil {
			out = append(out, "tracefs instance of the child")
		}
	}
	return out
}

func TestSIGINTWhileParkedCleansUp(t *testing.T) { runCleanupChild(t, "block", 3) }

func TestPanicWhileParkedCleansUp(t *testing.T) { runCleanupChild(t, "panic", 1) }
