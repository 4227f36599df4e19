// Package uffd is a minimal userfaultfd(2) binding for the kernel target: the
// syscall, the UFFDIO_API handshake, MISSING-mode registration, UFFDIO_COPY,
// UFFDIO_ZEROPAGE and UFFDIO_WAKE, and Stall, which parks a buffered write at
// one page of its source buffer.
//
// Why it works (measured on kernel 6.18): a buffered write prefaults its
// source with fault_in_iov_iter_readable() after ->iomap_begin has returned a
// mapping and while i_rwsem is held. A MISSING page in that range makes the
// kernel call handle_userfault(), which queues a UFFD_EVENT_PAGEFAULT message
// and sleeps until the page is filled. The message is the "writer is parked"
// signal; no sleeps or polling are needed.
//
// Rules this package keeps (see docs/kernel-windows.md):
//   - Registered memory comes from unix.Mmap, outside the Go heap, and Go code
//     never loads or stores it: a goroutine faulting on it would block the
//     runtime's stop-the-world forever.
//   - UFFD_USER_MODE_ONLY is never requested: the fault we want is taken in
//     kernel mode, inside copy_from_user.
//   - Every fault is resolved: by Release, by Close, or by the watchdog when
//     nobody released it in time. An unresolved fault leaves a task holding
//     i_rwsem, and every later fallocate or write on the inode hangs.
package uffd
