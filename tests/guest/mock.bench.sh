# SPDX-License-Identifier: GPL-2.0-only
#
# What auxshim_attach_group() + auxshim_detach_group() cost per device,
# for groups of 1, 8 and 64 devices on the test IOMMU, next to the kernel
# calls the shim makes underneath (auxshim_mocktest.ko's attach benchmark:
# alternating rounds, medians).  Run by "make bench", never by "make check".
# Each "bench row" diagnostic is one CSV row for scripts/bench-report.sh.
# auxshim-modules: auxshim auxshim_mockiommu auxshim_mocktest
# auxshim-timeout: 900
# auxshim-append: slub_debug=-

BENCH_ROUNDS=201

. /tests/bench_lib.sh

mock_bench() {
	local n

	ktap_expect load-auxshim ktap_insmod auxshim || return
	ktap_expect load-mockiommu ktap_insmod auxshim_mockiommu || return
	ktap_expect load-mocktest ktap_insmod auxshim_mocktest bench_rounds=$BENCH_ROUNDS
	ktap_import_dmesg auxshim_mocktest
	bench_import auxshim_mocktest
	n=$(grep -c -E '^bench row: attach-detach ' /tmp/bench.txt)
	ktap_expect bench-results-printed [ "$n" -eq 3 ]
	ktap_expect unload sh -c "rmmod auxshim_mocktest && rmmod auxshim_mockiommu && rmmod auxshim"
}

mock_bench
