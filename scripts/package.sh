#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the Debian package auxshim-dkms with Debian's own tooling ("make deb"):
#
#   scripts/package.sh [--version V] [--out DIR]
#
# Copies the tracked files of the tree (git ls-files; without git, the tree
# minus build products) into DIR/auxshim-V, runs "dpkg-buildpackage -us -uc"
# there, checks that the build left the copy exactly as it found it (no
# generated file, nothing changed) and runs lintian --pedantic on the .deb
# and the .dsc (any error or warning fails).  --version V first sets V in the
# copy (scripts/version.sh set), for upgrade tests.  DIR defaults to
# $AUXSHIM_CACHE/deb; the last line printed is the path of the .deb.
set -eu
. "$(dirname -- "$0")/lib.sh"

OUT=$AUXSHIM_CACHE/deb
VERSION=

while [ $# -gt 0 ]; do
	case $1 in
	--version) VERSION=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h | --help) sed -n '4,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done

copy_tree() {
	local dest=$1
	rm -rf "$dest"
	mkdir -p "$dest"
	if git -C "$AUXSHIM_SRC" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$AUXSHIM_SRC" && git ls-files -z --cached --others --exclude-standard |
			rsync -a --from0 --files-from=- ./ "$dest/")
	else
		sync_source "$dest" >/dev/null
	fi
}

# Every file's path and checksum: the tree before and after the build.
tree_state() {
	# The inner sh expands its own arguments.
	# shellcheck disable=SC2016
	(cd "$1" && find . -path ./debian/.debhelper -prune -o -print0 | sort -z |
		xargs -0 sh -c 'for f; do
			if [ -d "$f" ]; then echo "d $f"; else echo "$(md5sum <"$f") $f"; fi
		done' sh)
}

main() {
	local v tree deb dsc rc=0
	for t in dpkg-buildpackage dh dh_dkms lintian; do
		command -v "$t" >/dev/null || die "$t missing (scripts/setup-host.sh installs it)"
	done
	v=${VERSION:-$("$AUXSHIM_SRC/scripts/version.sh")}
	mkdir -p "$OUT"
	tree=$OUT/auxshim-$v
	copy_tree "$tree"
	[ -z "$VERSION" ] || "$tree/scripts/version.sh" set "$VERSION"
	tree_state "$tree" >"$OUT/tree.before"
	rm -f "$OUT"/auxshim*_"$v"[_.]*
	log "dpkg-buildpackage -us -uc in $tree"
	(cd "$tree" && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS dpkg-buildpackage -us -uc) \
		>"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log" >&2; die "dpkg-buildpackage failed (log: $OUT/build.log)"; }
	# Outside debian/ the build generates nothing; inside, only debhelper's
	# own products, which debian/.gitignore lists and "debian/rules clean"
	# removes (checked next).
	tree_state "$tree" >"$OUT/tree.after"
	diff "$OUT/tree.before" "$OUT/tree.after" | awk '/^[<>]/ { print $NF }' |
		sort -u >"$OUT/tree.changed" || true
	if grep -v '^\./debian/' "$OUT/tree.changed" >&2; then
		log "the package build generated or changed the files above"
		rc=1
	fi
	(cd "$tree" && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS debian/rules clean) >>"$OUT/build.log" 2>&1 ||
		{ log "debian/rules clean failed"; rc=1; }
	tree_state "$tree" >"$OUT/tree.clean"
	if ! diff -u "$OUT/tree.before" "$OUT/tree.clean" >&2; then
		log "debian/rules clean did not restore the tree (above)"
		rc=1
	fi
	deb=$OUT/auxshim-dkms_${v}_all.deb
	dsc=$OUT/auxshim_$v.dsc
	{ [ -f "$deb" ] && [ -f "$dsc" ]; } || die "no $deb or $dsc after the build"
	log "lintian --pedantic $deb $dsc"
	lintian --pedantic --display-experimental --show-overrides \
		--fail-on error,warning "$deb" "$dsc" | tee "$OUT/lintian.log" >&2 || rc=1
	[ "$rc" -eq 0 ] || die "package checks failed"
	echo "$deb"
}

main "$@"
