#!/usr/bin/env bash
# Regenerates fstests/patches/ (a git format-patch series with a cover letter)
# from this directory's sources, on top of the pinned kdave/xfstests commit.
#
#   fstests/mkseries.sh FSTESTS_GIT_DIR
#
# FSTESTS_GIT_DIR is any clone of kdave/xfstests that has the pinned commit;
# it is not modified (the series is built in a temporary worktree).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:?usage: mkseries.sh FSTESTS_GIT_DIR}
pin=$(cat "$here/PINNED")
work=$(mktemp -d)
trap 'git -C "$src" worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$src" worktree add --detach "$work/tree" "$pin" >/dev/null
cd "$work/tree"
export GIT_AUTHOR_NAME="The iomaplab authors" GIT_AUTHOR_EMAIL="iomaplab@example.invalid"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_AUTHOR_DATE="2026-12-05T12:00:00Z" GIT_COMMITTER_DATE="2026-12-05T12:00:00Z"
commit() { git add -A && git commit -q -F -; }

cp "$here/src/uffd_stale_write.c" src/
sed -i 's/^\(LINUX_TARGETS = xfsctl \)/\1uffd_stale_write /' src/Makefile
echo "/src/uffd_stale_write" >> .gitignore
commit <<'MSG'
src: add uffd_stale_write to hold a buffered write open with userfaultfd

xfs/559 holds a buffered write open inside one iomap iteration with the
XFS-only write_delay_ms error injection of a debug kernel, so that
writeback and reclaim can change the extent map under the write's cached
mapping.  The same window can be opened on any filesystem and any kernel
from userspace: register one page of the write's source buffer with
userfaultfd (MISSING) and leave it unpopulated.  pwrite() faults on it
from kernel mode after ->iomap_begin (or the filesystem's own write_begin)
has run and while the writer holds i_rwsem; the fault event says the
writer is parked, so no sleeps are needed.

uffd_stale_write runs the window's actions while the writer is parked
(sync_file_range, fadvise DONTNEED until mincore shows the range gone,
fsync/fdatasync, stores through a shared mapping: none takes i_rwsem),
checks that each had its effect, then resolves the fault.  A watchdog
resolves the fault after a timeout whatever happens, so an action that
blocks behind the parked writer fails the run instead of hanging it.
Exit status 2 means userfaultfd cannot hold a kernel-mode fault here;
"-c" probes exactly that.
MSG

cp "$here/common/userfaultfd" common/
commit <<'MSG'
common: add userfaultfd helpers for stale-mapping window tests

_require_userfaultfd skips a test unless uffd_stale_write can hold a
fault taken from kernel mode (root or CAP_SYS_PTRACE,
vm.unprivileged_userfaultfd=1, or /dev/userfaultfd).

_uffd_stale_window_test runs one held write with its window actions,
then compares the file with the expected contents through the page cache
and again after a scratch cycle mount.  Where the filesystem has a
stale-mapping tracepoint (xfs_iomap_invalid), it also requires that the
tracepoint fired for the file, as xfs/559 does: a window that was not
hit proves nothing.  Tracing is optional, so the data checks run on
every filesystem.
MSG

add_test() {
	cp "$here/tests/generic/$1" "$here/tests/generic/$1.out" tests/generic/
	commit
}
add_test 788 <<'MSG'
generic: test a stale cached mapping over unwritten extents

The generic form of xfs/559: a buffered write over a preallocated range
caches one unwritten mapping and is held with userfaultfd before it
copies anything, while writeback converts the one dirty block at the end
of the range and the page cache drops it.  A filesystem that trusts the
cached mapping zeroes that block around the new data when the write
resumes and loses the byte written before.  No debug kernel or error
injection is needed.
MSG
add_test 789 <<'MSG'
generic: test a stale cached mapping over delayed allocation

As generic/788, with the range dirty and delalloc from an earlier write
instead of preallocated: writeback allocates the last block while the
write is held with a cached delalloc mapping.
MSG
add_test 790 <<'MSG'
generic: test a stale cached mapping after page_mkwrite into a hole

A buffered write into a hole is held with userfaultfd while a store
through a shared mapping makes page_mkwrite reserve delalloc in another
hole of the same file.  The resumed write must notice that the extent
map changed, and both writes' data must survive.
MSG
add_test 791 <<'MSG'
generic: test a stale cached mapping in the middle of a large-folio write

A 4 MiB write into a hole is held at +3 MiB, after iomap_write_iter
copied the first maximum-size folio chunk with the cached delalloc
mapping; writeback then allocates that chunk.  The resumed write must
revalidate its mapping and all of it must survive a cycle mount.
MSG

cp "$here/src/write_efault_size.c" src/
sed -i 's/^\(LINUX_TARGETS = xfsctl \)/\1write_efault_size /' src/Makefile
echo "/src/write_efault_size" >> .gitignore
commit <<'MSG'
src: add write_efault_size, a buffered write that copies nothing

pwrite() past EOF from a PROT_NONE buffer must fail with EFAULT and
leave the file size alone.  The program prints the size before and
after and says which of the two did not hold through its exit status.
MSG
add_test 792 <<'MSG'
generic: a buffered write that copies nothing must not change i_size

Since commit 665575cff098 ("filemap: move prefaulting out of hot write
path", v6.14) generic_perform_write() calls ->write_begin and
->write_end before it faults in the source buffer.  A write past EOF
from a buffer that cannot be read then reaches ->write_end with copied
== 0, and filesystems that derive i_size from pos + copied there extend
the file to the write's offset although the write returns EFAULT.  On
Linux 6.18 this happens on ext4 and tmpfs; XFS and btrfs keep the size.
Check the size through the open file and after a cycle mount.
MSG

cp "$here/src/short_copy_stale.c" src/
sed -i 's/^\(LINUX_TARGETS = xfsctl \)/\1short_copy_stale /' src/Makefile
echo "/src/short_copy_stale" >> .gitignore
commit <<'MSG'
src: add short_copy_stale, a buffered write whose copy stops mid-block

The program fills memory (and optionally a junk file's page cache) with
0xab and frees it, then issues buffered writes into a hole, each starting
16 bytes into a block from a buffer that turns PROT_NONE after 32 bytes,
so that the copy from user memory stops in the middle of a new block.
It checks that every byte outside the 32 copied bytes of each write
reads back as zero, and with -c checks an existing file the same way
(after a cycle mount).  The exit status says which check failed.
MSG
add_test 793 <<'MSG'
generic: a short buffered write must not expose stale memory

A buffered write into a hole whose copy from user memory stops part-way
through a block (the source buffer faults) must leave the rest of the
block reading as zeroes.  If the write path zeroes only the parts of the
block outside the write's range, marks the block uptodate and then
accepts the short copy, the uncopied bytes keep whatever the recycled
page held before: freed memory of other processes, other files' data.
The bytes can be read back at once and reach the disk.  iomap did this
from 9dc55f1389f9 ("iomap: add support for sub-pagesize buffered I/O
without buffer heads", v4.19); the stable backport "iomap: don't mark
unwritten parts of a folio uptodate" in 6.12.118 closes it.  Kernels
that zero pages on allocation (init_on_alloc=1) hide the bug.  Check
through the page cache and after a cycle mount.
MSG

rm -rf "$here/patches"
git format-patch -q --cover-letter -o "$here/patches" "$pin"..HEAD
cover=$(ls "$here"/patches/0000-cover-letter.patch)
python3 - "$cover" "$here/cover-letter.txt" <<'PY'
import sys
path, body = sys.argv[1], open(sys.argv[2]).read()
s = open(path).read()
subject, blurb = body.split("\n", 1)
s = s.replace("*** SUBJECT HERE ***", subject.strip())
s = s.replace("*** BLURB HERE ***", blurb.strip())
open(path, "w").write(s)
PY
echo "wrote $(ls "$here/patches" | wc -l) files to $here/patches"
