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

has_dmar() { ls /sys/class/iommu 2>/dev/null | grep -q '^dmar'; }
mounted() { grep -q " $1 " /proc/mounts; }

ktap_expect kernel-release [ "$(uname -r)" = "$KREL" ]
ktap_expect vtd-iommu-on has_dmar
ktap_expect iommu-groups [ -d /sys/kernel/iommu_groups/0 ]
ktap_expect edu-present has_edu
ktap_expect vfio-loaded [ -d /sys/module/vfio ]
ktap_expect vfio-iommu-type1-loaded [ -d /sys/module/vfio_iommu_type1 ]
ktap_expect mdev-loaded [ -d /sys/module/mdev ]
ktap_expect slub-debug grep -q slub_debug=FZPU /proc/cmdline
ktap_expect debugfs mounted /sys/kernel/debug
