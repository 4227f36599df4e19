package tracefs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Instance is one private tracing instance.
type Instance struct {
	dir       string   // <tracefs>/instances/<name>
	mountedAt string   // tracefs mount point this package created, or ""
	enabled   []string // "system/event", in Enable order
	// reaper removes the instance if this process dies (RemoveOnExit);
	// reaperPipe is the write end of its stdin.
	reaper     *exec.Cmd
	reaperPipe *os.File
}

// DefaultRoot is where tracefs is usually mounted.
const DefaultRoot = "/sys/kernel/tracing"

// FindRoot returns the standard tracefs mount point if tracefs is mounted
// there, or "". Other tracefs mounts are ignored on purpose: they may be
// another process's private mount, which it must be able to unmount.
func FindRoot() string {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && f[2] == "tracefs" && (f[1] == DefaultRoot || f[1] == "/sys/kernel/debug/tracing") {
			return f[1]
		}
	}
	return ""
}

// Create makes instances/name under a tracefs mount: its own mount at
// privateMount (which must exist; unmounted on Close), or, with
// privateMount "", the standard one. A private mount is what a run should
// use: another program may unmount (and mount again) the standard one at
// any time (a test harness cleaning up after itself), and the instance's
// files are then gone from under it for a while.
func Create(name, privateMount string) (*Instance, error) {
	root := FindRoot()
	in := &Instance{}
	if privateMount != "" {
		if err := unix.Mount("nodev", privateMount, "tracefs", 0, ""); err != nil {
			return nil, fmt.Errorf("tracefs: mount at %s: %w", privateMount, err)
		}
		root, in.mountedAt = privateMount, privateMount
	}
	if root == "" {
		return nil, errors.New("tracefs: not mounted and no private mount point given")
	}
	in.dir = filepath.Join(root, "instances", name)
	if err := os.Mkdir(in.dir, 0o700); err != nil {
		in.unmount()
		return nil, fmt.Errorf("tracefs: create instance: %w", err)
	}
	return in, nil
}

// Dir is the instance directory.
func (in *Instance) Dir() string { return in.dir }

func (in *Instance) write(rel, val string) error {
	p := filepath.Join(in.dir, rel)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("tracefs: %w", err)
	}
	_, err = f.WriteString(val)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("tracefs: write %q to %s: %w", val, rel, err)
	}
	return nil
}

// Has reports whether the kernel has the event "system/name".
func (in *Instance) Has(event string) bool {
	_, err := os.Stat(filepath.Join(in.dir, "events", event, "enable"))
	return err == nil
}

// Enable turns the events on in this instance only. An event the kernel
// lacks is an error; check Has first for optional ones.
func (in *Instance) Enable(events ...string) error {
	for _, e := range events {
		if err := in.write(filepath.Join("events", e, "enable"), "1"); err != nil {
			return err
		}
		in.enabled = append(in.enabled, e)
	}
	return in.write("tracing_on", "1")
}

// Filter sets the event's filter expression (ftrace syntax, e.g.
// "dev == 7340032 && ino == 131"); "" clears it.
func (in *Instance) Filter(event, expr string) error {
	if expr == "" {
		expr = "0"
	}
	return in.write(filepath.Join("events", event, "filter"), expr)
}

// FilterAll sets the same filter on every enabled event.
func (in *Instance) FilterAll(expr string) error {
	for _, e := range in.enabled {
		if err := in.Filter(e, expr); err != nil {
			return err
		}
	}
	return nil
}

// Clear empties the instance's ring buffer.
func (in *Instance) Clear() error { return in.write("trace", "") }

// Mark writes a marker line into the buffer (trace_marker).
func (in *Instance) Mark(msg string) error {
	f, err := os.OpenFile(filepath.Join(in.dir, "trace_marker"), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("tracefs: %w", err)
	}
	defer f.Close()
	_, err = f.WriteString(msg)
	return err
}

// Read returns the buffer's events (non-consuming) in order.
func (in *Instance) Read() ([]Event, error) {
	b, err := os.ReadFile(filepath.Join(in.dir, "trace"))
	if err != nil {
		return nil, fmt.Errorf("tracefs: %w", err)
	}
	var evs []Event
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if e, ok := ParseLine(sc.Text()); ok {
			evs = append(evs, e)
		}
	}
	return evs, sc.Err()
}

// Close disables the events, removes the instance, unmounts tracefs if
// Create mounted it, and ends the reaper. It is safe to call twice.
func (in *Instance) Close() error {
	if in.dir == "" {
		return nil
	}
	in.write("tracing_on", "0")
	for _, e := range in.enabled {
		in.write(filepath.Join("events", e, "enable"), "0")
	}
	err := os.Remove(in.dir)
	if err != nil {
		err = fmt.Errorf("tracefs: remove instance: %w", err)
	}
	in.dir = ""
	if uerr := in.unmount(); err == nil {
		err = uerr
	}
	if rerr := in.stopReaper(true); err == nil {
		err = rerr
	}
	return err
}

func (in *Instance) unmount() error {
	if in.mountedAt == "" {
		return nil
	}
	err := unix.Unmount(in.mountedAt, 0)
	if errors.Is(err, unix.EBUSY) {
		err = unix.Unmount(in.mountedAt, unix.MNT_DETACH)
	}
	in.mountedAt = ""
	if err != nil {
		return fmt.Errorf("tracefs: unmount: %w", err)
	}
	return nil
}
