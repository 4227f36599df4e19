package main

import (
	"strings"
	"testing"
)

// iomaplab vm refuses bad usage before booting (exit 2) and a host or
// image it cannot boot (exit 3), printing nothing on stdout.
func TestVMExitCodes(t *testing.T) {
	out := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"vm", "--out", out}, exitUsage, "--kernel IMAGE and --out DIR are required"},
		{[]string{"vm", "--kernel", "k", "--out", out, "--fs", "zfs"}, exitUsage, "xfs, ext4, btrfs"},
		{[]string{"vm", "--kernel", "k", "--out", out, "--memory", "100"}, exitUsage, "256..65536"},
		{[]string{"vm", "--kernel", "k", "--out", out, "--timeout", "25h"}, exitUsage, "1s..24h"},
		{[]string{"vm", "--kernel", "k", "--out", out, "--exec", "true", "write-stale-unwritten"}, exitUsage, "--exec runs its own command"},
		{[]string{"vm", "--kernel", "k", "--out", out, "no-such-scenario"}, exitUsage, "no scenario \"no-such-scenario\""},
		{[]string{"vm", "--kernel", "/nonexistent/bzImage", "--out", out, "--exec", "true"}, exitEnv, ""},
	} {
		code, stdout, stderr := runCLI(tc.args...)
		if code != tc.code || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d (want %d), stdout %q, stderr %q (want %q)", tc.args, code, tc.code, stdout, stderr, tc.want)
		}
	}
}
