package kernel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"iomaplab/kernel/tracefs"
)

// A run killed with SIGKILL (or by the OOM killer) cannot clean up: its
// scratch mounts stay mounted (holding their AUTOCLEAR loop devices), its
// tracefs instance stays enabled and its workspace stays on disk. Every
// workspace therefore names its owner, and a new workspace first reclaims
// the workspaces of owners that are gone.

// ownerFile is the file in a workspace naming the process that owns it:
// "PID START", START being the process's start time (field 22 of
// /proc/PID/stat), so that a reused PID is not taken for the owner.
const ownerFile = "owner"

// workspacePrefix is how NewWorkspace names its directories in $TMPDIR.
const workspacePrefix = "iomaplab-kernel-"

// writeOwner records this process as the owner of workspace dir.
func writeOwner(dir string) error {
	start, err := processStart(os.Getpid())
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ownerFile), fmt.Appendf(nil, "%d %s\n", os.Getpid(), start), 0o600)
}

// processStart is field 22 (starttime) of /proc/PID/stat. The fields are
// counted after the command name, which may hold spaces and parentheses.
func processStart(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 {
		return "", fmt.Errorf("/proc/%d/stat: %d fields after the command", pid, len(f))
	}
	return f[19], nil // field 3 is f[0]
}

// abandonedOwner reads dir's owner; it reports the PID and whether that
// process is gone. A workspace without a readable owner file is never
// abandoned: it may be one being created right now, or not ours.
func abandonedOwner(dir string) (pid int, gone bool) {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, false
	}
	pid, err = strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return 0, false
	}
	start, err := processStart(pid)
	return pid, errors.Is(err, os.ErrNotExist) || (err == nil && start != f[1])
}

// ReclaimAbandoned undoes what dead runs left in tmp: for each workspace
// whose owner is gone it removes the owner's tracefs instance, unmounts
// every mount under the workspace (the kernel then detaches their
// AUTOCLEAR loop devices), and removes the entries this package creates
// (images, mount points, the owner file, the directory), never recursively.
// It returns one line per workspace reclaimed and the errors that kept one
// from being reclaimed completely (it is then left for a later run).
func ReclaimAbandoned(tmp string) (reclaimed []string, err error) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, workspacePrefix+"*"))
	var errs []error
	for _, dir := range dirs {
		pid, gone := abandonedOwner(dir)
		if !gone {
			continue
		}
		what, err := reclaimWorkspace(dir, pid)
		if err != nil {
			errs = append(errs, fmt.Errorf("reclaim %s (pid %d): %w", dir, pid, err))
			continue
		}
		reclaimed = append(reclaimed, fmt.Sprintf("reclaimed %s, left by pid %d: %s", dir, pid, strings.Join(what, ", ")))
	}
	return reclaimed, errors.Join(errs...)
}

func reclaimWorkspace(dir string, pid int) (what []string, err error) {
	mounts := mountsUnder(dir)
	root := tracefs.FindRoot()
	if root == "" { // the dead run mounted tracefs privately, if at all
		if priv := filepath.Join(dir, "tracefs"); slices.Contains(mounts, priv) {
			root = priv
		}
	}
	if root != "" {
		inst := filepath.Join(root, "instances", fmt.Sprintf("iomaplab-%d", pid))
		if err := os.Remove(inst); err == nil {
			what = append(what, "tracefs instance "+filepath.Base(inst))
		} else if !errors.Is(err, os.ErrNotExist) {
			return what, err
		}
	}
	for _, m := range mounts {
		if err := unix.Unmount(m, 0); err != nil {
			return what, fmt.Errorf("unmount %s: %w", m, err)
		}
		what = append(what, "unmounted "+m)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return what, err
	}
	for _, e := range ents {
		name := e.Name()
		p := filepath.Join(dir, name)
		switch {
		case e.IsDir():
			err = os.Remove(p) // a mount point or the tracefs mount point: empty now
		case name == ownerFile:
			continue // last, so a failed reclaim can be retried
		case strings.HasSuffix(name, ".img") && e.Type().IsRegular():
			err = os.Remove(p)
			what = append(what, "removed "+name)
		default:
			err = fmt.Errorf("%s: not an entry this package creates; left alone", p)
		}
		if err != nil {
			return what, err
		}
	}
	if err := os.Remove(filepath.Join(dir, ownerFile)); err != nil {
		return what, err
	}
	return what, os.Remove(dir)
}

// mountsUnder lists the mount points strictly under dir, deepest first.
func mountsUnder(dir string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 {
			if mp := unescapeMountinfo(f[4]); strings.HasPrefix(mp, dir+"/") && !slices.Contains(out, mp) {
				out = append(out, mp)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// unescapeMountinfo undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
