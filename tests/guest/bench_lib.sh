# SPDX-License-Identifier: GPL-2.0-only
#
# Guest-side helpers of the benchmark scripts (tests/guest/*.bench.sh,
# busybox sh), sourced by them.

# bench_import MODULE: the "# bench ..." lines MODULE logged, into
# /tmp/bench.txt and as KTAP diagnostics prefixed with the kernel's short
# name (each "bench row" one CSV row for scripts/bench-report.sh).
bench_import() {
	dmesg | sed -e 's/^\[ *[0-9.]*\] //' -n -e "s/^$1: *# bench /bench /p" >/tmp/bench.txt
	while IFS= read -r l; do
		ktap_diag "$KERNEL $l"
	done </tmp/bench.txt
}
