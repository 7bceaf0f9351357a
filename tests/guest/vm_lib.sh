# SPDX-License-Identifier: GPL-2.0-only
#
# A virtual machine that uses a mediated edu (busybox sh), sourced by
# tests/guest/qemu.test.sh and tests/guest/sample_demo.sh.
#
# QEMU (the guest's own, bookworm's 7.2) runs a paused q35 machine (TCG,
# -S: no vCPU ever runs) with the mdev as -device vfio-pci,sysfsdev=...
# The machine's driver is this script: it speaks QEMU's qtest protocol
# (-qtest stdio; Debian's QEMU has no qtest accelerator, but the protocol
# works with -accel tcg -S), which reads and writes the machine's I/O
# ports, MMIO and RAM as its CPU would.  So the driver programs the
# device through the machine's PCI config ports (0xcf8/0xcfc) and BAR0,
# and what the device does lands in the machine's RAM: DMA through the
# container QEMU maps that RAM into (IOVA = guest-physical address), and
# MSI as QEMU's memory write of the message data at the message address.
#
# A shell script, not a C program: qtest is one text line per command and
# per answer, which sh reads and writes directly, and the driver's steps
# stay readable as the register accesses a machine's driver would make.
#
# Step functions (vm_*) print what they saw and return non-zero on a
# mismatch, the last line saying why (for ktap_expect).

VM_DIR=/tmp/vm
VM_SLOT=5             # the device's slot on the machine's bus 0
VM_RAM_MB=64          # the machine's RAM: guest-physical 0 - 0x3ffffff
VM_BAR0=0xe0000000    # where the driver puts BAR0 (q35's PCI hole)
VM_SRC=0x100800       # DMA source in RAM: 4,095 bytes across a page boundary
VM_DST=0x200800       # DMA destination in RAM, likewise
VM_CHECK=0x280800     # where the edu buffer is read back to after a fault
VM_MSI=0x300000       # MSI address: a RAM address, so the message is a write there
VM_MSI_DATA=0x5349    # MSI data (16 bits: "IS")
VM_NORAM=0x8000000    # no RAM here (above 64 MiB, below edu's 28-bit reach)
VM_RAM_END=0x4000000  # the end of the machine's RAM
VM_COUNT=4095         # the mediated edu's reachable buffer (DESIGN.md)
VM_EDU_BUF=0x40000    # edu's buffer, device side

# Start QEMU with mdev $1, its qtest on fds 7 (commands) and 8 (answers):
# sets VM_PID.  QEMU's stderr and traces go to $VM_DIR/err.
vm_start() {
	rm -rf "$VM_DIR"
	mkdir -p "$VM_DIR"
	mkfifo "$VM_DIR/in" "$VM_DIR/out"
	qemu-system-x86_64 -M q35 -accel tcg -m "$VM_RAM_MB" -nodefaults \
		-display none -S -qtest stdio -qtest-log none \
		-trace vfio_msi_interrupt -trace vfio_region_write \
		-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$1,addr=$VM_SLOT.0" \
		<"$VM_DIR/in" >"$VM_DIR/out" 2>"$VM_DIR/err" &
	VM_PID=$!
	exec 7>"$VM_DIR/in" 8<"$VM_DIR/out"
}

# Stop QEMU (SIGTERM, as a host would); returns QEMU's exit status.
vm_stop() {
	exec 7>&- 8<&-
	kill "$VM_PID" 2>/dev/null
	wait "$VM_PID"
}

# One qtest command ($*); its answer, without "OK ", in QT.
qt() {
	echo "$*" >&7
	# shellcheck disable=SC3045 # busybox sh's read has -t (dash's has not)
	if ! read -t 30 -r QT <&8; then
		echo "qtest: no answer to '$*' within 30 s (QEMU: $(tail -n 1 "$VM_DIR/err"))"
		return 1
	fi
	case $QT in
	OK) QT= ;;
	"OK "*) QT=${QT#OK } ;;
	*) echo "qtest: '$*' answered '$QT'"; return 1 ;;
	esac
}

hex() { printf '0x%x' "$(($1))"; }
hex32() { printf '0x%08x' "$(($1))"; }

# Config space of the device, through the machine's ports 0xcf8/0xcfc.
vm_cfg_at() { qt outl 0xcf8 "$(hex "0x80000000 | $VM_SLOT << 11 | ($1 & 0xfc)")"; }
vm_cfg_readl() { vm_cfg_at "$1" && qt inl 0xcfc; }
vm_cfg_writel() { vm_cfg_at "$1" && qt outl 0xcfc "$2"; }
vm_cfg_writew() { vm_cfg_at "$1" && qt outw "$(hex "0xcfc + ($1 & 2)")" "$2"; }

# BAR0 register $1, once BAR0 is assigned.
vm_readl() { qt readl "$(hex "$VM_BAR0 + $1")"; }
vm_writel() { qt writel "$(hex "$VM_BAR0 + $1")" "$2"; }
vm_writeq() { qt writeq "$(hex "$VM_BAR0 + $1")" "$2"; }

# QT as a number equals $1; else say what $2 read.
qt_is() {
	[ "$((QT))" = "$(($1))" ] && return 0
	echo "$2 read $(hex "$QT"), expected $(hex "$1")"
	return 1
}

# The device's IDs as the machine's config cycle reads them.
vm_pci_ids() {
	vm_cfg_readl 0 || return
	echo "config 0x00: $(hex32 "$QT") (device:vendor)"
	qt_is 0x11e81234 "config 0x00"
}

# Size BAR0 (write all ones, read the mask), then place it at VM_BAR0.
vm_assign_bar0() {
	vm_cfg_writel 0x10 0xffffffff && vm_cfg_readl 0x10 || return
	echo "BAR0 sizing: $(hex32 "$QT") (1 MiB, 32-bit memory)"
	qt_is 0xfff00000 "BAR0 after all ones" || return
	vm_cfg_writel 0x10 "$VM_BAR0" && vm_cfg_readl 0x10 || return
	echo "BAR0 at $(hex "$QT")"
	qt_is "$VM_BAR0" BAR0
}

# Memory decoding and bus mastering on.
vm_enable() {
	vm_cfg_writew 0x04 0x0006 && vm_cfg_readl 0x04 || return
	echo "command: $(hex "$QT & 0xffff") (memory, bus master)"
	[ $((QT & 6)) = 6 ] || { echo "command register: memory/bus master bits not set"; return 1; }
}

vm_edu_id() {
	vm_readl 0 || return
	echo "BAR0 0x00: $(hex32 "$QT") (edu's ID)"
	qt_is 0x010000ed "BAR0 0x00"
}

# Wait until bit 0 of BAR0 register $1 clears: at most $2 reads, $3 s
# apart.  Fails if it stays set.
vm_wait_idle() {
	for _ in $(seq 1 "$2"); do
		vm_readl "$1" || return
		[ $((QT & 1)) = 0 ] && return 0
		sleep "$3"
	done
	echo "BAR0 $1 bit 0 still set after $2 reads"
	return 1
}

# Factorial of $1 (expecting $2) through BAR0 0x08, waiting on 0x20 bit 0.
vm_factorial() {
	vm_writel 0x08 "$1" && vm_wait_idle 0x20 100 0.01 && vm_readl 0x08 || return
	echo "$1! = $((QT))"
	qt_is "$2" "the factorial of $1"
}

# MSI to RAM: address VM_MSI, data VM_MSI_DATA, then enable (64-bit capability at 0x40).
vm_msi_setup() {
	vm_cfg_writel 0x44 "$VM_MSI" && vm_cfg_writel 0x48 0 &&
		vm_cfg_writew 0x4c "$VM_MSI_DATA" && vm_cfg_writew 0x42 0x0081 || return
	vm_cfg_readl 0x40 || return
	echo "MSI: address $VM_MSI, data $VM_MSI_DATA, control $(hex "$QT >> 16")"
	[ $((QT >> 16 & 1)) = 1 ] || { echo "MSI enable did not stick"; return 1; }
}

# Clear the MSI target; vm_msi_landed then waits for the message.
vm_msi_clear() { qt writel "$VM_MSI" 0; }

# Within 5 s the message data is at the MSI address, and BAR0 0x24 has bit $1 (acknowledged).
vm_msi_landed() {
	for _ in $(seq 1 50); do
		qt readl "$VM_MSI" || return
		[ "$((QT))" = "$((VM_MSI_DATA))" ] && break
		sleep 0.1
	done
	echo "RAM $VM_MSI: $(hex "$QT")"
	qt_is "$VM_MSI_DATA" "the MSI address, 5 s after the interrupt" || return
	vm_readl 0x24 || return
	echo "interrupt status: $(hex "$QT")"
	[ $((QT & $1)) != 0 ] || { echo "interrupt status lacks $(hex "$1")"; return 1; }
	vm_writel 0x64 "$1"
}

# MSI from the raise register.
vm_msi_raise() {
	vm_msi_clear && vm_writel 0x60 1 && vm_msi_landed 1
}

# One DMA command: source $1, destination $2, command $3 (bit 1: to RAM;
# bit 2: interrupt); waits for bit 0 of 0x98 to clear, then the error
# register is in QT.
vm_dma() {
	vm_writeq 0x80 "$1" && vm_writeq 0x88 "$2" && vm_writeq 0x90 "$VM_COUNT" &&
		vm_writeq 0x98 "$(($3 | 1))" || return
	vm_wait_idle 0x98 100 0.1 || { echo "DMA $1 -> $2 still running after 10 s"; return 1; }
	vm_readl 0xa0
}

# The DMA command ($1 $2 $3) moved its bytes (error 0).
vm_dma_ok() {
	vm_dma "$@" || return
	echo "DMA $1 -> $2, $VM_COUNT bytes: error $((QT))"
	qt_is 0 "the error register (0xa0) after DMA $1 -> $2"
}

# The DMA command ($1 $2 $3) was refused with EFAULT (14).
vm_dma_efault() {
	vm_dma "$@" || return
	echo "DMA $1 -> $2: error $((QT)) (EFAULT)"
	qt_is 14 "the error register (0xa0) after DMA $1 -> $2"
}

# RAM at $1: VM_COUNT bytes as hex in QT.
vm_ram() { qt read "$1" "$VM_COUNT"; }

# Hex strings $1 and $2 (0x...) are the same bytes; else say how many differ.
same_bytes() {
	[ "$1" = "$2" ] && return 0
	awk -v a="${1#0x}" -v b="${2#0x}" 'BEGIN {
		for (i = 1; i <= length(a) || i <= length(b); i += 2)
			if (substr(a, i, 2) != substr(b, i, 2)) { n++; if (!f) f = (i - 1) / 2 + 1 }
		printf "%d of %d bytes differ, the first at byte %d\n", n, length(a) / 2, f - 1
	}'
	return 1
}

# 4,095 random bytes from RAM VM_SRC into edu and back to RAM VM_DST, both
# ranges across a page boundary; the second DMA raises MSI on completion.
# Sets VM_PATTERN (the bytes, hex).
vm_roundtrip() {
	VM_PATTERN=0x$(head -c "$VM_COUNT" /dev/urandom | od -An -v -tx1 | tr -d ' \n')
	qt write "$VM_SRC" "$VM_COUNT" "$VM_PATTERN" && qt memset "$VM_DST" "$VM_COUNT" 0 || return
	vm_dma_ok "$VM_SRC" "$VM_EDU_BUF" 0 || return
	vm_msi_clear || return
	vm_dma_ok "$VM_EDU_BUF" "$VM_DST" 6 || return
	vm_ram "$VM_DST" || return
	same_bytes "$QT" "$VM_PATTERN" || return
	echo "RAM $VM_DST: $(echo "$QT" | cut -c 3-18)...: the $VM_COUNT bytes sent"
}

# MSI from the DMA completion of vm_roundtrip's second command.
vm_msi_dma() { vm_msi_landed 0x100; }

# edu's buffer, read back to RAM VM_CHECK, is still VM_PATTERN.
vm_edu_buffer_kept() {
	qt memset "$VM_CHECK" "$VM_COUNT" 0 && vm_dma_ok "$VM_EDU_BUF" "$VM_CHECK" 2 &&
		vm_ram "$VM_CHECK" || return
	same_bytes "$QT" "$VM_PATTERN" || { echo "edu's buffer changed"; return 1; }
	echo "edu's buffer unchanged"
}

# From guest-physical memory with no RAM into edu: EFAULT, edu's buffer
# unchanged.  Then from edu into a range that starts in RAM's last page and
# runs past its end: EFAULT, and not a byte written to its RAM part.
vm_dma_noram() {
	local end_part=$((VM_RAM_END - 0x800))
	vm_dma_efault "$VM_NORAM" "$VM_EDU_BUF" 0 || return
	vm_edu_buffer_kept || return
	qt memset "$end_part" 0x800 0xa5 || return
	vm_dma_efault "$VM_EDU_BUF" "$(hex "$end_part")" 2 || return
	qt read "$end_part" 0x800 || return
	[ "$(echo "${QT#0x}" | tr -d a5)" = "" ] ||
		{ echo "RAM $(hex "$end_part") - $(hex "$VM_RAM_END - 1") was written"; return 1; }
	echo "RAM $(hex "$end_part") - $(hex "$VM_RAM_END - 1") untouched"
}

# One step of vm_drive: result $1 of command $2...; with VM_SHOW set (the
# demo), what the step saw (ktap_expect's capture) as diagnostic lines.
vm_step() {
	local rc=0 l
	ktap_expect "$@" || rc=1
	[ -z "$VM_SHOW" ] || while IFS= read -r l; do ktap_diag "    $l"; done <"$KTAP_DIR/cmd.out"
	return $rc
}

# The machine's driver, on the machine vm_start started: one result per
# step, named $1-STEP; with $2 "show", what each step saw too.
vm_drive() {
	VM_SHOW=${2:-}
	vm_step "$1-config-ids" vm_pci_ids || return
	vm_step "$1-bar0-assigned" vm_assign_bar0 || return
	vm_step "$1-memory-busmaster-on" vm_enable || return
	vm_step "$1-edu-id" vm_edu_id
	vm_step "$1-factorial" vm_factorial 10 3628800
	vm_step "$1-msi-enabled" vm_msi_setup
	vm_step "$1-msi-from-raise" vm_msi_raise
	vm_step "$1-dma-4095-across-pages" vm_roundtrip
	vm_step "$1-msi-from-dma-done" vm_msi_dma
	vm_step "$1-dma-no-ram-efault" vm_dma_noram
}
