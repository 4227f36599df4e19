#!/usr/bin/env bash
# Checks that fstests/patches carries exactly this directory's sources (the
# series is regenerated with mkseries.sh; this catches an edit to a source
# that was not carried into the patches).  Needs no fstests checkout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q .
for p in $(ls "$here"/patches/*.patch | grep -v cover-letter); do
	git apply --include="src/*.c" --include='common/*' \
		--include='tests/*' "$p"
done
status=0
for f in $(cd "$work" && find src common tests -type f | sort); do
	cmp -s "$work/$f" "$here/$f" || { echo "check-series: $f differs from the series: run fstests/mkseries.sh" >&2; status=1; }
done
for f in $(cd "$here" && find src common tests -type f | sort); do
	[ -e "$work/$f" ] || { echo "check-series: $f is not in the series: run fstests/mkseries.sh" >&2; status=1; }
done
[ $status = 0 ] && echo "check-series: the series carries fstests/{src,common,tests} exactly"
exit $status
