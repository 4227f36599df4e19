package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"testing"

	"iomaplab/fsx"
)

func TestFsxFlags(t *testing.T) {
	f, err := parseFsxFlags([]string{"--target", "model", "--ops", "5", "--seed", "9", "-R", "-z", "--disable", "fsync,reclaim", "-l", "65536"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if f.opt.Seed != 9 || f.opt.Ops != 5 || f.opt.MaxFileSize != 65536 {
		t.Fatalf("options %+v", f.opt)
	}
	for _, k := range []fsx.Kind{fsx.MapRead, fsx.ZeroRange, fsx.Fsync, fsx.Reclaim} {
		if !f.opt.Disabled.Has(k) {
			t.Errorf("%s not disabled: %s", k, f.opt.Disabled)
		}
	}
	if f.opt.Disabled.Has(fsx.Write) {
		t.Errorf("write disabled: %s", f.opt.Disabled)
	}
	k, err := parseFsxFlags([]string{"--target", "kernel", "--fs", "tmpfs"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if k.opt.RemountEvery != 0 || !k.opt.Disabled.Has(fsx.Remount) || k.opt.Seed == 0 {
		t.Fatalf("tmpfs: remount %d disabled %s seed %d", k.opt.RemountEvery, k.opt.Disabled, k.opt.Seed)
	}
}

func TestFsxBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--target", "nfs"},
		{"--target", "kernel", "--controlled"},
		{"--target", "kernel", "--variant", "no-validate"},
		{"--target", "kernel", "--fs", "zfs"},
		{"--target", "model", "--fs", "btrfs"},
		{"--threads", "0"},
		{"--disable", "scribble"},
		{"--device", "floppy"},
		{"-r", "0"},
		{"extra"},
	} {
		if _, err := parseFsxFlags(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
		if code := run(append([]string{"fsx", "--json"}, args...), io.Discard, io.Discard); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// The model target end to end, controlled so each run is one fixed
// schedule: correct is clean on either device; zero-skips-dirty-unwritten (zero range leaves
// dirty page cache over unwritten extents) is caught, with the model's
// oracles run after remounts.
func TestFsxModelTarget(t *testing.T) {
	for _, tc := range []struct {
		variant, device string
		clean           bool
	}{{"correct", "file", true}, {"correct", "memory", true}, {"zero-skips-dirty-unwritten", "file", false}} {
		res := runModelFsx(t, true, "--variant", tc.variant, "--device", tc.device, "--ops", "2000", "--seed", "1", "--remount-every", "100")
		if clean := res.Failure == nil; clean != tc.clean {
			t.Errorf("%s: clean %v, want %v (%v)", tc.variant, clean, tc.clean, res.Failure)
		}
		if tc.clean && res.Counts[fsx.Remount] == 0 {
			t.Errorf("%s: no remount, so the model's oracles never ran", tc.variant)
		}
	}
}

// TestFsxModelAcceptance runs the acceptance sizes on the model
// (about a minute); set FSX_LONG=1.
func TestFsxModelAcceptance(t *testing.T) {
	if os.Getenv("FSX_LONG") == "" {
		t.Skip("set FSX_LONG=1")
	}
	for _, args := range [][]string{
		{"--ops", "200000", "--seed", "1"},
		{"--ops", "200000", "--seed", "1", "--threads", "4"},
		{"--ops", "20000", "--seed", "1", "--controlled"},
	} {
		if code := run(append([]string{"fsx", "--target", "model", "--log", t.TempDir() + "/fsx.log"}, args...), io.Discard, io.Discard); code != exitOK {
			t.Errorf("iomaplab fsx %q: exit %d", args, code)
		}
	}
}

// -J -B -E disable clone, dedupe and copy as in fsx.c; on the ext4 model the
// probe disables clone and dedupe, and copy runs as pread + pwrite; the XFS
// model runs all three (some dedupes sharing).
func TestFsxRemapOps(t *testing.T) {
	f, err := parseFsxFlags([]string{"--target", "model", "--seed", "1", "-J", "-B", "-E"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []fsx.Kind{fsx.Clone, fsx.Dedupe, fsx.Copy} {
		if !f.opt.Disabled.Has(k) {
			t.Errorf("%s not disabled: %s", k, f.opt.Disabled)
		}
	}
	for _, fs := range []string{"xfs", "ext4"} {
		res := runModelFsx(t, false, "--fs", fs, "--device", "memory", "--ops", "3000", "--seed", "2")
		if res.Failure != nil {
			t.Fatalf("%s: %s", fs, res.Failure.Summary())
		}
		reflink := fs == "xfs"
		if res.Disabled.Has(fsx.Clone) == reflink || res.Disabled.Has(fsx.Dedupe) == reflink || !res.CopyGeneric || res.Counts[fsx.Copy] == 0 {
			t.Errorf("%s: disabled %s, copy generic %v, %d copies", fs, res.Disabled, res.CopyGeneric, res.Counts[fsx.Copy])
		}
		if reflink && (res.Counts[fsx.Clone] == 0 || res.DedupeShared == 0) {
			t.Errorf("%s: %d clones, %d dedupes shared", fs, res.Counts[fsx.Clone], res.DedupeShared)
		}
	}
}

// runModelFsx runs fsx on the model target the flags describe, controlled
// or free, and returns its result.
func runModelFsx(t *testing.T, controlled bool, args ...string) *fsx.Result {
	t.Helper()
	f, err := parseFsxFlags(append([]string{"--target", "model"}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := openModelTarget(f, f.opt)
	if err != nil {
		t.Fatalf("open model target: %v", err)
	}
	defer tgt.close()
	res, err := fsx.Run(fsx.Config{Options: f.opt, Controlled: controlled, Mount: tgt.mount, Check: tgt.check})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// parseFsxFlags parses and checks an fsx command line as `iomaplab fsx`
// does before it runs.
func parseFsxFlags(args []string, stderr io.Writer) (*fsxFlags, error) {
	cmd, f := (&app{stdout: io.Discard, stderr: stderr}).fsxCommand()
	if err := cmd.ParseFlags(args); err != nil {
		return nil, err
	}
	if err := noArgs(cmd, cmd.Flags().Args()); err != nil {
		return nil, err
	}
	return f, f.check(stderr)
}

// fsx --controlled --seeds N gives the same runs, the same first failure
// (zero-skips-dirty-unwritten is caught at seed 5 of 1..12 with 30 ops),
// the same output and logs, and exit 1 with --jobs 1, 2, 3 and 7; each
// seed's run is the one `fsx --seed S` alone gives.
func TestFsxSeedSweepJobs(t *testing.T) {
	t.Chdir(t.TempDir()) // the failing seed's log is written here
	args := []string{"fsx", "--target", "model", "--device", "memory", "--controlled", "--threads", "2", "--ops", "30",
		"--variant", "zero-skips-dirty-unwritten", "--json", "-q"}
	untimed := func(b []byte) string {
		return regexp.MustCompile(`"(seconds|ops_per_sec)": [0-9.e+-]+`).ReplaceAllString(string(b), `"$1": 0`)
	}
	var want string
	for _, jobs := range []string{"1", "2", "3", "7"} {
		var out bytes.Buffer
		code := run(append(args, "--seed", "1", "--seeds", "12", "--jobs", jobs), &out, io.Discard)
		log, err := os.ReadFile("iomaplab-fsx-5.log")
		if code != exitFail || err != nil {
			t.Fatalf("--jobs %s: exit %d, log %v", jobs, code, err)
		}
		os.Remove("iomaplab-fsx-5.log")
		got := untimed(out.Bytes()) + string(log)
		if want == "" {
			want = got
			var sum fsxSweepSummary
			if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum.FailedSeed != 5 || len(sum.Runs) != 5 {
				t.Fatalf("--jobs 1: failed seed %d after %d runs (%v), want seed 5 the fifth run", sum.FailedSeed, len(sum.Runs), err)
			}
			for i, r := range sum.Runs {
				var one bytes.Buffer
				seed := fmt.Sprint(i + 1)
				run(append(args, "--seed", seed, "--log", "one.log"), &one, io.Discard)
				j, _ := json.MarshalIndent(r, "", "  ")
				var single fsxSummary
				json.Unmarshal(one.Bytes(), &single)
				single.Log = r.Log
				s, _ := json.MarshalIndent(single, "", "  ")
				if untimed(j) != untimed(s) {
					t.Errorf("seed %s in the sweep differs from fsx --seed %s alone:\n%s\nalone:\n%s", seed, seed, j, s)
				}
			}
			continue
		}
		if got != want {
			t.Fatalf("--jobs %s differs from --jobs 1:\n%s\n--jobs 1:\n%s", jobs, got, want)
		}
	}
	if _, err := os.Stat("iomaplab-fsx-6.log"); err == nil {
		t.Errorf("a seed past the first failure wrote its log")
	}
	for _, bad := range [][]string{{"--seeds", "3"}, {"--controlled", "--seeds", "3", "--replay", "x.log"}, {"--controlled", "--seeds", "3", "--log", "x.log"}, {"--seeds", "0"}, {"--jobs", "0"}} {
		if code := run(append([]string{"fsx", "--json"}, bad...), io.Discard, io.Discard); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", bad, code, exitUsage)
		}
	}
}
