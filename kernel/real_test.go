package kernel

import (
	"os"
	"os/exec"
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

// leftovers lists our loop devices, mounts and tracefs instances still
// present: there must be none after a run.
func leftovers(t *testing.T) []string {
	t.Helper()
	var out []string
	if b, err := exec.Command("losetup", "-a").Output(); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if strings.Contains(l, "iomaplab-kernel-") {
				out = append(out, "loop: "+l)
			}
		}
	}
	if b, err := os.ReadFile("/proc/mounts"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "iomaplab-kernel-") {
				out = append(out, "mount: "+l)
			}
		}
	}
	if root := FindTraceRoot(); root != "" {
		ents, _ := os.ReadDir(root + "/instances")
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "iomaplab-") {
				out = append(out, "tracefs instance: "+e.Name())
			}
		}
	}
	return out
}

func TestRealCatalogue(t *testing.T) {
	fstypes := []string{"xfs", "ext4", "btrfs"}
	requireEnv(t, fstypes...)
	cells, err := Plan(Catalogue, fstypes)
	if err != nil {
		t.Fatal(err)
	}
	sup := quietSupervisor(t)
	rep, err := Run(sup, Config{Cells: cells, Runs: 3})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	rep.WriteTable(&sb)
	t.Log("\n" + sb.String())
	if !rep.OK {
		t.Error("expectations violated")
	}
	if l := leftovers(t); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}
