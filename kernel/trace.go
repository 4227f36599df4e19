package kernel

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"iomaplab/kernel/tracefs"
)

// Evidence events: enabled when the kernel has them, filtered per run by
// device and inode.
const (
	evInvalid   = "xfs_iomap_invalid"
	evWBInvalid = "xfs_wb_data_iomap_invalid"
	evWBCow     = "xfs_wb_cow_iomap_invalid"
	evIter      = "iomap_iter"
	// Extent changes a window's writeback makes: unwritten -> written at
	// I/O completion, delalloc -> allocated at writeback.
	evConvert = "xfs_unwritten_convert"
	evAlloc   = "xfs_map_blocks_alloc"
	// Speculative post-EOF preallocation sized dynamically
	// (xfs_iomap_prealloc_size; the model emits the same name).
	evPrealloc = "xfs_iomap_prealloc_size"
)

var traceEvents = []string{"xfs/" + evInvalid, "xfs/" + evWBInvalid, "xfs/" + evWBCow, "iomap/" + evIter, "xfs/" + evAlloc, "xfs/" + evConvert, "xfs/" + evPrealloc}

// instanceSeq numbers this process's tracefs instances.
var instanceSeq atomic.Int64

// openTrace creates the run's private tracefs instance under a tracefs
// mount of its own in the workspace, registered with sup, with
// a reaper that removes it if this process dies unclean (SIGKILL), and
// enables the evidence events the kernel has.
func openTrace(sup *Supervisor, ws *Workspace) (*tracefs.Instance, map[string]bool, error) {
	priv := filepath.Join(ws.Dir, "tracefs")
	if err := os.Mkdir(priv, 0o700); err != nil {
		return nil, nil, err
	}
	sup.Defer("rmdir "+priv, func() error { return os.Remove(priv) })
	owner, err := ownerLine()
	if err != nil {
		return nil, nil, err
	}
	in, err := tracefs.Create(fmt.Sprintf("%s%d", instancePrefix(owner), instanceSeq.Add(1)), priv)
	if err != nil {
		return nil, nil, &EnvError{fmt.Sprintf("tracefs: %v", err)}
	}
	sup.Defer("remove tracefs instance", in.Close)
	if err := in.RemoveOnExit(); err != nil {
		return nil, nil, &EnvError{err.Error()}
	}
	have := map[string]bool{}
	var on []string
	for _, e := range traceEvents {
		if in.Has(e) {
			on = append(on, e)
			have[filepath.Base(e)] = true
		}
	}
	if len(on) > 0 {
		if err := in.Enable(on...); err != nil {
			return nil, nil, &EnvError{err.Error()}
		}
	}
	return in, have, nil
}
