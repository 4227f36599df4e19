// Package blockdev is the block device under the filesystem models: 4 KiB
// blocks addressed by physical block number, backed by memory (NewMemory) or
// by a sparse regular file (NewFile), with asynchronous I/O, injected I/O
// errors and the block-ownership oracle.
//
// Nouns:
//   - Device (implements Dev): the device. Every method takes the calling
//     *lab.Thread; it is safe for concurrent use.
//   - Bio: one I/O of contiguous whole blocks (struct bio). Submit moves the
//     data at once, in the submitter's thread, and queues the Bio; the
//     completion daemon then runs its End callback (bi_end_io; XFS's ioend
//     work that converts unwritten extents). Read and Write are the
//     synchronous helpers (submit_bio_wait): no callback.
//   - The completion daemon: the fs model starts it once per device with
//     t.GoDaemon("io-completion", dev.RunCompletions). Completions run in
//     submission order, never in the submitter. WaitBio waits for one Bio,
//     WaitInode for all I/O of an inode's file-block range submitted before
//     the call (fsync, truncate), WaitAll for all I/O submitted before the
//     call (remount). They wait on a lab.Event, so in a
//     controlled world they are scheduling points and a missing daemon shows
//     up as a deadlock with its wait-for graph.
//   - Owner: (inode, file block), the owner of a physical block. The fs model
//     keeps the ownership table current with Own when it allocates blocks to
//     a file and Disown when it frees them.
//   - The block-ownership oracle: every data write claims, for each block,
//     the Owner it writes for. A write to a block that its claim does not own
//     at that moment (a freed block: WriteUnowned; another file block's:
//     WriteForeign) is not written; it is recorded as a Violation, emits
//     tracepoint block_ownership_violation (fields kind, pblk, ino, fblk,
//     owner_ino, owner_fblk) and is listed by Violations. Owning a block that
//     another file block owns is a DoubleOwn violation. Shared blocks
//     (reflink): Share adds further owners to an owned block and Unshare
//     removes one (the last one leaves the block unowned); any data write
//     in place to a block with several owners is a WriteShared violation,
//     whoever claims it, since shared data must be copied on write. SetFailOnViolation
//     makes each violation also stop the run (t.Fail). A rejected write is
//     not an I/O error: the fs model must behave as the kernel would.
//     CheckOwner and OwnedBlocks let an fsck cross-check the forks' physical
//     extents and the allocator's used count against the table.
//   - Injected errors: InjectError(pblk, op, count) fails the next count I/Os
//     of that direction touching that block with EIO (the block is not
//     transferred, the Bio's Err says EIO, tracepoint block_io_error);
//     ErrorHits counts them. Lab injection rules at the points
//     blockdev.submit (fails the whole I/O) and blockdev.complete (sets
//     Err) work too, as do delay and park rules there.
//
// Locks, all leaves below every fs-model lock: the ownership table's
// lab.RWMutex (shared for writes, exclusive for Own/Disown), then the
// violation list's lab.Mutex; the completion queue's and the fault table's
// lab.Mutex. End callbacks run with none of them held.
//
// Caller bugs panic with the offending values: I/O outside the device or not
// of whole blocks, a data write without an owner claim, Disown of a block
// nobody owns.
package blockdev
