# SPDX-License-Identifier: GPL-2.0-only
#
# The shim against a real device behind emulated VT-d: auxshim_test.ko binds
# QEMU's edu device and runs its KTAP suites at load (real DMA through the
# shim's domains); this script then checks from the shell what the module cannot:
# the debugfs view of a live attachment, the module pin and refused unload,
# hot-unplug of an attached device, warn-once, and unloading.
# auxshim-modules: auxshim auxshim_test auxshim_pintest tests/abi/auxshim_abitest
# On a kernel with KUnit (the debug kernel) auxshim_test.ko runs its suites
# through KUnit (tests/kt.h): kunit.ko is loaded at boot where it exists.
# auxshim-kmods: kunit?
# auxshim-timeout: 420

T=/sys/kernel/debug/auxshim_test
HOLD=/sys/module/auxshim_test/parameters/hold
VIEW=/sys/kernel/debug/auxshim/groups
. /tests/pin_lib.sh

# edu's PCI address, from the driver it is bound to.
edu_bdf() {
	for l in /sys/bus/pci/drivers/auxshim_test/0000:*; do
		[ -e "$l" ] && { basename "$l"; return 0; }
	done
	return 1
}

group_of() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
refcnt() { cat /sys/module/auxshim/refcnt; }
counts() { cat "$T/counts"; }
# "groups G devs D attachments A aux_devs X" (allocs vary)
counts_are() { counts | grep -q "^groups $1 devs $2 attachments $3 aux_devs 0 "; }
unplugged_counts() { counts | grep -q -E '^groups [01] devs 0 attachments 0 aux_devs 0 '; }
idle() { counts | grep -q '^groups 0 devs 0 attachments 0 aux_devs 0 allocs 0$'; }
view_groups() { grep -c '^group ' "$VIEW"; }
view_devs() { grep -c '^ *dev ' "$VIEW"; }
view_empty() { [ "$(view_groups)" = 0 ] && [ "$(view_devs)" = 0 ]; }
# The held attachment is in force (the module checks it by real DMA).
check_ok() { grep -q ' ok$' "$HOLD" || { cat "$HOLD"; return 1; }; }
hold() { echo "$1" >"$HOLD"; }
msleep() { sleep "0.$1" 2>/dev/null || sleep 1; }

# Field after KEY in the hold parameter ("mode M group G domain HASH dev BDF ok").
held() { sed -n "s/.* $1 \([^ ]*\).*/\1/p; s/^$1 \([^ ]*\).*/\1/p" "$HOLD" | head -n 1; }

# The view shows exactly the held attachment: one group line with edu's
# group and our domain's (hashed) pointer, one device line.
view_matches() {
	local mode=$1 bdf=$2 gid dom
	gid=$(group_of "$bdf")
	dom=$(held domain)
	cat "$VIEW"
	[ "$(held group)" = "$gid" ] || { echo "held group $(held group), sysfs $gid"; return 1; }
	[ "$(view_groups)" = 1 ] || { echo "$(view_groups) group lines"; return 1; }
	grep -qx "group $gid domain $dom" "$VIEW" || { echo "no 'group $gid domain $dom'"; return 1; }
	[ "$(view_devs)" = 1 ] || { echo "$(view_devs) dev lines"; return 1; }
	grep -qx " *dev $bdf backing $bdf mode $mode pasid -1" "$VIEW" ||
		{ echo "no 'dev $bdf backing $bdf mode $mode pasid -1'"; return 1; }
}

# Wait for edu to come back and be bound after a rescan.
wait_bound() {
	local i=0
	while [ $i -lt 50 ]; do
		[ -e "/sys/bus/pci/drivers/auxshim_test/$1" ] && return 0
		msleep 2
		i=$((i + 1))
	done
	return 1
}

shim_gone() { [ ! -d /sys/module/auxshim ] && [ ! -d /sys/kernel/debug/auxshim ]; }

shim_suite() {
	local bdf mode r0 l0 n kunit=

	ktap_expect load-auxshim ktap_insmod auxshim || return
	# The backend the probes chose is the one this kernel has (scripts/lib.sh).
	ktap_expect aux-backend-expected [ "$(sed -n 's/^# aux backend: //p' "$VIEW")" = "${EXPECT_AUX_BACKEND:-<no entry in scripts/lib.sh for $KERNEL>}" ]
	if ktap_uses_kunit auxshim_test; then
		kunit=yes
		ktap_diag "auxshim_test runs its suites through KUnit"
		ktap_expect kunit-loaded [ -d /sys/module/kunit ] || return
	fi
	# A module built against another lookup ABI (tests/abi/) is
	# refused, and the kernel names the versioned symbol it misses.
	ktap_expect_fail abi-mismatch-refused ktap_insmod auxshim_abitest
	ktap_expect abi-mismatch-named sh -c \
		"dmesg | grep -q 'auxshim_abitest: Unknown symbol auxshim_lut_[a-z_]*v999'"
	l0=$(dmesg | wc -l)
	ktap_expect load-auxshim_test ktap_insmod auxshim_test || return
	bdf=$(edu_bdf) || { ktap_not_ok edu-bound "auxshim_test did not bind edu"; return; }
	ktap_ok edu-bound
	ktap_diag "edu at $bdf, iommu group $(group_of "$bdf")"

	# The module's own suites, run at load.
	if [ -n "$kunit" ]; then
		ktap_import_kunit auxshim_test "$l0"
	else
		ktap_import_dmesg auxshim_test
	fi

	# It made four wrong-domain detaches and several NULL ones: one warning each.
	n=$(dmesg | grep -c 'auxshim: detach of group .*not attached')
	ktap_expect warn-once-wrong-domain [ "$n" = 1 ]
	n=$(dmesg | grep -c 'auxshim: detach with a NULL')
	ktap_expect warn-once-null-args [ "$n" = 1 ]
	ktap_expect idle-after-module-run idle

	# A live attachment as the shell sees it, then a refused unload that
	# leaves it intact (auxshim_test's use of the shim refuses it too; the
	# shim's own pin is checked alone by pin_unload_refused below).
	for mode in group direct; do
		r0=$(refcnt)
		ktap_expect "$mode-hold" hold "$mode" || continue
		ktap_expect "$mode-held-view" view_matches "$mode" "$bdf"
		ktap_expect "$mode-held-counts" counts_are 1 1 1
		ktap_expect "$mode-held-dma" check_ok
		ktap_expect "$mode-held-pins-module" [ "$(refcnt)" = $((r0 + 1)) ]
		ktap_expect_fail "$mode-rmmod-refused" rmmod auxshim
		ktap_expect "$mode-still-loaded" [ -d /sys/module/auxshim ]
		ktap_expect "$mode-dma-after-refused-rmmod" check_ok
		ktap_expect "$mode-view-after-refused-rmmod" view_matches "$mode" "$bdf"
		ktap_expect "$mode-release" hold 0
		ktap_expect "$mode-view-empty-after-detach" view_empty
		ktap_expect "$mode-idle-after-detach" idle
		ktap_expect "$mode-unpinned" [ "$(refcnt)" = "$r0" ]
	done

	# Hot-unplug of edu while attached: the shim must drop edu's record by
	# itself (the group entry stays until its owner detaches).
	for mode in group direct; do
		r0=$(refcnt)
		l0=$(dmesg | wc -l)
		ktap_expect "$mode-unplug-hold" hold "$mode" || continue
		ktap_expect "$mode-unplug-remove" sh -c "echo 1 > /sys/bus/pci/devices/$bdf/remove"
		ktap_expect "$mode-unplug-gone" [ ! -e "/sys/bus/pci/devices/$bdf" ]
		cat "$VIEW"
		counts
		ktap_expect "$mode-unplug-record-dropped" [ "$(view_devs)" = 0 ]
		# Nothing of edu's is left attached; the (now empty) group entry
		# may stay until its owner detaches it.
		ktap_expect "$mode-unplug-counts" unplugged_counts
		ktap_expect "$mode-unplug-release" hold 0
		ktap_expect "$mode-unplug-view-empty" view_empty
		ktap_expect "$mode-unplug-idle" idle
		ktap_expect "$mode-unplug-unpinned" [ "$(refcnt)" = "$r0" ]
		ktap_expect "$mode-unplug-log-clean" kernel_log_clean "$l0"
		if kernel_oopsed "$l0"; then
			# After an oops the rescan and what follows would hang.
			ktap_not_ok "$mode-unplug-stop" "oops; the rest of the suite is not run"
			return
		fi
		echo 1 >/sys/bus/pci/rescan
		ktap_expect "$mode-unplug-rescan-bound" wait_bound "$bdf"
	done

	# edu works through the shim again after the unplugs.
	ktap_expect replugged-hold hold direct
	ktap_expect replugged-view view_matches direct "$bdf"
	ktap_expect replugged-dma check_ok
	# Unloading the test module while it holds an attachment detaches it.
	ktap_expect rmmod-auxshim_test-holding rmmod auxshim_test
	ktap_expect view-empty-after-holder-gone view_empty
	pin_unload_refused
	ktap_expect rmmod-auxshim rmmod auxshim
	ktap_expect auxshim-gone shim_gone
	ktap_expect reload-auxshim ktap_insmod auxshim
	ktap_expect rmmod-auxshim-again rmmod auxshim
}

shim_suite
