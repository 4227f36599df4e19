package kernel

import (
	"fmt"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"iomaplab/lab"
)

// A held window must have its effect before the writer goes on, whatever
// the load: a directed scenario's evidence must not be a rate that moves
// with the machine. Each window op waits for its effect on the kernel
// target, and a run whose stale evidence is missing says which step did
// not happen (windowMiss).
//
//   - sync-range is sync_file_range(WAIT_BEFORE | WRITE | WAIT_AFTER): the
//     man page's "write out and wait" combination, so a folio that was
//     already under writeback (the flusher's) is waited for, written again
//     if redirtied, and waited for again. XFS converts unwritten extents in
//     the I/O completion before it ends the folios' writeback
//     (xfs_end_ioend, then iomap_finish_ioends), so on return the
//     conversion is done.
//   - reclaim is POSIX_FADV_DONTNEED repeated until no page of the range is
//     resident (mincore on a private mapping; mapping a file faults
//     nothing in). DONTNEED skips folios with a transient extra reference
//     (an I/O completion that has ended writeback but not yet dropped its
//     reference, a per-CPU LRU batch on a busy CPU), which a loaded machine
//     makes likely; generic_fadvise retries only once, after
//     lru_add_drain_all.
//
// Neither takes the inode lock, so both stay legal inside a window.

// reclaimTries bounds the DONTNEED retries of one reclaim; the pause
// between tries grows by a millisecond each time (about 0.2 s in all).
const reclaimTries = 20

// Reclaim implements vfs.File for scenario runs: DONTNEED until the range
// is not resident, or a note for the run saying how many pages stayed.
func (f *scenarioFile) Reclaim(t *lab.Thread, off, length int64) error {
	var resident int
	for try := 1; ; try++ {
		if err := f.FadviseDontneed(t, off, length); err != nil {
			return err
		}
		n, err := f.residentPages(off, length)
		if err != nil {
			return err
		}
		resident = n
		if n == 0 || try == reclaimTries {
			break
		}
		time.Sleep(time.Duration(try) * time.Millisecond)
	}
	if resident > 0 {
		f.run.note(fmt.Sprintf("reclaim %s %d+%d: %d page(s) still in the page cache after %d DONTNEED", f.name, off, length, resident, reclaimTries))
	}
	return nil
}

// residentPages counts the pages of [off, off+length) in the page cache
// (mincore over a shared read-only mapping of the range, which faults
// nothing in and takes no filesystem lock).
func (f *scenarioFile) residentPages(off, length int64) (int, error) {
	if length <= 0 {
		return 0, nil
	}
	pg := int64(unix.Getpagesize())
	start := off &^ (pg - 1)
	n := (off + length - start + pg - 1) &^ (pg - 1)
	f.mu.RLock()
	m, err := unix.Mmap(f.fd, start, int(n), unix.PROT_READ, unix.MAP_SHARED)
	f.mu.RUnlock()
	if err != nil {
		return 0, fmt.Errorf("residency of %s: mmap: %w", f.name, err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, n/pg)
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		return 0, fmt.Errorf("residency of %s: mincore: %w", f.name, e)
	}
	count := 0
	for _, v := range vec {
		count += int(v & 1)
	}
	return count, nil
}

// SyncRange implements vfs.File for scenario runs as the XFS model does
// (xfs_io sync_range, as xfs/559 runs it): writeback of the range and a
// wait for it, whose completion is where XFS converts unwritten extents.
// WAIT_BEFORE also waits for writeback someone else started, so a folio
// the flusher was writing is not skipped. It takes no inode lock, so it
// runs inside a stall window on every filesystem.
func (f *scenarioFile) SyncRange(_ *lab.Thread, off, length int64) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return errno(unix.SyncFileRange(f.fd, off, length,
		unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER))
}

// note records a window step that did not have its effect.
func (r *scenarioRun) note(s string) {
	r.mu.Lock()
	r.notes = append(r.notes, s)
	r.mu.Unlock()
}

// windowMiss explains a directed run that expected stale evidence and got
// none: what the trace shows of the extent changes (unwritten conversion,
// delalloc allocation at writeback) for the run's files relative to the
// parked writer, and the window steps that did not have their effect.
func windowMiss(st runStats, notes []string) string {
	var why []string
	switch {
	case !st.windowSeen:
		why = append(why, "no window in the trace (the writer never parked)")
	case st.extentBefore > 0 && st.extentInWindow == 0:
		why = append(why, fmt.Sprintf("the extent changed %d time(s) before the parked writer mapped its range and never in the window (writeback by another task: a sync or a dirty-threshold flush)", st.extentBefore))
	case st.extentInWindow == 0:
		why = append(why, "no extent change (unwritten conversion or delalloc allocation) in the window")
	default:
		why = append(why, fmt.Sprintf("%d extent change(s) in the window, yet the writer's mapping was not found stale", st.extentInWindow))
	}
	return "no stale evidence: " + strings.Join(append(why, notes...), "; ")
}
