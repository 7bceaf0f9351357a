# SPDX-License-Identifier: GPL-2.0-only
#
# The sample mdev driver (auxshim_sample.ko) on edu behind VT-d, through the
# standard mdev sysfs ABI: create/remove, attach/detach through the shim,
# mode/pasid, real DMA through the mdev's domain (refused when detached),
# -EBUSY for a second domain on edu, remove-while-attached, parent unbind
# and module unload with live mdevs, and 50 cycles without a leak.
# auxshim-modules: auxshim auxshim_sample
# auxshim-timeout: 900

. /tests/sample_lib.sh

cycles() {
	local i=0
	while [ $i -lt "$1" ]; do
		one_cycle "$UA" || { echo "cycle $i failed"; return 1; }
		i=$((i + 1))
	done
}

sample_suite() {
	local bdf n u r0

	sample_load load || return
	bdf=$BDF
	ktap_ok edu-bound
	ktap_diag "edu at $bdf; type dir $TYPE"

	# ---- the mdev sysfs ABI
	ktap_expect type-dir [ -d "$TYPE" ]
	ktap_expect type-attrs sh -c "cat $TYPE/name $TYPE/device_api $TYPE/description >/dev/null"
	ktap_expect type-device-api [ "$(cat "$TYPE/device_api")" = vfio-pci ]
	ktap_expect avail-4 avail_is 4
	n=0
	for u in $UA $UB $UC $UD; do
		n=$((n + 1))
		ktap_expect "create-$n" mdev_create "$u"
		ktap_expect "avail-after-create-$n" avail_is $((4 - n))
	done
	ktap_expect mdev-dirs sh -c "[ \$(ls /sys/bus/mdev/devices | wc -l) = 4 ]"
	ktap_expect mdev-has-auxshim-group [ -f "$(A "$UA" attach)" ]
	ktap_expect mdev-has-iommu-group [ -e "/sys/bus/mdev/devices/$UA/iommu_group" ]
	ktap_expect_fail create-5th-refused mdev_create "$UE"
	ktap_expect avail-still-0 avail_is 0
	ktap_expect 5th-absent [ ! -e "/sys/bus/mdev/devices/$UE" ]
	n=4
	for u in $UD $UC; do
		ktap_expect "remove-$n" mdev_remove "$u"
		ktap_expect "remove-$n-gone" [ ! -e "/sys/bus/mdev/devices/$u" ]
		ktap_expect "avail-after-remove-$n" avail_is $((5 - n))
		n=$((n - 1))
	done

	# ---- attach, mode, pasid, DMA (UA and UB live)
	ktap_expect detached-mode-none [ "$(cat "$(A "$UA" mode)")" = none ]
	ktap_expect detached-pasid [ "$(cat "$(A "$UA" pasid)")" = -1 ]
	ktap_expect detached-result-initial grep -q '^fail -61 ' "$(A "$UA" dma_test)"
	# Without a domain edu would DMA to the bus address itself: refused.
	ktap_expect_fail detached-dma-refused mdev_dma "$UA" 512
	ktap_expect detached-dma-result-enodev grep -q '^fail -19 not attached' "$(A "$UA" dma_test)"
	ktap_expect detached-dma-said-why dmesg_has "$UA: DMA test refused: no domain attached: -19"
	ktap_expect detached-dma-no-dmar-fault sh -c "! dmesg | grep -Eq 'fault addr (0x)?1000000 '"
	cat "$(A "$UA" dma_test)"
	ktap_expect attach-first mdev_attach "$UA"
	ktap_expect attach-reads-1 [ "$(cat "$(A "$UA" attach)")" = 1 ]
	ktap_expect mode-direct [ "$(cat "$(A "$UA" mode)")" = direct ]
	ktap_expect pasid-none [ "$(cat "$(A "$UA" pasid)")" = -1 ]
	cat "$VIEW"
	ktap_expect debugfs-shows-attachment view_has "$UA" "$bdf" direct
	for n in 1 100 2048 2049 4096; do
		ktap_expect "dma-$n" mdev_dma "$UA" "$n"
		ktap_expect "dma-$n-result" [ "$(cat "$(A "$UA" dma_test)")" = "ok $n" ]
	done
	ktap_expect_fail dma-0-einval mdev_dma "$UA" 0
	ktap_expect_fail dma-4097-einval mdev_dma "$UA" 4097
	ktap_expect_fail attach-bad-input sh -c "echo maybe > $(A "$UA" attach)"
	ktap_expect attach-again-noop mdev_attach "$UA"

	# ---- a second domain on edu: -EBUSY; the other mdev's DMA fails
	ktap_expect_fail other-dma-refused mdev_dma "$UB" 4096
	ktap_expect other-dma-result-enodev grep -q '^fail -19 ' "$(A "$UB" dma_test)"
	ktap_expect second-attach-ebusy attach_fails_busy "$UB"
	ktap_expect second-mode-none [ "$(cat "$(A "$UB" mode)")" = none ]
	ktap_expect first-still-works mdev_dma "$UA" 4096
	ktap_expect detach-first mdev_detach "$UA"
	ktap_expect detached-reads-0 [ "$(cat "$(A "$UA" attach)")" = 0 ]
	ktap_expect detach-mode-none [ "$(cat "$(A "$UA" mode)")" = none ]
	ktap_expect view-empty-after-detach view_empty
	ktap_expect_fail dma-after-detach-fails mdev_dma "$UA" 4096
	ktap_expect second-attach-after-detach mdev_attach "$UB"
	ktap_expect second-mode-direct [ "$(cat "$(A "$UB" mode)")" = direct ]
	ktap_expect second-dma mdev_dma "$UB" 4096
	ktap_expect second-detach mdev_detach "$UB"

	# ---- remove while attached
	ktap_expect rwa-attach mdev_attach "$UA"
	ktap_expect rwa-remove mdev_remove "$UA"
	ktap_expect rwa-gone [ ! -e "/sys/bus/mdev/devices/$UA" ]
	ktap_expect rwa-view-empty view_empty
	ktap_expect rwa-log dmesg_has "removed while attached: detaching"
	ktap_expect rwa-edu-free-for-other mdev_attach "$UB"
	ktap_expect rwa-other-dma mdev_dma "$UB" 4096
	ktap_expect rwa-other-detach mdev_detach "$UB"
	ktap_expect rwa-remove-other mdev_remove "$UB"
	ktap_expect rwa-avail-4 avail_is 4

	# ---- parent unbind with live mdevs (one attached), then rebind
	mdev_create "$UA" && mdev_create "$UB" && mdev_attach "$UA"
	ktap_expect unbind-setup [ "$(cat "$(A "$UA" mode)")" = direct ]
	ktap_expect unbind-parent sh -c "echo $bdf > /sys/bus/pci/drivers/auxshim_sample/unbind"
	ktap_expect unbind-mdevs-gone no_mdevs
	ktap_expect unbind-parent-gone [ ! -e "/sys/class/mdev_bus/$bdf" ]
	ktap_expect unbind-view-empty view_empty
	ktap_expect unbind-rebind sh -c "echo $bdf > /sys/bus/pci/drivers/auxshim_sample/bind"
	ktap_expect unbind-rebound-avail-4 avail_is 4
	ktap_expect unbind-rebound-works one_cycle "$UA"

	# ---- module unload with live mdevs (one attached)
	mdev_create "$UA" && mdev_create "$UB" && mdev_attach "$UA"
	ktap_expect unload-setup [ "$(cat "$(A "$UA" mode)")" = direct ]
	ktap_expect unload-shim-pinned [ "$(cat /sys/module/auxshim/refcnt)" -ge 2 ]
	ktap_expect unload-sample rmmod auxshim_sample
	ktap_expect unload-mdevs-gone no_mdevs
	ktap_expect unload-view-empty view_empty
	# The shim refuses to unload while it has attachments: this proves none is left.
	ktap_expect unload-shim rmmod auxshim
	sample_load reload || return
	bdf=$BDF

	# ---- 50 cycles, no leak
	ktap_expect cycles-warmup cycles 2
	slab_snapshot /tmp/slab.before
	r0=$(cat /sys/module/auxshim/refcnt)
	ktap_expect cycles-50 cycles 50
	ktap_expect cycles-view-empty view_empty
	ktap_expect cycles-no-mdevs no_mdevs
	ktap_expect cycles-avail-4 avail_is 4
	ktap_expect cycles-shim-refcnt [ "$(cat /sys/module/auxshim/refcnt)" = "$r0" ]
	slab_no_growth cycles-no-slab-growth /tmp/slab.before
	ktap_expect final-unload-sample rmmod auxshim_sample
	ktap_expect final-unload-shim rmmod auxshim
	ktap_expect kernel-log-clean kernel_log_clean
}

sample_suite
