# SPDX-License-Identifier: GPL-2.0-only
#
# The sample's DMA commands where they meet the rest of the device's life
# (DESIGN.md, "The sample's VFIO ABI"), through tests/vfio/vfio_client.c,
# every call of the client bounded (a call stuck in the kernel fails its
# case, and the suite stops there): refused commands completing at once
# (EINVAL, EFAULT); commands that time out while edu still
# runs them, then a close, an unmap, another command; commands and refused
# commands raced by resets; commands raced by two unmapping threads.
# auxshim-modules: auxshim auxshim_sample
# auxshim-programs: vfio_client
# auxshim-timeout: 400
# Opens VFIO through type1: after the suites that need lockdep (vfio.test.sh).
# auxshim-order: 90

. /tests/sample_lib.sh

CLIENT=/tests/bin/vfio_client
PINNED=/sys/module/auxshim_sample/parameters/pinned_pages

pinned_is() { [ "$(cat "$PINNED")" = "$1" ]; }
dmar_faults() { dmesg | grep -cEi 'DMAR.*fault|DMAR: \[DMA (Read|Write)'; }
no_new_dmar_fault() {
	[ "$(dmar_faults)" = "$1" ] && return 0
	dmesg | grep -Ei 'DMAR.*fault|DMAR: \[DMA (Read|Write)|fault addr' | tail -n 4
	return 1
}

# Run the client's case $1 (arguments $2...) as the subtest vfio_$1; its
# exit status (3: a call stuck in the kernel).
client_case() {
	local name=$1 rc
	"$CLIENT" "$@" >"/tmp/$name.ktap" 2>&1
	rc=$?
	cat "/tmp/$name.ktap"
	ktap_import_file "vfio_$name" "/tmp/$name.ktap"
	return $rc
}

# A client stuck in the kernel holds the mdev for good: say so and stop.
stuck() {
	ktap_not_ok "$1-mdev-released" "a client call is stuck in the kernel: mdev $UA cannot be removed, the modules cannot unload"
	# Selected by state, which busybox's pgrep cannot do.
	# shellcheck disable=SC2009
	ps -o pid,stat,comm 2>/dev/null | grep -E ' D' || true
}

vfio_dma_suite() {
	local f0

	sample_load load || return
	ktap_expect create mdev_create "$UA" || return

	# ---- refused commands complete before the write of 0x98 returns
	client_case refusals "$UA"
	[ $? = 3 ] && { stuck refusals; return; }
	ktap_expect refusals-pinned-0 pinned_is 0

	# ---- a command that times out leaves edu running: nothing may
	# detach the domain or drop its pages until edu is done
	f0=$(dmar_faults)
	client_case timeout "$UA"
	[ $? = 3 ] && { stuck timeout; return; }
	ktap_expect timeout-no-dmar-fault no_new_dmar_fault "$f0"
	ktap_expect timeout-knob-restored [ "$(cat /sys/module/auxshim_sample/parameters/dma_timeout_ms)" = 5000 ]
	ktap_expect timeout-device-usable "$CLIENT" cycles "$UA" 1
	ktap_expect timeout-pinned-0 pinned_is 0

	# ---- resets racing commands: a refused command never runs
	f0=$(dmar_faults)
	client_case resetrace "$UA" "$(ktap_stress 8 30)"
	[ $? = 3 ] && { stuck resetrace; return; }
	ktap_expect resetrace-no-dmar-fault no_new_dmar_fault "$f0"
	ktap_expect resetrace-pinned-0 pinned_is 0

	# ---- two unmapping threads and commands: every call returns
	f0=$(dmar_faults)
	client_case unmaps "$UA" "$(ktap_stress 6 20)"
	[ $? = 3 ] && { stuck unmaps; return; }
	ktap_expect unmaps-no-dmar-fault no_new_dmar_fault "$f0"
	ktap_expect unmaps-pinned-0 pinned_is 0

	ktap_expect remove mdev_remove "$UA"
	ktap_expect final-unload-sample rmmod auxshim_sample
	ktap_expect final-unload-shim rmmod auxshim
	ktap_expect kernel-log-clean kernel_log_clean
}

vfio_dma_suite
