#!/usr/bin/env bash
# Applies the patch series in fstests/patches to a copy of an fstests
# checkout, builds it, and runs the new tests on xfs, ext4 and btrfs loop
# devices made for the run; everything it creates is removed afterwards
# (also on error and on SIGINT/SIGTERM).
#
#   sudo fstests/run.sh FSTESTS_GIT_DIR [-f xfs,ext4,btrfs] [-o RESULTS_DIR] [TEST...]
#
# FSTESTS_GIT_DIR must contain the pinned commit (fstests/PINNED); it is not
# modified: the series is applied in a temporary clone.  TEST defaults to the
# series' tests.  The check output of each filesystem and its results/ tree are
# copied to RESULTS_DIR (default: ./fstests-results).  Exit status: 0 every
# test passed or was not run, 1 a test failed, 2 bad usage, 3 this machine
# cannot run it (not root, no mkfs for a filesystem, build failure).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { echo "usage: $0 FSTESTS_GIT_DIR [-f xfs,ext4,btrfs] [-o RESULTS_DIR] [TEST...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
src=$1; shift
fslist=xfs,ext4,btrfs
results=$PWD/fstests-results
while getopts "f:o:" c; do
	case $c in
	f) fslist=$OPTARG ;;
	o) results=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
tests=${*:-"generic/788 generic/789 generic/790 generic/791 generic/792 generic/793"}
[ "$(id -u)" = 0 ] || { echo "$0: needs root (loop devices, mkfs, mount)" >&2; exit 3; }
git -C "$src" cat-file -e "$(cat "$here/PINNED")^{commit}" 2>/dev/null ||
	{ echo "$0: $src has no commit $(cat "$here/PINNED")" >&2; exit 2; }

. "$here/workspace.sh"
workspace_open iomaplab-fstests

# tracefs where fstests' common/tracing looks for it.  Mounted at its
# standard place and left there: unmounting it at the end would pull it from
# under any other tracer that started using it meanwhile.
if [ ! -d /sys/kernel/tracing/instances ] && [ ! -d /sys/kernel/debug/tracing/instances ]; then
	mount -t tracefs nodev /sys/kernel/tracing
fi

echo "== applying the series to $(cat "$here/PINNED" | cut -c1-12) in $work/fstests"
git clone -q --shared --no-checkout "$src" "$work/fstests" || exit 3
cd "$work/fstests"
git -c advice.detachedHead=false checkout -q "$(cat "$here/PINNED")" || exit 3
git -c user.name=run -c user.email=run@example.invalid am -q $(ls "$here"/patches/*.patch | grep -v cover-letter) ||
	{ echo "$0: the series does not apply" >&2; exit 3; }
echo "== building fstests (make -j$(nproc))"
make -j"$(nproc)" >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; echo "$0: build failed" >&2; exit 3; }

mkfs_cmd() {
	case $1 in
	xfs) echo "mkfs.xfs -q -f" ;;
	ext4) echo "mkfs.ext4 -q -F" ;;
	btrfs) echo "mkfs.btrfs -q -f" ;;
	*) return 1 ;;
	esac
}
newloop() {
	truncate -s 4G "$work/$1.img"
	losetup -f --show "$work/$1.img"
}

: > local.config
for fs in ${fslist//,/ }; do
	mk=$(mkfs_cmd "$fs") || { echo "$0: unknown filesystem $fs" >&2; exit 2; }
	command -v "${mk%% *}" >/dev/null || { echo "$0: ${mk%% *} not installed" >&2; exit 3; }
	test_dev=$(newloop "$fs-test") && scratch_dev=$(newloop "$fs-scratch") || exit 3
	$mk "$test_dev" >/dev/null || exit 3
	mkdir -p "$work/mnt/$fs-test" "$work/mnt/$fs-scratch"
	cat >>local.config <<CFG
[$fs]
FSTYP=$fs
TEST_DEV=$test_dev
TEST_DIR=$work/mnt/$fs-test
SCRATCH_DEV=$scratch_dev
SCRATCH_MNT=$work/mnt/$fs-scratch
RESULT_BASE=$work/fstests/results/$fs

CFG
done

status=0
mkdir -p "$results"
for fs in ${fslist//,/ }; do
	echo "== $fs: ./check -s $fs $tests"
	./check -s "$fs" $tests 2>&1 | tee "$results/check-$fs.txt"
	[ "${PIPESTATUS[0]}" = 0 ] || status=1
	rm -rf "$results/results-$fs"
	cp -r "results/$fs" "$results/results-$fs" 2>/dev/null
done
exit $status
