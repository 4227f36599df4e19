// Package fsx is iomaplab's fsx: a seeded random operation generator with a
// byte-exact oracle, in the spirit of fstests' ltp/fsx.c, that drives any
// vfs.FS (the XFS/ext4 models, or real filesystems through the kernel target)
// and checks every read against check.RefFile (fsx's good_buf).
//
// Nouns:
//   - Op: one operation of the stream (read, write, mapread, mapwrite,
//     truncate, fallocate, punch, zero, fsync, sync-range, fadvise, reclaim,
//     drop-caches, remount, and fsx.c's clone, dedupe and copy, which also
//     have a source file and offset) with its range, the thread that ran it
//     and the epoch it ran in. Its ID seeds the bytes it writes (Pattern), so a bad
//     byte names the operation that wrote it.
//   - Options: fsx's knobs (-l max file size, -o max op size, -r/-w/-t
//     alignment, op classes disabled; clone and dedupe also when the target
//     cannot run them, probed at the start) plus threads, files and the rates of
//     remount and drop-caches.
//   - Epoch: the stretch of the run between two exclusive operations. Inside
//     an epoch the file sizes are fixed and every file is cut into one slice
//     per thread; a thread's data operations (read, write, mapread, mapwrite
//     that stay below EOF) stay inside its own slice, under the harness lock
//     taken shared. Size-changing and hole operations (truncate, extending
//     writes, fallocate, punch, zero, remount) take the harness lock
//     exclusively and end the epoch; the next epoch cuts new slices.
//     Neutral operations (fsync, sync-range, fadvise, reclaim, drop-caches,
//     dedupe) change no byte and run shared, anywhere (a dedupe shares
//     blocks only where the bytes are equal, under the target's own locks).
//     Clone and copy read one range and write another: drawn inside the
//     thread's slice (both ranges, half of them when there are threads)
//     they run shared; drawn anywhere else they are exclusive. So the oracle stays exact with
//     any number of threads (docs/fsx.md).
//   - Failure: the first mismatch (offset, expected and actual bytes, the
//     last operations touching that byte) or the first unexpected error.
//   - Log: the operation stream as text; Replay runs it again. One-thread
//     logs replay exactly; threaded logs replay each thread's stream with the
//     same epoch structure, so every byte the oracle expects is the same.
//
// All of the harness's own synchronisation is lab's (RWMutex, Event, t.Go), so
// a run inside a controlled lab.World is one deterministic schedule.
package fsx
