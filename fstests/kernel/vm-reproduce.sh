#!/usr/bin/env bash
# Runs the two findings' reproducers on xfs, ext4 and tmpfs, on loop devices
# (tmpfs: a mount) made under /tmp, and prints one line per filesystem and
# reproducer.  Meant for an `iomaplab vm` guest (docs/findings.md), but runs
# on any machine as root.  Everything it mounts or attaches is removed.
#
#   vm-reproduce.sh BINDIR [RUNS [FS...]]
#
# BINDIR holds short_copy_stale and write_efault_size built from fstests/src.
# FS: any of xfs ext4 tmpfs (default: all three).
# Each of the RUNS (default 5) short_copy_stale runs makes a fresh
# filesystem, frees 64 MiB of 0xab-filled memory and a 64 MiB junk file's
# page cache, does 64 short writes into a hole and checks the file through
# the page cache, then again after unmount and mount (on disk).  Output:
#   short-copy FS: R/RUNS runs with stale bytes (page cache), D/RUNS after
#     mount; stale bytes per write: min..max
#   efault-size FS: size BEFORE -> AFTER (status S)
set -uo pipefail
bin=${1:?usage: vm-reproduce.sh BINDIR [RUNS [FS...]]}
runs=${2:-5}
shift $(($# < 2 ? $# : 2))
fslist=${*:-xfs ext4 tmpfs}
work=$(mktemp -d /tmp/vm-reproduce.XXXXXX)
cleanup() {
	local l
	mountpoint -q "$work/mnt" && umount "$work/mnt"
	for l in $(losetup -n -O NAME -j "$work/fs.img" 2>/dev/null); do losetup -d "$l"; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$work/mnt"
echo "kernel $(uname -r), cmdline: $(cat /proc/cmdline)"

mkfs_and_mount() { # fs
	local l
	mountpoint -q "$work/mnt" && umount "$work/mnt"
	for l in $(losetup -n -O NAME -j "$work/fs.img" 2>/dev/null); do losetup -d "$l"; done
	rm -f "$work/fs.img"
	case $1 in
	tmpfs) mount -t tmpfs -o size=512m tmpfs "$work/mnt"; return ;;
	esac
	truncate -s 1G "$work/fs.img"
	l=$(losetup -f --show "$work/fs.img")
	case $1 in
	xfs) mkfs.xfs -q -f "$l" ;;
	ext4) mkfs.ext4 -q -F "$l" ;;
	esac
	mount "$l" "$work/mnt"
}
remount() { # fs: unmount and mount again (tmpfs: nothing to remount)
	[ "$1" = tmpfs ] && return
	local l
	l=$(findmnt -n -o SOURCE "$work/mnt")
	umount "$work/mnt" && mount "$l" "$work/mnt"
}
stale_per_write() { # output of short_copy_stale -> stale bytes / 64
	awk '/writes, .* stale bytes/ { print int($3 / $1) }'
}

for fs in $fslist; do
	cached=0 ondisk=0 lo= hi=
	for r in $(seq "$runs"); do
		mkfs_and_mount "$fs"
		out=$("$bin/short_copy_stale" -n 64 -m 64 -j "$work/mnt/junk" "$work/mnt/f")
		st=$?
		echo "  $fs run $r: $(echo "$out" | tail -1) (status $st)"
		[ $st = 4 ] && [ "$r" = 1 ] && echo "$out" | head -2 | sed 's/^/    /'
		[ $st = 4 ] && cached=$((cached + 1))
		per=$(echo "$out" | stale_per_write)
		[ -n "$per" ] && { [ -z "$lo" ] || [ "$per" -lt "$lo" ]; } && lo=$per
		[ -n "$per" ] && { [ -z "$hi" ] || [ "$per" -gt "$hi" ]; } && hi=$per
		remount "$fs"
		"$bin/short_copy_stale" -c -n 64 "$work/mnt/f" >/dev/null
		[ $? = 4 ] && ondisk=$((ondisk + 1))
	done
	ondisk_note="$ondisk/$runs after mount"
	[ "$fs" = tmpfs ] && ondisk_note="(no mount cycle on tmpfs)"
	echo "short-copy $fs: $cached/$runs runs with stale bytes (page cache), $ondisk_note; stale bytes per write: ${lo:-?}..${hi:-?}"
done

for fs in $fslist; do
	mkfs_and_mount "$fs"
	printf 'a%.0s' $(seq 100) > "$work/mnt/e"
	out=$("$bin/write_efault_size" "$work/mnt/e" 1048576 4096)
	st=$?
	echo "efault-size $fs: $(echo "$out" | head -1) (status $st)"
done
