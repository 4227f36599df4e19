package blockdev

import (
	"fmt"
	"os"
)

// backing stores the blocks of a Device. Implementations are safe for
// concurrent use on distinct blocks.
type backing interface {
	readBlock(pblk uint64, p []byte) error
	writeBlock(pblk uint64, p []byte) error
	close() error
}

// memory keeps the device in one byte slice (untouched blocks cost no RAM:
// the runtime's large allocations come zeroed from the OS).
type memory struct{ data []byte }

func (m *memory) readBlock(pblk uint64, p []byte) error {
	copy(p, m.data[pblk*BlockSize:(pblk+1)*BlockSize])
	return nil
}

func (m *memory) writeBlock(pblk uint64, p []byte) error {
	copy(m.data[pblk*BlockSize:(pblk+1)*BlockSize], p)
	return nil
}

func (m *memory) close() error { return nil }

// file keeps the device in a sparse regular file, through pread and pwrite.
type file struct{ f *os.File }

func (f *file) readBlock(pblk uint64, p []byte) error {
	_, err := f.f.ReadAt(p, int64(pblk*BlockSize))
	return err
}

func (f *file) writeBlock(pblk uint64, p []byte) error {
	_, err := f.f.WriteAt(p, int64(pblk*BlockSize))
	return err
}

func (f *file) close() error { return f.f.Close() }

func openFile(path string, blocks uint64) (*file, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(int64(blocks * BlockSize)); err != nil {
		f.Close()
		return nil, fmt.Errorf("blockdev: size %s to %d blocks: %w", path, blocks, err)
	}
	return &file{f}, nil
}
