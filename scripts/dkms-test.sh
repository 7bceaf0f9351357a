#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Really run dkms add/build/install/uninstall/remove of this repository for
# one target kernel and print the results as a KTAP document on stdout:
#
#   scripts/dkms-test.sh K
#
# 5.10 and 7.3: inside their chroots, natively (linux-headers installed
# there; the chroot's own /usr/src, /var/lib/dkms, /lib/modules).
# 6.1 and 6.12: on the host with private trees under
# $AUXSHIM_CACHE/dkms/K (--sourcetree, --dkmstree, --installtree,
# --kernelsourcedir = the extracted headers, --no-depmod), so the host's
# /usr/src, /var/lib/dkms and /lib/modules are never touched.
# The modules DKMS installs must hold no test-only code (no-test-only-code).
# Log: $AUXSHIM_CACHE/dkms/K/dkms.log.  Exit status 0 iff every case passed.
set -eu
. "$(dirname -- "$0")/lib.sh"

KERNELS_SH=$AUXSHIM_SRC/scripts/kernels.sh
# Run a step, logging its output; a failed step prints its log tail.
step() {
	local name=$1
	shift
	printf '\n$ %s\n' "$*" >>"$LOG"
	if "$@" >>"$LOG" 2>&1; then
		host_result ok "$name"
		return 0
	fi
	host_result "not ok" "$name" "failed: $*"
	log "$KERNEL: $name failed; last lines of $LOG:"
	tail -n 25 "$LOG" >&2
	return 1
}

# check NAME CMD...: one case (lib.sh); a failed one does not stop the run.
check() { host_check "$@" || true; }

# dkms, or any command, in this kernel's environment, as a user would run
# it: not inside "make check"'s make (its MAKEFLAGS would leak into the
# Makefile dkms runs).
in_env() {
	if [ -n "$CHROOT" ]; then
		"$KERNELS_SH" exec "$KERNEL" "$@"
	else
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u MAKE_TERMOUT \
			-u MAKE_TERMERR "$@"
	fi
}

dkms_() {
	# shellcheck disable=SC2086 # options, one word each
	in_env dkms "$@" $DKMS_OPTS
}

# The installed .ko (maybe compressed) of module $1, host path, or nothing.
installed_ko() {
	local f
	for f in "$HOST_ITREE/$REL/updates/dkms/$1.ko"*; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

modinfo_ok() {
	local m=$1 ko field v
	ko=$(installed_ko "$m") || { echo "$m not installed"; return 1; }
	for field in license version description; do
		v=$(in_env modinfo -F "$field" "${ko#"$CHROOT"}")
		[ -n "$v" ] || { echo "$m: modinfo has no $field"; return 1; }
		echo "$m: $field=$v"
	done
	v=$(in_env modinfo -F version "${ko#"$CHROOT"}")
	[ "$v" = "$VERSION" ] || { echo "$m: version $v, dkms.conf says $VERSION"; return 1; }
	# modinfo prints a depends line for every module, empty or not: what
	# matters is that modprobe would load what the module needs first.
	v=$(in_env modinfo -F depends "${ko#"$CHROOT"}")
	echo "$m: depends=$v"
	case $m in
	# It uses only what the kernel has built in.
	auxshim) [ -z "$v" ] || { echo "$m: depends '$v', expected none"; return 1; } ;;
	# It calls the shim, mdev and vfio (modpost names every module whose
	# exports a module uses).
	auxshim_sample)
		for field in auxshim mdev vfio; do
			case ,$v, in
			*",$field,"*) ;;
			*) echo "$m: depends '$v' does not name $field"; return 1 ;;
			esac
		done
		;;
	*) echo "$m: no expected depends in $0"; return 1 ;;
	esac
}

# Test-only code, by a string only it puts in a module: the sample's test
# harness (src/sample/test_harness.c, the auxshim/dma_test knob) and the
# shim's test hooks (src/shim/test_hooks.c).  Only a test build
# (make AUXSHIM_TEST=1) has them; dkms.conf's make must not.
TEST_ONLY_STRINGS="dma_test auxshim_test_get_counts"

# The text of a module, whatever it is compressed with (7.3's are .ko.xz).
ko_text() {
	case $1 in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -dcq "$1" ;;
	*.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

# The modules DKMS installed carry none of TEST_ONLY_STRINGS.
no_test_code() {
	local m ko s rc=0
	for m in $MODULES; do
		ko=$(installed_ko "$m") || { echo "$m not installed"; return 1; }
		for s in $TEST_ONLY_STRINGS; do
			if ko_text "$ko" | grep -aqF "$s"; then
				echo "$m: ${ko##*/} has test-only code ('$s')"
				rc=1
			fi
		done
	done
	[ "$rc" -ne 0 ] || echo "no test-only code in: $MODULES"
	return "$rc"
}

installed_all() {
	local m
	for m in $MODULES; do
		installed_ko "$m" || { echo "$m.ko* not under $HOST_ITREE/$REL/updates/dkms"; return 1; }
	done
}

removed_all() {
	local m
	for m in $MODULES; do
		! installed_ko "$m" || { echo "$m still installed"; return 1; }
	done
}

status_is() {
	local want=$1 s
	s=$(dkms_ status -m auxshim -v "$VERSION" -k "$REL" 2>/dev/null || true)
	echo "dkms status: ${s:-<empty>}"
	case $want in
	none) [ -z "$s" ] ;;
	*) printf '%s' "$s" | grep -q ": $want" ;;
	esac
}

state_clean() {
	status_is none || return 1
	[ ! -e "$HOST_DTREE/auxshim" ] || { echo "$HOST_DTREE/auxshim left behind"; return 1; }
}

# Leftovers of an interrupted earlier run.
cleanup() {
	dkms_ remove -m auxshim -v "$VERSION" --all >/dev/null 2>&1 || true
	rm -rf "$HOST_DTREE/auxshim" "$HOST_ITREE/$REL/updates/dkms"/auxshim*
}

# The modules dkms.conf names for the kernel headers at $1.
conf_modules() {
	kernelver=$REL kernel_source_dir=$1 \
		bash -c '. "$1" && echo "${BUILT_MODULE_NAME[@]}"' _ "$AUXSHIM_SRC/dkms.conf"
}

# The shim is built for every kernel with the IOMMU API; the sample only
# where the kernel has mdev: the same headers with CONFIG_VFIO_MDEV taken
# out of .config must leave only the shim.
sample_gated_on_mdev() {
	local t rc=0 got
	t=$(mktemp -d)
	grep -v '^CONFIG_VFIO_MDEV=' "$KDIR_HOST/.config" >"$t/.config"
	got=$(conf_modules "$t")
	[ "$got" = auxshim ] || { echo "without mdev: '$got', expected 'auxshim'"; rc=1; }
	case " $MODULES " in
	*" auxshim_sample "*) ;;
	*) grep -q '^CONFIG_VFIO_MDEV=[ym]' "$KDIR_HOST/.config" &&
		{ echo "with mdev: '$MODULES' lacks auxshim_sample"; rc=1; } ;;
	esac
	grep -q '^BUILD_EXCLUSIVE_CONFIG="CONFIG_IOMMU_API"$' "$AUXSHIM_SRC/dkms.conf" ||
		{ echo "the shim must be gated on CONFIG_IOMMU_API alone"; rc=1; }
	rm -rf "$t"
	return "$rc"
}

setup() {
	KERNEL=$1
	"$KERNELS_SH" fetch "$KERNEL"
	REL=$("$KERNELS_SH" path "$KERNEL" release)
	CHROOT=$("$KERNELS_SH" path "$KERNEL" chroot)
	VERSION=$(package_version)
	[ -n "$VERSION" ] || die "no PACKAGE_VERSION in $AUXSHIM_SRC/dkms.conf"
	# The modules DKMS should build for this kernel: dkms.conf read the way
	# DKMS reads it (sourced, with kernel_source_dir set), so that the
	# sample is expected exactly where the kernel has mdev.
	KDIR_HOST=$CHROOT$("$KERNELS_SH" path "$KERNEL" kdir)
	MODULES=$(conf_modules "$KDIR_HOST")
	[ -n "$MODULES" ] || die "dkms.conf names no module"
	local d=$AUXSHIM_CACHE/dkms/$KERNEL
	mkdir -p "$d" "$AUXSHIM_CACHE/locks"
	LOG=$d/dkms.log
	: >"$LOG"
	if [ -n "$CHROOT" ]; then
		SRC_PARENT=$CHROOT/usr/src
		HOST_DTREE=$CHROOT/var/lib/dkms
		HOST_ITREE=$CHROOT/lib/modules
		DKMS_OPTS=
	else
		SRC_PARENT=$d/src
		HOST_DTREE=$d/dkmstree
		HOST_ITREE=$d/lib/modules
		mkdir -p "$SRC_PARENT" "$HOST_DTREE" "$HOST_ITREE/$REL"
		DKMS_OPTS="--sourcetree $SRC_PARENT --dkmstree $HOST_DTREE --installtree $HOST_ITREE"
	fi
}

run_cases() {
	local kopts="-k $REL"
	[ -n "$CHROOT" ] ||
		kopts="$kopts --kernelsourcedir $("$KERNELS_SH" path "$KERNEL" kdir) --no-depmod"
	cleanup
	check sample-gated-on-mdev sample_gated_on_mdev
	sync_source "$SRC_PARENT/auxshim-$VERSION"
	step dkms-add dkms_ add -m auxshim -v "$VERSION" || return 0
	# shellcheck disable=SC2086 # options, one word each
	if ! step dkms-build dkms_ build -m auxshim -v "$VERSION" $kopts; then
		# dkms keeps the make output in its build dir: keep it before removal.
		cat "$HOST_DTREE/auxshim/$VERSION/build/make.log" >>"$LOG" 2>/dev/null || true
		grep -E 'error|Error' "$HOST_DTREE/auxshim/$VERSION/build/make.log" 2>/dev/null |
			head -n 20 >&2 || true
	else
		# shellcheck disable=SC2086 # options, one word each
		if step dkms-install dkms_ install -m auxshim -v "$VERSION" $kopts; then
			check installed-under-updates-dkms installed_all
			for m in $MODULES; do check "modinfo-$m" modinfo_ok "$m"; done
			check no-test-only-code no_test_code
			check status-installed status_is installed
			# shellcheck disable=SC2086 # options, one word each
			step dkms-uninstall dkms_ uninstall -m auxshim -v "$VERSION" $kopts
			check uninstall-removed-modules removed_all
		fi
	fi
	step dkms-remove dkms_ remove -m auxshim -v "$VERSION" --all
	check state-clean state_clean
	rm -rf "${SRC_PARENT:?}/auxshim-$VERSION"
}

main() {
	[ $# -eq 1 ] || { sed -n '4,17s/^# \{0,1\}//p' "$0" >&2; exit 2; }
	kernel_known "$1" || die "unknown kernel '$1' (known: $AUXSHIM_KERNELS)"
	setup "$1"
	# One dkms test per kernel at a time.
	exec 9>"$AUXSHIM_CACHE/locks/dkms-$KERNEL"
	flock 9
	run_cases
	host_ktap
}

main "$@"
