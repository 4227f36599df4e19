// Package kernel is the real-kernel target: the generic, no-debug-kernel
// version of fstests xfs/559. It runs directed stale-mapping scenarios on
// real xfs, ext4 and btrfs, holding a buffered write open inside one iomap
// iteration with a userfaultfd page in its source buffer (package uffd),
// while other threads change the extent map; then it checks the data and,
// where the filesystem has one, the tracepoint that proves the stale path
// ran (package tracefs).
//
// Nouns:
//   - Supervisor: owns every resource and releases it, newest first, on
//     success, error, SIGINT/SIGTERM and a panic in any goroutine it started.
//   - Workspace: a private temp dir naming its owner, registered by a
//     marker in RegistryDir (/run/iomaplab/workspaces); a new one first
//     reclaims the registered workspaces of owners that died unclean
//     (SIGKILL, a test binary's timeout), wherever they are:
//     ReclaimAbandoned. The tracefs instance has a reaper process that
//     removes it as soon as its owner dies. Scratch: a sparse image bound to a loop
//     device (LO_FLAGS_AUTOCLEAR), mkfs'ed and mounted under the workspace,
//     or a user device named with --scratch-dev (refused when mounted, held
//     or, without --destroy, holding data).
//   - FS and File: vfs.FS and vfs.File over real descriptors, so fsx and the
//     scenarios drive real filesystems through the model's API.
//   - ScenarioTarget (scenario_*.go): the race lab's scenario files on real
//     filesystems, so one language drives both targets. It is a
//     scenario.Target: Mount reuses one scratch filesystem per type with a
//     clean file set; scenario threads are lab threads of a free world; a
//     stall-at pwrite runs its syscall on a helper thread, parked on a
//     userfaultfd page of its source buffer, and parks the lab thread while
//     it is, so the runner's await/release work unchanged. Check verifies
//     O_DIRECT after fsync against the page cache and FIEMAP (a written
//     extent under every block of data), and reads the kernel log.
//   - PlanScenarios rejects, before anything is created, window ops that
//     would block on the filesystem because the parked writer holds
//     i_rwsem (measured on 6.18: pread on XFS, fsync on btrfs,
//     fallocate/truncate/pwrite everywhere), with file:line:col messages.
//     RunScenarios is the batch runner behind `iomaplab kernel` and the
//     bench's kernel figures: scenario x filesystem cells, each run through
//     scenario.Run (data oracle in the page cache and after a remount every
//     run), evidence from a private tracefs instance, /dev/kmsg scanned for
//     WARN/BUG/hung-task/filesystem errors about our devices/threads.
//     Kernel-only scenario files (mid/big geometries, controls) live in
//     scenarios/*.scn. Window ops wait for their effect (scenario_window.go)
//     and a directed run without evidence says which step did not happen.
//   - Differential compares exploratory scenarios' outcomes on the kernel
//     (free races) with the model's (random schedules): sizes and block
//     states after remount, data through the runner's oracle.
//
// On kernel 6.18 only XFS takes the iomap buffered-write path: its evidence
// is xfs_iomap_invalid fired in the parked writer's own thread for our
// device and inode. ext4 and btrfs get the same windows as data-integrity
// and locking checks, and their evidence is "n/a", never a pass.
//
// Lock order inside this package: FS.mu, then File.mu; Supervisor.mu is a
// leaf. This is not an engine package: it uses goroutines, channels and sync
// freely, because the kernel, not the lab, schedules its threads.
package kernel
