#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install what the test suite needs on a Debian 12 host, from the host's own
# apt sources only.  Idempotent: when everything is present it does nothing,
# not even apt-get update.
set -eu
. "$(dirname -- "$0")/lib.sh"

# package -> a file it provides (checked instead of asking dpkg, so a tool
# present some other way also counts).
PACKAGES="
qemu-system-x86:/usr/bin/qemu-system-x86_64
qemu-system-common:/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
qemu-system-data:/usr/share/qemu/kvmvapic.bin
seabios:/usr/share/seabios/bios-256k.bin
libc6-dev:/usr/lib/x86_64-linux-gnu/libc.a
linux-libc-dev:/usr/include/linux/vfio.h
busybox-static:/bin/busybox
dkms:/usr/sbin/dkms
mmdebstrap:/usr/bin/mmdebstrap
debian-archive-keyring:/usr/share/keyrings/debian-archive-keyring.gpg
cpio:/usr/bin/cpio
xz-utils:/usr/bin/xz
zstd:/usr/bin/zstd
kmod:/usr/sbin/depmod
dwarves:/usr/bin/pahole
gcc:/usr/bin/gcc
gcc-12:/usr/bin/gcc-12
make:/usr/bin/make
bc:/usr/bin/bc
flex:/usr/bin/flex
bison:/usr/bin/bison
libelf-dev:/usr/include/libelf.h
libssl-dev:/usr/include/openssl/ssl.h
rsync:/usr/bin/rsync
python3:/usr/bin/python3
sparse:/usr/bin/sparse
perl:/usr/bin/perl
util-linux:/usr/bin/unshare
coreutils:/usr/bin/timeout
openssl:/usr/bin/openssl
dpkg-dev:/usr/bin/dpkg-buildpackage
debhelper:/usr/bin/dh
dh-dkms:/usr/bin/dh_dkms
lintian:/usr/bin/lintian
clang-format:/usr/bin/clang-format
shellcheck:/usr/bin/shellcheck
gnuplot-nox:/usr/bin/gnuplot
mokutil:/usr/bin/mokutil
linux-source-6.1:/usr/src/linux-source-6.1.tar.xz
$AUXSHIM_DEBUG_SOURCE:/usr/src/$AUXSHIM_DEBUG_SOURCE.tar.xz
"

missing() {
	local entry pkg file
	for entry in $PACKAGES; do
		pkg=${entry%%:*}
		file=${entry#*:}
		[ -e "$file" ] || echo "$pkg"
	done
}

main() {
	local need
	need=$(missing | tr '\n' ' ')
	if [ -z "${need// /}" ]; then
		log "host ready (nothing to install)"
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "need root to install: $need"
	log "installing: $need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086 # package names, one word each
	apt-get install -y -q --no-install-recommends $need
	need=$(missing | tr '\n' ' ')
	[ -z "${need// /}" ] || die "still missing after install: $need"
	log "host ready"
}

main "$@"
