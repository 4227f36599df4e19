# Sourced by fstests/run.sh and fstests/kernel/vm-check.sh (bash): a
# temporary workspace whose mounts and loop devices are undone when the
# script exits, also on error and on SIGINT/SIGTERM.
#
#   workspace_open PREFIX    sets $work to a new /tmp/PREFIX.XXXXXX, arms the traps
#
# Images go in "$work"/*.img and mounts under "$work": workspace_close
# unmounts those (deepest first), detaches every loop device backed by one
# of the images, and removes the directory.

workspace_open() {
	work=$(mktemp -d "/tmp/$1.XXXXXX") || exit 3
	trap workspace_close EXIT
	trap 'exit 130' INT TERM
}

workspace_close() {
	local m l img
	for m in $(findmnt -rn -o TARGET | grep "^$work/" | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	for img in "$work"/*.img; do
		[ -e "$img" ] || continue
		for l in $(losetup -n -O NAME -j "$img"); do losetup -d "$l"; done
	done
	rm -rf "$work"
}
