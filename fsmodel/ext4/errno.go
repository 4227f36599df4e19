package ext4

import (
	"errors"

	"golang.org/x/sys/unix"
)

// errno returns err's negative errno for log lines, as the kernel prints it.
func errno(err error) int {
	var e unix.Errno
	if errors.As(err, &e) {
		return -int(e)
	}
	return -int(unix.EIO)
}
