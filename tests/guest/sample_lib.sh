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

# Load auxshim and auxshim_sample (results $1-auxshim, $1-auxshim_sample)
# and find edu: sets BDF and TYPE.  Returns 1 if a step failed.
sample_load() {
	ktap_expect "$1-auxshim" ktap_insmod auxshim || return
	ktap_expect "$1-auxshim_sample" ktap_insmod auxshim_sample || return
	BDF=$(sample_bdf) || {
		ktap_not_ok "$1-edu-bound" "auxshim_sample did not bind edu"
		return 1
	}
	TYPE=$(sample_type_dir "$BDF")
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

# Snapshot of /proc/slabinfo ("cache active_objs") into $1, after
# dropping caches.
slab_snapshot() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	# The debug kernel's KASAN keeps freed objects in quarantine (counted
	# active); shrinking a cache releases its part (kasan_cache_shrink).
	if [ "$KERNEL" = debug ]; then
		for _f in /sys/kernel/slab/*/shrink; do echo 1 >"$_f"; done 2>/dev/null
	fi
	awk 'NR > 2 { print $1, $2 }' /proc/slabinfo | sort >"$1"
}

# Caches that grew by $3 objects or more between snapshots $1 and $2.
# vmap_area is not ours and lags: vfree() (of every exited shell's stack)
# frees it lazily.  debug_objects_cache (the debug kernel's
# DEBUG_OBJECTS) is a pool: debugobjects refills it in batches and keeps
# the objects it frees for reuse, so its count says nothing of ours
# (kmemleak, which tracks our allocations, does).
slab_grown() {
	awk -v lim="$3" 'NR == FNR { n[$1] = $2; next }
		$1 != "vmap_area" && $1 != "debug_objects_cache" &&
		($1 in n) && $2 - n[$1] >= lim {
			print $1 ": " n[$1] " -> " $2
		}' "$1" "$2"
}

# Result $1: no cache grew by 25 objects or more since snapshot $2.
# Deferred frees land later (6.1's kernfs frees the open nodes of the sysfs
# files a test used with kfree_rcu: ~60 kmalloc-96 objects, gone within
# seconds): give them up to 10 s; a leak stays.
slab_no_growth() {
	local i grown
	for i in 1 2 3 4 5 6 7 8 9 10; do
		slab_snapshot /tmp/slab.after
		grown=$(slab_grown "$2" /tmp/slab.after 25)
		[ -z "$grown" ] && break
		sleep 1
	done
	if [ -z "$grown" ]; then
		ktap_ok "$1"
	else
		ktap_not_ok "$1" "grew by >= 25 objects: $(echo "$grown" | tr '\n' ';')"
	fi
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

# Within $2 s, the kernel log has a line matching ERE $1.
dmesg_within() {
	local i
	for i in $(seq 1 $(($2 * 2))); do
		dmesg | grep -E "$1" && return 0
		sleep 0.5
	done
	echo "no kernel log line matches: $1"
	return 1
}

# edu's PCI address, whatever it is bound to.
edu_bdf() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] &&
			{ basename "$d"; return 0; }
	done
	return 1
}

# A boot where edu's DMA is not translated (no IOMMU, or an identity
# domain): the sample must refuse edu (its kernel log saying $2), and so
# never DMA to a bus address that is plain RAM.  Case names start with $1.
sample_untranslated_suite() {
	local edu
	ktap_expect "$1-edu-present" edu_bdf || return
	edu=$(edu_bdf)
	ktap_expect "$1-load-auxshim" ktap_insmod auxshim || return
	ktap_expect "$1-load-sample" ktap_insmod auxshim_sample || return
	ktap_expect_fail "$1-edu-not-bound" sample_bdf
	ktap_expect "$1-no-mdev-parent" [ ! -e "/sys/class/mdev_bus/$edu" ]
	ktap_expect "$1-refusal-said-why" dmesg_has "$edu: $2: edu's DMA would not be translated: -19"
	ktap_expect_fail "$1-bind-refused" sh -c "echo $edu > /sys/bus/pci/drivers/auxshim_sample/bind"
	ktap_expect "$1-unload-sample" rmmod auxshim_sample
	ktap_expect "$1-unload-shim" rmmod auxshim
	ktap_expect "$1-kernel-log-clean" kernel_log_clean
}

# Writing $2 to $1 fails with EBUSY, not with any other error.
write_ebusy() {
	local err
	if err=$(sh -c "echo $2 > $1" 2>&1); then
		echo "writing $2 to $1 succeeded"
		return 1
	fi
	echo "$err"
	case $err in *"resource busy"*) return 0 ;; esac
	echo "the write failed, but not with EBUSY"
	return 1
}
