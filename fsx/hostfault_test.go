package fsx

import (
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"testing"

	"iomaplab/blockdev"
	"iomaplab/fsx/internal/memfs"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// fullHostFS stands for a model whose backing file sits on a full host
// filesystem: from the Nth pwrite on, the device's write to its backing file
// fails with ENOSPC, which the device reports with Thread.HostFault.
type fullHostFS struct {
	vfs.FS
	n     int64
	calls atomic.Int64
}

type fullHostFile struct {
	vfs.File
	fs *fullHostFS
}

func (h *fullHostFS) Open(t *lab.Thread, name string) (vfs.File, error) {
	f, err := h.FS.Open(t, name)
	return fullHostFile{f, h}, err
}

func (f fullHostFile) Pwrite(t *lab.Thread, buf vfs.Buffer, off int64) (int, error) {
	if f.fs.calls.Add(1) >= f.fs.n {
		t.HostFault(&blockdev.HostError{Path: "/full/dev.img", Op: "pwrite",
			Err: &os.PathError{Op: "write", Path: "/full/dev.img", Err: syscall.ENOSPC}})
	}
	return f.File.Pwrite(t, buf, off)
}

// A host fault under the target ends the run with the host's error, an
// environment error (the CLI's exit 3), never a failure of the run.
func TestHostFaultIsAnEnvironmentError(t *testing.T) {
	for _, tc := range []struct {
		threads    int
		controlled bool
	}{{1, false}, {4, false}, {4, true}} {
		h := &fullHostFS{n: 50}
		cfg := Config{Options: options(9, 2000, tc.threads), Controlled: tc.controlled,
			Mount: func(t *lab.Thread) (vfs.FS, error) { h.FS = memfs.New(); return h, nil }}
		res, err := Run(cfg)
		var env interface{ Environment() bool }
		if !errors.As(err, &env) || !env.Environment() || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("%+v: err %v, failure %v: want the host's ENOSPC as an environment error", tc, err, res.Failure)
		}
	}
	// With room on the host the same run is clean: the fault was the cause.
	h := &fullHostFS{n: 1 << 40}
	cfg := Config{Options: options(9, 2000, 1),
		Mount: func(t *lab.Thread) (vfs.FS, error) { h.FS = memfs.New(); return h, nil }}
	requireClean(t, cfg, mustRun(t, cfg))
}
