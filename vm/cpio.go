package vm

import (
	"fmt"
	"io"
)

// cpioWriter writes a cpio archive in the "newc" format the kernel unpacks
// as an initramfs (Documentation/driver-api/early-userspace/
// buffer-format.rst): a 110-byte ASCII header per entry, the name with its
// NUL, then the data, each padded to 4 bytes, and a TRAILER!!! entry.
type cpioWriter struct {
	w   io.Writer
	ino int
	err error
}

// Mode bits of the entries an initramfs needs.
const (
	cpioDir     = 0o040000
	cpioFile    = 0o100000
	cpioSymlink = 0o120000
)

func (c *cpioWriter) entry(name string, mode int, data []byte) {
	if c.err != nil {
		return
	}
	c.ino++
	nlink := 1
	if mode&0o170000 == cpioDir {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	buf := append([]byte(hdr), name...)
	buf = append(buf, 0)
	buf = append(buf, make([]byte, pad4(len(buf)))...)
	buf = append(buf, data...)
	buf = append(buf, make([]byte, pad4(len(data)))...)
	_, c.err = c.w.Write(buf)
}

// pad4 is the number of zero bytes that align n to 4.
func pad4(n int) int { return (4 - n%4) % 4 }

// Dir adds a directory.
func (c *cpioWriter) Dir(name string) { c.entry(name, cpioDir|0o755, nil) }

// File adds a regular file with permissions perm.
func (c *cpioWriter) File(name string, perm int, data []byte) {
	c.entry(name, cpioFile|perm, data)
}

// Symlink adds a symbolic link name -> target.
func (c *cpioWriter) Symlink(name, target string) {
	c.entry(name, cpioSymlink|0o777, []byte(target))
}

// Close writes the trailer and returns the first write error.
func (c *cpioWriter) Close() error {
	c.entry("TRAILER!!!", 0, nil)
	return c.err
}
