package kernel

import (
	"os"
	"strings"
	"testing"
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

func quietSupervisor(t *testing.T) *Supervisor {
	sup := NewSupervisor()
	sup.Fatal = func(reason string, code int) { t.Errorf("fatal (%d): %s", code, reason) }
	sup.Log = t.Logf
	return sup
}

// privateTmp points TMPDIR at a directory of this test, so the workspaces
// the test creates (and anything they leave behind) are found under it.
func privateTmp(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

func TestRealCatalogue(t *testing.T) {
	fstypes := []string{"xfs", "ext4", "btrfs"}
	requireEnv(t, fstypes...)
	cells, err := Plan(Catalogue, fstypes)
	if err != nil {
		t.Fatal(err)
	}
	tmp := privateTmp(t)
	sup := quietSupervisor(t)
	rep, err := Run(sup, Config{Cells: cells, Runs: 2})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	rep.WriteTable(&sb)
	t.Log("\n" + sb.String())
	if !rep.OK {
		t.Error("expectations violated")
	}
	for _, l := range leftoversUnder(t, tmp, os.Getpid()) {
		t.Errorf("left behind: %s", l)
	}
}
