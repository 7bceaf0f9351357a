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
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "auxshim.h"
#include "auxshim_test.h"
#include "bench.h"
#include "src/shim/test_hooks.h"

#define FIX BENCH_FIX

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

/* A lookup figure: ns/op of each call and their ratio, in hundredths. */
struct bench_fig {
	u64 shim, kern, ratio;
};

/*
 * @rounds rounds of both loops on @dev, alternating which goes first; the
 * medians of ns/op and of the per-round ratios.  @kexpect is what the
 * kernel's call says, @expect what the shim's must.
 */
static struct bench_fig bench_measure(struct kt_test *t, const char *op,
				      unsigned int size, struct device *dev,
				      struct iommu_domain *expect,
				      struct iommu_domain *kexpect,
				      unsigned long iters, unsigned int rounds,
				      u64 *ns)
{
	u64 *shim = ns, *kern = ns + rounds, *ratio = ns + 2 * rounds;
	unsigned long bad[2] = { };
	struct bench_fig fig;
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
	fig.shim = div64_u64(bench_median(shim, rounds) * FIX, iters);
	fig.kern = div64_u64(bench_median(kern, rounds) * FIX, iters);
	fig.ratio = bench_median(ratio, rounds);
	return fig;
}

static void bench_lookup_row(struct kt_test *t, const char *op,
			     unsigned int size, struct device *dev,
			     struct iommu_domain *expect,
			     struct iommu_domain *kexpect, unsigned long iters,
			     unsigned int rounds, u64 *ns)
{
	struct bench_fig f = bench_measure(t, op, size, dev, expect, kexpect,
					  iters, rounds, ns);

	bench_print_row(op, size, f.shim, f.kern, f.ratio);
}

/*
 * Held devices measured per size (edu, the newest filler, and between),
 * and how many of the dearest are measured again at full length.
 */
#define BENCH_SWEEP 64
#define BENCH_RECHECK 3

struct bench_dev {
	struct bench_fig fig;
	struct device *dev;
	unsigned int nth; /* 1 for the oldest attached */
};

static int bench_dev_cmp(const void *a, const void *b)
{
	const struct bench_dev *x = a, *y = b;

	return x->fig.ratio < y->fig.ratio ? -1 : x->fig.ratio > y->fig.ratio;
}

/*
 * The held lookup of up to BENCH_SWEEP devices of the @n in the table,
 * spread evenly from the oldest (edu) to the newest, each over @rounds of
 * a quarter of @iters calls: the median device's figures; and the worst
 * device's, as the dearest of the BENCH_RECHECK dearest in the sweep
 * measured again over @rounds of @iters calls (one noisy round must not
 * make a device the worst, nor hide one).  A device may cost what its
 * place in the table makes it cost, so one device says nothing about the
 * others.
 */
/*
 * Where the dearest devices' lookups read (their slots, displacements and
 * the kernel's objects) is always printed; with bench_where=N, where every
 * swept device's does, which pairs of pages cost what for the median and
 * the worst (bench_pairs()), and the sweep again after each of N - 1
 * rehashes of the table (a layout's outlier moves with its multiplier).
 */
static unsigned int bench_where;
module_param(bench_where, uint, 0444);
MODULE_PARM_DESC(bench_where, "non-zero: print where each held lookup reads; sweep again after N-1 rehashes");

/*
 * The slot auxshim_lut_domain() probes for @dev in @lut, as it finds it:
 * its group in *@g, the group's displacement byte in *@dispp.  Under
 * rcu_read_lock_sched().
 */
static unsigned long bench_probe(const struct auxshim_lut *lut,
				 const struct device *dev, unsigned long *g,
				 const u8 **dispp)
{
	unsigned long hash = READ_ONCE(lut->hash);
	unsigned long h = (unsigned long)dev * (hash | 1);
	unsigned long mask = ~0UL >> auxshim_lut_gshift(hash);

	*g = h >> auxshim_lut_gshift(hash);
	*dispp = &auxshim_lut_disp(lut, mask)[*g];
	return ((h >> auxshim_lut_hshift(hash)) + READ_ONCE(**dispp)) & mask;
}

/* What auxshim_lut_domain() reads for @dev, as it finds it. */
static void bench_where_dev(unsigned int size, const struct bench_dev *b)
{
	unsigned long key = (unsigned long)b->dev, g, i;
	const struct auxshim_lut *lut;
	const u8 *dispp;
	u8 disp;

	rcu_read_lock_sched();
	lut = rcu_dereference_sched(auxshim_lut);
	i = bench_probe(lut, b->dev, &g, &dispp);
	disp = READ_ONCE(*dispp);
	pr_info("        # bench where: %u groups: %u-th %llu.%02llux slot %lu group %lu disp %u slotp %lx dispp %lx dev %lx igroup %lx\n",
		size, b->nth, b->fig.ratio / FIX, b->fig.ratio % FIX, i, g,
		disp, (unsigned long)&lut->slot[i], (unsigned long)dispp,
		key, (unsigned long)b->dev->iommu_group);
	rcu_read_unlock_sched();
}

/* The pages every held lookup reads, whichever the device. */
static void bench_where_fixed(unsigned int size)
{
	unsigned long here = (unsigned long)&size, pcpu = 0;
	const struct auxshim_lut *lut;

#ifdef CONFIG_X86
	pcpu = this_cpu_read(this_cpu_off);
#endif
	rcu_read_lock_sched();
	lut = rcu_dereference_sched(auxshim_lut);
	pr_info("        # bench where: %u groups: lut %lx slots %lu hash %lx lutp %lx key %lx pcpu-off %lx cpu %d stack %lx shimfn %lx kernfn %lx\n",
		size, (unsigned long)lut,
		(~0UL >> auxshim_lut_gshift(lut->hash)) + 1, lut->hash,
		(unsigned long)&auxshim_lut, (unsigned long)&auxshim_lut_used,
		pcpu, raw_smp_processor_id(), here,
		(unsigned long)bench_shim,
		(unsigned long)iommu_get_domain_for_dev);
	rcu_read_unlock_sched();
}

/*
 * Which pair of pages makes a device dear (diagnostics): loops that read
 * its slot alone, or with one other page the lookup reads: the per-CPU
 * preempt count (rcu_read_lock_sched()), the table pointer, the table's
 * header, the group's displacement.  ns per iteration, in hundredths.
 */
static noinline u64 bench_pair(const unsigned long *slot, const void *other,
			       int what, unsigned long iters)
{
	unsigned long i, x = 0;
	u64 t0 = ktime_get_ns();

	switch (what) {
	case 0:
		for (i = 0; i < iters; i++)
			x += READ_ONCE(*slot);
		break;
	case 1:
		for (i = 0; i < iters; i++) {
			preempt_disable_notrace();
			x += READ_ONCE(*slot);
			preempt_enable_notrace();
		}
		break;
	default:
		for (i = 0; i < iters; i++) {
			x += READ_ONCE(*(const u8 *)other);
			x += READ_ONCE(*slot);
		}
		break;
	}
	t0 = ktime_get_ns() - t0;
	return x == 42 ? t0 + 1 : t0;
}

static void bench_pairs(unsigned int size, const char *which,
			const struct bench_dev *b, unsigned long iters)
{
	static const char *const names[] = { "slot", "+pcpu", "+lutp",
					     "+header", "+disp" };
	unsigned long g, i;
	const struct auxshim_lut *lut;
	const void *other[5];
	u64 v[5][3];
	const u8 *dispp;
	int w, r;

	rcu_read_lock_sched();
	lut = rcu_dereference_sched(auxshim_lut);
	i = bench_probe(lut, b->dev, &g, &dispp);
	other[0] = NULL;
	other[1] = NULL;
	other[2] = &auxshim_lut;
	other[3] = &lut->hash;
	other[4] = dispp;
	for (r = 0; r < 3; r++)
		for (w = 0; w < 5; w++)
			v[w][r] = bench_pair(&lut->slot[i].key, other[w], w,
					     iters);
	rcu_read_unlock_sched();
	for (w = 0; w < 5; w++)
		pr_info("        # bench pair: %u groups: %s (the %u-th, %llu.%02llux): %s %llu ps\n",
			size, which, b->nth, b->fig.ratio / FIX,
			b->fig.ratio % FIX, names[w],
			div64_u64(bench_median(v[w], 3) * 1000, iters));
}

static void bench_held_sweep_one(struct kt_test *t, unsigned int size,
				 struct device *edu, struct bench_fill *fill,
				 unsigned int n, struct iommu_domain *dom,
				 unsigned long iters, unsigned int rounds,
				 u64 *ns, unsigned int pass)
{
	unsigned int d = min_t(unsigned int, n, BENCH_SWEEP), i;
	struct bench_dev *devs, worst = { };

	devs = kcalloc(d, sizeof(*devs), GFP_KERNEL);
	if (!KT_EXPECT_TRUE_MSG(t, devs, "no memory for the sweep"))
		return;
	for (i = 0; i < d; i++) {
		unsigned int j = d > 1 ? i * (n - 1) / (d - 1) : 0;
		struct bench_dev *b = &devs[i];

		b->dev = j ? fill[j].dev : edu;
		b->nth = j + 1;
		/* The kernel knows no domain for a group without an IOMMU. */
		b->fig = bench_measure(t, "lookup-held", size, b->dev, dom,
				       iommu_get_domain_for_dev(b->dev),
				       max(iters / 4, 1UL), rounds, ns);
	}
	bench_where_fixed(size);
	for (i = 0; bench_where && i < d; i++)
		bench_where_dev(size, &devs[i]);
	sort(devs, d, sizeof(*devs), bench_dev_cmp, NULL);
	if (bench_where) {
		bench_pairs(size, "worst", &devs[d - 1], iters);
		bench_pairs(size, "median", &devs[d / 2], iters);
	}
	if (pass)
		pr_info("        # bench rehash %u: median %llu.%02llux\n", pass,
			devs[d / 2].fig.ratio / FIX,
			devs[d / 2].fig.ratio % FIX);
	else
		bench_print_row("lookup-held-median", size,
				devs[d / 2].fig.shim, devs[d / 2].fig.kern,
				devs[d / 2].fig.ratio);
	for (i = d; i-- > 0 && i + BENCH_RECHECK >= d;) {
		struct bench_dev b = devs[i];

		b.fig = bench_measure(t, "lookup-held", size, b.dev, dom,
				      iommu_get_domain_for_dev(b.dev), iters,
				      rounds, ns);
		pr_info("        # bench: held lookups at %u groups: the %u-th attached %llu.%02llux in the sweep, %llu.%02llux again\n",
			size, b.nth, devs[i].fig.ratio / FIX,
			devs[i].fig.ratio % FIX, b.fig.ratio / FIX,
			b.fig.ratio % FIX);
		if (!bench_where)
			bench_where_dev(size, &b);
		if (b.fig.ratio >= worst.fig.ratio)
			worst = b;
	}
	if (pass)
		pr_info("        # bench rehash %u: worst %llu.%02llux (the %u-th)\n",
			pass, worst.fig.ratio / FIX, worst.fig.ratio % FIX,
			worst.nth);
	else
		bench_print_row("lookup-held-worst", size, worst.fig.shim,
				worst.fig.kern, worst.fig.ratio);
	kfree(devs);
}

static void bench_held_sweep(struct kt_test *t, unsigned int size,
			     struct device *edu, struct bench_fill *fill,
			     unsigned int n, struct iommu_domain *dom,
			     unsigned long iters, unsigned int rounds, u64 *ns)
{
	unsigned int pass;

	bench_held_sweep_one(t, size, edu, fill, n, dom, iters, rounds, ns, 0);
	for (pass = 1; pass < bench_where; pass++) {
		if (!KT_EXPECT_EQ(t, auxshim_test_lut_rehash(), 0))
			return;
		bench_held_sweep_one(t, size, edu, fill, n, dom, iters, rounds,
				     ns, pass);
	}
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

#define BENCH_REMOVALS 9

/*
 * What removing one device costs the shim (the removal watchers' work, as
 * auxshim_test_forget() does it) with the table at its current size: a
 * group of its own is attached, its device forgotten (timed), and the
 * tombstone reaped by the owner's detach.  The median of BENCH_REMOVALS, ns.
 */
static u64 bench_removal(struct kt_test *t, struct iommu_domain *dom)
{
	u64 v[BENCH_REMOVALS];
	unsigned int i, n = 0;

	for (i = 0; i < BENCH_REMOVALS; i++) {
		struct bench_fill f = { };
		u64 t0;
		int ret;

		ret = bench_fill_make(&f, BENCH_MAX_GROUPS + 1);
		if (!ret)
			ret = auxshim_attach_group(dom, f.group, bench_lookup);
		if (!KT_EXPECT_TRUE_MSG(t, !ret, "removal group: %d", ret)) {
			bench_fill_free(&f, dom);
			break;
		}
		t0 = ktime_get_ns();
		auxshim_test_forget(f.dev);
		v[n++] = ktime_get_ns() - t0;
		KT_EXPECT_TRUE_MSG(t, auxshim_get_domain_for_dev(f.dev) != dom,
				   "a forgotten device still has the domain");
		f.attached = true;	/* the owner's detach reaps the tombstone */
		bench_fill_free(&f, dom);
	}
	return n ? bench_median(v, n) : 0;
}

/* The writer of the contended lookups: another group, on and off. */
struct bench_churn {
	struct iommu_domain *dom;
	struct bench_fill f;
	unsigned long rounds;
	int err;
};

static int bench_churn_fn(void *data)
{
	struct bench_churn *c = data;

	while (!kthread_should_stop()) {
		c->err = auxshim_attach_group(c->dom, c->f.group, bench_lookup);
		if (c->err)
			break;
		auxshim_detach_group(c->dom, c->f.group);
		c->rounds++;
		cond_resched();
	}
	while (!kthread_should_stop())
		msleep(20);
	return 0;
}

/*
 * The lookup of edu (held) while another CPU attaches and detaches a
 * group in a loop, against the same lookup quiet; answers are checked.
 * The guests have 2 vCPUs: one looks up, the other churns.
 */
static void bench_contended(struct kt_test *t, struct device *edu,
			    struct iommu_domain *dom, unsigned long iters,
			    unsigned int rounds, u64 *ns)
{
	u64 *busy = ns + 3 * rounds, *quiet = busy + rounds, *ratio = quiet + rounds;
	unsigned int c0 = cpumask_first(cpu_online_mask), c1, r;
	struct bench_churn *c;
	struct task_struct *th;
	unsigned long bad = 0;

	c1 = cpumask_next(c0, cpu_online_mask);
	if (c1 >= nr_cpu_ids) {
		pr_info("        # bench: no contended run: one CPU\n");
		return;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!KT_EXPECT_TRUE_MSG(t, c && !bench_fill_make(&c->f, BENCH_MAX_GROUPS + 2),
				"the churn group"))
		goto out;
	c->dom = dom;
	set_cpus_allowed_ptr(current, cpumask_of(c0));
	for (r = 0; r < rounds; r++)
		quiet[r] = bench_shim(edu, iters, dom, &bad);
	th = kthread_create(bench_churn_fn, c, "auxshim-churn");
	if (!KT_EXPECT_TRUE_MSG(t, !IS_ERR(th), "churn thread: %ld", PTR_ERR(th)))
		goto out_cpus;
	kthread_bind(th, c1);
	wake_up_process(th);
	msleep(20);
	for (r = 0; r < rounds; r++) {
		busy[r] = bench_shim(edu, iters, dom, &bad);
		ratio[r] = div64_u64(busy[r] * FIX, quiet[r] ?: 1);
	}
	kthread_stop(th);
	KT_EXPECT_TRUE_MSG(t, !bad && !c->err && c->rounds,
			   "%lu wrong answers under contention; churn: %lu rounds, error %d",
			   bad, c->rounds, c->err);
	pr_info("        # bench: contended: %lu attach/detach rounds on CPU %u meanwhile\n",
		c->rounds, c1);
	bench_print_row("lookup-contended", BENCH_MAX_GROUPS,
			div64_u64(bench_median(busy, rounds) * FIX, iters),
			div64_u64(bench_median(quiet, rounds) * FIX, iters),
			bench_median(ratio, rounds));
out_cpus:
	set_cpus_allowed_ptr(current, cpu_online_mask);
out:
	if (c)
		bench_fill_free(&c->f, dom);
	kfree(c);
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
	u64 *ns, first_attach[16], attach1 = 0, removal1 = 0;
	unsigned int nfirst = 0;
	int ret;

	lockdep_assert_held(&auxshim_test_lock);
	bench_backing = edu;
	dom = auxshim_domain_alloc(edu);
	if (!KT_EXPECT_TRUE_MSG(t, !IS_ERR(dom), "auxshim_domain_alloc failed: %ld",
				PTR_ERR(dom)))
		return;
	ns = kcalloc(6 * rounds, sizeof(u64), GFP_KERNEL);
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
			/* Not the very first: it also turns the static key on. */
			if (n && nfirst < ARRAY_SIZE(first_attach))
				first_attach[nfirst++] = t0;
			if (bench_sizes[s] - n <= ARRAY_SIZE(att))
				att[na++] = t0;
			if (!(n % 64))
				cond_resched();
		}
		/* Attach of the last groups against the first ones'. */
		if (s) {
			u64 m = bench_median(att, na);

			if (s == 1)
				attach1 = bench_median(first_attach, nfirst);
			bench_print_row("attach-at-size", bench_sizes[s],
					m * FIX / 1000, attach1 * FIX / 1000,
					div64_u64(m * FIX, attach1 ?: 1));
		}
		{
			u64 rm = bench_removal(t, dom);

			if (!s)
				removal1 = rm;
			bench_print_row("removal-at-size", bench_sizes[s],
					rm * FIX / 1000, removal1 * FIX / 1000,
					div64_u64(rm * FIX, removal1 ?: 1));
		}
		bench_held_sweep(t, bench_sizes[s], edu, fill, n, dom, iters,
				 rounds, ns);
		bench_lookup_row(t, "lookup-not-held", bench_sizes[s], spare.dev,
				 iommu_get_domain_for_dev(spare.dev),
				 iommu_get_domain_for_dev(spare.dev), iters,
				 rounds, ns);
		auxshim_test_get_sizes(&sz);
		pr_info("        # bench mem: %u groups: record %zu B, group %zu B, attachment %zu B (ksize); table %zu B for %lu keys in %lu slots\n",
			bench_sizes[s], sz.rec, sz.grp, sz.att, sz.lut_bytes,
			sz.lut_keys, sz.lut_slots);
		bench_print_row("mem-per-record", bench_sizes[s],
				(sz.rec + div64_u64(sz.lut_bytes, sz.lut_keys ?: 1)) * FIX,
				0, 0);
	}
	bench_contended(t, edu, dom, iters, rounds, ns);
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
