# SPDX-License-Identifier: GPL-2.0-only
#
# The VFIO client users actually run: the host's own QEMU, inside the test
# guest, realizes a mediated edu as -device vfio-pci,sysfsdev=... in a
# paused machine (TCG, no boot).  Its monitor's "info pci" and its traces
# must show what the ABI promises (edu's IDs, a 1 MiB 32-bit memory BAR0,
# no INTx, 256 bytes of config space with MSI at 0x40); while
# QEMU holds the device the mdev is attached through the shim; quitting
# QEMU releases it all.  Then a virtual machine uses the device: its
# driver (tests/guest/vm_lib.sh, through QEMU's qtest protocol) assigns
# BAR0, runs edu's factorial, DMAs between its RAM and edu, and gets MSI
# into its RAM.
# auxshim-modules: auxshim auxshim_sample
# auxshim-host-files: /usr/bin/qemu-system-x86_64 /usr/share/seabios/bios-256k.bin
# auxshim-host-files: /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so /usr/share/qemu/kvmvapic.bin
# auxshim-timeout: 600
# Opens VFIO through type1: after the suites that need lockdep (vfio.test.sh).
# auxshim-order: 90

. /tests/sample_lib.sh
. /tests/vm_lib.sh

PINNED=/sys/module/auxshim_sample/parameters/pinned_pages
MON=/tmp/qemu.mon
QOUT=/tmp/qemu.out

# Send monitor command $1, wait up to 60 s for text $2 in QEMU's output.
mon() {
	echo "$1" >&3
	for _ in $(seq 1 600); do
		grep -q -- "$2" "$QOUT" && return 0
		kill -0 "$QPID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# QEMU with mdev $UA, paused, its monitor on fd 3: sets QPID.
qemu_start() {
	rm -f "$MON"
	mkfifo "$MON"
	qemu-system-x86_64 -M q35 -accel tcg -m 64 -nodefaults -display none -S \
		-monitor stdio -trace vfio_msi_setup -trace vfio_populate_device_config \
		-trace acpi_pci_unplug_request \
		-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$UA,addr=05.0" \
		<"$MON" >"$QOUT" 2>&1 &
	QPID=$!
	exec 3>"$MON"
}

# QEMU's output $1 has no error.  One warning is the ABI's: no error IRQ
# (index ERR has count 0); the line on SIGTERM is vm_stop's.
qemu_no_error() {
	! grep '^qemu-system-x86_64:' "$1" |
		grep -v -e 'warning: vfio [^:]*: Could not enable error recovery for the device' \
			-e 'terminating on signal 15 from pid'
}

# Results $1-attach-0, $1-pinned-0, $1-view-empty: QEMU has let go of $UA.
released() {
	ktap_expect "$1-attach-0" [ "$(cat "$(A "$UA" attach)")" = 0 ]
	ktap_expect "$1-pinned-0" [ "$(cat "$PINNED")" = 0 ]
	ktap_expect "$1-view-empty" view_empty
}

no_vtd_fault() { ! dmesg | grep -Ei 'DMAR.*fault'; }

# The background removal $RM still runs.
rm_running() { kill -0 "$RM" 2>/dev/null; }

# The background removal $RM ends within $1 s.
rm_ends_within() {
	for _ in $(seq 1 $(($1 * 10))); do
		rm_running || { wait "$RM"; return; }
		sleep 0.1
	done
	echo "the removal still waits after $1 s"
	return 1
}

qemu_suite() {
	local bdf

	sample_load load || return
	bdf=$BDF
	ktap_expect create mdev_create "$UA" || return
	ktap_expect qemu-runs qemu-system-x86_64 -version

	qemu_start
	ktap_expect qemu-monitor-up mon "info status" "paused"
	cat "$QOUT"
	ktap_expect qemu-info-pci mon "info pci" "1234:11e8"
	cat "$QOUT"
	# Our device's block of "info pci", at the slot we gave it.
	sed -n '/Bus  0, device   5, function 0:/,/id ""/p' "$QOUT" >/tmp/qemu.dev
	ktap_expect qemu-sees-edu-ids grep -q "PCI device 1234:11e8" /tmp/qemu.dev
	ktap_expect qemu-sees-bar0-1mib-32bit-mem grep -Eq "BAR0: 32 bit memory at .*\[0x000ffffe\]" /tmp/qemu.dev
	ktap_expect qemu-sees-no-other-bar sh -c "! grep -Eq 'BAR[1-6]:' /tmp/qemu.dev"
	ktap_expect qemu-sees-no-intx sh -c "! grep -q 'pin [A-D]' /tmp/qemu.dev"
	# QEMU's own trace of what it read at realize.
	ktap_expect qemu-sees-msi-cap-at-0x40 grep -q "vfio_msi_setup $UA PCI MSI CAP @0x40" "$QOUT"
	ktap_expect qemu-sees-config-256 sh -c "grep -A1 'vfio_populate_device_config Device $UA config:' $QOUT | grep -q 'size: 0x100,'"
	ktap_expect qemu-holds-attached [ "$(cat "$(A "$UA" attach)")" = 1 ]
	ktap_expect qemu-holds-mode-direct [ "$(cat "$(A "$UA" mode)")" = direct ]
	ktap_expect qemu-holds-view view_has "$UA" "$bdf" direct
	ktap_expect qemu-holds-sysfs-ebusy write_ebusy "$(A "$UA" attach)" 0
	ktap_expect qemu-opened-log dmesg_has "$UA: opened: DMA through its own domain"
	echo quit >&3
	exec 3>&-
	wait "$QPID"
	ktap_expect qemu-exit-0 [ $? = 0 ]
	ktap_expect qemu-no-error qemu_no_error "$QOUT"
	ktap_expect qemu-closed-log dmesg_has "$UA: closed"
	released released

	# ---- a virtual machine's driver uses the device (vm_lib.sh): MMIO,
	# DMA between its RAM and edu through the shim's domain, MSI into its
	# RAM.
	vm_start "$UA"
	vm_drive vm
	ktap_expect vm-holds-attached [ "$(cat "$(A "$UA" attach)")" = 1 ]
	vm_stop
	ktap_expect vm-qemu-exit-0 [ $? = 0 ]
	cat "$VM_DIR/err"
	ktap_expect vm-qemu-no-error qemu_no_error "$VM_DIR/err"
	ktap_expect vm-no-vt-d-fault no_vtd_fault
	ktap_expect vm-kernel-log-clean kernel_log_clean
	released vm-released

	# ---- removing the mdev while QEMU holds it: QEMU gets the request
	# (vfio-pci's REQ notifier, x-req, on by default) and asks the machine
	# to unplug the device.  The device sits on q35's root bus, which QEMU
	# cannot hot-unplug from (and there is no guest OS to eject it): QEMU
	# warns, keeps the device, and the removal waits for QEMU to quit.
	qemu_start
	ktap_expect req-qemu-monitor-up mon "info status" "paused"
	( mdev_remove "$UA" ) &
	RM=$!
	ktap_expect req-qemu-log-names-qemu dmesg_within "$UA: still in use by pid $QPID \\(qemu-system-x86\\), which opened it; requesting release \\(count 0\\)" 10
	sleep 3
	echo "# QEMU's output:"
	sed 's/^/# /' "$QOUT"
	# What QEMU 7.2 was seen to do: refuse the unplug, with a warning.
	ktap_expect req-qemu-refuses-unplug grep -qF "warning: vfio $UA: Bus 'pcie.0' does not support hotplugging" "$QOUT"
	ktap_expect req-qemu-removal-waits rm_running
	ktap_expect req-qemu-still-has-device mon "info pci" "1234:11e8"
	echo quit >&3
	exec 3>&-
	wait "$QPID"
	ktap_expect req-qemu-exit-0 [ $? = 0 ]
	cat "$QOUT"
	ktap_expect req-qemu-removal-ends-on-quit rm_ends_within 2
	ktap_expect req-qemu-gone [ ! -e "/sys/bus/mdev/devices/$UA" ]
	ktap_expect req-qemu-pinned-0 [ "$(cat "$PINNED")" = 0 ]
	ktap_expect no-vt-d-fault no_vtd_fault
	ktap_expect unload sh -c "rmmod auxshim_sample && rmmod auxshim"
	ktap_expect kernel-log-clean kernel_log_clean
}

qemu_suite
