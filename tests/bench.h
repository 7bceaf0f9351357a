/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the benchmark cases share: medians and the "# bench row:" line that
 * scripts/bench-report.sh reads ("<op> <size> <shim> <kernel> <ratio>x",
 * figures in hundredths: no floating point in the kernel).
 */
#ifndef AUXSHIM_TEST_BENCH_H
#define AUXSHIM_TEST_BENCH_H

#include <linux/printk.h>
#include <linux/sort.h>
#include <linux/types.h>

#define BENCH_FIX 100

static inline int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n values; sorts @v. */
static inline u64 bench_median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), bench_cmp_u64, NULL);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* @shim, @kern and @ratio in hundredths. */
static inline void bench_print_row(const char *op, unsigned int size, u64 shim,
				   u64 kern, u64 ratio)
{
	pr_info("        # bench row: %s %u %llu.%02llu %llu.%02llu %llu.%02llux\n",
		op, size, shim / BENCH_FIX, shim % BENCH_FIX, kern / BENCH_FIX,
		kern % BENCH_FIX, ratio / BENCH_FIX, ratio % BENCH_FIX);
}

#endif /* AUXSHIM_TEST_BENCH_H */
