# SPDX-License-Identifier: GPL-2.0-only
#
# The sample's mdevs opened through iommufd (DESIGN.md, "Opening it through
# iommufd"): tests/vfio/vfio_client.c --iommufd opens the mdev's cdev
# /dev/vfio/devices/vfioN, binds it to /dev/iommu, maps its memory in an
# IOAS and attaches the device to it; then the whole ABI document as
# through the type1 container (DMA through the shim's domain, MSI, REQ,
# reset, refusals, one open mdev per parent), a DMA command before the
# attach (EFAULT), a held device as the shim sees it, removal answered by
# the client, open/DMA/close cycles, IOMMU_IOAS_UNMAP racing DMA commands
# (no pin left once it returns), resets racing commands, commands that
# time out, the hammer and the ABI document after it.  A kernel without iommufd (Debian's stock kernels:
# CONFIG_IOMMUFD off) skips it, saying so; the debug kernel has it.
# auxshim-modules: auxshim auxshim_sample
# auxshim-programs: vfio_client
# auxshim-timeout: 400
# No type1 here: on the debug kernel it runs while lockdep is still on.

. /tests/sample_lib.sh
VIA=--iommufd
VIA_NAME=iommufd
. /tests/vfio_lib.sh

# The device's cdev and /dev/iommu are there.
have_iommufd() { [ -c /dev/iommu ] && [ -d /sys/class/vfio-dev ]; }

iommufd_suite() {
	local bdf f0

	if ! have_iommufd; then
		ktap_skip iommufd "this kernel has no iommufd and VFIO device cdev (no /dev/iommu or /sys/class/vfio-dev: CONFIG_IOMMUFD and CONFIG_VFIO_DEVICE_CDEV are off in Debian's stock kernels)"
		return
	fi
	sample_load load || return
	bdf=$BDF
	ktap_expect create-a mdev_create "$UA" || return
	ktap_expect create-b mdev_create "$UB" || return
	ktap_expect cdev-under-mdev sh -c "ls -d /sys/bus/mdev/devices/$UA/vfio-dev/vfio[0-9]*"
	f0=$(dmar_faults)

	# ---- the ABI document, through iommufd
	client_case abi "$UA" "$UB"
	ktap_expect abi-view-empty-after-close view_empty
	ktap_expect abi-pinned-0 pinned_is 0

	# ---- held through iommufd: the shim's domain is the mdev's
	ktap_expect held-open hold_start "$UA"
	ktap_expect held-attach-reads-1 [ "$(cat "$(A "$UA" attach)")" = 1 ]
	ktap_expect held-view-has-it view_has "$UA" "$bdf" direct
	ktap_expect held-other-attach-ebusy attach_fails_busy "$UB"
	ktap_expect held-pins-counted [ "$(cat "$PINNED")" -gt 0 ]
	hold_stop
	ktap_expect released-attach-reads-0 [ "$(cat "$(A "$UA" attach)")" = 0 ]
	ktap_expect released-pinned-0 pinned_is 0
	ktap_expect released-view-empty view_empty

	# ---- removal while held: the client honors the request and closes
	ktap_expect req-close-held hold_start "$UA" req-close
	ktap_expect req-close-removal-completes timeout 10 sh -c "echo 1 >/sys/bus/mdev/devices/$UA/remove"
	wait "$HOLD"
	ktap_expect req-close-client-said-so grep -q "closed on request" /tmp/held.out
	HOLD=
	ktap_expect req-close-gone [ ! -e "/sys/bus/mdev/devices/$UA" ]
	ktap_expect req-close-pinned-0 pinned_is 0
	ktap_expect recreate mdev_create "$UA" || return

	# ---- lifetimes and races
	client_case cycles "$UA" "$(ktap_stress 20 200)"
	ktap_expect cycles-pinned-0 pinned_is 0
	client_case race "$UA" "$(ktap_stress 30 300)"
	ktap_expect race-pinned-0 pinned_is 0
	client_case refusals "$UA"
	[ $? = 3 ] && { stuck refusals; return; }
	client_case timeout "$UA"
	[ $? = 3 ] && { stuck timeout; return; }
	ktap_expect timeout-knob-restored [ "$(cat /sys/module/auxshim_sample/parameters/dma_timeout_ms)" = 5000 ]
	client_case resetrace "$UA" "$(ktap_stress 8 30)"
	[ $? = 3 ] && { stuck resetrace; return; }
	client_case unmaps "$UA" "$(ktap_stress 6 20)"
	[ $? = 3 ] && { stuck unmaps; return; }
	ktap_expect all-pinned-0 pinned_is 0
	ktap_expect no-dmar-fault no_new_dmar_fault "$f0"
	hammer_case || return

	ktap_expect remove-a mdev_remove "$UA"
	ktap_expect unload-sample rmmod auxshim_sample
	ktap_expect unload-shim rmmod auxshim
	ktap_expect kernel-log-clean kernel_log_clean
}

iommufd_suite
