package kernel

import (
	"fmt"
	"os"
)

// blocksInWindow says why op would block while a buffered writer on the
// same inode is parked holding i_rwsem on fstype, or "" if it proceeds.
// Measured on kernel 6.18 (reference/uffd-prototype.md, 20/20 each).
func blocksInWindow(op Op, fstype string) string {
	switch op.Kind {
	case OpPwrite:
		return "a second buffered write waits for i_rwsem, which the parked writer holds"
	case OpFallocate:
		return "fallocate takes i_rwsem exclusively, which the parked writer holds"
	case OpTruncate:
		return "truncate takes i_rwsem exclusively, which the parked writer holds"
	case OpRemount:
		return "unmount cannot finish while a write is in flight on the filesystem"
	case OpPread:
		if fstype == "xfs" {
			return "XFS buffered reads take IOLOCK_SHARED, which the parked writer holds exclusively"
		}
	case OpFsync:
		if fstype == "btrfs" {
			return "btrfs_sync_file takes the inode lock, which the parked writer holds"
		}
	}
	return ""
}

// Check validates a scenario for a filesystem before anything is created:
// geometry, that window data operations do not overlap bytes the writer may
// already have copied, and that no window operation would block.
func (s *Scenario) Check(fstype string) error {
	w := s.Write
	pg := int64(os.Getpagesize())
	if w.Len <= 0 || w.Off < 0 || w.StallAt < 0 || w.StallAt >= w.Len {
		return fmt.Errorf("scenario %s: bad write geometry (off %d len %d stall-at %d)", s.Name, w.Off, w.Len, w.StallAt)
	}
	// The writer may have copied every byte before its stall page, and none
	// at or after it: a store into the earlier part would race with data
	// already in the page cache, so the model could not order the two.
	copied := w.Off + w.StallAt/pg*pg
	for i, op := range s.Window {
		if why := blocksInWindow(op, fstype); why != "" {
			return fmt.Errorf("scenario %s on %s: window step %d (%s) would block: %s; run it after the writer is released",
				s.Name, fstype, i+1, op, why)
		}
		if op.Kind == OpMapStore && op.Off < copied && op.Off+op.Len > w.Off {
			return fmt.Errorf("scenario %s: window step %d (%s) overlaps [%s, %s), bytes the parked writer may already have copied",
				s.Name, i+1, op, size(w.Off), size(copied))
		}
	}
	for _, op := range append(append([]Op{}, s.Prep...), s.Window...) {
		if (op.Kind == OpMapStore || op.Kind == OpMapLoad) && op.Off+op.Len > max(s.FileSize, w.Off+w.Len) {
			return fmt.Errorf("scenario %s: %s reaches past EOF", s.Name, op)
		}
	}
	return nil
}

// Cell is one planned (scenario, filesystem) batch.
type Cell struct {
	Scenario *Scenario
	FS       string
}

// Plan expands scenarios x filesystems into cells, dropping pairs a
// scenario is not meant for, and rejects the whole plan if any cell fails
// Check: bad input, nothing created.
func Plan(scenarios []*Scenario, fstypes []string) ([]Cell, error) {
	var cells []Cell
	for _, fs := range fstypes {
		for _, s := range scenarios {
			if !s.AppliesTo(fs) {
				continue
			}
			if err := s.Check(fs); err != nil {
				return nil, err
			}
			cells = append(cells, Cell{s, fs})
		}
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("no scenario applies to the filesystems chosen")
	}
	return cells, nil
}
