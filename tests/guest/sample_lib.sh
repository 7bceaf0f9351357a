# SPDX-License-Identifier: GPL-2.0-only
#
# Guest-side helpers for the sample mdev driver (busybox sh), sourced by
# tests/guest/sample.test.sh and tests/guest/sample_demo.sh.

VIEW=/sys/kernel/debug/auxshim/groups
UA=11111111-1111-4111-8111-111111111111
UB=22222222-2222-4222-8222-222222222222
UC=33333333-3333-4333-8333-333333333333
UD=44444444-4444-4444-8444-444444444444
UE=55555555-5555-4555-8555-555555555555

# edu's PCI address, from the driver it is bound to.
sample_bdf() {
	for l in /sys/bus/pci/drivers/auxshim_sample/0000:*; do
		[ -e "$l" ] && { basename "$l"; return 0; }
	done
	return 1
}

sample_type_dir() {
	echo "/sys/class/mdev_bus/$1/mdev_supported_types/auxshim_sample-edu"
}

# Path of attribute $2 of mdev $1.
A() { echo "/sys/bus/mdev/devices/$1/auxshim/$2"; }

avail_is() { [ "$(cat "$TYPE/available_instances")" = "$1" ]; }
mdev_create() { echo "$1" >"$TYPE/create"; }
mdev_remove() { echo 1 >"/sys/bus/mdev/devices/$1/remove"; }
mdev_attach() { echo 1 >"$(A "$1" attach)"; }
mdev_detach() { echo 0 >"$(A "$1" attach)"; }
# Run a DMA test of $2 bytes; succeeds iff the driver reads back "ok $2".
mdev_dma() {
	echo "$2" >"$(A "$1" dma_test)" || return 1
	[ "$(cat "$(A "$1" dma_test)")" = "ok $2" ]
}
# Create, attach, DMA, detach, remove mdev $1 through the sysfs knobs.
one_cycle() {
	mdev_create "$1" &&
		mdev_attach "$1" &&
		mdev_dma "$1" 256 &&
		mdev_detach "$1" &&
		mdev_remove "$1"
}

no_mdevs() { [ -z "$(ls /sys/bus/mdev/devices 2>/dev/null)" ]; }

# The attach fails, with EBUSY, and the driver said why.
attach_fails_busy() {
	local err
	if err=$(sh -c "echo 1 > $(A "$1" attach)" 2>&1); then
		echo "attach of $1 succeeded"
		return 1
	fi
	echo "$err"
	echo "$err" | grep -qi busy || return 1
	dmesg | grep "$1" | grep -q "attached to another mdev's domain: -16"
}

view_empty() {
	[ "$(grep -c '^group ' "$VIEW")" = 0 ] && [ "$(grep -c '^ *dev ' "$VIEW")" = 0 ]
}

# The debugfs table has mdev $1 backed by $2 in mode $3, and nothing else.
view_has() {
	[ "$(grep -c '^group ' "$VIEW")" = 1 ] &&
		grep -q "^ *dev $1 backing $2 mode $3 pasid -1$" "$VIEW"
}

dmesg_has() { dmesg | grep -qF "$1"; }

kernel_log_clean() {
	! dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|Unable to handle|kernel BUG'
}
