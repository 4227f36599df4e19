#!/bin/sh
# Runs docs/repro/cow-truncate-writeback.c on a scratch XFS on a loop device
# over an image this script creates, counting the tracepoints that tell
# which xfs_imap_valid ran (docs/design.md, "COW mappings are revalidated").
# Root. Usage: cow-truncate-writeback.sh BINARY [ITERATIONS [MAX_SPIN]]
# On the host: cc -O2 -pthread -o /tmp/ctw docs/repro/cow-truncate-writeback.c
#   sh docs/repro/cow-truncate-writeback.sh /tmp/ctw 300
# In a guest: iomaplab vm --kernel K --modules M --out OUT \
#   --exec 'sh /path/to/cow-truncate-writeback.sh /path/to/ctw 300'
# (the guest sees the host's root read-only; build the binary with -static
# if the guest's libc could differ).
set -u
bin=$1 iterations=${2:-300} spin=${3:-4000000}
work=$(mktemp -d /tmp/ctw.XXXXXX)
dev=
inst=
cleanup() {
	mountpoint -q "$work/mnt" && umount "$work/mnt"
	[ -n "$dev" ] && losetup -d "$dev"
	[ -n "$inst" ] && rmdir "$inst" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
truncate -s 1G "$work/img"
dev=$(losetup -f --show "$work/img") || exit 3
mkfs.xfs -q -f "$dev" || exit 3
mkdir "$work/mnt" && mount "$dev" "$work/mnt" || exit 3
tracing=/sys/kernel/tracing
[ -d "$tracing/instances" ] || mount -t tracefs tracefs "$tracing" 2>/dev/null
if [ -d "$tracing/instances" ]; then
	inst=$tracing/instances/ctw.$$
	mkdir "$inst"
	for e in xfs_wb_cow_iomap_invalid xfs_wb_data_iomap_invalid xfs_reflink_cancel_cow; do
		echo 1 >"$inst/events/xfs/$e/enable"
	done
fi
uname -r
"$bin" "$work/mnt" "$iterations" 2048 640 "$spin"
status=$?
if [ -n "$inst" ]; then
	echo 0 >"$inst/tracing_on"
	printf 'xfs_wb_cow_iomap_invalid on a shared (COW) mapping: '
	grep xfs_wb_cow_iomap_invalid "$inst/trace" | grep -c 'flags 0x[4567] '
	printf 'xfs_reflink_cancel_cow of real (converted) staging blocks: '
	grep 'xfs_reflink_cancel_cow:' "$inst/trace" | grep -vc 'startblock 0xffffffffffffffff'
	for e in xfs_wb_cow_iomap_invalid xfs_wb_data_iomap_invalid xfs_reflink_cancel_cow; do
		echo 0 >"$inst/events/xfs/$e/enable"
	done
fi
exit $status
