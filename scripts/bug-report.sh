#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Collect what a bug report about auxshim needs into one file ("make
# bug-report"):
#
#   scripts/bug-report.sh [-o FILE]     (default: ./auxshim-bug-report.txt)
#
# The kernel release, the distribution, the loaded modules and their
# modinfo, "dkms status", DKMS's make.log of every auxshim build, "mokutil
# --sb-state", the modules' kernel log lines and the shim's debugfs table.
# Run it as root for the last two (dmesg may be restricted, debugfs is
# root-only).  It never fails on a missing piece: each one it could not
# collect says why, and the report ends with the list of them.  Plain POSIX
# sh (it also runs in busybox).  The exit status is non-zero only if FILE
# cannot be written.
#
# Where it looks (overridable, for tests): AUXSHIM_DKMS_TREE (/var/lib/dkms),
# AUXSHIM_DEBUGFS (/sys/kernel/debug), AUXSHIM_OS_RELEASE (/etc/os-release).
set -u

OUT=auxshim-bug-report.txt
case ${1:-} in
-o) OUT=${2:?usage: bug-report.sh [-o FILE]} ;;
-h | --help) sed -n '4,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
"") ;;
*) echo "usage: bug-report.sh [-o FILE]" >&2; exit 2 ;;
esac
DKMS_TREE=${AUXSHIM_DKMS_TREE:-/var/lib/dkms}
DEBUGFS=${AUXSHIM_DEBUGFS:-/sys/kernel/debug}
OS_RELEASE=${AUXSHIM_OS_RELEASE:-/etc/os-release}
MISSING=

have() { command -v "$1" >/dev/null 2>&1; }

section() { printf '\n## %s\n\n' "$1"; }

# missing TITLE REASON: a piece not collected, said where it belongs and at
# the end.
missing() {
	echo "(not collected: $2)"
	MISSING="$MISSING
- $1: $2"
}

# run TITLE CMD...: a section with CMD's output, or why there is none.
run() {
	t=$1
	shift
	section "$t"
	if ! have "$1"; then
		missing "$t" "$1 is not installed"
		return
	fi
	echo "\$ $*"
	"$@" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] || echo "(exit status $rc)"
}

kernel_log() {
	section "kernel log of the modules"
	if have dmesg && log=$(dmesg 2>&1); then
		:
	elif have journalctl && log=$(journalctl -k -b --no-pager 2>&1); then
		:
	else
		missing "kernel log" "neither dmesg nor journalctl -k could read it (run as root)"
		return
	fi
	lines=$(printf '%s\n' "$log" | grep -E 'auxshim|auxshim_sample|DMAR|Loading of (unsigned )?module|module verification|Lockdown')
	if [ -n "$lines" ]; then
		printf '%s\n' "$lines" | tail -n 200
	else
		echo "(no kernel log line names auxshim)"
	fi
}

make_logs() {
	section "DKMS make.log"
	if [ ! -d "$DKMS_TREE/auxshim" ]; then
		missing "DKMS make.log" "no $DKMS_TREE/auxshim (auxshim was not built by DKMS here)"
		return
	fi
	found=
	for f in "$DKMS_TREE"/auxshim/*/*/*/log/make.log "$DKMS_TREE"/auxshim/*/build/make.log; do
		[ -f "$f" ] || continue
		found=1
		echo "### $f"
		tail -n 200 "$f"
		echo
	done
	[ -n "$found" ] || missing "DKMS make.log" "no make.log under $DKMS_TREE/auxshim"
}

debugfs_table() {
	section "debugfs auxshim/groups"
	f=$DEBUGFS/auxshim/groups
	if [ -r "$f" ]; then
		cat "$f"
	elif [ ! -d /sys/module/auxshim ] && [ ! -d "$DEBUGFS/auxshim" ]; then
		missing "debugfs table" "auxshim is not loaded"
	elif ! grep -qs " $DEBUGFS debugfs " /proc/mounts && [ ! -d "$DEBUGFS/auxshim" ]; then
		missing "debugfs table" "debugfs is not mounted on $DEBUGFS (mount -t debugfs none $DEBUGFS)"
	else
		missing "debugfs table" "$f is not readable (run as root)"
	fi
}

modules() {
	section "loaded modules"
	if [ -r /proc/modules ]; then
		grep -E '^(auxshim|auxshim_sample|vfio|mdev|iommufd)' /proc/modules ||
			echo "(none of auxshim, auxshim_sample, vfio, mdev, iommufd is loaded)"
	else
		missing "loaded modules" "no /proc/modules"
	fi
	for m in auxshim auxshim_sample; do
		if [ -r "/sys/module/$m/version" ]; then
			echo "$m loaded, version $(cat "/sys/module/$m/version")"
		fi
	done
}

report() {
	echo "# auxshim bug report, $(date -u '+%Y-%m-%d %H:%M:%S UTC' 2>/dev/null)"
	section "kernel"
	uname -a 2>&1
	[ -r /proc/version ] && cat /proc/version
	[ -r /proc/cmdline ] && echo "cmdline: $(cat /proc/cmdline)"
	section "distribution"
	if [ -r "$OS_RELEASE" ]; then
		cat "$OS_RELEASE"
	else
		missing "distribution" "no $OS_RELEASE"
	fi
	modules
	run "modinfo auxshim" modinfo auxshim
	run "dkms status" dkms status
	make_logs
	run "mokutil --sb-state" mokutil --sb-state
	kernel_log
	debugfs_table
	section "not collected"
	if [ -n "$MISSING" ]; then
		printf '%s\n' "$MISSING" | sed '/^$/d'
	else
		echo "(everything was collected)"
	fi
}

# report runs in this shell (a redirection, not a pipeline), so that it can
# gather the "not collected" list.
report >"$OUT.tmp" 2>&1 || true
if ! mv "$OUT.tmp" "$OUT" 2>/dev/null; then
	echo "bug-report: cannot write $OUT" >&2
	rm -f "$OUT.tmp"
	exit 1
fi
n=$(sed -n '/^## not collected/,$p' "$OUT" | grep -c '^- ')
echo "bug-report: wrote $OUT ($n piece(s) not collected, listed at its end); attach it to the issue"
