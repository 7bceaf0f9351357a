#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the repository for one target kernel:
#
#   scripts/build.sh K [make args...]      e.g. scripts/build.sh 6.1 AUXSHIM_TEST=1
#
# Copies the sources (not .git, not build products) to
# $AUXSHIM_CACHE/build/K/tree (or .../tree-test when ARGS contain
# AUXSHIM_TEST=..., so a test build and a plain one never share objects)
# and runs "make KDIR=... W=1 ARGS" there, on the host or in K's chroot.  Incremental: unchanged files keep their mtimes.
# Skipped when the last clean build there had the same key: the contents of
# BUILD_INPUTS, the kernel's release and the arguments (lib.sh inputs_hash;
# AUXSHIM_FRESH=1 builds anyway).
# Prints the .ko files it produced.  Exit status: 0 clean build, 1 build
# failed, 3 built but our own sources produced warnings (they are printed).
# The full log is $AUXSHIM_CACHE/build/K/build.log.
set -eu
. "$(dirname -- "$0")/lib.sh"

KERNELS_SH=$AUXSHIM_SRC/scripts/kernels.sh
# What a build reads (Kbuild and the Makefile name every object): a
# change anywhere else (guest scripts, docs, debian/) builds nothing anew.
BUILD_INPUTS=(Kbuild Makefile dkms.conf include src tests/abi tests/mock
	'tests/*.[ch]' scripts/conftest.sh scripts/probes scripts/build.sh
	scripts/lib.sh scripts/kernels.sh)

# Warnings from our own files: compiler/sparse diagnostics naming a file in
# the tree, and modpost warnings about our modules.  Kernel headers always
# appear by absolute path.
our_warnings() {
	local tree=$1 log=$2
	# Absolute paths into the tree (kbuild <= 6.12) or paths relative to it
	# (kbuild >= 6.13 builds external modules from their directory).
	grep -E "(warning|error):" "$log" |
		grep -E -e "$tree/" -e '^(\./)?[A-Za-z0-9_][^: /]*(/[^: ]+)*:[0-9]+' || true
	grep -E "^WARNING: modpost: .*($tree/|auxshim)" "$log" || true
}

# .ko files the last build did not produce (e.g. test modules left over
# from an earlier configuration) would be loaded by mistake: remove them.
drop_stale_modules() {
	local ko base
	[ -f "$1/modules.order" ] || return 0
	for ko in "$1"/*.ko; do
		[ -f "$ko" ] || continue
		base=${ko##*/}
		base=${base%.ko}
		grep -qE "(^|/)$base\.(ko|o)\$" "$1/modules.order" || rm -f "$ko"
	done
}

do_build() {
	local k=$1 dir tree kdir log rc=0 warns key
	shift
	dir=$AUXSHIM_CACHE/build/$k
	tree=$dir/tree
	log=$dir/build.log
	case " $* " in
	*" AUXSHIM_TEST="[!\ ]*) tree=$dir/tree-test log=$dir/build-test.log ;;
	esac
	kdir=$("$KERNELS_SH" path "$k" kdir)
	key=$(INPUTS_EXTRA="$("$KERNELS_SH" path "$k" release) $kdir $*" inputs_hash "${BUILD_INPUTS[@]}")
	if [ -z "${AUXSHIM_FRESH:-}" ] && [ "$(cat "$tree.key" 2>/dev/null)" = "$key" ] &&
		ls "$tree"/*.ko >/dev/null 2>&1; then
		log "$k: unchanged since the last clean build (key $key; $log)"
		ls "$tree"/*.ko
		return 0
	fi
	rm -f "$tree.key"
	sync_source "$tree"
	log "$k: make KDIR=$kdir W=1 $* (log: $log)"
	"$KERNELS_SH" run "$k" "$tree" make -j"$(nproc)" KDIR="$kdir" W=1 "$@" \
		>"$log" 2>&1 || rc=$?
	warns=$(our_warnings "$tree" "$log")
	[ "$rc" -ne 0 ] || drop_stale_modules "$tree"
	if [ "$rc" -ne 0 ]; then
		grep -E "error|Error|\*\*\*|warning:" "$log" | head -n 40 >&2 || true
		log "$k: BUILD FAILED (exit $rc; full log: $log)"
		return 1
	fi
	if [ -n "$warns" ]; then
		printf '%s\n' "$warns" >&2
		log "$k: $(printf '%s\n' "$warns" | wc -l) warning line(s) from our sources (log: $log)"
		ls "$tree"/*.ko 2>/dev/null || true
		return 3
	fi
	ls "$tree"/*.ko 2>/dev/null || true
	echo "$key" >"$tree.key"
	log "$k: build clean"
}

main() {
	[ $# -ge 1 ] || { sed -n '4,14s/^# \{0,1\}//p' "$0" >&2; exit 2; }
	kernel_known "$1" || die "unknown kernel '$1' (known: $AUXSHIM_KERNELS)"
	"$KERNELS_SH" fetch "$1"
	with_lock "build-$1" do_build "$@"
}

main "$@"
