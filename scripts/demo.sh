#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The demo behind "make demo [KERNEL=K]":
#
#   scripts/demo.sh [--kernel K]      K: 5.10, 6.1 (default: bookworm's own), 6.12, 7.3
#
# On a fresh Debian 12 machine: installs the host packages, fetches kernel K
# into the cache, builds auxshim.ko and auxshim_sample.ko for it (a test
# build: the knobs below are the sample's test harness), boots it in QEMU
# with an emulated VT-d and QEMU's edu device, and runs
# tests/guest/sample_demo.sh there: two mdevs on edu; a virtual machine
# (the guest's QEMU) gets one as a PCI device, and its driver moves bytes
# between its RAM and the mediated edu and gets MSI; a userspace program
# has the mediated edu copy its buffer; then the auxshim/ knobs: attach,
# a DMA test, the shim's debugfs table, -EBUSY for the second mdev, detach,
# remove.  Each step is one of the scripts the test suite uses
# (setup-host.sh, kernels.sh, build.sh, guest.sh).  Prints a short
# transcript; non-zero exit if a step failed.  Logs: $AUXSHIM_CACHE/runs/K/demo/.
set -eu
. "$(dirname -- "$0")/lib.sh"

S=$AUXSHIM_SRC/scripts
KERNEL=6.1

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNEL=$2; shift ;;
	-h | --help) sed -n '4,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
kernel_known "$KERNEL" || die "unknown kernel '$KERNEL' (known: $AUXSHIM_KERNELS)"

OUT=$AUXSHIM_CACHE/runs/$KERNEL/demo
LOG=$OUT/demo.log
T0=$(now)

progress() { printf '[%3ss] %s\n' "$(($(now) - T0))" "$*"; }

# Run a step quietly into the log; on failure show its tail and stop.
run() {
	local what=$1 rc=0
	shift
	"$@" >>"$LOG" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] && return 0
	progress "FAILED: $what (exit $rc); last lines of $LOG:"
	tail -n 25 "$LOG" | sed 's/^/    /'
	exit 1
}

mkdir -p "$OUT"
: >"$LOG"
echo "auxshim demo on Linux $KERNEL (cache: $AUXSHIM_CACHE)"

progress "host packages (scripts/setup-host.sh)"
run "host setup" "$S/setup-host.sh"

progress "kernel $KERNEL from Debian's archive (scripts/kernels.sh)"
run "kernel fetch" "$S/kernels.sh" fetch "$KERNEL"
REL=$("$S/kernels.sh" path "$KERNEL" release)

# The demo's second part drives the sample's test harness (the auxshim/
# sysfs knobs, src/sample/test_harness.c), which only a test build has: the
# build "make check" makes for this kernel, and the guest takes its modules.
BUILD_ARGS=$(kernel_fact "$KERNEL" build)
progress "build auxshim.ko and auxshim_sample.ko for $REL, W=1 $BUILD_ARGS (scripts/build.sh)"
# shellcheck disable=SC2086 # make arguments, one word each
run "build" "$S/build.sh" "$KERNEL" $BUILD_ARGS

progress "boot $REL in QEMU (TCG, intel-iommu, edu) and run the demo (scripts/guest.sh)"
rc=0
"$S/guest.sh" --kernel "$KERNEL" --out "$OUT" \
	--modules-dir "$AUXSHIM_CACHE/build/$KERNEL/tree-test" \
	"$AUXSHIM_SRC/tests/guest/sample_demo.sh" >"$OUT/guest.out" 2>&1 || rc=$?
cat "$OUT/guest.out" >>"$LOG"

# The run's KTAP document: "ok 3 name" -> "  ok    name"; "# text" -> "      text".
tr -d '\r' <"$OUT/ktap.log" | awk '
	/^(ok|not ok) [0-9]+ / {
		res = $1 == "ok" ? "  ok    " : "  FAIL  "
		sub(/^(ok|not ok) [0-9]+ /, "")
		print res $0
		next
	}
	/^# / && !/^# auxshim-allow:/ { print "      " substr($0, 3) }'

if [ "$rc" -ne 0 ]; then
	progress "FAILED: the guest run (see $OUT/console.log); its report:"
	grep -v '^\[' "$OUT/guest.out" | tail -n 30 | sed 's/^/    /'
	exit 1
fi
progress "done: every step passed (logs: $OUT)"
