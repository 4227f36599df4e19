package kernel

import (
	"bytes"
	"os"
	"testing"
	"time"
)

// requireEnv is how a test says it needs the real kernel target: it skips
// with the reason, unless IOMAPLAB_KERNEL_REQUIRED=1 (set by CI), which
// turns the skip into a failure.
func requireEnv(t *testing.T, fstypes ...string) {
	t.Helper()
	if err := CheckEnv(fstypes, false); err != nil {
		if os.Getenv("IOMAPLAB_KERNEL_REQUIRED") == "1" {
			t.Fatalf("kernel target required but unavailable: %v", err)
		}
		t.Skipf("kernel target unavailable: %v", err)
	}
}

// quietSupervisor is a test's supervisor: it reports through t, and ends
// the run (everything created released) deadlineMargin before `go test
// -timeout` would kill the binary without running any cleanup.
func quietSupervisor(t *testing.T) *Supervisor {
	sup := NewSupervisor()
	sup.Fatal = func(reason string, code int) { t.Errorf("fatal (%d): %s", code, reason) }
	sup.Log = t.Logf
	if d, ok := t.Deadline(); ok {
		t.Cleanup(sup.EndAt(d.Add(-deadlineMargin)))
	}
	return sup
}

// deadlineMargin is how long before the test binary's timeout a test's
// kernel run is ended: time to resolve faults, unmount and detach.
const deadlineMargin = 30 * time.Second

// short says whether to run the slow real-kernel tests small: under -short
// or -race (which makes each run about four times slower).
func short() bool { return testing.Short() || raceEnabled }

// privateTmp points TMPDIR at a directory of this test, so the workspaces
// the test creates (and anything they leave behind) are found under it.
func privateTmp(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

const (
	kib = int64(1) << 10
	mib = int64(1) << 20
)

// fill is n bytes of b.
func fill(b byte, n int64) []byte { return bytes.Repeat([]byte{b}, int(n)) }

// scratchFS makes a scratch filesystem of fstype under a private TMPDIR
// (returned, for leftoversUnder) and an FS over it; the test's supervisor
// releases both, and the test checks nothing was left behind.
func scratchFS(t *testing.T, fstype string) (*Supervisor, *Scratch, *FS) {
	t.Helper()
	requireEnv(t, fstype)
	tmp := privateTmp(t)
	sup := quietSupervisor(t)
	t.Cleanup(func() {
		if err := sup.Cleanup(); err != nil {
			t.Error(err)
		}
		for _, l := range leftoversUnder(t, tmp, os.Getpid()) {
			t.Errorf("left behind: %s", l)
		}
	})
	ws, err := NewWorkspace(sup)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ws.NewScratch(fstype)
	if err != nil {
		t.Fatal(err)
	}
	return sup, s, NewFS(sup, s)
}
