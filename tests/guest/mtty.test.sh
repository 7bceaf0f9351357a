# SPDX-License-Identifier: GPL-2.0-only
#
# Upstream's own mdev sample, samples/vfio-mdev/mtty.c (built only in the
# debug kernel: Debian ships no samples), loaded next to ours, and the same
# mdev life cycle run on both through the standard sysfs ABI: the type
# directory and its attributes, create, the mdev's links (type, parent,
# driver, iommu_group, /dev/vfio node), the type's devices/ listing and
# available_instances, a duplicate UUID refused, remove, and 20 quick
# create/remove cycles.  Case names say which driver; a diagnostic line
# names every point where the sample and mtty answer differently.
# auxshim-modules: auxshim auxshim_sample
# auxshim-kmods: mtty
# auxshim-kernels: debug
# auxshim-timeout: 300

. /tests/sample_lib.sh

MTTY_TYPE=/sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2
MU=66666666-6666-4666-8666-666666666666

# What parent $1's mdev $2 looks like, one "key value" line each (the
# comparison between the two drivers is done on these).
mdev_facts() {
	local d=/sys/bus/mdev/devices/$2 g t drv
	t=$(basename "$(readlink "$d/mdev_type")")
	drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	# Both name their type "<driver>-<type>" (the mdev core does).
	case $t in "$drv"-*) echo "type_named_driver_dash_type yes" ;; *) echo "type_named_driver_dash_type no ($t, $drv)" ;; esac
	g=$(basename "$(readlink "$d/iommu_group" 2>/dev/null)" 2>/dev/null)
	if [ -n "$g" ]; then echo "iommu_group yes"; else echo "iommu_group no"; fi
	if [ -n "$g" ] && [ -c "/dev/vfio/$g" ]; then echo "vfio_node yes"; else echo "vfio_node no"; fi
	echo "device_api $(cat "$1/device_api")"
	echo "remove_attr $([ -f "$d/remove" ] && echo yes || echo no)"
	echo "name_attr $([ -f "$1/name" ] && echo yes || echo no)"
	echo "description_attr $([ -f "$1/description" ] && echo yes || echo no)"
}

avail() { cat "$1/available_instances"; }

# The life cycle on type dir $2 with UUID $3; cases named $1-...
life_cycle() {
	local p=$1 type=$2 u=$3 a0 a1 i
	ktap_expect "$p-type-dir" [ -d "$type" ] || return
	ktap_expect "$p-type-attrs" sh -c "cat $type/device_api $type/available_instances >/dev/null"
	ktap_expect "$p-device-api-vfio-pci" [ "$(cat "$type/device_api")" = vfio-pci ]
	a0=$(avail "$type")
	ktap_diag "$p: $type, available_instances $a0"
	ktap_expect "$p-create" sh -c "echo $u > $type/create" || return
	ktap_expect "$p-mdev-dir" [ -d "/sys/bus/mdev/devices/$u" ]
	ktap_expect "$p-mdev-type-link" [ "$(readlink -f "/sys/bus/mdev/devices/$u/mdev_type")" = "$(readlink -f "$type")" ]
	ktap_expect "$p-listed-in-devices" [ -e "$type/devices/$u" ]
	ktap_expect "$p-driver-bound" [ -e "/sys/bus/mdev/devices/$u/driver" ]
	ktap_expect "$p-iommu-group" [ -e "/sys/bus/mdev/devices/$u/iommu_group" ]
	a1=$(avail "$type")
	ktap_expect "$p-avail-down" [ "$a1" -lt "$a0" ]
	ktap_expect_fail "$p-duplicate-uuid-refused" sh -c "echo $u > $type/create"
	mdev_facts "$type" "$u" >"/tmp/facts.$p"
	ktap_expect "$p-remove" sh -c "echo 1 > /sys/bus/mdev/devices/$u/remove"
	ktap_expect "$p-gone" [ ! -e "/sys/bus/mdev/devices/$u" ]
	ktap_expect "$p-unlisted" [ ! -e "$type/devices/$u" ]
	ktap_expect "$p-avail-back" [ "$(avail "$type")" = "$a0" ]
	i=0
	while [ $i -lt 20 ]; do
		{ echo "$u" >"$type/create" && echo 1 >"/sys/bus/mdev/devices/$u/remove"; } || break
		i=$((i + 1))
	done
	ktap_expect "$p-20-cycles" [ $i = 20 ]
	ktap_expect "$p-avail-after-cycles" [ "$(avail "$type")" = "$a0" ]
}

mtty_suite() {
	local k v w
	sample_load load || return
	ktap_expect mtty-loaded [ -d /sys/module/mtty ] || return
	life_cycle sample "$TYPE" "$UA"
	life_cycle mtty "$MTTY_TYPE" "$MU"
	[ -f /tmp/facts.sample ] && [ -f /tmp/facts.mtty ] || return 0
	# Where the sample departs from upstream's conventions: diagnostics.
	while read -r k v; do
		w=$(sed -n "s/^$k //p" /tmp/facts.mtty)
		if [ "$v" = "$w" ]; then
			ktap_diag "same: $k = $v"
		else
			ktap_diag "differs: $k: sample '$v', mtty '$w'"
		fi
	done </tmp/facts.sample
	ktap_expect unload-sample rmmod auxshim_sample
	ktap_expect unload-mtty rmmod mtty
	ktap_expect unload-auxshim rmmod auxshim
}

mtty_suite
