#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The four target kernels, fetched from Debian's archive into the cache and
# never installed on the host.
#
#   kernels.sh fetch [K...]           fetch (first use only) and pin K (default: all),
#                                     several kernels in parallel
#   kernels.sh path K WHAT            print WHAT for kernel K, fetching on first use:
#       release   KERNELRELEASE, e.g. 6.1.0-41-amd64
#       kdir      kernel build dir as seen by the build environment
#       hostkdir  the same directory as seen from the host
#       vmlinuz   kernel image (host path)
#       modroot   root of the extracted modules (modprobe -d / depmod -b)
#       chroot    build chroot ("" when K builds on the host)
#   kernels.sh run K DIR CMD...       run CMD in K's build environment, cwd DIR
#                                     (chroot: DIR bind-mounted at the same path)
#   kernels.sh exec K CMD...          run CMD in K's build environment, cwd / (no bind)
#   kernels.sh download DIR PKG...    download Debian packages (any target suite) into DIR
#   kernels.sh list                   short names and pinned releases
#
# K is a short name: 5.10, 6.1, 6.12 or 7.3.  The newest ABI in the archive
# is resolved on first fetch and pinned in $AUXSHIM_CACHE/kernels/K/info;
# later runs do no network work.  "rm -r $AUXSHIM_CACHE/kernels/K" re-resolves.
# K may also be "debug", the kernel scripts/debug-kernel.sh builds (its info
# has the same fields; every use checks that it is built for the current
# config fragment, building it first if not).
set -eu
. "$(dirname -- "$0")/lib.sh"

APTDIR=$AUXSHIM_CACHE/apt

# Private apt: its own sources, lists, cache and an empty dpkg status, so the
# host's apt state is neither read nor written.
apt_opts() {
	echo "-o Dir::Etc::SourceList=$APTDIR/sources.list" \
		"-o Dir::Etc::SourceParts=/dev/null" \
		"-o Dir::Etc::Preferences=/dev/null" \
		"-o Dir::Etc::PreferencesParts=/dev/null" \
		"-o Dir::State=$APTDIR/state" \
		"-o Dir::State::Lists=$APTDIR/lists" \
		"-o Dir::State::status=$APTDIR/status" \
		"-o Dir::Cache=$APTDIR/cache" \
		"-o APT::Architecture=amd64" \
		"-o APT::Architectures=amd64" \
		"-o Acquire::Languages=none" \
		"-o APT::Sandbox::User=root" \
		"-o Debug::NoLocking=1"
}

# shellcheck disable=SC2046 # apt options, one word each
papt_get() { apt-get -q $(apt_opts) "$@"; }
# shellcheck disable=SC2046 # the same
papt_cache() { apt-cache $(apt_opts) "$@"; }

apt_update_once() {
	[ -f "$APTDIR/updated" ] || with_lock apt apt_update
}

apt_update() {
	[ -f "$APTDIR/updated" ] && return 0
	mirror_uris
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/state"
	: >"$APTDIR/status"
	{
		# Every suite that may hold a target kernel, and the chroots'.
		for s in $(for k in $AUXSHIM_KERNELS; do
			kernel_fact "$k" suites
			kernel_fact "$k" chroot
		done | tr ' ' '\n' | awk 'NF && !seen[$0]++'); do
			case $s in
			*-security) echo "deb $SECURITY_MIRROR $s main" ;;
			*) echo "deb $DEBIAN_MIRROR $s main" ;;
			esac
		done
	} >"$APTDIR/sources.list"
	log "updating private package lists ($DEBIAN_MIRROR, $SECURITY_MIRROR)"
	papt_get update >"$APTDIR/update.log" 2>&1 ||
		{ cat "$APTDIR/update.log" >&2; die "private apt-get update failed"; }
	touch "$APTDIR/updated"
}

# Newest KERNELRELEASE the archive has for short name $1 (its headers
# package, lib.sh's kernel table).
resolve_release() {
	local re
	re=$(kernel_fact "$1" headers)
	[ -n "$re" ] || die "unknown kernel '$1' (known: $AUXSHIM_KERNELS)"
	papt_cache pkgnames linux-headers- | grep -E "^$re\$" | sed 's/^linux-headers-//' |
		sort -V | tail -n 1
}

# Header packages: linux-headers-REL plus its -common and linux-kbuild deps.
header_packages() {
	echo "linux-headers-$1"
	papt_cache depends --no-recommends --no-suggests "linux-headers-$1" |
		sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ ]*\).*/\1/p' | sort -u
}

# Image packages: the unsigned image (<= 6.12) or, from 7.x on, the split
# binary/modules/base packages.
image_packages() {
	if papt_cache show "linux-binary-unsigned-$1" >/dev/null 2>&1; then
		echo "linux-binary-unsigned-$1 linux-modules-$1 linux-base-$1"
	else
		echo "linux-image-$1-unsigned"
	fi
}

# mmdebstrap a build chroot for kernel $1 (release $2) with its compiler,
# dkms and linux-headers-REL installed natively.
make_chroot() {
	local k=$1 rel=$2 dir=$3 suite gcc
	suite=$(kernel_chroot_suite "$k")
	gcc=$(kernel_fact "$k" cc)
	local -a mirrors=()
	local line
	while IFS= read -r line; do mirrors+=("$line"); done < <(chroot_sources_list "$suite")
	log "$k: building $suite chroot with $gcc and linux-headers-$rel (takes a minute)"
	mkdir -p "${dir%/*}"
	rm -rf "$dir.tmp"
	mmdebstrap --quiet --variant=minbase \
		--aptopt='APT::Install-Recommends "false"' \
		--include="$gcc,make,libc6-dev,kmod,dkms,dwarves,xz-utils,zstd,bc,flex,bison,libelf-dev,libssl-dev,rsync,linux-headers-$rel" \
		"$suite" "$dir.tmp" "${mirrors[@]}" >"$dir.log" 2>&1 ||
		{ tail -n 30 "$dir.log" >&2; die "$k: mmdebstrap $suite failed (log: $dir.log)"; }
	rm -rf "$dir.tmp/var/cache/apt/archives/"*.deb "$dir.tmp/var/lib/apt/lists/"*_Packages
	mv "$dir.tmp" "$dir"
}

# The arch headers' Makefile includes the common part by absolute path;
# point it at the extracted copy.
fix_headers_makefile() {
	local root=$1 rel=$2 mk
	mk=$root/usr/src/linux-headers-$rel/Makefile
	[ -f "$mk" ] || die "no $mk after extraction"
	sed -i "s| /usr/src/| $root/usr/src/|g; s|=/usr/src/|=$root/usr/src/|g" "$mk"
}

do_fetch() {
	local k=$1 kd rel root pkgs p chroot="" kdir hostkdir vmlinuz
	kd=$AUXSHIM_CACHE/kernels/$k
	[ -f "$kd/info" ] && return 0
	apt_update_once
	rel=$(resolve_release "$k")
	[ -n "$rel" ] || die "$k: no linux-headers package found in the archive"
	log "$k: resolved to $rel"
	mkdir -p "$kd/debs"
	root=$kd/root
	pkgs=$(image_packages "$rel")
	[ -n "$(kernel_chroot_suite "$k")" ] || pkgs="$pkgs $(header_packages "$rel")"
	# shellcheck disable=SC2086 # package names, one word each
	(cd "$kd/debs" && papt_get download $pkgs >"$kd/download.log" 2>&1) ||
		{ cat "$kd/download.log" >&2; die "$k: download failed"; }
	rm -rf "$root"
	mkdir -p "$root"
	for p in "$kd"/debs/*.deb; do dpkg-deb -x "$p" "$root"; done
	# 7.x ships everything under usr/lib; depmod -b and modprobe -d look in lib/.
	[ -e "$root/lib" ] || ln -s usr/lib "$root/lib"
	depmod -b "$root" "$rel"
	vmlinuz=
	for p in "$root/boot/vmlinuz-$rel" "$root/usr/lib/modules/$rel/vmlinuz.unsigned" \
		 "$root/usr/lib/modules/$rel/vmlinuz"; do
		[ -f "$p" ] && { vmlinuz=$p; break; }
	done
	[ -n "$vmlinuz" ] || die "$k: no vmlinuz in the image packages"
	if [ -n "$(kernel_chroot_suite "$k")" ]; then
		chroot=$AUXSHIM_CACHE/chroots/$k
		[ -d "$chroot" ] || make_chroot "$k" "$rel" "$chroot"
		kdir=/usr/src/linux-headers-$rel
		hostkdir=$chroot$kdir
	else
		fix_headers_makefile "$root" "$rel"
		kdir=$root/usr/src/linux-headers-$rel
		hostkdir=$kdir
	fi
	[ -f "$hostkdir/Makefile" ] || die "$k: no headers at $hostkdir"
	rm -rf "$kd/debs"
	cat >"$kd/info.tmp" <<-EOF
		release=$rel
		kdir=$kdir
		hostkdir=$hostkdir
		vmlinuz=$vmlinuz
		modroot=$root
		chroot=$chroot
	EOF
	mv "$kd/info.tmp" "$kd/info"
	log "$k: ready ($rel)"
}

fetch() {
	kernel_known "$1" || die "unknown kernel '$1' (known: $AUXSHIM_KERNELS $AUXSHIM_DEBUG_KERNEL)"
	if [ "$1" = "$AUXSHIM_DEBUG_KERNEL" ]; then
		"$AUXSHIM_SRC/scripts/debug-kernel.sh" ensure
		return
	fi
	[ -f "$AUXSHIM_CACHE/kernels/$1/info" ] && return 0
	with_lock "kernel-$1" do_fetch "$1"
}

info_get() {
	fetch "$1"
	sed -n "s/^$2=//p" "$AUXSHIM_CACHE/kernels/$1/info"
}

# Run "$@" in kernel $1's build environment with working directory $2.  In a
# chroot this runs in a private mount namespace: /proc, /dev and $2 are
# mounted there and vanish with the process, even if it is killed.
run_in() {
	local k=$1 dir=$2 chroot
	shift 2
	chroot=$(info_get "$k" chroot)
	if [ -z "$chroot" ]; then
		# Not inside a calling make's jobserver/flags ("make check").
		(cd "$dir" && exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES "$@")
		return
	fi
	[ "$dir" = / ] || dir=$(cd "$dir" && pwd)
	# The inner sh expands its own arguments.
	# shellcheck disable=SC2016
	unshare --mount --propagation private -- /bin/sh -eu -c '
		ch=$1 dir=$2; shift 2
		if [ "$dir" != / ]; then
			mkdir -p "$ch$dir"
			mount --bind "$dir" "$ch$dir"
		fi
		mount -t proc proc "$ch/proc"
		mount --bind /dev "$ch/dev"
		cd /
		exec chroot "$ch" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 TERM=dumb /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$dir" "$@"
	' run_in "$chroot" "$dir" "$@"
}

usage() { sed -n '4,27s/^# \{0,1\}//p' "$0" >&2; exit 2; }

main() {
	[ $# -ge 1 ] || usage
	local cmd=$1 k
	shift
	case $cmd in
	fetch)
		# shellcheck disable=SC2086 # a list of names, split on purpose
		[ $# -gt 0 ] || set -- $AUXSHIM_KERNELS
		# In parallel: mostly downloads and mmdebstrap waiting on them.
		local -a pids=()
		local rc=0 p
		for k in "$@"; do
			fetch "$k" &
			pids+=($!)
		done
		for p in "${pids[@]}"; do wait "$p" || rc=1; done
		return "$rc"
		;;
	path)
		[ $# -eq 2 ] || usage
		case $2 in
		release | kdir | hostkdir | vmlinuz | modroot | chroot) info_get "$1" "$2" ;;
		*) usage ;;
		esac
		;;
	run)
		[ $# -ge 3 ] || usage
		run_in "$@"
		;;
	exec)
		[ $# -ge 2 ] || usage
		k=$1
		shift
		run_in "$k" / "$@"
		;;
	download)
		[ $# -ge 2 ] || usage
		k=$1
		shift
		apt_update_once
		mkdir -p "$k"
		(cd "$k" && papt_get download "$@")
		;;
	list)
		for k in $AUXSHIM_KERNELS $AUXSHIM_DEBUG_KERNEL; do
			if [ -f "$AUXSHIM_CACHE/kernels/$k/info" ]; then
				printf '%-5s %s\n' "$k" "$(sed -n 's/^release=//p' "$AUXSHIM_CACHE/kernels/$k/info")"
			else
				printf '%-5s (not fetched)\n' "$k"
			fi
		done
		;;
	*) usage ;;
	esac
}

main "$@"
