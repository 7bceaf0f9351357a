# SPDX-License-Identifier: GPL-2.0-only
#
# The guest half of "make demo" (scripts/demo.sh): one KTAP result per
# step, with what the step showed as diagnostic lines.  First a virtual
# machine whose driver uses an mdev (tests/guest/vm_lib.sh), then the VFIO
# path of a userspace program (tests/vfio/vfio_client.c), then the
# auxshim/ sysfs knobs.  Not a test suite (no .test.sh): "make check" runs
# tests/guest/qemu.test.sh and sample.test.sh instead.
# auxshim-modules: auxshim auxshim_sample
# auxshim-programs: vfio_client
# auxshim-host-files: /usr/bin/qemu-system-x86_64 /usr/share/seabios/bios-256k.bin
# auxshim-host-files: /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so /usr/share/qemu/kvmvapic.bin
# auxshim-timeout: 300

. /tests/sample_lib.sh
. /tests/vm_lib.sh

# Each line of a file or command output as a diagnostic, indented.
show() { while IFS= read -r l; do ktap_diag "    $l"; done; }

# The sample's last open and close of A, from the kernel log.
show_open_close() {
	dmesg | grep -E "$UA: (opened|closed)" | tail -n 2 | sed 's/^\[ *[0-9.]*\] //' | show
}

demo() {
	local bdf err

	ktap_expect "load auxshim.ko" ktap_insmod auxshim || return
	ktap_expect "load auxshim_sample.ko" ktap_insmod auxshim_sample || return
	bdf=$(sample_bdf) || { ktap_not_ok "edu bound to auxshim_sample" "not bound"; return; }
	TYPE=$(sample_type_dir "$bdf")
	ktap_ok "edu $bdf bound to auxshim_sample, mdev type $(basename "$TYPE")"
	ktap_diag "    $(cat "$TYPE/description")"

	ktap_expect "create mdev A ($UA)" mdev_create "$UA" || return
	ktap_expect "create mdev B ($UB)" mdev_create "$UB" || return
	ktap_diag "    available_instances: $(cat "$TYPE/available_instances")"

	# A virtual machine: QEMU gives it A as a PCI device, and the
	# machine's driver (speaking QEMU's qtest protocol) programs it.
	vm_start "$UA"
	ktap_ok "a virtual machine gets A as a PCI device (-device vfio-pci,sysfsdev=...)"
	ktap_diag "    $(qemu-system-x86_64 -version | sed -n '1s/ (.*//p'), q35, 64 MiB; its driver speaks qtest (tests/guest/vm_lib.sh)"
	vm_drive vm show
	vm_stop
	ktap_expect "the machine quits: A is released" [ "$(cat "$(A "$UA" attach)")" = 0 ]
	show_open_close

	# The VFIO path: a userspace program opens A through its VFIO group
	# and container, and has the mediated edu copy its own buffer.
	ktap_expect "userspace opens A as a VFIO device; edu copies its buffer" \
		sh -c "/tests/bin/vfio_client copy $UA 'hello from userspace, copied by edu through an auxshim domain' >/tmp/copy.out 2>&1"
	show </tmp/copy.out
	show_open_close
	ktap_diag "    (kernel $(uname -r): no aux domains, no mdev_set_iommu_device(); the shim attached A's domain to edu)"

	ktap_expect "attach A through auxshim" mdev_attach "$UA" || return
	ktap_diag "    A: mode $(cat "$(A "$UA" mode)"), pasid $(cat "$(A "$UA" pasid)") (edu has no PASID capability: whole-device attach)"

	ktap_expect "DMA test, 4096 bytes through A's domain" mdev_dma "$UA" 4096 || return
	ktap_diag "    A: dma_test -> $(cat "$(A "$UA" dma_test)")"

	ktap_ok "shim's table (/sys/kernel/debug/auxshim/groups)"
	show <"$VIEW"

	ktap_expect "attach B refused: edu is taken by A's domain" attach_fails_busy "$UB" || return
	err=$(sh -c "echo 1 > $(A "$UB" attach)" 2>&1)
	ktap_diag "    echo 1 > .../$UB/auxshim/attach: ${err##*: }"
	dmesg | grep "$UB" | grep -- "-16" | tail -n 1 | sed 's/^\[ *[0-9.]*\] //' | show

	ktap_expect "detach A" mdev_detach "$UA" || return
	ktap_diag "    A: mode $(cat "$(A "$UA" mode)"); table has $(grep -c '^group ' "$VIEW") group(s)"
	ktap_expect "DMA test on detached A fails (no translation for its IOVAs)" \
		sh -c "! echo 4096 > $(A "$UA" dma_test)" || return
	ktap_diag "    A: dma_test -> $(cat "$(A "$UA" dma_test)")"

	ktap_expect "remove A" mdev_remove "$UA" || return
	ktap_expect "remove B" mdev_remove "$UB" || return
	ktap_expect "unload auxshim_sample and auxshim" sh -c "rmmod auxshim_sample && rmmod auxshim"
}

demo
