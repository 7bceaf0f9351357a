// SPDX-License-Identifier: GPL-2.0-only
/*
 * What auxshim_get_domain_for_dev() costs next to the kernel's own
 * iommu_get_domain_for_dev(), on edu under VT-d, with the shim's table
 * filled to 1, 100, 1,000 and 10,000 groups, for a device the shim holds
 * and for one it does not; what attaching a group costs at each size; and
 * what a record, a group and the lookup table take in memory.  The two
 * loops of a figure are interleaved and repeated, and the ratio is what to
 * read: absolute times under TCG are noise.
 *
 * Each figure is one line "# bench row: <op> <size> <shim ns> <kernel ns>
 * <ratio>", which scripts/bench-report.sh turns into CSV, plots and
 * docs/benchmarks.md.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include "auxshim.h"
#include "auxshim_test.h"
#include "src/shim/test_hooks.h"

/* Results are printed in hundredths: no floating point in the kernel. */
#define FIX	100

static const unsigned int bench_sizes[] = { 1, 100, 1000, 10000 };
#define BENCH_MAX_GROUPS 10000

/* A filler group: one root device in a group of its own. */
struct bench_fill {
	struct device *dev;
	struct iommu_group *group;	/* reference held */
	bool attached;
};

static struct device *bench_backing;

/* Every device is backed by edu: one shared whole-device attachment. */
static struct device *bench_lookup(struct device *dev)
{
	return bench_backing;
}

/*
 * One timed loop per function, each calling it directly (an indirect call
 * would add a retpoline to both sides).  @bad counts answers other than
 * @expect, which keeps the calls from being optimised away and checks them.
 */
static noinline u64 bench_shim(struct device *dev, unsigned long iters,
			       struct iommu_domain *expect, unsigned long *bad)
{
	unsigned long i, n = 0;
	u64 t0 = ktime_get_ns();

	for (i = 0; i < iters; i++)
		if (unlikely(auxshim_get_domain_for_dev(dev) != expect))
			n++;
	t0 = ktime_get_ns() - t0;
	*bad += n;
	return t0;
}

static noinline u64 bench_kernel(struct device *dev, unsigned long iters,
				 struct iommu_domain *expect, unsigned long *bad)
{
	unsigned long i, n = 0;
	u64 t0 = ktime_get_ns();

	for (i = 0; i < iters; i++)
		if (unlikely(iommu_get_domain_for_dev(dev) != expect))
			n++;
	t0 = ktime_get_ns() - t0;
	*bad += n;
	return t0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_row(const char *op, unsigned int size, u64 shim, u64 kern,
		      u64 ratio)
{
	pr_info("        # bench row: %s %u %llu.%02llu %llu.%02llu %llu.%02llux\n",
		op, size, shim / FIX, shim % FIX, kern / FIX, kern % FIX,
		ratio / FIX, ratio % FIX);
}

/*
 * @rounds rounds of both loops on @dev, alternating which goes first; the
 * medians of ns/op and of the per-round ratios.  @kexpect is what the
 * kernel's call says, @expect what the shim's must.
 */
static void bench_lookup_row(struct kt_test *t, const char *op,
			     unsigned int size, struct device *dev,
			     struct iommu_domain *expect,
			     struct iommu_domain *kexpect, unsigned long iters,
			     unsigned int rounds, u64 *ns)
{
	u64 *shim = ns, *kern = ns + rounds, *ratio = ns + 2 * rounds;
	unsigned long bad[2] = { };
	unsigned int r;

	for (r = 0; r < rounds; r++) {
		if (r % 2) {
			kern[r] = bench_kernel(dev, iters, kexpect, &bad[1]);
			shim[r] = bench_shim(dev, iters, expect, &bad[0]);
		} else {
			shim[r] = bench_shim(dev, iters, expect, &bad[0]);
			kern[r] = bench_kernel(dev, iters, kexpect, &bad[1]);
		}
		ratio[r] = kern[r] ? div64_u64(shim[r] * FIX, kern[r]) : 0;
		cond_resched();
	}
	KT_EXPECT_TRUE_MSG(t, !bad[0] && !bad[1],
			   "%s at %u: %lu wrong answers from auxshim_get_domain_for_dev, %lu from iommu_get_domain_for_dev",
			   op, size, bad[0], bad[1]);
	print_row(op, size, div64_u64(median(shim, rounds) * FIX, iters),
		  div64_u64(median(kern, rounds) * FIX, iters),
		  median(ratio, rounds));
}

static void bench_fill_free(struct bench_fill *f, struct iommu_domain *dom)
{
	if (f->attached)
		auxshim_detach_group(dom, f->group);
	f->attached = false;
	if (f->dev) {
		iommu_group_remove_device(f->dev);
		root_device_unregister(f->dev);
	}
	f->dev = NULL;
	if (f->group)
		iommu_group_put(f->group);
	f->group = NULL;
}

static int bench_fill_make(struct bench_fill *f, unsigned int i)
{
	char name[32];
	int ret;

	snprintf(name, sizeof(name), "auxshim-bench%u", i);
	f->group = iommu_group_alloc();
	if (IS_ERR(f->group)) {
		ret = PTR_ERR(f->group);
		f->group = NULL;
		return ret;
	}
	f->dev = root_device_register(name);
	if (IS_ERR(f->dev)) {
		ret = PTR_ERR(f->dev);
		f->dev = NULL;
		return ret;
	}
	return iommu_group_add_device(f->group, f->dev);
}

/**
 * auxshim_test_bench() - the benchmarks (the case of the bench suite)
 * @t: the case run; a wrong answer or a setup error fails it
 * @e: the edu device
 * @iters: calls per timed loop
 * @rounds: rounds of each figure
 *
 * Context: process context, auxshim_test_lock held; sleeps.
 */
void auxshim_test_bench(struct kt_test *t, struct edu *e, unsigned long iters,
			unsigned int rounds)
{
	struct device *edu = &e->pdev->dev;
	struct auxshim_test_sizes sz;
	struct bench_fill *fill, spare = { };
	struct iommu_domain *dom;
	unsigned int n = 0, s, i;
	u64 *ns, first_attach = 0;
	int ret;

	lockdep_assert_held(&auxshim_test_lock);
	bench_backing = edu;
	dom = auxshim_domain_alloc(edu);
	if (!KT_EXPECT_TRUE_MSG(t, !IS_ERR(dom), "auxshim_domain_alloc failed: %ld",
				PTR_ERR(dom)))
		return;
	ns = kcalloc(3 * rounds, sizeof(u64), GFP_KERNEL);
	fill = vzalloc(array_size(BENCH_MAX_GROUPS, sizeof(*fill)));
	if (!KT_EXPECT_TRUE_MSG(t, ns && fill, "no memory for the benchmark"))
		goto out;
	ret = bench_fill_make(&spare, BENCH_MAX_GROUPS);
	if (!KT_EXPECT_TRUE_MSG(t, !ret, "a device of a group of its own: %d", ret))
		goto out;

	/* Nothing held: the shim costs the kernel's call and nothing more. */
	bench_lookup_row(t, "lookup-empty", 0, edu, e->def_domain,
			 e->def_domain, iters, rounds, ns);

	for (s = 0; s < ARRAY_SIZE(bench_sizes); s++) {
		u64 att[16];
		unsigned int na = 0;

		/* edu's group first: the oldest entry, measured at every size. */
		for (; n < bench_sizes[s]; n++) {
			struct iommu_group *g;
			u64 t0;

			if (n) {
				ret = bench_fill_make(&fill[n], n);
				if (!KT_EXPECT_TRUE_MSG(t, !ret, "filler group %u: %d",
							n, ret))
					goto out;
			}
			g = n ? fill[n].group : e->group;
			t0 = ktime_get_ns();
			ret = auxshim_attach_group(dom, g, bench_lookup);
			t0 = ktime_get_ns() - t0;
			if (!KT_EXPECT_TRUE_MSG(t, !ret, "attach of group %u: %d",
						n, ret))
				goto out;
			fill[n].attached = true;
			if (!n)
				first_attach = t0;
			if (bench_sizes[s] - n <= ARRAY_SIZE(att))
				att[na++] = t0;
			if (!(n % 64))
				cond_resched();
		}
		/* Attach of the last groups against the very first attach. */
		if (s) {
			u64 m = median(att, na);

			print_row("attach-at-size", bench_sizes[s],
				  m * FIX / 1000, first_attach * FIX / 1000,
				  div64_u64(m * FIX, first_attach));
		}
		bench_lookup_row(t, "lookup-held-oldest", bench_sizes[s], edu,
				 dom, dom, iters, rounds, ns);
		if (n > 1)
			/* The kernel knows no domain for a group without an IOMMU. */
			bench_lookup_row(t, "lookup-held-newest", bench_sizes[s],
					 fill[n - 1].dev, dom,
					 iommu_get_domain_for_dev(fill[n - 1].dev),
					 iters, rounds, ns);
		bench_lookup_row(t, "lookup-not-held", bench_sizes[s], spare.dev,
				 iommu_get_domain_for_dev(spare.dev),
				 iommu_get_domain_for_dev(spare.dev), iters,
				 rounds, ns);
		auxshim_test_get_sizes(&sz);
		pr_info("        # bench mem: %u groups: record %zu B, group %zu B, attachment %zu B (ksize); table %zu B for %lu keys in %lu slots\n",
			bench_sizes[s], sz.rec, sz.grp, sz.att, sz.lut_bytes,
			sz.lut_keys, sz.lut_slots);
		print_row("mem-per-record", bench_sizes[s],
			  (sz.rec + div64_u64(sz.lut_bytes, sz.lut_keys ?: 1)) * FIX,
			  0, 0);
	}
	pr_info("        # bench mem-slab: record %zu group %zu\n", sz.rec, sz.grp);
	KT_EXPECT_TRUE_MSG(t, sz.rec <= 128 && sz.grp <= 128,
			   "a record takes %zu B, a group %zu B", sz.rec, sz.grp);
out:
	if (fill) {
		for (i = n; i-- > 0;) {
			if (i) {
				bench_fill_free(&fill[i], dom);
			} else if (fill[0].attached) {
				auxshim_detach_group(dom, e->group);
				fill[0].attached = false;
			}
			if (!(i % 64))
				cond_resched();
		}
	}
	bench_fill_free(&spare, dom);
	vfree(fill);
	kfree(ns);
	iommu_domain_free(dom);
}
