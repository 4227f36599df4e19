package blockdev

import (
	"fmt"
	"io"
	"os"
)

// backing stores the blocks of a Device. Implementations are safe for
// concurrent use on distinct blocks.
type backing interface {
	readBlock(pblk uint64, p []byte) error
	writeBlock(pblk uint64, p []byte) error
	close() error
}

// memory keeps the device's blocks in memory, each allocated on its first
// write: a read of a block never written is zeros. A fresh device costs one
// pointer per block, not its size in zeroed memory: explore builds a device
// per schedule, and zeroing (then scavenging) a 2 MiB slice each time was
// the largest cost of a schedule.
type memory struct{ blocks []*[BlockSize]byte }

func (m *memory) readBlock(pblk uint64, p []byte) error {
	if b := m.blocks[pblk]; b != nil {
		copy(p, b[:])
	} else {
		clear(p[:BlockSize])
	}
	return nil
}

func (m *memory) writeBlock(pblk uint64, p []byte) error {
	b := m.blocks[pblk]
	if b == nil {
		b = new([BlockSize]byte)
		m.blocks[pblk] = b
	}
	copy(b[:], p)
	return nil
}

func (m *memory) close() error { return nil }

// HostFile is what a file-backed device stores its blocks in: an *os.File,
// or a stand-in that fails as a full or failing host filesystem would.
type HostFile interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
}

// file keeps the device in a sparse regular file, through pread and pwrite.
// A failed or short transfer is a HostError: the host's fault, not the
// modelled device's.
type file struct {
	path string
	f    HostFile
}

func (f *file) readBlock(pblk uint64, p []byte) error {
	n, err := f.f.ReadAt(p, int64(pblk*BlockSize))
	return f.hostError("pread", pblk, n, len(p), err)
}

func (f *file) writeBlock(pblk uint64, p []byte) error {
	n, err := f.f.WriteAt(p, int64(pblk*BlockSize))
	return f.hostError("pwrite", pblk, n, len(p), err)
}

func (f *file) hostError(op string, pblk uint64, n, want int, err error) error {
	if n == want {
		return nil // ReadAt may return io.EOF with a full read at the end
	}
	if err == nil || err == io.EOF {
		err = fmt.Errorf("short %s: %d of %d bytes: %w", op, n, want, io.ErrShortWrite)
		if op == "pread" {
			err = fmt.Errorf("short %s: %d of %d bytes: %w", op, n, want, io.ErrUnexpectedEOF)
		}
	}
	return &HostError{Path: f.path, Op: op, PBlk: pblk, Err: err}
}

func (f *file) close() error { return f.f.Close() }

func openFile(path string, blocks uint64) (*file, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, &HostError{Path: path, Op: "create", Err: err}
	}
	if err := f.Truncate(int64(blocks * BlockSize)); err != nil {
		f.Close()
		return nil, &HostError{Path: path, Op: fmt.Sprintf("size to %d blocks", blocks), Err: err}
	}
	return &file{path: path, f: f}, nil
}
