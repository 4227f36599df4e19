package tracefs

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// reaperScript runs in a shell that outlives its owner. Its stdin is a pipe
// whose only writer is the owner: the owner writes "done" before a clean
// Close; EOF without it means the owner died (SIGKILL, the OOM killer, a
// test binary's -timeout), and the reaper stops tracing, removes the
// instance ($1) and unmounts the private tracefs mount ($2, if any).
const reaperScript = `read -r how; [ "$how" = done ] && exit 0
echo 0 > "$1/tracing_on"; rmdir "$1" && { [ -z "$2" ] || umount "$2"; }`

// RemoveOnExit starts the instance's reaper: a shell in its own session
// (so a signal to the owner's process group does not reach it) that removes
// the instance when the owner process dies without Close, because an
// instance, unlike a file descriptor, is not released by the kernel when
// its creator dies, and would keep tracing until the next run reclaims it.
func (in *Instance) RemoveOnExit() error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("tracefs: reaper pipe: %w", err)
	}
	defer r.Close()
	cmd := exec.Command("/bin/sh", "-c", reaperScript, "iomaplab-tracefs-reaper", in.dir, in.mountedAt)
	cmd.Stdin, cmd.Dir = r, "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("tracefs: start reaper: %w", err)
	}
	in.reaper, in.reaperPipe = cmd, w
	return nil
}

// ReaperPID is the reaper's process ID, or 0 without one.
func (in *Instance) ReaperPID() int {
	if in.reaper == nil {
		return 0
	}
	return in.reaper.Process.Pid
}

// stopReaper ends the reaper: told "done" on a clean Close, or (abandon) as
// if the owner had died; it waits for the reaper to exit.
func (in *Instance) stopReaper(done bool) error {
	if in.reaper == nil {
		return nil
	}
	if done {
		in.reaperPipe.WriteString("done\n")
	}
	in.reaperPipe.Close()
	err := in.reaper.Wait()
	in.reaper, in.reaperPipe = nil, nil
	if err != nil && done {
		return fmt.Errorf("tracefs: reaper: %w", err)
	}
	return nil
}
