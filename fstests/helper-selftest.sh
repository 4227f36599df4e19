#!/usr/bin/env bash
# Builds src/uffd_stale_write and checks its exit statuses, on a loop-device
# XFS made for the purpose (root only; run by .ci/run).  Removes everything it
# creates, also on error and on SIGINT/SIGTERM.
#   0  a held write whose window ran: on XFS with xfs_iomap_invalid seen, data exact
#   1  usage errors
#   3  the writer never parked (a write to /dev/null never reads its buffer)
#   4  a short write (RLIMIT_FSIZE cuts it after the fault was resolved)
# and builds src/write_efault_size and checks its usage status, and
# src/short_copy_stale: usage 1, setup 2, its check mode 0 and 4 on files
# made for it, and a write run on the loop XFS (0: no stale bytes; 4 would be
# the short-copy leak generic/793 reports).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "helper-selftest: needs root" >&2; exit 3; }
work=$(mktemp -d /tmp/iomaplab-uffd-selftest.XXXXXX)
loop=
tracefs_mounted=
instance=
cleanup() {
	[ -n "$instance" ] && [ -d "$instance" ] && rmdir "$instance"
	mountpoint -q "$work/mnt" && umount "$work/mnt"
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	[ -n "$tracefs_mounted" ] && umount "$work/tracefs"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -O2 -Wall -Wextra -Werror -pthread -o "$work/usw" "$here/src/uffd_stale_write.c"
usw=$work/usw
gcc -O2 -Wall -Wextra -Werror -o "$work/wes" "$here/src/write_efault_size.c"
gcc -O2 -Wall -Wextra -Werror -o "$work/scs" "$here/src/short_copy_stale.c"
fail() { echo "helper-selftest: FAIL: $*" >&2; exit 1; }
expect_status() {
	local want=$1; shift
	local got=0
	"$@" >>"$work/log" 2>&1 || got=$?
	[ "$got" = "$want" ] || { cat "$work/log" >&2; fail "'$*' exited $got, want $want"; }
	echo "ok: status $want: $*"
}

expect_status 0 "$usw" -c
expect_status 1 "$usw"
expect_status 1 "$usw" -a bogus "$work/f"
expect_status 1 "$usw" -u 100 "$work/f"
expect_status 1 "$usw" -l 4k -u 8k "$work/f"
expect_status 3 "$usw" -t 300 /dev/null
expect_status 4 bash -c "trap '' XFSZ; ulimit -f 32; exec '$usw' -l 64k -u 16k '$work/short'"

# write_efault_size: usage, and a verdict on this kernel's file size (0: kept;
# 4: grown, the 6.14+ regression generic/792 reports on ext4 and tmpfs).
expect_status 1 "$work/wes" "$work/f"
echo x > "$work/efault"
got=0; "$work/wes" "$work/efault" 1048576 4096 >>"$work/log" 2>&1 || got=$?
case $got in
0|4) echo "ok: write_efault_size on $(df --output=fstype "$work" | tail -1): status $got" ;;
*) fail "write_efault_size exited $got" ;;
esac

# short_copy_stale: usage, setup, and its checker both ways: a file holding
# what two clean writes leave passes, one stray byte fails.
expect_status 1 "$work/scs"
expect_status 1 "$work/scs" -n 0 "$work/f"
expect_status 2 "$work/scs" "$work/no/such/dir/f"
ps=$(getconf PAGESIZE)
xfs_io -f -c "truncate $((2 * 65536))" -c "pwrite -S 0x22 $((ps + 16)) 32" \
	-c "pwrite -S 0x22 $((65536 + ps + 16)) 32" "$work/clean" >/dev/null
expect_status 0 "$work/scs" -c -n 2 "$work/clean"
cp "$work/clean" "$work/stale"
xfs_io -c "pwrite -S 0xab $((ps + 48)) 1" "$work/stale" >/dev/null
expect_status 4 "$work/scs" -c -n 2 "$work/stale"

# A private tracefs instance for the evidence.
mkdir "$work/tracefs"
mount -t tracefs nodev "$work/tracefs" && tracefs_mounted=1
instance=$work/tracefs/instances/iomaplab-selftest-$$
mkdir "$instance"
echo 1 > "$instance/events/xfs/xfs_iomap_invalid/enable" 2>/dev/null ||
	{ rmdir "$instance"; instance=; }

truncate -s 1G "$work/img"
loop=$(losetup -f --show "$work/img")
mkfs.xfs -q -f "$loop"
mkdir "$work/mnt"
mount "$loop" "$work/mnt"

# generic/793 on this kernel: no byte of freed memory in a short write.
expect_status 0 "$work/scs" -n 16 -m 16 -j "$work/mnt/junk" "$work/mnt/scs"

# generic/788's window (xfs/559): stale unwritten mapping.
f=$work/mnt/file
xfs_io -f -c "falloc 0 $((10 * ps))" "$f" >/dev/null
umount "$work/mnt"; mount "$loop" "$work/mnt"
xfs_io -c "pwrite -S 0x58 $((10 * ps - 1)) 1" "$f" >/dev/null
expect_status 0 "$usw" -S 0x57 -l $((9 * ps + 1)) -u $((9 * ps)) \
	-a sync:$((9 * ps)):$ps,dontneed:$((9 * ps)):$ps "$f"
xfs_io -f -c "pwrite -S 0x58 $((10 * ps - 1)) 1" -c "pwrite -S 0x57 0 $((9 * ps + 1))" "$work/expected" >/dev/null
cmp "$f" "$work/expected" || fail "data differs after the held write"
umount "$work/mnt"; mount "$loop" "$work/mnt"
cmp "$f" "$work/expected" || fail "data differs after a cycle mount"
echo "ok: data exact through the page cache and after a cycle mount"
if [ -n "$instance" ]; then
	hits=$(grep -c 'xfs_iomap_invalid:' "$instance/trace" || true)
	[ "$hits" -gt 0 ] || fail "xfs_iomap_invalid never fired"
	echo "ok: xfs_iomap_invalid fired $hits time(s)"

	# The control: the same held write with no window actions must not see
	# a stale mapping, so the tests' evidence check can fail.
	echo > "$instance/trace"
	rm -f "$f"
	xfs_io -f -c "falloc 0 $((10 * ps))" "$f" >/dev/null
	umount "$work/mnt"; mount "$loop" "$work/mnt"
	xfs_io -c "pwrite -S 0x58 $((10 * ps - 1)) 1" "$f" >/dev/null
	expect_status 0 "$usw" -S 0x57 -l $((9 * ps + 1)) -u $((9 * ps)) "$f"
	hits=$(grep -c 'xfs_iomap_invalid:' "$instance/trace" || true)
	[ "$hits" = 0 ] || fail "xfs_iomap_invalid fired $hits time(s) with an empty window"
	echo "ok: no xfs_iomap_invalid without the window's actions"
fi
echo "helper-selftest: pass"
