# SPDX-License-Identifier: GPL-2.0-only
#
# Guest sanity: the environment every other suite relies on (VT-d on, edu
# present, vfio/mdev loaded, slub_debug, debugfs).  Needs none of our modules.
# auxshim-timeout: 120

has_edu() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ] && return 0
	done
	return 1
}

has_dmar() {
	local d
	for d in /sys/class/iommu/dmar*; do
		[ -e "$d" ] && return 0
	done
	return 1
}
mounted() { grep -q " $1 " /proc/mounts; }

# slub_debug=FZPU in force, as the kernel reports it per cache (the
# command line only says what the harness asked for): sanity checks (F),
# red zones (Z), poisoning (P) and owner tracking (U) on a kmalloc cache.
slub_debug_fzpu() {
	local c=/sys/kernel/slab/kmalloc-64 f bad=
	[ -d "$c" ] || { echo "no $c"; return 1; }
	for f in sanity_checks red_zone poison store_user; do
		[ "$(cat "$c/$f")" = 1 ] || bad="$bad $f"
	done
	[ -z "$bad" ] || { echo "kmalloc-64 has these off:$bad"; return 1; }
}

ktap_expect kernel-release [ "$(uname -r)" = "$KREL" ]
ktap_expect vtd-iommu-on has_dmar
ktap_expect iommu-groups [ -d /sys/kernel/iommu_groups/0 ]
ktap_expect edu-present has_edu
ktap_expect vfio-loaded [ -d /sys/module/vfio ]
ktap_expect vfio-iommu-type1-loaded [ -d /sys/module/vfio_iommu_type1 ]
ktap_expect mdev-loaded [ -d /sys/module/mdev ]
ktap_expect slub-debug slub_debug_fzpu
ktap_expect debugfs mounted /sys/kernel/debug
