# SPDX-License-Identifier: GPL-2.0-only
#
# Guest-side helpers for the suites that drive the sample's mdevs through
# tests/vfio/vfio_client.c (busybox sh), sourced after sample_lib.sh by
# vfio.test.sh, vfio_dma.test.sh and iommufd.test.sh.

CLIENT=/tests/bin/vfio_client
PINNED=/sys/module/auxshim_sample/parameters/pinned_pages
# How the client opens the device: empty for the group and type1
# container, --iommufd for the device cdev and /dev/iommu.
VIA=${VIA:-}
# The prefix of the client's KTAP documents' names (client_case).
VIA_NAME=${VIA_NAME:-vfio}
HOLD=

# Start a client that holds mdev $1 open (a page pinned) until killed, or
# (mode $2: req-close, req-ignore) until the REQ eventfd fires; its
# output goes to /tmp/held.out.
hold_start() {
	rm -f /tmp/held
	# VIA is one word or none.
	# shellcheck disable=SC2086
	"$CLIENT" $VIA "${2:-hold}" "$1" /tmp/held >/tmp/held.out 2>&1 &
	HOLD=$!
	for _ in $(seq 1 300); do
		[ -e /tmp/held ] && return 0
		kill -0 "$HOLD" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

hold_stop() {
	[ -n "$HOLD" ] || return 0
	kill "$HOLD" 2>/dev/null
	wait "$HOLD" 2>/dev/null
	HOLD=
}

pinned_is() { [ "$(cat "$PINNED")" = "$1" ]; }

dmar_faults() { dmesg | grep -cEi 'DMAR.*fault|DMAR: \[DMA (Read|Write)'; }

# No VT-d fault since dmar_faults printed $1.
no_new_dmar_fault() {
	[ "$(dmar_faults)" = "$1" ] && return 0
	dmesg | grep -Ei 'DMAR.*fault|DMAR: \[DMA (Read|Write)|fault addr' | tail -n 4
	return 1
}

# Run the client's case $1 (arguments $2...) as the subtest ${VIA_NAME}_$1;
# its exit status (3: a call stuck in the kernel).
client_case() { client_case_as "$1" "$@"; }

# The same, named ${VIA_NAME}_$1, for the client's case $2 (arguments $3...).
client_case_as() {
	local name=$1 rc
	shift
	# VIA is one word or none.
	# shellcheck disable=SC2086
	"$CLIENT" $VIA "$@" >"/tmp/$name.ktap" 2>&1
	rc=$?
	cat "/tmp/$name.ktap"
	ktap_import_file "${VIA_NAME}_$name" "/tmp/$name.ktap"
	return $rc
}

# A client stuck in the kernel holds the mdev for good: say so, show where
# every thread of every client still there is, and stop.  (The client's
# own watchdog has shown its threads when the bound ran out.)
stuck() {
	local t
	ktap_not_ok "$1-mdev-released" "a client call is stuck in the kernel: mdev $UA cannot be removed, the modules cannot unload"
	for t in /proc/[0-9]*/task/[0-9]*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = vfio_client ] || continue
		echo "# ${t#/proc/}: $(sed -n 's/^State:[[:space:]]*//p' "$t/status")"
		sed 's/^/#   /' "$t/stack" 2>/dev/null
	done
}

# The hammer (vfio_client hammer: random use of the whole uAPI from several
# threads for 10 s, make check-stress 120 s) on mdev $UA, then the whole
# ABI document on $UA and $UB ($UB is created and removed here).  No VT-d
# fault, no pin left; what the checkers report fails kernel-log-clean.
# Returns 1 if a call got stuck.
hammer_case() {
	local f0
	f0=$(dmar_faults)
	client_case hammer "$UA" "$(ktap_stress 10 120)"
	[ $? = 3 ] && { stuck hammer; return 1; }
	ktap_expect hammer-no-dmar-fault no_new_dmar_fault "$f0"
	ktap_expect hammer-pinned-0 pinned_is 0
	[ -e "/sys/bus/mdev/devices/$UB" ] || ktap_expect hammer-create-b mdev_create "$UB"
	client_case_as abi_after_hammer abi "$UA" "$UB"
	ktap_expect hammer-remove-b mdev_remove "$UB"
}
