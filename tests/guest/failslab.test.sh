# SPDX-License-Identifier: GPL-2.0-only
#
# The kernel's own fault injection around the shim's attach paths (debug
# kernel: CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS).  An attach is
# triggered from this shell by a write to a sysfs knob: auxshim_test's
# "hold" (edu's group, whole or direct through a lookup) and the sample's
# mdev knob auxshim/attach (an mdev group, through the sample's lookup);
# and auxshim_mocktest's "hold" (a group of the test IOMMU driver's, by
# lookup to a PASID-capable device: the PASID attach path on the debug
# kernel, whose backend is PASID; the aux path on a kernel with aux).
# For N = 1, 2, ... this task's Nth slab allocation fails (fail-nth, with
# failslab's ignore-gfp-wait=N so that GFP_KERNEL allocations count), until
# an attach runs with no injected failure.  After each failed attach: the
# shim's debugfs table, its counters (auxshim_test's counts: groups, devs,
# attachments, live allocations), the module's pin (refcnt) are as before;
# at the end kmemleak finds nothing of ours, and a clean attach, DMA and
# detach still work.  On stock kernels the shim's test-build hook
# (src/shim/test_hooks.c, suite auxshim_rollback) does this job.
# auxshim-modules: auxshim auxshim_test auxshim_sample auxshim_mockiommu auxshim_mocktest
# auxshim-kmods: kunit?
# auxshim-kernels: debug
# auxshim-timeout: 1200

FS=/sys/kernel/debug/failslab
# Opened by this shell's own builtins only: a child (fork) starts with
# fail-nth 0, and "self" is the process doing the open.
FAIL_NTH=/proc/self/fail-nth
VIEW=/sys/kernel/debug/auxshim/groups
COUNTS=/sys/kernel/debug/auxshim_test/counts
HOLD=/sys/module/auxshim_test/parameters/hold
MOCK_HOLD=/sys/module/auxshim_mocktest/parameters/hold
KMEMLEAK=/sys/kernel/debug/kmemleak
MAX_N=300
. /tests/sample_lib.sh

refcnt() { cat /sys/module/auxshim/refcnt; }

# What must not change across a failed attach, into file $1.
state_snapshot() {
	{
		echo "refcnt $(refcnt)"
		[ -r "$COUNTS" ] && cat "$COUNTS"
		cat "$VIEW"
	} >"$1"
}

# fail-nth back to 0.  Each open may itself be the injected one, which
# also leaves it at 0.
fail_nth_off() {
	local i=0 left=
	while [ $i -lt 5 ]; do
		echo 0 >"$FAIL_NTH"
		left=
		read -r left <"$FAIL_NTH"
		[ "$left" = 0 ] && return 0
		i=$((i + 1))
	done
	return 1
}

# failslab_loop NAME KNOB VALUE UNDO SHIM_ERE
# Writes VALUE to KNOB (the attach) with the Nth allocation failing, for
# every N until one runs clean; UNDO detaches.  SHIM_ERE: the kernel log
# line of the knob's driver saying that auxshim_attach_group() failed.
# Leaves the clean attach in place.  Sets INJECTED, FAILED, IN_SHIM.
failslab_loop() {
	local name=$1 knob=$2 value=$3 undo=$4 shim_ere=$5
	local n=1 rc left l0 bad='' clean=''
	INJECTED=0 FAILED=0 IN_SHIM=0

	state_snapshot /tmp/fs.before
	exec 3>"$knob"
	while [ $n -le $MAX_N ]; do
		l0=$(dmesg | wc -l)
		# From the write of N on, nothing but the attach allocates here.
		echo "$n" >"$FAIL_NTH"
		echo "$value" >&3
		# The write's own status: echo's.
		# shellcheck disable=SC2320
		rc=$?
		left=
		read -r left <"$FAIL_NTH"
		fail_nth_off || { bad="$bad fail-nth-stuck@$n"; break; }
		if [ "$left" != 0 ]; then
			# Not injected within the attach: it allocates fewer than N times.
			[ "$rc" = 0 ] && clean=$n
			break
		fi
		INJECTED=$((INJECTED + 1))
		if [ "$rc" = 0 ]; then
			# An allocation with a fallback: attached anyway; detach.
			echo "$undo" >&3 || bad="$bad undo-failed@$n"
		else
			FAILED=$((FAILED + 1))
			dmesg | tail -n +"$((l0 + 1))" | grep -q -E "$shim_ere" &&
				IN_SHIM=$((IN_SHIM + 1))
		fi
		state_snapshot /tmp/fs.after
		if ! cmp -s /tmp/fs.before /tmp/fs.after; then
			bad="$bad changed@$n"
			echo "after the attach with allocation $n failing (rc $rc):"
			diff /tmp/fs.before /tmp/fs.after
		fi
		n=$((n + 1))
	done
	exec 3>&-
	ktap_diag "$name: $INJECTED injected allocation failures (N = 1..$INJECTED), $FAILED failed the attach, $IN_SHIM inside auxshim_attach_group(); clean attach at N = ${clean:-none}"
	if [ -n "$bad" ]; then
		ktap_not_ok "$name-no-trace-after-failed-attach" "$bad"
	else
		ktap_ok "$name-no-trace-after-failed-attach"
	fi
	ktap_expect "$name-clean-attach-without-injection" [ -n "$clean" ]
	ktap_expect "$name-failslab-failed-attaches" [ "$FAILED" -gt 0 ]
	ktap_expect "$name-failslab-reached-the-shim" [ "$IN_SHIM" -gt 0 ]
}

# kmemleak: objects whose allocation backtrace names one of our modules.
kmemleak_ours() {
	awk '/^unreferenced object/ { if (o) n++; o = 0 } /auxshim/ { o = 1 }
		END { if (o) n++; print n + 0 }' "$KMEMLEAK"
}

failslab_suite() {
	local bdf n r0

	if [ ! -d "$FS" ]; then
		ktap_skip failslab "no $FS: the kernel has no CONFIG_FAILSLAB with CONFIG_FAULT_INJECTION_DEBUG_FS"
		return
	fi
	if [ ! -e "$FAIL_NTH" ]; then
		ktap_skip failslab "no $FAIL_NTH: the kernel has no CONFIG_FAULT_INJECTION"
		return
	fi
	ktap_expect load-auxshim ktap_insmod auxshim || return
	if ktap_uses_kunit auxshim_test; then
		ktap_expect kunit-loaded [ -d /sys/module/kunit ] || return
	fi
	# Its suites run at load (the shim suite judges them); here it is the
	# hold knob and the counters.
	ktap_expect load-auxshim_test ktap_insmod auxshim_test || return
	ktap_expect auxshim_test-bound-edu [ -r "$COUNTS" ] || return

	echo N >"$FS/ignore-gfp-wait"
	echo 1 >"$FS/verbose"
	ktap_expect failslab-counts-gfp-kernel [ "$(cat "$FS/ignore-gfp-wait")" = N ]

	# edu's group through auxshim_test: whole (lookup NULL), and direct.
	for mode in group direct; do
		failslab_loop "hold-$mode" "$HOLD" "$mode" 0 'holding a .* attach failed'
		ktap_expect "hold-$mode-clean-attach-dma" grep -q ' ok$' "$HOLD"
		ktap_expect "hold-$mode-detach" sh -c "echo 0 > $HOLD"
		ktap_expect "hold-$mode-idle" grep -q '^groups 0 devs 0 attachments 0 aux_devs 0 allocs 0$' "$COUNTS"
	done
	ktap_expect rmmod-auxshim_test rmmod auxshim_test

	# An mdev's group through the sample's lookup.
	ktap_expect load-auxshim_sample ktap_insmod auxshim_sample || return
	bdf=$(sample_bdf) || { ktap_not_ok sample-bound "auxshim_sample did not bind edu"; return; }
	TYPE=$(sample_type_dir "$bdf")
	r0=$(refcnt)
	ktap_expect mdev-create mdev_create "$UA" || return
	failslab_loop mdev "$(A "$UA" attach)" 1 0 'cannot attach group'
	ktap_expect mdev-clean-attach-dma mdev_dma "$UA" 256
	ktap_expect mdev-detach mdev_detach "$UA"
	ktap_expect mdev-view-empty [ -z "$(grep '^group ' "$VIEW")" ]
	ktap_expect mdev-attach-again mdev_attach "$UA"
	ktap_expect mdev-dma-again mdev_dma "$UA" 256
	ktap_expect mdev-detach-again mdev_detach "$UA"
	ktap_expect mdev-remove mdev_remove "$UA"
	ktap_expect unpinned [ "$(refcnt)" = "$r0" ]

	# A group of the test IOMMU driver, by lookup: PASID (or aux) attach.
	ktap_allow_mock_fwspec
	ktap_expect load-auxshim_mockiommu ktap_insmod auxshim_mockiommu || return
	ktap_expect load-auxshim_mocktest ktap_insmod auxshim_mocktest run_suites=0 || return
	ktap_expect mock-backend-expected dmesg_has "auxshim_mocktest: # aux backend ${EXPECT_AUX_BACKEND:-<no entry in scripts/lib.sh for $KERNEL>};"
	r0=$(refcnt)
	failslab_loop mock-pasid "$MOCK_HOLD" lookup 0 'auxshim_mocktest: hold: auxshim_attach_group\(\) failed'
	ktap_expect mock-pasid-clean-attach-held grep -q ' ok$' "$MOCK_HOLD"
	ktap_expect mock-pasid-detach sh -c "echo 0 > $MOCK_HOLD"
	ktap_expect mock-pasid-view-empty [ -z "$(grep '^group ' "$VIEW")" ]
	ktap_expect mock-pasid-unpinned [ "$(refcnt)" = "$r0" ]
	ktap_expect rmmod-auxshim_mocktest rmmod auxshim_mocktest
	ktap_expect rmmod-auxshim_mockiommu rmmod auxshim_mockiommu

	echo Y >"$FS/ignore-gfp-wait"

	if [ -w "$KMEMLEAK" ]; then
		kmemleak_scan2
		n=$(kmemleak_ours)
		[ "$n" = 0 ] || cat "$KMEMLEAK"
		ktap_expect kmemleak-nothing-of-ours [ "$n" = 0 ]
	else
		ktap_skip kmemleak-nothing-of-ours "no $KMEMLEAK: the kernel has no CONFIG_DEBUG_KMEMLEAK"
	fi
	ktap_expect rmmod-auxshim_sample rmmod auxshim_sample
	ktap_expect rmmod-auxshim rmmod auxshim
}

failslab_suite
