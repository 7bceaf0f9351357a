# SPDX-License-Identifier: GPL-2.0-only
#
# The sample's DMA commands where they meet the rest of the device's life
# (DESIGN.md, "The sample's VFIO ABI"), through tests/vfio/vfio_client.c,
# every call of the client bounded (a call stuck in the kernel fails its
# case, and the suite stops there): refused commands completing at once
# (EINVAL, EFAULT); commands that time out while edu still
# runs them, then a close, an unmap, another command; commands and refused
# commands raced by resets; commands raced by two unmapping threads; the
# hammer (random use of the whole uAPI from several threads, removal of
# the held mdev included), then the whole ABI document again.
# auxshim-modules: auxshim auxshim_sample
# auxshim-programs: vfio_client
# auxshim-timeout: 400
# Opens VFIO through type1: after the suites that need lockdep (vfio.test.sh).
# auxshim-order: 90

. /tests/sample_lib.sh
. /tests/vfio_lib.sh

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

	hammer_case || return

	ktap_expect remove mdev_remove "$UA"
	ktap_expect final-unload-sample rmmod auxshim_sample
	ktap_expect final-unload-shim rmmod auxshim
	ktap_expect kernel-log-clean kernel_log_clean
}

vfio_dma_suite
