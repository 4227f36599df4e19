#!/usr/bin/env bash
# Guest command for bzImage-6.12-iomaplab (build.sh variant "iomaplab";
# docs/findings.md): the reproducers, then generic/793 on XFS, each with the
# test switch iomaplab_shortcopy_stale on (the partial zeroing that leaks)
# and off (our fix), in one boot.
#
#   vm-switches.sh BINDIR BUILT_FSTESTS_DIR RESULTS_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: vm-switches.sh BINDIR BUILT_FSTESTS_DIR RESULTS_DIR} tree=${2:?} out=${3:?}
sw=/sys/module/kernel/parameters/iomaplab_shortcopy_stale
[ -w $sw ] || { echo "$0: no $sw: not the iomaplab test kernel" >&2; exit 3; }
for v in 1 0; do
	echo $v > $sw
	echo "=== iomaplab_shortcopy_stale=$(cat $sw)"
	"$here/vm-reproduce.sh" "$bin" 2 xfs
done
for v in 0 1; do
	echo $v > $sw
	echo "=== iomaplab_shortcopy_stale=$(cat $sw): generic/793"
	mkdir -p "$out/check-stale$v"
	"$here/vm-check.sh" "$tree" "$out/check-stale$v" xfs generic/793 |
		grep -E '^generic|^Ran|^Fail|^Pass|^== |offset|stale bytes'
done
