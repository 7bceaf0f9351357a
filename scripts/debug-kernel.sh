#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The debug kernel ("debug" to kernels.sh, build.sh, guest.sh, check.sh):
# Debian's linux-source-6.12 ($AUXSHIM_DEBUG_SOURCE in lib.sh: bookworm-security
# has it, so the host may install it; a kernel with PASID attach, iommufd and
# the VFIO device cdev, so the checkers see those paths), configured from tinyconfig plus scripts/debug-kernel/debug.config (KASAN,
# lockdep, kmemleak, failslab, KUnit; VT-d, VFIO, mdev, mtty), built in the
# cache, never installed.
#
#   scripts/debug-kernel.sh ensure     build unless the current key is built;
#                                      point $AUXSHIM_CACHE/kernels/debug/info at it
#   scripts/debug-kernel.sh key        print the current key
#
# Key: debug-<source version>-<hash12>, hash12 = sha256 of the fragment, the
# RECIPE below and the compiler's version.  The tree lives in
# $AUXSHIM_CACHE/kernels/<key>/: src/ (extracted and built in place: the
# kdir), root/ (modules_install's INSTALL_MOD_PATH: modprobe -d, depmod -b;
# root/boot/vmlinuz-REL), build.log, seconds (the build's wall time).  An
# unchanged key does no work; a changed fragment builds a new key beside
# the old one (rm -r the old one by hand).
set -eu
. "$(dirname -- "$0")/lib.sh"

FRAGMENT=$AUXSHIM_SRC/scripts/debug-kernel/debug.config
# What the build does, as far as it changes the result: bump with any change
# to build() below.
RECIPE="v1: ARCH=x86_64 tinyconfig + merge_config -m + olddefconfig; make bzImage modules; modules_install"
ARCH=x86_64
export ARCH

src_tarball() { first_file "/usr/src/$AUXSHIM_DEBUG_SOURCE".tar.*; }

src_version() { dpkg-query -W -f='${Version}' "$AUXSHIM_DEBUG_SOURCE" 2>/dev/null; }

need_source() {
	if [ -z "$(src_tarball)" ] || [ -z "$(src_version)" ]; then
		"$AUXSHIM_SRC/scripts/setup-host.sh" >&2
	fi
	[ -n "$(src_tarball)" ] || die "no /usr/src/$AUXSHIM_DEBUG_SOURCE.tar.* (Debian package $AUXSHIM_DEBUG_SOURCE; scripts/setup-host.sh installs it)"
}

key() {
	local h
	h=$({ cat "$FRAGMENT"; echo "$RECIPE"; gcc --version | head -n 1; } | sha256sum | cut -c1-12)
	echo "debug-$(src_version)-$h"
}

# The kernels directory by its real path (it may be a symlink shared by
# several caches): the info file's paths stay valid from any of them.
kernels_dir() {
	mkdir -p "$AUXSHIM_CACHE/kernels"
	(cd "$AUXSHIM_CACHE/kernels" && pwd -P)
}

# Every request of the fragment survived olddefconfig: "CONFIG_X=v" lines
# are in .config as they are, "# CONFIG_X is not set" ones are not set.
verify_config() {
	local cfg=$1 line opt bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$cfg" && continue
			log "debug.config: $line did not survive olddefconfig (now: $(grep -E "^(# )?${line%%=*}[= ]" "$cfg" || echo absent))"
			bad=1
			;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }
			opt=${opt%% *}
			grep -q "^$opt=" "$cfg" || continue
			log "debug.config: $opt should not be set (now: $(grep "^$opt=" "$cfg"))"
			bad=1
			;;
		esac
	done <"$FRAGMENT"
	[ "$bad" -eq 0 ] || die "debug.config: requested options were dropped (a missing dependency?); fix the fragment"
}

build() {
	local kd=$1 key=$2 src=$1/src t0 rel
	t0=$(now)
	rm -rf "$kd"
	mkdir -p "$src" "$kd/root/boot"
	log "debug: building $key in $kd (cold: 10-30 min; log: $kd/build.log)"
	tar -xf "$(src_tarball)" -C "$src" --strip-components=1
	# The release names the key, so anything keyed by it (guest.sh's module
	# archives) changes with the kernel.
	local -a mk=(make -C "$src" LOCALVERSION="-auxshim-${key##*-}")
	{
		"${mk[@]}" tinyconfig
		(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$FRAGMENT")
		"${mk[@]}" olddefconfig
	} >"$kd/config.log" 2>&1 || { tail -n 30 "$kd/config.log" >&2; die "debug: configuring failed (log: $kd/config.log)"; }
	verify_config "$src/.config"
	nice -n 5 "${mk[@]}" -j2 bzImage modules >"$kd/build.log" 2>&1 ||
		{ grep -E 'error|Error' "$kd/build.log" | head -n 30 >&2; die "debug: kernel build failed (log: $kd/build.log)"; }
	rel=$("${mk[@]}" -s kernelrelease)
	"${mk[@]}" INSTALL_MOD_PATH="$kd/root" modules_install >>"$kd/build.log" 2>&1 ||
		die "debug: modules_install failed (log: $kd/build.log)"
	cp "$src/arch/x86/boot/bzImage" "$kd/root/boot/vmlinuz-$rel"
	cp "$src/.config" "$kd/root/boot/config-$rel"
	echo "$(($(now) - t0))" >"$kd/seconds"
	cat >"$kd/info" <<-EOF
		release=$rel
		kdir=$src
		hostkdir=$src
		vmlinuz=$kd/root/boot/vmlinuz-$rel
		modroot=$kd/root
		chroot=
	EOF
	log "debug: built $rel in $(cat "$kd/seconds") s"
}

ensure_locked() {
	local kdirs key kd cur=$1
	kdirs=$(kernels_dir)
	key=$(key)
	kd=$kdirs/$key
	[ -f "$kd/info" ] || build "$kd" "$key"
	mkdir -p "$kdirs/debug"
	{ cat "$kd/info"; echo "key=$key"; } >"$cur.tmp"
	mv "$cur.tmp" "$cur"
}

ensure() {
	local kdirs key cur
	need_source
	kdirs=$(kernels_dir)
	key=$(key)
	cur=$kdirs/debug/info
	# Fast path (every kernels.sh path call): already built and current.
	if [ -f "$kdirs/$key/info" ] && grep -qx "key=$key" "$cur" 2>/dev/null; then
		return 0
	fi
	# The lock lives beside the trees: caches sharing kernels/ share it.
	(
		flock 9
		ensure_locked "$cur"
	) 9>"$kdirs/debug.lock"
}

case ${1:-} in
ensure) ensure ;;
key) need_source; key ;;
*) sed -n '4,20s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
