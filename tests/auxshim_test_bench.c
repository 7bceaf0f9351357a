// SPDX-License-Identifier: GPL-2.0-only
/*
 * What auxshim_get_domain_for_dev() costs next to the kernel's own
 * iommu_get_domain_for_dev(), on edu, with edu's group attached through the
 * shim and not attached.  The two loops are interleaved and repeated, and
 * the ratio is what to read: absolute times under TCG are noise.
 */
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "auxshim.h"
#include "auxshim_test.h"

/* Results are printed in hundredths: no floating point in the kernel. */
#define FIX	100

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

/* Per state: [0] shim, [1] kernel, [2] ratio*FIX; per round. */
struct bench_series {
	u64 *ns[3];
};

static void print_series(const char *state, struct bench_series *s,
			 unsigned long iters, unsigned int rounds)
{
	u64 shim = median(s->ns[0], rounds), kern = median(s->ns[1], rounds);
	u64 rmed = median(s->ns[2], rounds);

	/* ns/op in hundredths: total_ns * FIX / iters */
	shim = div64_u64(shim * FIX, iters);
	kern = div64_u64(kern * FIX, iters);
	pr_info("        # bench %s: auxshim_get_domain_for_dev %llu.%02llu ns/op, iommu_get_domain_for_dev %llu.%02llu ns/op (medians of %u rounds of %lu)\n",
		state, shim / FIX, shim % FIX, kern / FIX, kern % FIX, rounds,
		iters);
	pr_info("        # bench %s: ratio auxshim/kernel median %llu.%02llu, min %llu.%02llu, max %llu.%02llu\n",
		state, rmed / FIX, rmed % FIX,
		s->ns[2][0] / FIX, s->ns[2][0] % FIX,
		s->ns[2][rounds - 1] / FIX, s->ns[2][rounds - 1] % FIX);
}

/**
 * auxshim_test_bench() - time the domain lookups (a case of the bench suite)
 * @t: the case run; a wrong answer or a setup error fails it
 * @e: the edu device
 * @iters: calls per timed loop
 * @rounds: rounds, each timing both functions attached and not attached
 *
 * Context: process context, auxshim_test_lock held; sleeps.
 */
void auxshim_test_bench(struct kt_test *t, struct edu *e, unsigned long iters,
			unsigned int rounds)
{
	struct device *dev = &e->pdev->dev;
	struct bench_series s[2] = { };	/* [0] not attached, [1] attached */
	unsigned long bad[2][2] = { };
	struct iommu_domain *dom;
	unsigned int r, st, i;
	int ret = 0;

	lockdep_assert_held(&auxshim_test_lock);
	dom = auxshim_domain_alloc(dev);
	if (!KT_EXPECT_TRUE_MSG(t, !IS_ERR(dom), "auxshim_domain_alloc failed: %ld",
				PTR_ERR(dom)))
		return;
	for (st = 0; st < 2; st++)
		for (i = 0; i < 3; i++) {
			s[st].ns[i] = kcalloc(rounds, sizeof(u64), GFP_KERNEL);
			if (!s[st].ns[i])
				ret = -ENOMEM;
		}
	if (!KT_EXPECT_TRUE_MSG(t, !ret, "no memory for %u rounds", rounds))
		goto out;

	for (r = 0; r < rounds; r++) {
		for (st = 0; st < 2; st++) {
			struct iommu_domain *expect = e->def_domain;

			if (st) {
				ret = auxshim_attach_group(dom, e->group, NULL);
				if (!KT_EXPECT_TRUE_MSG(t, !ret, "attach failed: %d", ret))
					goto out;
				expect = dom;
			}
			/* Alternate which goes first, to cancel drift. */
			if (r % 2) {
				s[st].ns[1][r] = bench_kernel(dev, iters, expect, &bad[st][1]);
				s[st].ns[0][r] = bench_shim(dev, iters, expect, &bad[st][0]);
			} else {
				s[st].ns[0][r] = bench_shim(dev, iters, expect, &bad[st][0]);
				s[st].ns[1][r] = bench_kernel(dev, iters, expect, &bad[st][1]);
			}
			if (st)
				auxshim_detach_group(dom, e->group);
			s[st].ns[2][r] = s[st].ns[1][r] ?
				div64_u64(s[st].ns[0][r] * FIX, s[st].ns[1][r]) : 0;
			cond_resched();
		}
	}
	print_series("not-attached", &s[0], iters, rounds);
	print_series("attached", &s[1], iters, rounds);

	for (st = 0; st < 2; st++) {
		KT_EXPECT_TRUE_MSG(t, !bad[st][0] && !bad[st][1],
				   "%s: %lu wrong answers from auxshim_get_domain_for_dev, %lu from iommu_get_domain_for_dev",
				   st ? "attached" : "not-attached", bad[st][0], bad[st][1]);
		/* The medians were sorted in place; index 0 is the minimum. */
		KT_EXPECT_TRUE_MSG(t, s[st].ns[0][0] && s[st].ns[1][0],
				   "%s: a timed loop took no time",
				   st ? "attached" : "not-attached");
	}
out:
	for (st = 0; st < 2; st++)
		for (i = 0; i < 3; i++)
			kfree(s[st].ns[i]);
	iommu_domain_free(dom);
}
