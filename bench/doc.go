// Package bench measures iomaplab's headline figures, each beside its
// baseline, in one run on the user's machine (`iomaplab bench`):
//
//   - write: the engine's buffered write (64 KiB pwrites into 1 GiB on the
//     XFS model over a memory device, free mode) against memcpy into
//     pre-touched memory and the kernel's tmpfs pwrite of the same pattern;
//     with the validity checks switched off (variant
//     no-validate+wb-no-validate); with a flusher thread writing back
//     concurrently (throughput and iomap remaps per GiB).
//   - lab: controlled schedules per second on a 2-thread scenario against
//     free-mode runs of it; time to find each mutant per strategy (median
//     and max over seeds) against free-mode stress of the same scenario for
//     the same wall time.
//   - kernel (root): the directed userfaultfd window on XFS against an
//     undirected run of the same operations for the same wall time: runs
//     per second and the rate of runs with xfs_iomap_invalid evidence.
//   - fsx: fsx ops/s on the XFS model against kernel xfs on a loop device
//     and kernel tmpfs, same seed and operation stream.
//
// Every figure is the median of Config.Runs measured runs after one
// discarded warm-up run, with min and max; lab time-to-find figures are
// medians over seeds instead. Report renders as a table, JSON and charts
// (Plot). The method is stated in docs/bench.md.
package bench
