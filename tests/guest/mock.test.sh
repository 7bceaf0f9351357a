# SPDX-License-Identifier: GPL-2.0-only
#
# The shim against the test IOMMU driver (auxshim_mockiommu.ko): the KTAP
# cases of auxshim_mocktest.ko (aux/PASID paths, fail_nth, concurrency,
# device removal), then unloading with a live attachment.
# auxshim-modules: auxshim auxshim_mockiommu auxshim_mocktest auxshim_pintest
# auxshim-timeout: 420

. /tests/pin_lib.sh

mock_refcnt() { cat "/sys/module/$1/refcnt" 2>/dev/null || echo -1; }
HOLD=/sys/module/auxshim_mocktest/parameters/hold
mock_hold() { echo "$1" >"$HOLD"; }
# The held attachment is intact (the module checks the shim's and the mock's views).
hold_ok() { grep -q ' ok$' "$HOLD" || { cat "$HOLD"; return 1; }; }
mock_loaded() { [ -d "/sys/module/$1" ]; }

mock_main() {
	ktap_expect load-auxshim ktap_insmod auxshim || return 0
	ktap_allow_mock_fwspec
	ktap_expect load-mockiommu ktap_insmod auxshim_mockiommu || return 0
	# The concurrency cases' duration: 5 s (make check-stress: 20).
	ktap_expect load-mocktest ktap_insmod auxshim_mocktest stress_secs="$(ktap_stress 5 20)"
	ktap_import_dmesg auxshim_mocktest
	ktap_diag "$(dmesg | sed -n 's/^\[ *[0-9.]*\] auxshim_mocktest: # aux backend/aux backend/p' | tail -n 1)"
	# The module skips its aux/PASID cases when the backend is "none": the
	# backend must be the one this kernel has (scripts/lib.sh), or a broken
	# probe would pass as skips.
	backend=$(dmesg | sed -n 's/^\[ *[0-9.]*\] auxshim_mocktest: # aux backend \([^;]*\);.*/\1/p' | tail -n 1)
	ktap_expect aux-backend-expected [ "${backend:-<not printed>}" = "${EXPECT_AUX_BACKEND:-<no entry in scripts/lib.sh for $KERNEL>}" ]
	mock_loaded auxshim_mocktest || return 0

	if dmesg | grep -q 'auxshim_mocktest: *ok [0-9]* detach_wrong_domain$'; then
		# Two wrong-domain detaches in the case, one warning.
		n=$(dmesg | grep -c 'auxshim: detach of group .* not attached')
		ktap_expect detach-wrong-warns-once [ "$n" -eq 1 ]
	else
		ktap_skip detach-wrong-warns-once "the detach_wrong_domain case did not pass"
	fi

	# Unload with a live attachment: refused, and the attachment survives.
	# auxshim_mocktest's use of auxshim's symbols counts in refcnt too, and
	# refuses the unload by itself: pin_unload_refused, below, checks the
	# shim's own pin alone.
	base=$(mock_refcnt auxshim)
	if ! ktap_expect hold-attach mock_hold lookup; then
		ktap_skip unload-under-attachment "could not attach (mock IOMMU missing?)"
		return 0
	fi
	ktap_expect shim-pinned-while-attached [ "$(mock_refcnt auxshim)" -gt "$base" ]
	ktap_expect_fail rmmod-shim-refused rmmod auxshim
	ktap_expect_fail rmmod-mock-refused rmmod auxshim_mockiommu
	ktap_expect still-attached-after-refusals hold_ok
	ktap_expect hold-release mock_hold 0
	ktap_expect shim-unpinned-after-detach [ "$(mock_refcnt auxshim)" -eq "$base" ]
	[ "$(mock_refcnt auxshim)" -eq "$base" ] ||
		ktap_diag "auxshim table: $(tr '\n' ';' </sys/kernel/debug/auxshim/groups)"

	# The owner unloads with the attachment live: its exit cleans up.
	ktap_expect hold-attach-again mock_hold lookup
	ktap_expect rmmod-owner-with-attachment rmmod auxshim_mocktest
	ktap_expect shim-unpinned-after-owner-exit [ "$(mock_refcnt auxshim)" -eq 0 ]
	pin_unload_refused
	ktap_expect rmmod-mock rmmod auxshim_mockiommu
	ktap_expect rmmod-shim rmmod auxshim
	ktap_expect reload-mock ktap_insmod auxshim_mockiommu
	ktap_expect rmmod-mock-again rmmod auxshim_mockiommu
}

mock_main
