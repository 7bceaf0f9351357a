#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The debug guest's recognizer of type1's known lockdep cycle
# (lockdep_type1_known in tests/guest/ktap.sh), run on the host against
# saved kernel logs, with busybox's sh, sed and awk as in the guest (the
# debug guest may never print the report it must tell apart):
#
#   tests/host/lockdep/type1-6.1.log              the real report, from the
#       vfio client's first unmap of a pinned page on the debug kernel:
#       iommu->lock <-> device_list_lock, no lock of ours: recognised;
#   tests/host/lockdep/type1-via-auxshim_lock.log the same report doctored
#       (by hand, not printed by lockdep) so that the cycle and the held
#       lock go through our static auxshim_lock, whose class lockdep names
#       without "&": refused, naming it.
#
# Prints KTAP; exit status 0 iff every case passed.  Run by scripts/lint.sh.
set -u

here=$(cd "$(dirname -- "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
busybox --install -s "$tmp/bin" || { echo "busybox --install failed"; exit 1; }

# check NAME FIXTURE WANT_STATUS GREP: the recognizer on FIXTURE exits
# WANT_STATUS and its output matches GREP.
n=0 failed=0 out=
check() {
	n=$((n + 1))
	# The inner sh expands its own arguments.
	# shellcheck disable=SC2016
	got=$(env PATH="$tmp/bin" KTAP_DIR="$tmp/ktap" FIXTURE="$here/lockdep/$2" \
		busybox sh -c '. "${1%/*}/kernel_log.sh"; . "$1"; dmesg() { cat "$FIXTURE"; }; lockdep_type1_known' _ \
		"$here/../guest/ktap.sh" 2>&1)
	rc=$?
	if [ "$rc" = "$3" ] && printf '%s\n' "$got" | grep -q -- "$4"; then
		out="${out}ok $n $1
"
	else
		out="${out}not ok $n $1 # exit $rc (want $3), output: $(printf '%s' "$got" | tr '\n' ' ' | cut -c1-200)
"
		failed=$((failed + 1))
	fi
}

check type1-cycle-recognised type1-6.1.log 0 "type1's own cycle (upstream)"
check type1-cycle-chain-printed type1-6.1.log 0 'vfio_iommu_type1_register_device'
check cycle-via-auxshim_lock-refused type1-via-auxshim_lock.log 1 'names other locks: auxshim_lock$'

echo "KTAP version 1"
echo "1..$n"
printf '%s' "$out"
[ "$failed" -eq 0 ]
