package main

import (
	"fmt"
	"os/signal"
	"syscall"

	"iomaplab/fsx"
	"iomaplab/kernel"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// fsxTarget is the filesystem an fsx run drives: mount is called on the
// run's main thread (a model builds its fresh engine there); check runs the
// target's own oracles at quiescent points; close releases what opening it
// created (scratch mounts, loop devices).
type fsxTarget struct {
	mount func(t *lab.Thread) (vfs.FS, error)
	check func(t *lab.Thread, final bool) error // nil: the target has no oracles of its own
	close func()
}

// openFsxTarget sets up the target the flags name (checked by then: model
// or kernel).
func openFsxTarget(f *fsxFlags, opt fsx.Options) (*fsxTarget, error) {
	if f.target == "kernel" {
		return openKernelTarget(f)
	}
	return openModelTarget(f, opt)
}

// openKernelTarget makes a scratch filesystem of type f.fs on a loop device
// in a private workspace (kernel package), mounted for the whole run.
func openKernelTarget(f *fsxFlags) (*fsxTarget, error) {
	if err := kernel.CheckEnv(kernelMkfsTypes(f.fs), false); err != nil {
		return nil, classify(err)
	}
	// A closed stdout (iomaplab fsx | head) must not kill the run before
	// the supervisor unmounts: writes then fail with EPIPE instead.
	signal.Ignore(syscall.SIGPIPE)
	sup := kernel.NewSupervisor()
	fail := func(err error) (*fsxTarget, error) {
		sup.Cleanup()
		return nil, classify(fmt.Errorf("scratch %s: %w", f.fs, err))
	}
	ws, err := kernel.NewWorkspace(sup)
	if err != nil {
		return fail(err)
	}
	s, err := ws.NewScratch(f.fs)
	if err != nil {
		return fail(err)
	}
	fs := kernel.NewFS(sup, s)
	return &fsxTarget{
		mount: func(*lab.Thread) (vfs.FS, error) { return fs, nil },
		close: func() { sup.Cleanup() },
	}, nil
}

// kernelMkfsTypes are the types CheckEnv must find an mkfs for.
func kernelMkfsTypes(fs string) []string {
	if fs == "tmpfs" {
		return nil
	}
	return []string{fs}
}
