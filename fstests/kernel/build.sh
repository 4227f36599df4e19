#!/usr/bin/env bash
# Builds the guest kernels of docs/findings.md from an unpacked kernel
# source tree (Debian's linux-source-6.12 package: 6.12.118):
#
#   fstests/kernel/build.sh SRC_DIR OUT_DIR [VARIANT...]
#
# VARIANTs (default: iomaplab, then the other four), each
# OUT_DIR/bzImage-6.12-NAME:
#   iomaplab      buggy + our fix + iomaplab-test-switches.diff: one test
#                 image with two switches (boot parameters, also writable in
#                 /sys/module/kernel/parameters/): by default our fix and
#                 ->iomap_valid as released; iomaplab_shortcopy_stale=1 the
#                 partial zeroing before the fix (6.12.0-6.12.117, 6.18),
#                 iomaplab_xfs_novalid=1 XFS without mapping revalidation.
#   base          the tree as released.  6.12.118 carries the stable
#                 backport "iomap: don't mark unwritten parts of a folio
#                 uptodate", which already closes the short-copy leak.
#   buggy         base with that backport reverted
#                 (revert-6.12.118-iomap-unwritten-uptodate.diff): the
#                 short-copy leak as in 6.12.0 to 6.12.117 and 6.18.
#   shortcopyfix  buggy + 0001-iomap-zero-the-whole-new-block-....patch
#                 (our fix, tested against the buggy code it fixes).
#   novalid       base without ->iomap_valid in XFS's iomap_folio_ops
#                 (xfs-drop-iomap-valid.diff): the write path before
#                 304a68b9c63b, a kernel with the stale-mapping bug.
#
# The config is "make tinyconfig" + small.config (everything built in).  One
# object directory (OUT_DIR/obj) serves all variants: after the first build
# each one recompiles a file or two.  Patches are applied to the source tree
# for one build and reverted after it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "${1:?usage: build.sh SRC_DIR OUT_DIR}" && pwd)
out=${2:?usage: build.sh SRC_DIR OUT_DIR}
mkdir -p "$out/obj"
out=$(cd "$out" && pwd)
obj=$out/obj
jobs=${JOBS:-2}
mk() { nice -n 15 make -C "$src" O="$obj" -j"$jobs" "$@"; }

if [ ! -e "$obj/.config" ]; then
	mk tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
		"$here/small.config"
	mk olddefconfig
fi
# Every option the fragment asks for must have survived olddefconfig.
grep -E '^(CONFIG_[A-Z0-9_]+=|# CONFIG_[A-Z0-9_]+ is not set)' "$here/small.config" |
while read -r line; do
	grep -qxF "$line" "$obj/.config" ||
	{ [[ $line == "# "* ]] && ! grep -q "^${line:2:-11}=" "$obj/.config"; } ||
	{ echo "build.sh: $line did not survive olddefconfig" >&2; exit 1; }
done

build() { # name [patch...]
	local name=$1 status=0 start=$SECONDS p
	shift
	# No ACPI in small.config: power off by a reset, which qemu -no-reboot
	# turns into its exit (else "poweroff -f" halts until qemu's timeout).
	set -- "$here/x86-poweroff-by-reset.diff" "$@"
	for p in "$@"; do patch -s -d "$src" -p1 --forward < "$p"; done
	mk bzImage || status=$?
	for p in $(printf '%s\n' "$@" | tac); do patch -s -d "$src" -p1 -R < "$p"; done
	[ $status = 0 ] || return $status
	cp "$obj/arch/x86/boot/bzImage" "$out/bzImage-6.12-$name"
	echo "build.sh: $name built in $((SECONDS - start)) s"
}
revert=$here/revert-6.12.118-iomap-unwritten-uptodate.diff
shift 2
for v in ${*:-iomaplab base buggy shortcopyfix novalid}; do
	case $v in
	iomaplab) build iomaplab "$revert" "$here"/0001-iomap-*.patch \
		"$here/iomaplab-test-switches.diff" ;;
	base) build base ;;
	buggy) build buggy "$revert" ;;
	shortcopyfix) build shortcopyfix "$revert" "$here"/0001-iomap-*.patch ;;
	novalid) build novalid "$here/xfs-drop-iomap-valid.diff" ;;
	*) echo "build.sh: unknown variant $v" >&2; exit 2 ;;
	esac
done
