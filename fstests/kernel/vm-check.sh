#!/usr/bin/env bash
# Runs fstests tests inside an `iomaplab vm` guest, from an fstests tree that
# was patched with fstests/patches and built on the host (building fstests
# under TCG takes too long).  The tree is used in place, read-only over 9p
# (copying its 5,000 files into the guest took over 9 minutes under TCG):
# local.config (HOST_OPTIONS), RESULT_BASE and the loop devices' images are
# in the guest's scratch /tmp.  ./check's output and each test's
# .full/.out.bad go to RESULTS_DIR.  Everything is unmounted and detached at
# the end.
#
#   vm-check.sh BUILT_FSTESTS_DIR RESULTS_DIR FS[,FS...] TEST...
#
# For instance (docs/findings.md):
#   iomaplab vm --kernel /work/kernels/bzImage-6.12-buggy --out OUT \
#       --append init_on_alloc=0 --exec 'fstests/kernel/vm-check.sh \
#       /work/kernels/fstests/tree $IOMAPLAB_VM_OUT xfs,ext4 generic/793'
set -uo pipefail
[ $# -ge 4 ] || { echo "usage: $0 BUILT_FSTESTS_DIR RESULTS_DIR FS[,FS...] TEST..." >&2; exit 2; }
src=$1 results=$2 fslist=$3
shift 3
. "$(cd "$(dirname "$0")/.." && pwd)/workspace.sh"
workspace_open vm-check

if [ ! -d /sys/kernel/tracing/instances ] && [ ! -d /sys/kernel/debug/tracing/instances ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
fi
cd "$src" || exit 3
export HOST_OPTIONS=$work/local.config
: > "$HOST_OPTIONS"
for fs in ${fslist//,/ }; do
	case $fs in
	xfs) mk="mkfs.xfs -q -f" ;;
	ext4) mk="mkfs.ext4 -q -F" ;;
	*) echo "$0: unknown filesystem $fs" >&2; exit 2 ;;
	esac
	for d in test scratch; do
		truncate -s 2G "$work/$fs-$d.img"
		losetup -f --show "$work/$fs-$d.img" > "$work/$fs-$d.dev" || exit 3
		mkdir -p "$work/mnt/$fs-$d"
	done
	$mk "$(cat "$work/$fs-test.dev")" >/dev/null || exit 3
	cat >>"$HOST_OPTIONS" <<CFG
[$fs]
FSTYP=$fs
TEST_DEV=$(cat "$work/$fs-test.dev")
TEST_DIR=$work/mnt/$fs-test
SCRATCH_DEV=$(cat "$work/$fs-scratch.dev")
SCRATCH_MNT=$work/mnt/$fs-scratch
RESULT_BASE=$work/results/$fs

CFG
done
status=0
for fs in ${fslist//,/ }; do
	echo "== $fs: ./check -s $fs $*"
	start=$SECONDS
	./check -s "$fs" "$@" 2>&1 | tee "$results/check-$fs.txt"
	[ "${PIPESTATUS[0]}" = 0 ] || status=1
	echo "== $fs: $((SECONDS - start)) s"
	mkdir -p "$results/results-$fs"
	find "$work/results/$fs" -name '*.full' -o -name '*.out.bad' -o -name '*.dmesg' |
		while read -r f; do cp "$f" "$results/results-$fs/"; done
done
exit $status
