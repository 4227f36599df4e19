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

// A run killed with SIGKILL (or by the OOM killer, or a test binary ended
// by its -timeout) cannot clean up: its scratch mounts stay mounted
// (holding their AUTOCLEAR loop devices), its tracefs instance stays (until
// its reaper removes it, see tracefs.Instance.RemoveOnExit) and its
// workspace stays on disk, wherever it was made (a test's TMPDIR may be a
// directory several levels under /tmp). Every workspace therefore names its
// owner, and is listed in the registry (RegistryDir) by one marker file; a
// new workspace first reclaims the registered workspaces whose owners are
// gone. Reclaim never walks directories it did not register.

// RegistryEnv names the environment variable that moves the registry
// (tests use a private one).
const RegistryEnv = "IOMAPLAB_KERNEL_REGISTRY"

// RegistryDir is where workspaces are registered: $IOMAPLAB_KERNEL_REGISTRY,
// else /run/iomaplab/workspaces (root's, and not moved by TMPDIR, so a run
// finds what a test with a private TMPDIR left), else
// $TMPDIR/iomaplab-workspaces on a system without /run.
func RegistryDir() string {
	if d := os.Getenv(RegistryEnv); d != "" {
		return d
	}
	if st, err := os.Stat("/run"); err == nil && st.IsDir() {
		return "/run/iomaplab/workspaces"
	}
	return filepath.Join(os.TempDir(), "iomaplab-workspaces")
}

// register writes the marker of workspace dir (whose owner file is written)
// into registry and returns its path. The marker holds the owner line and
// the workspace's absolute path.
func register(registry, dir string) (string, error) {
	owner, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(registry, 0o700); err != nil {
		return "", err
	}
	marker := filepath.Join(registry, fmt.Sprintf("%d-%s", os.Getpid(), filepath.Base(dir)))
	return marker, os.WriteFile(marker, fmt.Appendf(owner, "%s\n", dir), 0o600)
}

// ownerFile is the file in a workspace naming the process that owns it:
// "PID START", START being the process's start time (field 22 of
// /proc/PID/stat), so that a reused PID is not taken for the owner.
const ownerFile = "owner"

// workspacePrefix is how NewWorkspace names its directories in $TMPDIR.
const workspacePrefix = "iomaplab-kernel-"

// writeOwner records this process as the owner of workspace dir.
func writeOwner(dir string) error {
	owner, err := ownerLine()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner+"\n"), 0o600)
}

// ownerLine is this process's "PID START".
func ownerLine() (string, error) {
	start, err := processStart(os.Getpid())
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d %s", os.Getpid(), start), nil
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

// ownerGone parses an owner line ("PID START"); it reports the PID and
// whether that process is gone. A malformed line is never gone.
func ownerGone(line string) (pid int, gone bool) {
	f := strings.Fields(line)
	if len(f) != 2 {
		return 0, false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return 0, false
	}
	start, err := processStart(pid)
	return pid, errors.Is(err, os.ErrNotExist) || (err == nil && start != f[1])
}

// ReclaimAbandoned undoes what dead runs left, for each workspace in the
// registry whose owner is gone: it removes the owner's tracefs instance,
// unmounts every mount under the workspace (the kernel then detaches their
// AUTOCLEAR loop devices), removes the entries this package creates
// (images, mount points, the owner file, the directory), never
// recursively, and then the marker. It returns one line per workspace
// reclaimed and the errors that kept one from being reclaimed completely
// (it is then left, marker and all, for a later run).
func ReclaimAbandoned(registry string) (reclaimed []string, err error) {
	markers, _ := filepath.Glob(filepath.Join(registry, "*-"+workspacePrefix+"*"))
	var errs []error
	for _, marker := range markers {
		line, dir, ok := readMarker(marker)
		if !ok {
			continue
		}
		pid, gone := ownerGone(line)
		if !gone {
			continue
		}
		owner, ferr := os.ReadFile(filepath.Join(dir, ownerFile))
		switch {
		case errors.Is(ferr, os.ErrNotExist) && !exists(dir):
			reclaimed = append(reclaimed, fmt.Sprintf("forgot %s, left by pid %d: already removed", dir, pid))
		case ferr != nil || strings.TrimSpace(string(owner)) != line:
			errs = append(errs, fmt.Errorf("reclaim %s (pid %d): its owner file does not match the registry's marker %s; left alone", dir, pid, marker))
			continue
		default:
			what, err := reclaimWorkspace(dir, line)
			if err != nil {
				errs = append(errs, fmt.Errorf("reclaim %s (pid %d): %w", dir, pid, err))
				continue
			}
			reclaimed = append(reclaimed, fmt.Sprintf("reclaimed %s, left by pid %d: %s", dir, pid, strings.Join(what, ", ")))
		}
		if err := os.Remove(marker); err != nil {
			errs = append(errs, err)
		}
	}
	return reclaimed, errors.Join(errs...)
}

// readMarker returns a marker's owner line and workspace path.
func readMarker(marker string) (owner, dir string, ok bool) {
	b, err := os.ReadFile(marker)
	if err != nil {
		return "", "", false
	}
	owner, dir, ok = strings.Cut(strings.TrimSpace(string(b)), "\n")
	if !ok || !filepath.IsAbs(dir) || !strings.HasPrefix(filepath.Base(dir), workspacePrefix) {
		return "", "", false
	}
	return owner, dir, true
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// instancePrefix names the tracefs instances of one owner ("PID START"):
// iomaplab-PID-START-N. Instances are global, so the start time keeps a
// reclaim from removing the instance of a live process that reuses a dead
// owner's PID.
func instancePrefix(owner string) string {
	return "iomaplab-" + strings.Join(strings.Fields(owner), "-") + "-"
}

func reclaimWorkspace(dir, owner string) (what []string, err error) {
	mounts := mountsUnder(dir)
	root := tracefs.FindRoot()
	// The dead run's own tracefs mount, unless its reaper removed it.
	if priv := filepath.Join(dir, "tracefs"); slices.Contains(mounts, priv) {
		root = priv
	}
	if root != "" {
		insts, _ := filepath.Glob(filepath.Join(root, "instances", instancePrefix(owner)+"*"))
		for _, inst := range insts {
			if err := os.Remove(inst); err == nil {
				what = append(what, "tracefs instance "+filepath.Base(inst))
			} else if !errors.Is(err, os.ErrNotExist) {
				return what, err
			}
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
