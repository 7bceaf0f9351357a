#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The one version of auxshim is dkms.conf's PACKAGE_VERSION.  Kbuild reads
# it into AUXSHIM_VERSION (the modules' MODULE_VERSION), and the top entry
# of debian/changelog must carry it as its upstream version.
#
#   scripts/version.sh              print the version
#   scripts/version.sh check [KO...]
#                                   fail if debian/changelog, Kbuild or a
#                                   module's MODULE_VERSION (or the version
#                                   in each built KO given) disagrees
#   scripts/version.sh set NEW      set NEW in dkms.conf and open a
#                                   debian/changelog entry for it
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

get() {
	sed -n 's/^PACKAGE_VERSION="\([^"]*\)"$/\1/p' "$top/dkms.conf"
}

# Upstream part of the top changelog entry: "auxshim (1:0.1.0-2) ..." -> 0.1.0.
changelog_version() {
	sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$top/debian/changelog" |
		sed 's/^[0-9]*://; s/-[^-]*$//'
}

check() {
	v=$(get)
	bad=0
	n=$(grep -c '^PACKAGE_VERSION=' "$top/dkms.conf" || true)
	if [ "$n" != 1 ] || [ -z "$v" ]; then
		echo "version: dkms.conf needs exactly one PACKAGE_VERSION=\"...\" line" >&2
		exit 1
	fi
	c=$(changelog_version)
	if [ "$c" != "$v" ]; then
		echo "version: debian/changelog says '$c', dkms.conf says '$v'" >&2
		bad=1
	fi
	if ! grep -q '^AUXSHIM_VERSION := .*PACKAGE_VERSION.*dkms\.conf' "$top/Kbuild"; then
		echo "version: Kbuild no longer takes AUXSHIM_VERSION from dkms.conf" >&2
		bad=1
	fi
	# Every MODULE_VERSION is the shared one, never a literal.
	if grep -rn 'MODULE_VERSION(' "$top/src" | grep -v 'MODULE_VERSION(AUXSHIM_VERSION);' >&2; then
		echo "version: a MODULE_VERSION above is not AUXSHIM_VERSION" >&2
		bad=1
	fi
	for ko in "$@"; do
		m=$(/sbin/modinfo -F version "$ko" 2>/dev/null || true)
		if [ "$m" != "$v" ]; then
			echo "version: $ko has version '$m', dkms.conf says '$v'" >&2
			bad=1
		fi
	done
	[ "$bad" -eq 0 ] || exit 1
	echo "version $v: dkms.conf, debian/changelog, Kbuild${1:+ and $# module(s)} agree"
}

set_version() {
	new=$1
	case $new in
	*[!0-9A-Za-z.+~]* | "") echo "version: '$new' is not an upstream version" >&2; exit 1 ;;
	esac
	sed -i "s/^PACKAGE_VERSION=\".*\"$/PACKAGE_VERSION=\"$new\"/" "$top/dkms.conf"
	tmp=$top/debian/changelog.new
	{
		printf 'auxshim (%s) unstable; urgency=medium\n\n  * New upstream version %s.\n\n' "$new" "$new"
		printf ' -- %s  %s\n\n' "$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$top/debian/changelog" | head -n 1)" \
			"$(date -R)"
		cat "$top/debian/changelog"
	} >"$tmp"
	mv "$tmp" "$top/debian/changelog"
}

case ${1:-} in
"") get ;;
check) shift; check "$@" ;;
set) set_version "${2:?usage: version.sh set NEW}" ;;
*) echo "usage: version.sh [check [KO...] | set NEW]" >&2; exit 2 ;;
esac
