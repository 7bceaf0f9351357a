# SPDX-License-Identifier: GPL-2.0-only
#
# What auxshim_get_domain_for_dev() costs next to the kernel's own
# iommu_get_domain_for_dev(), on edu, with the shim's table at 1, 100,
# 1,000 and 10,000 groups, for a device it holds and one it does not; the
# attach at each size; memory per record (auxshim_test.ko's bench suite:
# interleaved loops, several rounds, medians).  Run by "make bench", never
# by "make check".  Read the ratio: absolute ns/op under TCG are noise.
# Each "bench row" diagnostic is one CSV row for scripts/bench-report.sh.
# auxshim-modules: auxshim auxshim_test
# auxshim-timeout: 1500
# auxshim-append: log_buf_len=16M slub_debug=-

BENCH_ITERS=1000000
BENCH_ROUNDS=7

. /tests/bench_lib.sh

shim_bench() {
	local n

	ktap_expect load-auxshim ktap_insmod auxshim || return
	ktap_expect load-auxshim_test ktap_insmod auxshim_test \
		bench_iters=$BENCH_ITERS bench_rounds=$BENCH_ROUNDS || return
	ktap_import_dmesg auxshim_test
	bench_import auxshim_test
	# lookup-empty, then per size: held-median, held-worst, not-held, attach, mem.
	n=$(grep -c -E '^bench row: ' /tmp/bench.txt)
	ktap_expect bench-results-printed [ "$n" -ge 19 ]
	ktap_expect unload sh -c "rmmod auxshim_test && rmmod auxshim"
}

shim_bench
