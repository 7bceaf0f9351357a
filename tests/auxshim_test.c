// SPDX-License-Identifier: GPL-2.0-only
/*
 * auxshim_test: the shim's in-guest tests against a real device behind a
 * real (emulated) IOMMU.  A PCI driver for QEMU's edu device (1234:11e8)
 * that attaches edu's iommu_group through auxshim and proves translation by
 * real DMA: bytes round-trip RAM -> edu -> RAM through IOVAs that only the
 * shim-attached domain maps.
 *
 * The suites run at load, as KUnit's do, and print one KTAP document (KUnit
 * layout) to the kernel log: through KUnit where the kernel has it (the
 * debug kernel), else through tests/ktap.h (tests/kt.h chooses).  One
 * suite per unit of the shim; a case that runs in both attach modes takes the mode as a parameter:
 *
 *   edu_rig             the rig itself: edu answers, the DMA API works
 *   auxshim_attach      attach: both views, DMA, unmapped IOVAs, -EBUSY, -EINVAL
 *   auxshim_detach      detach: back to the default domain, wrong domain, NULL
 *   auxshim_lookup      the lookup callback: errors, once per device, no lock held
 *   auxshim_pasid       get_pasid and the aux API on a device without PASIDs
 *   auxshim_rollback    all or nothing under fail_nth
 *   edu_rig_after       nothing is left behind
 *
 * The mock IOMMU module (tests/mock/mock_test.c) has the same suite names
 * for the paths edu cannot reach.  After the run the guest script drives:
 *
 *   /sys/module/auxshim_test/parameters/hold
 *            write group|direct: attach edu's group and keep it attached;
 *            write 0: detach it; read: what is held and whether it is in
 *            force ("... ok" or "... fail: why", by real DMA)
 *   debugfs auxshim_test/counts   read: the shim's auxshim_test_get_counts()
 *
 * bench_iters=N bench_rounds=R at load run the benchmark suite instead
 * (auxshim_test_bench.c).
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "auxshim.h"
#include "src/shim/test_hooks.h"
#include "auxshim_test.h"

/* IOVAs only our domains map, below edu's 28-bit DMA reach. */
#define IOVA_SRC	0x100000UL
#define IOVA_DST	0x200000UL
#define XFER		4000

/* Serializes everything done to edu and the shim; see auxshim_test.h. */
DEFINE_MUTEX(auxshim_test_lock);
struct edu *auxshim_test_edu;

static unsigned long bench_iters;
module_param(bench_iters, ulong, 0444);
MODULE_PARM_DESC(bench_iters, "non-zero: run the benchmark (calls per timed loop) instead of the tests");
static unsigned int bench_rounds = 7;
module_param(bench_rounds, uint, 0444);
MODULE_PARM_DESC(bench_rounds, "benchmark rounds (1-100)");

/* ---- edu ------------------------------------------------------------------ */

/* RAM at @src_bus -> edu -> RAM at @dst_bus. */
static int edu_roundtrip(struct edu *e, u64 src_bus, u64 dst_bus, u32 cnt)
{
	int ret;

	ret = edu_dma(&e->pdev->dev, e->bar, src_bus, EDU_BUF, cnt, false);
	if (ret)
		return ret;
	return edu_dma(&e->pdev->dev, e->bar, EDU_BUF, dst_bus, cnt, true);
}

/* ---- test context: domains and pages --------------------------------------- */

struct tctx {
	struct edu *e;
	struct iommu_domain *dom;	/* maps IOVA_SRC and IOVA_DST */
	struct iommu_domain *dom2;	/* maps nothing */
	struct page *src, *dst;
};

static void tctx_fini(struct tctx *c)
{
	if (!IS_ERR_OR_NULL(c->dom)) {
		if (c->src)
			iommu_unmap(c->dom, IOVA_SRC, PAGE_SIZE);
		if (c->dst)
			iommu_unmap(c->dom, IOVA_DST, PAGE_SIZE);
		iommu_domain_free(c->dom);
	}
	if (!IS_ERR_OR_NULL(c->dom2))
		iommu_domain_free(c->dom2);
	if (c->src)
		__free_page(c->src);
	if (c->dst)
		__free_page(c->dst);
	memset(c, 0, sizeof(*c));
}

static int tctx_init(struct tctx *c, struct edu *e)
{
	struct device *dev = &e->pdev->dev;
	int ret;

	memset(c, 0, sizeof(*c));
	c->e = e;
	c->dom = auxshim_domain_alloc(dev);
	if (IS_ERR(c->dom)) {
		ret = PTR_ERR(c->dom);
		dev_err(dev, "auxshim_domain_alloc failed: %d\n", ret);
		goto err;
	}
	c->dom2 = auxshim_domain_alloc(dev);
	if (IS_ERR(c->dom2)) {
		ret = PTR_ERR(c->dom2);
		dev_err(dev, "auxshim_domain_alloc failed: %d\n", ret);
		goto err;
	}
	ret = -ENOMEM;
	c->src = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!c->src)
		goto err;
	c->dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!c->dst)
		goto err;
	ret = auxshim_map(c->dom, IOVA_SRC, page_to_phys(c->src), PAGE_SIZE,
			  IOMMU_READ | IOMMU_WRITE);
	if (ret) {
		dev_err(dev, "auxshim_map of %#lx failed: %d\n", IOVA_SRC, ret);
		__free_page(c->src);
		c->src = NULL;
		goto err;
	}
	ret = auxshim_map(c->dom, IOVA_DST, page_to_phys(c->dst), PAGE_SIZE,
			  IOMMU_READ | IOMMU_WRITE);
	if (ret) {
		dev_err(dev, "auxshim_map of %#lx failed: %d\n", IOVA_DST, ret);
		__free_page(c->dst);
		c->dst = NULL;
		goto err;
	}
	return 0;
err:
	tctx_fini(c);
	return ret;
}

/*
 * DMA through @c->dom: a fresh pattern from IOVA_SRC into edu and back out
 * to IOVA_DST.  Returns 0 if the bytes arrived, else why not.
 */
static int tctx_dma(struct tctx *c, char *why, size_t len)
{
	u8 *src = page_address(c->src), *dst = page_address(c->dst);
	int ret;

	get_random_bytes(src, XFER);
	memset(dst, 0, PAGE_SIZE);
	ret = edu_roundtrip(c->e, IOVA_SRC, IOVA_DST, XFER);
	if (ret) {
		snprintf(why, len, "edu DMA error %d", ret);
		return ret;
	}
	if (memcmp(src, dst, XFER)) {
		snprintf(why, len, "bytes did not round-trip through IOVA %#lx -> %#lx",
			 IOVA_SRC, IOVA_DST);
		return -EIO;
	}
	return 0;
}

static bool expect_dma(struct kt_test *t, int line, struct tctx *c)
{
	char why[96] = "";
	int ret = tctx_dma(c, why, sizeof(why));

	return kt_check(t, !ret, line, "DMA through the shim's domain: %s", why);
}

#define EXPECT_DMA(t, c) expect_dma(t, __LINE__, c)

/* A DMA API (default domain) round trip with coherent buffers. */
static int dma_api_roundtrip(struct edu *e, char *why, size_t len)
{
	struct device *dev = &e->pdev->dev;
	dma_addr_t src_bus, dst_bus;
	u8 *src, *dst;
	int ret;

	src = dma_alloc_coherent(dev, PAGE_SIZE, &src_bus, GFP_KERNEL);
	dst = dma_alloc_coherent(dev, PAGE_SIZE, &dst_bus, GFP_KERNEL);
	if (!src || !dst) {
		snprintf(why, len, "dma_alloc_coherent failed");
		ret = -ENOMEM;
		goto out;
	}
	get_random_bytes(src, XFER);
	memset(dst, 0, PAGE_SIZE);
	ret = edu_roundtrip(e, src_bus, dst_bus, XFER);
	if (ret) {
		snprintf(why, len, "edu DMA error %d", ret);
	} else if (memcmp(src, dst, XFER)) {
		snprintf(why, len, "bytes did not round-trip through %pad -> %pad",
			 &src_bus, &dst_bus);
		ret = -EIO;
	}
out:
	if (src)
		dma_free_coherent(dev, PAGE_SIZE, src, src_bus);
	if (dst)
		dma_free_coherent(dev, PAGE_SIZE, dst, dst_bus);
	return ret;
}

static bool expect_dma_api(struct kt_test *t, int line, struct edu *e)
{
	char why[96] = "";
	int ret = dma_api_roundtrip(e, why, sizeof(why));

	return kt_check(t, !ret, line, "DMA API round trip: %s", why);
}

#define EXPECT_DMA_API(t, e) expect_dma_api(t, __LINE__, e)

/* ---- lookups ------------------------------------------------------------- */

static atomic_t lookup_calls = ATOMIC_INIT(0);
static struct device *lookup_last;

static struct device *lookup_self(struct device *dev)
{
	atomic_inc(&lookup_calls);
	lookup_last = dev;
	return dev;
}

static struct device *lookup_null(struct device *dev)
{
	atomic_inc(&lookup_calls);
	lookup_last = dev;
	return NULL;
}

static struct device *lookup_e2big(struct device *dev)
{
	atomic_inc(&lookup_calls);
	lookup_last = dev;
	return ERR_PTR(-E2BIG);
}

/*
 * A lookup that sleeps and, from another thread, calls into the shim the way
 * a lookup's own locking could: if the shim held its lock across the lookup,
 * the worker could not finish while the lookup waits.
 */
struct lookup_probe {
	struct work_struct work;
	struct completion done;
	struct device *dev;
};

static struct lookup_probe lookup_probe;
static bool lookup_probe_blocked;

static void lookup_probe_fn(struct work_struct *work)
{
	struct lookup_probe *p = container_of(work, struct lookup_probe, work);

	auxshim_dev_aux_enabled(p->dev);
	complete(&p->done);
}

static struct device *lookup_unlocked(struct device *dev)
{
	atomic_inc(&lookup_calls);
	lookup_last = dev;
	usleep_range(5000, 6000);	/* it may sleep */
	lookup_probe.dev = dev;
	reinit_completion(&lookup_probe.done);
	schedule_work(&lookup_probe.work);
	if (!wait_for_completion_timeout(&lookup_probe.done, 2 * HZ))
		lookup_probe_blocked = true;
	return dev;
}

/* ---- the fixture: edu, and the attach mode as a parameter ---------------- */

/*
 * Every case runs on the bound edu device (auxshim_test_lock held) with a
 * fresh test context: two domains, one of them mapping IOVA_SRC/IOVA_DST.
 */
static int edu_suite_init(struct kt_test *t)
{
	struct tctx *c;
	int ret;

	/*
	 * Held by the task running the suites; under KUnit each case is a
	 * kthread of its own, so lockdep_assert_held() cannot see it.
	 */
	WARN_ON_ONCE(!mutex_is_locked(&auxshim_test_lock));
	if (!auxshim_test_edu)
		return -ENODEV;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	ret = tctx_init(c, auxshim_test_edu);
	if (ret) {
		kfree(c);
		return ret;
	}
	t->priv = c;
	return 0;
}

static void edu_suite_exit(struct kt_test *t)
{
	tctx_fini(t->priv);
	kfree(t->priv);
}

/*
 * The two ways to attach a group, as DESIGN.md has them: as a whole (lookup
 * NULL), or each device directly through a lookup that returns the device.
 */
struct edu_attach_mode {
	const char *name;
	auxshim_lookup_t lookup;
};

static const struct edu_attach_mode edu_attach_modes[] = {
	{ "group", NULL },
	{ "direct", lookup_self },
};

static void edu_attach_mode_desc(const struct edu_attach_mode *m, char *desc)
{
	strscpy(desc, m->name, KT_PARAM_DESC_SIZE);
}

KT_ARRAY_PARAM(edu_attach_mode, edu_attach_modes, edu_attach_mode_desc);

static const struct edu_attach_mode *edu_mode(struct kt_test *t)
{
	return t->param_value;
}

/* ---- checks of the shim's state ------------------------------------------- */

static void get_counts(struct auxshim_test_counts *c)
{
	auxshim_test_get_counts(c);
}

static bool expect_counts(struct kt_test *t, int line, unsigned int groups,
			  unsigned int devs, unsigned int atts)
{
	struct auxshim_test_counts c;

	get_counts(&c);
	return kt_check(t, c.groups == groups && c.devs == devs &&
			c.attachments == atts && !c.aux_devs, line,
			"counts groups %u devs %u attachments %u aux_devs %u, expected %u %u %u 0",
			c.groups, c.devs, c.attachments, c.aux_devs,
			groups, devs, atts);
}

#define EXPECT_COUNTS(t, g, d, a) expect_counts(t, __LINE__, g, d, a)

/* The table is empty and nothing the shim allocated is left. */
static bool expect_empty(struct kt_test *t, int line)
{
	struct auxshim_test_counts c;

	get_counts(&c);
	return kt_check(t, !c.groups && !c.devs && !c.attachments &&
			!c.aux_devs && !c.allocs, line,
			"shim not empty: groups %u devs %u attachments %u aux_devs %u allocs %ld",
			c.groups, c.devs, c.attachments, c.aux_devs, c.allocs);
}

#define EXPECT_EMPTY(t) expect_empty(t, __LINE__)

/* edu is on @d, by the shim's and by the kernel's account. */
static bool expect_on(struct kt_test *t, int line, struct edu *e,
		      struct iommu_domain *d)
{
	struct iommu_domain *s = auxshim_get_domain_for_dev(&e->pdev->dev);
	struct iommu_domain *k = iommu_get_domain_for_dev(&e->pdev->dev);

	return kt_check(t, s == d && k == d, line,
			"auxshim_get_domain_for_dev %p, iommu_get_domain_for_dev %p, expected %p",
			s, k, d);
}

#define EXPECT_ON(t, e, d) expect_on(t, __LINE__, e, d)

/* edu is back on the kernel's default domain, not on @d. */
static bool expect_default(struct kt_test *t, int line, struct edu *e,
			   struct iommu_domain *d)
{
	struct iommu_domain *s = auxshim_get_domain_for_dev(&e->pdev->dev);
	struct iommu_domain *k = iommu_get_domain_for_dev(&e->pdev->dev);

	return kt_check(t, k != d && k == e->def_domain && s == k, line,
			"auxshim_get_domain_for_dev %p, iommu_get_domain_for_dev %p, ours %p, default %p",
			s, k, d, e->def_domain);
}

#define EXPECT_DEFAULT(t, e, d) expect_default(t, __LINE__, e, d)

/* ---- edu_rig: the rig itself ------------------------------------------------- */

static void edu_alive(struct kt_test *t)
{
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	u32 id = readl(e->bar + EDU_REG_ID);

	writel(0x12345678, e->bar + EDU_REG_LIVE);
	KT_EXPECT_TRUE_MSG(t, id == EDU_ID, "edu id %#x", id);
	KT_EXPECT_TRUE_MSG(t, readl(e->bar + EDU_REG_LIVE) == ~0x12345678U,
			   "edu liveness register does not invert");
	KT_EXPECT_TRUE_MSG(t, e->group, "edu has no iommu_group (is intel_iommu=on?)");
	KT_EXPECT_TRUE_MSG(t, e->def_domain, "edu has no domain before any attach");
	EXPECT_EMPTY(t);
}

static void dma_api_baseline(struct kt_test *t)
{
	struct tctx *c = t->priv;
	struct edu *e = c->e;

	EXPECT_DMA_API(t, e);
}

/* ---- auxshim_attach ---------------------------------------------------------- */

/* Attach in one mode, check both views of the domain, detach. */
static void attach_both_views(struct kt_test *t)
{
	auxshim_lookup_t lookup = edu_mode(t)->lookup;
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	int ret;

	atomic_set(&lookup_calls, 0);
	lookup_last = NULL;
	ret = auxshim_attach_group(c->dom, e->group, lookup);
	if (KT_EXPECT_TRUE_MSG(t, !ret, "attach returned %d", ret)) {
		EXPECT_ON(t, e, c->dom);
		EXPECT_COUNTS(t, 1, 1, 1);
		auxshim_detach_group(c->dom, e->group);
	}
	if (lookup)
		KT_EXPECT_TRUE_MSG(t, atomic_read(&lookup_calls) == 1 &&
				   lookup_last == &e->pdev->dev,
				   "lookup called %d times (last on %p), expected once on edu",
				   atomic_read(&lookup_calls), lookup_last);
	EXPECT_EMPTY(t);
}

static void dma_through_domain(struct kt_test *t)
{
	auxshim_lookup_t lookup = edu_mode(t)->lookup;
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	int ret;

	ret = auxshim_attach_group(c->dom, e->group, lookup);
	if (KT_EXPECT_TRUE_MSG(t, !ret, "attach returned %d", ret)) {
		EXPECT_DMA(t, c);
		/* twice, with another fresh pattern */
		EXPECT_DMA(t, c);
		auxshim_detach_group(c->dom, e->group);
	}
}

/*
 * An IOVA our domain does not map delivers nothing.  The IOVA chosen is the
 * physical address of a page holding a fresh pattern: without translation
 * the DMA would hit exactly that page.
 */
static void unmapped_iova(struct kt_test *t)
{
	auxshim_lookup_t lookup = edu_mode(t)->lookup;
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	u8 *src, *dst, *victim, *saved = NULL;
	struct page *page = NULL, *reject[4] = { };
	unsigned int nrej = 0, i;
	phys_addr_t pa = 0;
	int ret;

	src = page_address(c->src);
	dst = page_address(c->dst);
	/*
	 * ZONE_DMA: below 16 MiB, so within edu's 28-bit reach (without
	 * CONFIG_ZONE_DMA, GFP_DMA is any page: every target kernel has it).
	 * Not the page at IOVA_SRC's or IOVA_DST's address, which ZONE_DMA
	 * holds too: set aside, take another.
	 */
	for (;;) {
		page = alloc_page(GFP_KERNEL | GFP_DMA);
		if (!page || nrej == ARRAY_SIZE(reject))
			break;
		pa = page_to_phys(page);
		if ((pa >> PAGE_SHIFT) != (IOVA_SRC >> PAGE_SHIFT) &&
		    (pa >> PAGE_SHIFT) != (IOVA_DST >> PAGE_SHIFT))
			break;
		reject[nrej++] = page;
	}
	saved = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!KT_EXPECT_TRUE_MSG(t, page && saved, "no memory for the victim page"))
		goto out;
	pa = page_to_phys(page);
	if (!KT_EXPECT_TRUE_MSG(t, pa < SZ_256M && (pa >> PAGE_SHIFT) != (IOVA_SRC >> PAGE_SHIFT) &&
				(pa >> PAGE_SHIFT) != (IOVA_DST >> PAGE_SHIFT),
				"victim page at %pa unusable (GFP_DMA%s)", &pa,
				IS_ENABLED(CONFIG_ZONE_DMA) ? "" : ": no CONFIG_ZONE_DMA"))
		goto out;
	victim = page_address(page);
	get_random_bytes(victim, PAGE_SIZE);
	memcpy(saved, victim, PAGE_SIZE);

	ret = auxshim_attach_group(c->dom, e->group, lookup);
	if (!KT_EXPECT_TRUE_MSG(t, !ret, "attach returned %d", ret))
		goto out;

	/* Positive control: the mapped IOVAs work. */
	EXPECT_DMA(t, c);

	/* Read: edu pulls from the unmapped IOVA, then pushes to IOVA_DST. */
	memset(dst, 0, PAGE_SIZE);
	ret = edu_dma(&e->pdev->dev, e->bar, pa, EDU_BUF, XFER, false);
	if (!ret)
		ret = edu_dma(&e->pdev->dev, e->bar, EDU_BUF, IOVA_DST, XFER, true);
	KT_EXPECT_TRUE_MSG(t, !ret, "edu DMA error %d", ret);
	KT_EXPECT_TRUE_MSG(t, memcmp(dst, victim, XFER),
			   "a read from unmapped IOVA %pa delivered the bytes at that physical address",
			   &pa);

	/* Write: a fresh pattern into edu, then out to the unmapped IOVA. */
	get_random_bytes(src, XFER);
	ret = edu_dma(&e->pdev->dev, e->bar, IOVA_SRC, EDU_BUF, XFER, false);
	if (!ret)
		ret = edu_dma(&e->pdev->dev, e->bar, EDU_BUF, pa, XFER, true);
	KT_EXPECT_TRUE_MSG(t, !ret, "edu DMA error %d", ret);
	KT_EXPECT_TRUE_MSG(t, !memcmp(victim, saved, PAGE_SIZE),
			   "a write to unmapped IOVA %pa changed that physical page", &pa);

	/* And the mapped IOVAs still work after the faults. */
	EXPECT_DMA(t, c);
	auxshim_detach_group(c->dom, e->group);
out:
	kfree(saved);
	if (page)
		__free_page(page);
	for (i = 0; i < nrej; i++)
		__free_page(reject[i]);
}

/*
 * Attach the fixture's domain to edu's group in the case's mode and take
 * the shim's counts: the start of a case about what else leaves them be.
 */
static bool attach_counted(struct kt_test *t, struct auxshim_test_counts *before)
{
	struct tctx *c = t->priv;
	int ret;

	ret = auxshim_attach_group(c->dom, c->e->group, edu_mode(t)->lookup);
	if (!KT_EXPECT_TRUE_MSG(t, !ret, "first attach returned %d", ret))
		return false;
	get_counts(before);
	return true;
}

/* A second attach of an attached group is -EBUSY and changes nothing. */
static void second_attach_ebusy(struct kt_test *t)
{
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	struct auxshim_test_counts before, after;
	int ret;

	if (!attach_counted(t, &before))
		return;

	/* A wrongly accepted attach is undone, so later cases start clean. */
	ret = auxshim_attach_group(c->dom, e->group, NULL);
	if (!KT_EXPECT_TRUE_MSG(t, ret == -EBUSY,
				"same domain, whole group: %d, expected -EBUSY", ret) &&
	    !ret)
		auxshim_detach_group(c->dom, e->group);
	ret = auxshim_attach_group(c->dom2, e->group, NULL);
	if (!KT_EXPECT_TRUE_MSG(t, ret == -EBUSY,
				"other domain, whole group: %d, expected -EBUSY", ret) &&
	    !ret)
		auxshim_detach_group(c->dom2, e->group);
	atomic_set(&lookup_calls, 0);
	ret = auxshim_attach_group(c->dom, e->group, lookup_self);
	if (!KT_EXPECT_TRUE_MSG(t, ret == -EBUSY,
				"same domain, lookup: %d, expected -EBUSY", ret) &&
	    !ret)
		auxshim_detach_group(c->dom, e->group);
	ret = auxshim_attach_group(c->dom2, e->group, lookup_self);
	if (!KT_EXPECT_TRUE_MSG(t, ret == -EBUSY,
				"other domain, lookup: %d, expected -EBUSY", ret) &&
	    !ret)
		auxshim_detach_group(c->dom2, e->group);
	KT_EXPECT_TRUE_MSG(t, atomic_read(&lookup_calls) == 2,
			   "lookup called %d times for two refused attaches, expected once each",
			   atomic_read(&lookup_calls));

	get_counts(&after);
	KT_EXPECT_TRUE_MSG(t, !memcmp(&before, &after, sizeof(before)),
			   "refused attaches changed the counts: groups %u->%u devs %u->%u attachments %u->%u allocs %ld->%ld",
			   before.groups, after.groups, before.devs, after.devs,
			   before.attachments, after.attachments, before.allocs, after.allocs);
	EXPECT_ON(t, e, c->dom);
	EXPECT_DMA(t, c);
	auxshim_detach_group(c->dom, e->group);
	EXPECT_EMPTY(t);
}

static void attach_einval_args(struct kt_test *t)
{
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	struct iommu_domain *bad_dom = ERR_PTR(-ENOMEM);
	struct iommu_group *bad_grp = ERR_PTR(-ENODEV);
	int ret;

	atomic_set(&lookup_calls, 0);
	ret = auxshim_attach_group(NULL, e->group, NULL);
	KT_EXPECT_TRUE_MSG(t, ret == -EINVAL, "NULL domain: %d", ret);
	ret = auxshim_attach_group(NULL, e->group, lookup_self);
	KT_EXPECT_TRUE_MSG(t, ret == -EINVAL, "NULL domain with lookup: %d", ret);
	ret = auxshim_attach_group(c->dom, NULL, NULL);
	KT_EXPECT_TRUE_MSG(t, ret == -EINVAL, "NULL group: %d", ret);
	ret = auxshim_attach_group(c->dom, NULL, lookup_self);
	KT_EXPECT_TRUE_MSG(t, ret == -EINVAL, "NULL group with lookup: %d", ret);
	ret = auxshim_attach_group(bad_dom, e->group, lookup_self);
	KT_EXPECT_TRUE_MSG(t, ret == -EINVAL, "ERR_PTR domain: %d", ret);
	ret = auxshim_attach_group(c->dom, bad_grp, lookup_self);
	KT_EXPECT_TRUE_MSG(t, ret == -EINVAL, "ERR_PTR group: %d", ret);
	ret = auxshim_attach_group(NULL, NULL, NULL);
	KT_EXPECT_TRUE_MSG(t, ret == -EINVAL, "NULL, NULL: %d", ret);
	KT_EXPECT_TRUE_MSG(t, !atomic_read(&lookup_calls), "lookup called %d times",
			   atomic_read(&lookup_calls));
	EXPECT_EMPTY(t);
	EXPECT_DEFAULT(t, e, c->dom);
}

/* ---- auxshim_detach ---------------------------------------------------------- */

static void detach_restores_default(struct kt_test *t)
{
	auxshim_lookup_t lookup = edu_mode(t)->lookup;
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	int ret;

	ret = auxshim_attach_group(c->dom, e->group, lookup);
	if (KT_EXPECT_TRUE_MSG(t, !ret, "attach returned %d", ret)) {
		EXPECT_ON(t, e, c->dom);
		atomic_set(&lookup_calls, 0);
		auxshim_detach_group(c->dom, e->group);
		KT_EXPECT_TRUE_MSG(t, !atomic_read(&lookup_calls),
				   "detach called the lookup %d times",
				   atomic_read(&lookup_calls));
		EXPECT_DEFAULT(t, e, c->dom);
		EXPECT_EMPTY(t);
		EXPECT_DMA_API(t, e);
	}
}

/* A detach naming the wrong domain changes nothing (and warns once). */
static void detach_wrong_domain(struct kt_test *t)
{
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	struct auxshim_test_counts before, after;

	if (!attach_counted(t, &before))
		return;
	auxshim_detach_group(c->dom2, e->group);
	auxshim_detach_group(c->dom2, e->group);
	get_counts(&after);
	KT_EXPECT_TRUE_MSG(t, !memcmp(&before, &after, sizeof(before)),
			   "a wrong-domain detach changed the counts");
	EXPECT_ON(t, e, c->dom);
	EXPECT_DMA(t, c);
	auxshim_detach_group(c->dom, e->group);
	EXPECT_EMPTY(t);
	EXPECT_DEFAULT(t, e, c->dom);
}

static void detach_null_args_harmless(struct kt_test *t)
{
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	struct auxshim_test_counts before, after;
	int ret;

	/* Nothing attached: harmless. */
	auxshim_detach_group(NULL, e->group);
	auxshim_detach_group(c->dom, NULL);
	auxshim_detach_group(NULL, NULL);
	EXPECT_EMPTY(t);
	EXPECT_DEFAULT(t, e, c->dom);

	ret = auxshim_attach_group(c->dom, e->group, lookup_self);
	if (!KT_EXPECT_TRUE_MSG(t, !ret, "attach returned %d", ret))
		return;
	get_counts(&before);
	auxshim_detach_group(NULL, e->group);
	auxshim_detach_group(c->dom, NULL);
	auxshim_detach_group(ERR_PTR(-EINVAL), e->group);
	auxshim_detach_group(c->dom, ERR_PTR(-EINVAL));
	auxshim_detach_group(NULL, NULL);
	get_counts(&after);
	KT_EXPECT_TRUE_MSG(t, !memcmp(&before, &after, sizeof(before)),
			   "detach with NULL/ERR_PTR arguments changed the counts");
	EXPECT_ON(t, e, c->dom);
	EXPECT_DMA(t, c);
	auxshim_detach_group(c->dom, e->group);
	EXPECT_EMPTY(t);
}

/* ---- auxshim_lookup ---------------------------------------------------------- */

/* A failing lookup fails the attach with its error; nothing is left. */
struct lookup_failure {
	const char *name;
	auxshim_lookup_t lookup;
	int expect;
};

static const struct lookup_failure lookup_failures[] = {
	{ "null_enodev", lookup_null, -ENODEV },
	{ "errptr_propagated", lookup_e2big, -E2BIG },
};

static void lookup_failure_desc(const struct lookup_failure *f, char *desc)
{
	strscpy(desc, f->name, KT_PARAM_DESC_SIZE);
}

KT_ARRAY_PARAM(lookup_failure, lookup_failures, lookup_failure_desc);

static void lookup_fails(struct kt_test *t)
{
	const struct lookup_failure *f = t->param_value;
	auxshim_lookup_t lookup = f->lookup;
	int expect = f->expect;
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	int ret;

	atomic_set(&lookup_calls, 0);
	lookup_last = NULL;
	ret = auxshim_attach_group(c->dom, e->group, lookup);
	KT_EXPECT_TRUE_MSG(t, ret == expect, "attach returned %d, expected %d", ret, expect);
	if (!ret)
		auxshim_detach_group(c->dom, e->group);
	KT_EXPECT_TRUE_MSG(t, atomic_read(&lookup_calls) == 1 && lookup_last == &e->pdev->dev,
			   "lookup called %d times (last on %p), expected once on edu",
			   atomic_read(&lookup_calls), lookup_last);
	EXPECT_EMPTY(t);
	EXPECT_DEFAULT(t, e, c->dom);
	EXPECT_DMA_API(t, e);
}

static void lookup_once_per_attach(struct kt_test *t)
{
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	int i, ret;

	atomic_set(&lookup_calls, 0);
	for (i = 1; i <= 3; i++) {
		ret = auxshim_attach_group(c->dom, e->group, lookup_self);
		if (!KT_EXPECT_TRUE_MSG(t, !ret, "attach %d returned %d", i, ret))
			break;
		KT_EXPECT_TRUE_MSG(t, atomic_read(&lookup_calls) == i,
				   "after %d attaches the lookup ran %d times", i,
				   atomic_read(&lookup_calls));
		auxshim_detach_group(c->dom, e->group);
	}
	EXPECT_EMPTY(t);
}

static void lookup_runs_without_shim_lock(struct kt_test *t)
{
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	int ret;

	lookup_probe_blocked = false;
	atomic_set(&lookup_calls, 0);
	ret = auxshim_attach_group(c->dom, e->group, lookup_unlocked);
	KT_EXPECT_TRUE_MSG(t, !ret, "attach returned %d", ret);
	/* Let a blocked worker finish before anything goes away. */
	flush_work(&lookup_probe.work);
	KT_EXPECT_TRUE_MSG(t, !lookup_probe_blocked,
			   "a shim call from another thread blocked while the lookup ran: shim lock held across the lookup");
	KT_EXPECT_TRUE_MSG(t, atomic_read(&lookup_calls) == 1, "lookup called %d times",
			   atomic_read(&lookup_calls));
	if (!ret) {
		EXPECT_ON(t, e, c->dom);
		auxshim_detach_group(c->dom, e->group);
	}
	EXPECT_EMPTY(t);
}

/* ---- auxshim_pasid ----------------------------------------------------------- */

static void get_pasid_errors(struct kt_test *t)
{
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	struct device *dev = &e->pdev->dev;
	int ret;

	ret = auxshim_get_pasid(c->dom, dev);
	KT_EXPECT_TRUE_MSG(t, ret == -ENODEV, "unknown device: %d, expected -ENODEV", ret);

	ret = auxshim_attach_group(c->dom, e->group, lookup_self);
	if (KT_EXPECT_TRUE_MSG(t, !ret, "direct attach returned %d", ret)) {
		ret = auxshim_get_pasid(c->dom, dev);
		KT_EXPECT_TRUE_MSG(t, ret == -EINVAL, "direct-attached: %d, expected -EINVAL", ret);
		ret = auxshim_get_pasid(c->dom2, dev);
		KT_EXPECT_TRUE_MSG(t, ret == -EINVAL,
				   "direct-attached, other domain: %d, expected -EINVAL",
				   ret);
		auxshim_detach_group(c->dom, e->group);
	}
	ret = auxshim_attach_group(c->dom, e->group, NULL);
	if (KT_EXPECT_TRUE_MSG(t, !ret, "group attach returned %d", ret)) {
		ret = auxshim_get_pasid(c->dom, dev);
		KT_EXPECT_TRUE_MSG(t, ret == -EINVAL, "group-attached: %d, expected -EINVAL", ret);
		auxshim_detach_group(c->dom, e->group);
	}
	ret = auxshim_get_pasid(c->dom, dev);
	KT_EXPECT_TRUE_MSG(t, ret == -ENODEV, "after detach: %d, expected -ENODEV", ret);
	ret = auxshim_get_pasid(NULL, dev);
	KT_EXPECT_TRUE_MSG(t, ret == -EINVAL, "NULL domain: %d, expected -EINVAL", ret);
	ret = auxshim_get_pasid(c->dom, NULL);
	KT_EXPECT_TRUE_MSG(t, ret == -EINVAL, "NULL device: %d, expected -EINVAL", ret);
	EXPECT_EMPTY(t);
}

/* edu has no PCI PASID capability in QEMU: no aux, on any kernel. */
static void aux_api_on_edu(struct kt_test *t)
{
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	struct device *dev = &e->pdev->dev;
	int ret;

	KT_EXPECT_TRUE_MSG(t, !auxshim_dev_has_aux(dev), "auxshim_dev_has_aux(edu) is true");
	ret = auxshim_dev_enable_aux(dev);
	KT_EXPECT_TRUE_MSG(t, ret == -ENODEV || ret == -EOPNOTSUPP,
			   "auxshim_dev_enable_aux(edu): %d, expected -ENODEV or -EOPNOTSUPP", ret);
	KT_EXPECT_TRUE_MSG(t, !auxshim_dev_aux_enabled(dev), "aux enabled on edu");
	ret = auxshim_aux_attach_device(c->dom, dev);
	KT_EXPECT_TRUE_MSG(t, ret < 0, "auxshim_aux_attach_device(edu) returned %d", ret);
	EXPECT_DEFAULT(t, e, c->dom);
	ret = auxshim_aux_get_pasid(c->dom, dev);
	KT_EXPECT_TRUE_MSG(t, ret < 0, "auxshim_aux_get_pasid(edu) returned %d", ret);
	ret = auxshim_dev_disable_aux(dev);
	KT_EXPECT_TRUE_MSG(t, !ret || ret == -EOPNOTSUPP,
			   "auxshim_dev_disable_aux(edu): %d", ret);
	KT_EXPECT_TRUE_MSG(t, !auxshim_dev_has_aux(NULL), "auxshim_dev_has_aux(NULL) is true");
	ret = auxshim_dev_enable_aux(NULL);
	KT_EXPECT_TRUE_MSG(t, ret == -EINVAL,
			   "auxshim_dev_enable_aux(NULL): %d, expected -EINVAL", ret);
	EXPECT_EMPTY(t);
}

/* ---- auxshim_rollback -------------------------------------------------------- */

/*
 * All or nothing: make the shim's Nth allocation fail during an attach, for
 * every N until the attach no longer allocates that many times.
 */
static void attach_fail_nth_rollback(struct kt_test *t)
{
	auxshim_lookup_t lookup = edu_mode(t)->lookup;
	struct tctx *c = t->priv;
	struct edu *e = c->e;
	unsigned int nth, fired = 0;
	int ret;

	for (nth = 1; nth < 64; nth++) {
		auxshim_test_fail_nth(nth);
		ret = auxshim_attach_group(c->dom, e->group, lookup);
		if (!auxshim_test_fail_fired()) {
			auxshim_test_fail_nth(0);
			KT_EXPECT_TRUE_MSG(t, !ret,
					   "attach without an injected failure returned %d",
					   ret);
			if (!ret)
				auxshim_detach_group(c->dom, e->group);
			break;
		}
		fired++;
		KT_EXPECT_TRUE_MSG(t, ret == -ENOMEM, "allocation %u failed: attach returned %d",
				   nth, ret);
		if (!ret)
			auxshim_detach_group(c->dom, e->group);
		EXPECT_EMPTY(t);
		EXPECT_DEFAULT(t, e, c->dom);
		if (kt_failed(t))
			break;
	}
	auxshim_test_fail_nth(0);
	kt_info(t, "%u injected allocation failures", fired);
	KT_EXPECT_TRUE_MSG(t, fired > 0 && nth < 64, "%u injected failures, stopped at %u",
			   fired, nth);
	EXPECT_EMPTY(t);
}

/* ---- edu_rig_after ----------------------------------------------------------- */

static void final_state(struct kt_test *t)
{
	struct tctx *c = t->priv;
	struct edu *e = c->e;

	EXPECT_EMPTY(t);
	KT_EXPECT_TRUE_MSG(t, iommu_get_domain_for_dev(&e->pdev->dev) == e->def_domain,
			   "edu not on its default domain");
	EXPECT_DMA_API(t, e);
}

/* ---- the suites -------------------------------------------------------------- */

#define EDU_SUITE(sname, ...)						\
	static struct kt_case sname##_cases[] = { __VA_ARGS__, {} };	\
	static struct kt_suite sname##_suite =				\
		KT_SUITE(#sname, edu_suite_init, edu_suite_exit, sname##_cases)

EDU_SUITE(edu_rig,
	  KT_CASE(edu_alive),
	  KT_CASE(dma_api_baseline));
EDU_SUITE(auxshim_attach,
	  KT_CASE_PARAM(attach_both_views, edu_attach_mode_gen_params),
	  KT_CASE_PARAM(dma_through_domain, edu_attach_mode_gen_params),
	  KT_CASE_PARAM(unmapped_iova, edu_attach_mode_gen_params),
	  KT_CASE_PARAM(second_attach_ebusy, edu_attach_mode_gen_params),
	  KT_CASE(attach_einval_args));
EDU_SUITE(auxshim_detach,
	  KT_CASE_PARAM(detach_restores_default, edu_attach_mode_gen_params),
	  KT_CASE_PARAM(detach_wrong_domain, edu_attach_mode_gen_params),
	  KT_CASE(detach_null_args_harmless));
EDU_SUITE(auxshim_lookup,
	  KT_CASE_PARAM(lookup_fails, lookup_failure_gen_params),
	  KT_CASE(lookup_once_per_attach),
	  KT_CASE(lookup_runs_without_shim_lock));
EDU_SUITE(auxshim_pasid,
	  KT_CASE(get_pasid_errors),
	  KT_CASE(aux_api_on_edu));
EDU_SUITE(auxshim_rollback,
	  KT_CASE_PARAM(attach_fail_nth_rollback, edu_attach_mode_gen_params));
EDU_SUITE(edu_rig_after,
	  KT_CASE(final_state));

static struct kt_suite *edu_suites[] = {
	&edu_rig_suite,
	&auxshim_attach_suite,
	&auxshim_detach_suite,
	&auxshim_lookup_suite,
	&auxshim_pasid_suite,
	&auxshim_rollback_suite,
	&edu_rig_after_suite,
	NULL
};

/* The benchmark, as a suite of its own (auxshim_test_bench.c). */
static void bench_domain_lookup(struct kt_test *t)
{
	struct tctx *c = t->priv;

	auxshim_test_bench(t, c->e, bench_iters, bench_rounds);
}

EDU_SUITE(auxshim_bench,
	  KT_CASE(bench_domain_lookup));

static struct kt_suite *bench_suites[] = { &auxshim_bench_suite, NULL };

/* What the module ran at load: edu_suites or bench_suites. */
static struct kt_suite **ran_suites;

/* ---- the held attachment (for the guest script) ---------------------------- */

/*
 * Survives edu's removal: the shim must cope with that, not us.  Our own
 * reference on the group goes when edu does (see edu_remove()); after that
 * @group is only the key the detach names.
 */
struct held {
	struct tctx c;
	struct iommu_group *group;	/* reference held while @group_ref */
	bool group_ref;
	int group_id;
	const struct edu_attach_mode *mode;
	char bdf[32];
};

static struct held *held;

static void held_release(void)
{
	lockdep_assert_held(&auxshim_test_lock);
	if (!held)
		return;
	auxshim_detach_group(held->c.dom, held->group);
	if (held->group_ref)
		iommu_group_put(held->group);
	tctx_fini(&held->c);
	kfree(held);
	held = NULL;
}

static int held_take(struct edu *e, const struct edu_attach_mode *mode)
{
	struct held *h;
	int ret;

	lockdep_assert_held(&auxshim_test_lock);
	if (held)
		return -EBUSY;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	ret = tctx_init(&h->c, e);
	if (ret)
		goto err_free;
	h->mode = mode;
	strscpy(h->bdf, pci_name(e->pdev), sizeof(h->bdf));
	ret = auxshim_attach_group(h->c.dom, e->group, mode->lookup);
	if (ret) {
		dev_err(&e->pdev->dev, "holding a %s attach failed: %d\n",
			mode->name, ret);
		goto err_tctx;
	}
	iommu_group_ref_get(e->group);
	h->group = e->group;
	h->group_ref = true;
	h->group_id = iommu_group_id(e->group);
	held = h;
	return 0;

err_tctx:
	tctx_fini(&h->c);
err_free:
	kfree(h);
	return ret;
}

/* "hold": write a mode name to attach and keep, 0 to detach. */
static int hold_set(const char *val, const struct kernel_param *kp)
{
	const struct edu_attach_mode *m, *mode = NULL;
	int ret;

	for (m = edu_attach_modes; m < edu_attach_modes + ARRAY_SIZE(edu_attach_modes); m++)
		if (sysfs_streq(val, m->name))
			mode = m;
	if (!mode && !sysfs_streq(val, "0"))
		return -EINVAL;

	mutex_lock(&auxshim_test_lock);
	if (!mode) {
		held_release();
		ret = 0;
	} else {
		ret = auxshim_test_edu ? held_take(auxshim_test_edu, mode) : -ENODEV;
	}
	mutex_unlock(&auxshim_test_lock);
	return ret;
}

/*
 * Read: "none", or what is held and whether it is in force by the shim's
 * view and by real DMA: "mode M group G domain D dev BDF ok|fail: why".
 */
static int hold_get(char *buf, const struct kernel_param *kp)
{
	struct iommu_domain *d;
	char why[96] = "";
	int n;

	mutex_lock(&auxshim_test_lock);
	if (!held) {
		n = sysfs_emit(buf, "none\n");
		goto out;
	}
	n = sysfs_emit(buf, "mode %s group %d domain %p dev %s ", held->mode->name,
		       held->group_id, held->c.dom, held->bdf);
	if (!auxshim_test_edu) {
		n += sysfs_emit_at(buf, n, "fail: no edu device\n");
		goto out;
	}
	d = auxshim_get_domain_for_dev(&auxshim_test_edu->pdev->dev);
	held->c.e = auxshim_test_edu;
	if (d != held->c.dom)
		n += sysfs_emit_at(buf, n, "fail: auxshim_get_domain_for_dev %p, held %p\n",
				   d, held->c.dom);
	else if (tctx_dma(&held->c, why, sizeof(why)))
		n += sysfs_emit_at(buf, n, "fail: %s\n", why);
	else
		n += sysfs_emit_at(buf, n, "ok\n");
out:
	mutex_unlock(&auxshim_test_lock);
	return n;
}

static const struct kernel_param_ops hold_ops = {
	.set = hold_set,
	.get = hold_get,
};
module_param_cb(hold, &hold_ops, NULL, 0644);
MODULE_PARM_DESC(hold, "group|direct: attach edu's group and keep it; 0: detach");

static int counts_show(struct seq_file *s, void *unused)
{
	struct auxshim_test_counts c;

	auxshim_test_get_counts(&c);
	seq_printf(s, "groups %u devs %u attachments %u aux_devs %u allocs %ld\n",
		   c.groups, c.devs, c.attachments, c.aux_devs, c.allocs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counts);

static struct dentry *auxshim_test_dir;

/* ---- the PCI driver ---------------------------------------------------------- */

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct edu *e;
	int ret;

	mutex_lock(&auxshim_test_lock);
	if (auxshim_test_edu) {
		dev_info(dev, "only one edu is tested; ignored\n");
		ret = -EBUSY;
		goto err_unlock;
	}
	e = devm_kzalloc(dev, sizeof(*e), GFP_KERNEL);
	if (!e) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	e->pdev = pdev;
	ret = pcim_enable_device(pdev);
	if (ret) {
		dev_err(dev, "cannot enable: %d\n", ret);
		goto err_unlock;
	}
	/* edu masks bus addresses to 28 bits. */
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(28));
	if (ret) {
		dev_err(dev, "cannot set a 28-bit DMA mask: %d\n", ret);
		goto err_unlock;
	}
	e->bar = pcim_iomap(pdev, 0, 0);
	if (!e->bar) {
		ret = -ENOMEM;
		dev_err(dev, "cannot map BAR0: %d\n", ret);
		goto err_unlock;
	}
	pci_set_master(pdev);
	e->group = iommu_group_get(dev);
	e->def_domain = iommu_get_domain_for_dev(dev);
	pci_set_drvdata(pdev, e);
	auxshim_test_edu = e;
	mutex_unlock(&auxshim_test_lock);
	dev_info(dev, "edu bound; iommu group %d\n",
		 e->group ? iommu_group_id(e->group) : -1);
	return 0;

err_unlock:
	mutex_unlock(&auxshim_test_lock);
	return ret;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu *e = pci_get_drvdata(pdev);

	mutex_lock(&auxshim_test_lock);
	if (auxshim_test_edu == e)
		auxshim_test_edu = NULL;
	/*
	 * A held attachment stays: the shim must drop edu's record itself.
	 * Our group reference goes now: a group that outlives its last device
	 * crashes 5.10's intel-iommu when it is finally released.
	 */
	if (held) {
		dev_info(&pdev->dev, "removed while a %s attachment is held\n",
			 held->mode->name);
		if (held->group_ref && held->group == e->group) {
			iommu_group_put(held->group);
			held->group_ref = false;
		}
	}
	pci_clear_master(pdev);
	if (e->group)
		iommu_group_put(e->group);
	mutex_unlock(&auxshim_test_lock);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = KBUILD_MODNAME,
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};

static int __init auxshim_test_init(void)
{
	int ret;

	INIT_WORK(&lookup_probe.work, lookup_probe_fn);
	init_completion(&lookup_probe.done);

	if (bench_iters && (!bench_rounds || bench_rounds > 100))
		return -EINVAL;
	/* Probing edu happens here, synchronously. */
	ret = pci_register_driver(&edu_driver);
	if (ret) {
		pr_err("cannot register the edu driver: %d\n", ret);
		return ret;
	}
	mutex_lock(&auxshim_test_lock);
	ran_suites = bench_iters ? bench_suites : edu_suites;
	kt_run_suites(ran_suites);
	mutex_unlock(&auxshim_test_lock);
	flush_work(&lookup_probe.work);

	auxshim_test_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("counts", 0400, auxshim_test_dir, NULL, &counts_fops);
	return 0;
}

static void __exit auxshim_test_exit(void)
{
	kt_end_suites(ran_suites);
	debugfs_remove_recursive(auxshim_test_dir);
	mutex_lock(&auxshim_test_lock);
	held_release();
	mutex_unlock(&auxshim_test_lock);
	pci_unregister_driver(&edu_driver);
	flush_work(&lookup_probe.work);
}

module_init(auxshim_test_init);
module_exit(auxshim_test_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("auxshim in-guest tests with QEMU's edu device behind VT-d");
MODULE_AUTHOR("auxshim developers");
