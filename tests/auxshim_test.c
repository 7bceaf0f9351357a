// SPDX-License-Identifier: GPL-2.0-only
/*
 * auxshim_test: the shim's in-guest tests against a real device behind a
 * real (emulated) IOMMU.  A PCI driver for QEMU's edu device (1234:11e8)
 * that attaches edu's iommu_group through auxshim and proves translation by
 * real DMA: bytes round-trip RAM -> edu -> RAM through IOVAs that only the
 * shim-attached domain maps.
 *
 * Everything is driven from debugfs (auxshim_test/), so that the guest
 * script decides the order and can look at the shim between steps:
 *
 *   run      write 1: run the KTAP suite; its KTAP goes to the kernel log
 *   hold     write group|direct: attach edu's group and keep it attached;
 *            write 0: detach it; read: what is held
 *   check    read: is the held attachment in force ("ok" or "fail: why")
 *   counts   read: the shim's auxshim_test_get_counts()
 *   bench    write "ITERS ROUNDS": time the domain lookups (KTAP to the log)
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
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

/* ---- KTAP ------------------------------------------------------------------ */

struct kt {
	unsigned int failed;	/* checks that failed */
	char why[160];		/* the first one */
};

static __printf(4, 5) bool kt_expect(struct kt *t, bool ok, int line,
				     const char *fmt, ...)
{
	struct va_format vaf;
	va_list ap;

	if (ok)
		return true;
	va_start(ap, fmt);
	vaf.fmt = fmt;
	vaf.va = &ap;
	if (!t->failed++)
		snprintf(t->why, sizeof(t->why), "line %d: %pV", line, &vaf);
	pr_info("    # line %d: %pV\n", line, &vaf);
	va_end(ap);
	return false;
}

/* Record a failed check (with the line), and go on: each case cleans up. */
#define EXPECT(t, cond, fmt, ...) \
	kt_expect(t, !!(cond), __LINE__, fmt, ##__VA_ARGS__)

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

static bool expect_dma(struct kt *t, int line, struct tctx *c)
{
	char why[96] = "";
	int ret = tctx_dma(c, why, sizeof(why));

	return kt_expect(t, !ret, line, "DMA through the shim's domain: %s", why);
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

static bool expect_dma_api(struct kt *t, int line, struct edu *e)
{
	char why[96] = "";
	int ret = dma_api_roundtrip(e, why, sizeof(why));

	return kt_expect(t, !ret, line, "DMA API round trip: %s", why);
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

/* ---- checks of the shim's state ------------------------------------------- */

static void get_counts(struct auxshim_test_counts *c)
{
	auxshim_test_get_counts(c);
}

static bool expect_counts(struct kt *t, int line, unsigned int groups,
			  unsigned int devs, unsigned int atts)
{
	struct auxshim_test_counts c;

	get_counts(&c);
	return kt_expect(t, c.groups == groups && c.devs == devs &&
			 c.attachments == atts && !c.aux_devs, line,
			 "counts groups %u devs %u attachments %u aux_devs %u, expected %u %u %u 0",
			 c.groups, c.devs, c.attachments, c.aux_devs,
			 groups, devs, atts);
}

#define EXPECT_COUNTS(t, g, d, a) expect_counts(t, __LINE__, g, d, a)

/* The table is empty and nothing the shim allocated is left. */
static bool expect_empty(struct kt *t, int line)
{
	struct auxshim_test_counts c;

	get_counts(&c);
	return kt_expect(t, !c.groups && !c.devs && !c.attachments &&
			 !c.aux_devs && !c.allocs, line,
			 "shim not empty: groups %u devs %u attachments %u aux_devs %u allocs %ld",
			 c.groups, c.devs, c.attachments, c.aux_devs, c.allocs);
}

#define EXPECT_EMPTY(t) expect_empty(t, __LINE__)

/* edu is on @d, by the shim's and by the kernel's account. */
static bool expect_on(struct kt *t, int line, struct edu *e,
		      struct iommu_domain *d)
{
	struct iommu_domain *s = auxshim_get_domain_for_dev(&e->pdev->dev);
	struct iommu_domain *k = iommu_get_domain_for_dev(&e->pdev->dev);

	return kt_expect(t, s == d && k == d, line,
			 "auxshim_get_domain_for_dev %p, iommu_get_domain_for_dev %p, expected %p",
			 s, k, d);
}

#define EXPECT_ON(t, e, d) expect_on(t, __LINE__, e, d)

/* edu is back on the kernel's default domain, not on @d. */
static bool expect_default(struct kt *t, int line, struct edu *e,
			   struct iommu_domain *d)
{
	struct iommu_domain *s = auxshim_get_domain_for_dev(&e->pdev->dev);
	struct iommu_domain *k = iommu_get_domain_for_dev(&e->pdev->dev);

	return kt_expect(t, k != d && k == e->def_domain && s == k, line,
			 "auxshim_get_domain_for_dev %p, iommu_get_domain_for_dev %p, ours %p, default %p",
			 s, k, d, e->def_domain);
}

#define EXPECT_DEFAULT(t, e, d) expect_default(t, __LINE__, e, d)

/* ---- test cases ------------------------------------------------------------ */

static void t_edu_alive(struct kt *t, struct edu *e)
{
	u32 id = readl(e->bar + EDU_REG_ID);

	writel(0x12345678, e->bar + EDU_REG_LIVE);
	EXPECT(t, id == EDU_ID, "edu id %#x", id);
	EXPECT(t, readl(e->bar + EDU_REG_LIVE) == ~0x12345678U,
	       "edu liveness register does not invert");
	EXPECT(t, e->group, "edu has no iommu_group (is intel_iommu=on?)");
	EXPECT(t, e->def_domain, "edu has no domain before any attach");
	EXPECT_EMPTY(t);
}

static void t_dma_api_baseline(struct kt *t, struct edu *e)
{
	EXPECT_DMA_API(t, e);
}

/* Attach in one mode, check both views of the domain, detach. */
static void attach_mode(struct kt *t, struct edu *e, auxshim_lookup_t lookup)
{
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	atomic_set(&lookup_calls, 0);
	lookup_last = NULL;
	ret = auxshim_attach_group(c.dom, e->group, lookup);
	if (EXPECT(t, !ret, "attach returned %d", ret)) {
		EXPECT_ON(t, e, c.dom);
		EXPECT_COUNTS(t, 1, 1, 1);
		auxshim_detach_group(c.dom, e->group);
	}
	if (lookup)
		EXPECT(t, atomic_read(&lookup_calls) == 1 &&
		       lookup_last == &e->pdev->dev,
		       "lookup called %d times (last on %p), expected once on edu",
		       atomic_read(&lookup_calls), lookup_last);
	EXPECT_EMPTY(t);
	tctx_fini(&c);
}

static void t_attach_group(struct kt *t, struct edu *e)
{
	attach_mode(t, e, NULL);
}

static void t_attach_direct(struct kt *t, struct edu *e)
{
	attach_mode(t, e, lookup_self);
}

static void dma_mode(struct kt *t, struct edu *e, auxshim_lookup_t lookup)
{
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	ret = auxshim_attach_group(c.dom, e->group, lookup);
	if (EXPECT(t, !ret, "attach returned %d", ret)) {
		EXPECT_DMA(t, &c);
		/* twice, with another fresh pattern */
		EXPECT_DMA(t, &c);
		auxshim_detach_group(c.dom, e->group);
	}
	tctx_fini(&c);
}

static void t_dma_group(struct kt *t, struct edu *e)
{
	dma_mode(t, e, NULL);
}

static void t_dma_direct(struct kt *t, struct edu *e)
{
	dma_mode(t, e, lookup_self);
}

/*
 * An IOVA our domain does not map delivers nothing.  The IOVA chosen is the
 * physical address of a page holding a fresh pattern: without translation
 * the DMA would hit exactly that page.
 */
static void unmapped_mode(struct kt *t, struct edu *e, auxshim_lookup_t lookup)
{
	u8 *src, *dst, *victim, *saved = NULL;
	struct page *page = NULL;
	phys_addr_t pa = 0;
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	src = page_address(c.src);
	dst = page_address(c.dst);
	/* ZONE_DMA: below 16 MiB, so within edu's 28-bit reach. */
	page = alloc_page(GFP_KERNEL | GFP_DMA);
	saved = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!EXPECT(t, page && saved, "no memory for the victim page"))
		goto out;
	pa = page_to_phys(page);
	if (!EXPECT(t, pa < SZ_256M && (pa >> PAGE_SHIFT) != (IOVA_SRC >> PAGE_SHIFT) &&
		    (pa >> PAGE_SHIFT) != (IOVA_DST >> PAGE_SHIFT),
		    "victim page at %pa unusable", &pa))
		goto out;
	victim = page_address(page);
	get_random_bytes(victim, PAGE_SIZE);
	memcpy(saved, victim, PAGE_SIZE);

	ret = auxshim_attach_group(c.dom, e->group, lookup);
	if (!EXPECT(t, !ret, "attach returned %d", ret))
		goto out;

	/* Positive control: the mapped IOVAs work. */
	EXPECT_DMA(t, &c);

	/* Read: edu pulls from the unmapped IOVA, then pushes to IOVA_DST. */
	memset(dst, 0, PAGE_SIZE);
	ret = edu_dma(&e->pdev->dev, e->bar, pa, EDU_BUF, XFER, false);
	if (!ret)
		ret = edu_dma(&e->pdev->dev, e->bar, EDU_BUF, IOVA_DST, XFER, true);
	EXPECT(t, !ret, "edu DMA error %d", ret);
	EXPECT(t, memcmp(dst, victim, XFER),
	       "a read from unmapped IOVA %pa delivered the bytes at that physical address",
	       &pa);

	/* Write: a fresh pattern into edu, then out to the unmapped IOVA. */
	get_random_bytes(src, XFER);
	ret = edu_dma(&e->pdev->dev, e->bar, IOVA_SRC, EDU_BUF, XFER, false);
	if (!ret)
		ret = edu_dma(&e->pdev->dev, e->bar, EDU_BUF, pa, XFER, true);
	EXPECT(t, !ret, "edu DMA error %d", ret);
	EXPECT(t, !memcmp(victim, saved, PAGE_SIZE),
	       "a write to unmapped IOVA %pa changed that physical page", &pa);

	/* And the mapped IOVAs still work after the faults. */
	EXPECT_DMA(t, &c);
	auxshim_detach_group(c.dom, e->group);
out:
	kfree(saved);
	if (page)
		__free_page(page);
	tctx_fini(&c);
}

static void t_unmapped_group(struct kt *t, struct edu *e)
{
	unmapped_mode(t, e, NULL);
}

static void t_unmapped_direct(struct kt *t, struct edu *e)
{
	unmapped_mode(t, e, lookup_self);
}

static void detach_mode(struct kt *t, struct edu *e, auxshim_lookup_t lookup)
{
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	ret = auxshim_attach_group(c.dom, e->group, lookup);
	if (EXPECT(t, !ret, "attach returned %d", ret)) {
		EXPECT_ON(t, e, c.dom);
		atomic_set(&lookup_calls, 0);
		auxshim_detach_group(c.dom, e->group);
		EXPECT(t, !atomic_read(&lookup_calls),
		       "detach called the lookup %d times",
		       atomic_read(&lookup_calls));
		EXPECT_DEFAULT(t, e, c.dom);
		EXPECT_EMPTY(t);
		EXPECT_DMA_API(t, e);
	}
	tctx_fini(&c);
}

static void t_detach_group(struct kt *t, struct edu *e)
{
	detach_mode(t, e, NULL);
}

static void t_detach_direct(struct kt *t, struct edu *e)
{
	detach_mode(t, e, lookup_self);
}

/* A second attach of an attached group is -EBUSY and changes nothing. */
static void ebusy_mode(struct kt *t, struct edu *e, auxshim_lookup_t first)
{
	struct auxshim_test_counts before, after;
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	ret = auxshim_attach_group(c.dom, e->group, first);
	if (!EXPECT(t, !ret, "first attach returned %d", ret))
		goto out;
	get_counts(&before);

	/* A wrongly accepted attach is undone, so later cases start clean. */
	ret = auxshim_attach_group(c.dom, e->group, NULL);
	if (!EXPECT(t, ret == -EBUSY, "same domain, whole group: %d, expected -EBUSY", ret) &&
	    !ret)
		auxshim_detach_group(c.dom, e->group);
	ret = auxshim_attach_group(c.dom2, e->group, NULL);
	if (!EXPECT(t, ret == -EBUSY, "other domain, whole group: %d, expected -EBUSY", ret) &&
	    !ret)
		auxshim_detach_group(c.dom2, e->group);
	atomic_set(&lookup_calls, 0);
	ret = auxshim_attach_group(c.dom, e->group, lookup_self);
	if (!EXPECT(t, ret == -EBUSY, "same domain, lookup: %d, expected -EBUSY", ret) &&
	    !ret)
		auxshim_detach_group(c.dom, e->group);
	ret = auxshim_attach_group(c.dom2, e->group, lookup_self);
	if (!EXPECT(t, ret == -EBUSY, "other domain, lookup: %d, expected -EBUSY", ret) &&
	    !ret)
		auxshim_detach_group(c.dom2, e->group);
	EXPECT(t, atomic_read(&lookup_calls) <= 2,
	       "lookup called %d times for two refused attaches",
	       atomic_read(&lookup_calls));

	get_counts(&after);
	EXPECT(t, !memcmp(&before, &after, sizeof(before)),
	       "refused attaches changed the counts: groups %u->%u devs %u->%u attachments %u->%u allocs %ld->%ld",
	       before.groups, after.groups, before.devs, after.devs,
	       before.attachments, after.attachments, before.allocs, after.allocs);
	EXPECT_ON(t, e, c.dom);
	EXPECT_DMA(t, &c);
	auxshim_detach_group(c.dom, e->group);
	EXPECT_EMPTY(t);
out:
	tctx_fini(&c);
}

static void t_ebusy_after_group(struct kt *t, struct edu *e)
{
	ebusy_mode(t, e, NULL);
}

static void t_ebusy_after_direct(struct kt *t, struct edu *e)
{
	ebusy_mode(t, e, lookup_self);
}

static void t_attach_einval(struct kt *t, struct edu *e)
{
	struct iommu_domain *bad_dom = ERR_PTR(-ENOMEM);
	struct iommu_group *bad_grp = ERR_PTR(-ENODEV);
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	atomic_set(&lookup_calls, 0);
	ret = auxshim_attach_group(NULL, e->group, NULL);
	EXPECT(t, ret == -EINVAL, "NULL domain: %d", ret);
	ret = auxshim_attach_group(NULL, e->group, lookup_self);
	EXPECT(t, ret == -EINVAL, "NULL domain with lookup: %d", ret);
	ret = auxshim_attach_group(c.dom, NULL, NULL);
	EXPECT(t, ret == -EINVAL, "NULL group: %d", ret);
	ret = auxshim_attach_group(c.dom, NULL, lookup_self);
	EXPECT(t, ret == -EINVAL, "NULL group with lookup: %d", ret);
	ret = auxshim_attach_group(bad_dom, e->group, lookup_self);
	EXPECT(t, ret == -EINVAL, "ERR_PTR domain: %d", ret);
	ret = auxshim_attach_group(c.dom, bad_grp, lookup_self);
	EXPECT(t, ret == -EINVAL, "ERR_PTR group: %d", ret);
	ret = auxshim_attach_group(NULL, NULL, NULL);
	EXPECT(t, ret == -EINVAL, "NULL, NULL: %d", ret);
	EXPECT(t, !atomic_read(&lookup_calls), "lookup called %d times",
	       atomic_read(&lookup_calls));
	EXPECT_EMPTY(t);
	EXPECT_DEFAULT(t, e, c.dom);
	tctx_fini(&c);
}

static void t_detach_null_args(struct kt *t, struct edu *e)
{
	struct auxshim_test_counts before, after;
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	/* Nothing attached: harmless. */
	auxshim_detach_group(NULL, e->group);
	auxshim_detach_group(c.dom, NULL);
	auxshim_detach_group(NULL, NULL);
	EXPECT_EMPTY(t);
	EXPECT_DEFAULT(t, e, c.dom);

	ret = auxshim_attach_group(c.dom, e->group, lookup_self);
	if (!EXPECT(t, !ret, "attach returned %d", ret))
		goto out;
	get_counts(&before);
	auxshim_detach_group(NULL, e->group);
	auxshim_detach_group(c.dom, NULL);
	auxshim_detach_group(ERR_PTR(-EINVAL), e->group);
	auxshim_detach_group(c.dom, ERR_PTR(-EINVAL));
	auxshim_detach_group(NULL, NULL);
	get_counts(&after);
	EXPECT(t, !memcmp(&before, &after, sizeof(before)),
	       "detach with NULL/ERR_PTR arguments changed the counts");
	EXPECT_ON(t, e, c.dom);
	EXPECT_DMA(t, &c);
	auxshim_detach_group(c.dom, e->group);
	EXPECT_EMPTY(t);
out:
	tctx_fini(&c);
}

static void t_get_pasid_errors(struct kt *t, struct edu *e)
{
	struct device *dev = &e->pdev->dev;
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	ret = auxshim_get_pasid(c.dom, dev);
	EXPECT(t, ret == -ENODEV, "unknown device: %d, expected -ENODEV", ret);

	ret = auxshim_attach_group(c.dom, e->group, lookup_self);
	if (EXPECT(t, !ret, "direct attach returned %d", ret)) {
		ret = auxshim_get_pasid(c.dom, dev);
		EXPECT(t, ret == -EINVAL, "direct-attached: %d, expected -EINVAL", ret);
		ret = auxshim_get_pasid(c.dom2, dev);
		EXPECT(t, ret == -EINVAL, "direct-attached, other domain: %d, expected -EINVAL",
		       ret);
		auxshim_detach_group(c.dom, e->group);
	}
	ret = auxshim_attach_group(c.dom, e->group, NULL);
	if (EXPECT(t, !ret, "group attach returned %d", ret)) {
		ret = auxshim_get_pasid(c.dom, dev);
		EXPECT(t, ret == -EINVAL, "group-attached: %d, expected -EINVAL", ret);
		auxshim_detach_group(c.dom, e->group);
	}
	ret = auxshim_get_pasid(c.dom, dev);
	EXPECT(t, ret == -ENODEV, "after detach: %d, expected -ENODEV", ret);
	ret = auxshim_get_pasid(NULL, dev);
	EXPECT(t, ret < 0, "NULL domain: %d", ret);
	ret = auxshim_get_pasid(c.dom, NULL);
	EXPECT(t, ret < 0, "NULL device: %d", ret);
	EXPECT_EMPTY(t);
	tctx_fini(&c);
}

/* edu has no PCI PASID capability in QEMU: no aux, on any kernel. */
static void t_aux_api_on_edu(struct kt *t, struct edu *e)
{
	struct device *dev = &e->pdev->dev;
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	EXPECT(t, !auxshim_dev_has_aux(dev), "auxshim_dev_has_aux(edu) is true");
	ret = auxshim_dev_enable_aux(dev);
	EXPECT(t, ret == -ENODEV || ret == -EOPNOTSUPP,
	       "auxshim_dev_enable_aux(edu): %d, expected -ENODEV or -EOPNOTSUPP", ret);
	EXPECT(t, !auxshim_dev_aux_enabled(dev), "aux enabled on edu");
	ret = auxshim_aux_attach_device(c.dom, dev);
	EXPECT(t, ret < 0, "auxshim_aux_attach_device(edu) returned %d", ret);
	EXPECT_DEFAULT(t, e, c.dom);
	ret = auxshim_aux_get_pasid(c.dom, dev);
	EXPECT(t, ret < 0, "auxshim_aux_get_pasid(edu) returned %d", ret);
	ret = auxshim_dev_disable_aux(dev);
	EXPECT(t, !ret || ret == -EOPNOTSUPP,
	       "auxshim_dev_disable_aux(edu): %d", ret);
	EXPECT(t, !auxshim_dev_has_aux(NULL), "auxshim_dev_has_aux(NULL) is true");
	ret = auxshim_dev_enable_aux(NULL);
	EXPECT(t, ret == -EINVAL || ret == -EOPNOTSUPP,
	       "auxshim_dev_enable_aux(NULL): %d", ret);
	EXPECT_EMPTY(t);
	tctx_fini(&c);
}

static void lookup_fails(struct kt *t, struct edu *e, auxshim_lookup_t lookup,
			 int expect)
{
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	atomic_set(&lookup_calls, 0);
	lookup_last = NULL;
	ret = auxshim_attach_group(c.dom, e->group, lookup);
	EXPECT(t, ret == expect, "attach returned %d, expected %d", ret, expect);
	if (!ret)
		auxshim_detach_group(c.dom, e->group);
	EXPECT(t, atomic_read(&lookup_calls) == 1 && lookup_last == &e->pdev->dev,
	       "lookup called %d times (last on %p), expected once on edu",
	       atomic_read(&lookup_calls), lookup_last);
	EXPECT_EMPTY(t);
	EXPECT_DEFAULT(t, e, c.dom);
	EXPECT_DMA_API(t, e);
	tctx_fini(&c);
}

static void t_lookup_null_enodev(struct kt *t, struct edu *e)
{
	lookup_fails(t, e, lookup_null, -ENODEV);
}

static void t_lookup_errptr(struct kt *t, struct edu *e)
{
	lookup_fails(t, e, lookup_e2big, -E2BIG);
}

static void t_lookup_once_per_attach(struct kt *t, struct edu *e)
{
	struct tctx c;
	int i, ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	atomic_set(&lookup_calls, 0);
	for (i = 1; i <= 3; i++) {
		ret = auxshim_attach_group(c.dom, e->group, lookup_self);
		if (!EXPECT(t, !ret, "attach %d returned %d", i, ret))
			break;
		EXPECT(t, atomic_read(&lookup_calls) == i,
		       "after %d attaches the lookup ran %d times", i,
		       atomic_read(&lookup_calls));
		auxshim_detach_group(c.dom, e->group);
	}
	EXPECT_EMPTY(t);
	tctx_fini(&c);
}

static void t_lookup_unlocked(struct kt *t, struct edu *e)
{
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	lookup_probe_blocked = false;
	atomic_set(&lookup_calls, 0);
	ret = auxshim_attach_group(c.dom, e->group, lookup_unlocked);
	EXPECT(t, !ret, "attach returned %d", ret);
	/* Let a blocked worker finish before anything goes away. */
	flush_work(&lookup_probe.work);
	EXPECT(t, !lookup_probe_blocked,
	       "a shim call from another thread blocked while the lookup ran: shim lock held across the lookup");
	EXPECT(t, atomic_read(&lookup_calls) == 1, "lookup called %d times",
	       atomic_read(&lookup_calls));
	if (!ret) {
		EXPECT_ON(t, e, c.dom);
		auxshim_detach_group(c.dom, e->group);
	}
	EXPECT_EMPTY(t);
	tctx_fini(&c);
}

/* A detach naming the wrong domain changes nothing (and warns once). */
static void wrong_domain_mode(struct kt *t, struct edu *e, auxshim_lookup_t lookup)
{
	struct auxshim_test_counts before, after;
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	ret = auxshim_attach_group(c.dom, e->group, lookup);
	if (!EXPECT(t, !ret, "attach returned %d", ret))
		goto out;
	get_counts(&before);
	auxshim_detach_group(c.dom2, e->group);
	auxshim_detach_group(c.dom2, e->group);
	get_counts(&after);
	EXPECT(t, !memcmp(&before, &after, sizeof(before)),
	       "a wrong-domain detach changed the counts");
	EXPECT_ON(t, e, c.dom);
	EXPECT_DMA(t, &c);
	auxshim_detach_group(c.dom, e->group);
	EXPECT_EMPTY(t);
	EXPECT_DEFAULT(t, e, c.dom);
out:
	tctx_fini(&c);
}

static void t_detach_wrong_domain_group(struct kt *t, struct edu *e)
{
	wrong_domain_mode(t, e, NULL);
}

static void t_detach_wrong_domain_direct(struct kt *t, struct edu *e)
{
	wrong_domain_mode(t, e, lookup_self);
}

/*
 * All or nothing: make the shim's Nth allocation fail during an attach, for
 * every N until the attach no longer allocates that many times.
 */
static void fail_nth_mode(struct kt *t, struct edu *e, auxshim_lookup_t lookup)
{
	unsigned int nth, fired = 0;
	struct tctx c;
	int ret;

	if (!EXPECT(t, !tctx_init(&c, e), "test setup failed"))
		return;
	for (nth = 1; nth < 64; nth++) {
		auxshim_test_fail_nth(nth);
		ret = auxshim_attach_group(c.dom, e->group, lookup);
		if (!auxshim_test_fail_fired()) {
			auxshim_test_fail_nth(0);
			EXPECT(t, !ret, "attach without an injected failure returned %d",
			       ret);
			if (!ret)
				auxshim_detach_group(c.dom, e->group);
			break;
		}
		fired++;
		EXPECT(t, ret == -ENOMEM, "allocation %u failed: attach returned %d",
		       nth, ret);
		if (!ret)
			auxshim_detach_group(c.dom, e->group);
		EXPECT_EMPTY(t);
		EXPECT_DEFAULT(t, e, c.dom);
		if (t->failed)
			break;
	}
	auxshim_test_fail_nth(0);
	pr_info("    # %u injected allocation failures\n", fired);
	EXPECT(t, fired > 0 && nth < 64, "%u injected failures, stopped at %u",
	       fired, nth);
	EXPECT_EMPTY(t);
	tctx_fini(&c);
}

static void t_fail_nth_group(struct kt *t, struct edu *e)
{
	fail_nth_mode(t, e, NULL);
}

static void t_fail_nth_direct(struct kt *t, struct edu *e)
{
	fail_nth_mode(t, e, lookup_self);
}

static void t_final_state(struct kt *t, struct edu *e)
{
	EXPECT_EMPTY(t);
	EXPECT(t, iommu_get_domain_for_dev(&e->pdev->dev) == e->def_domain,
	       "edu not on its default domain");
	EXPECT_DMA_API(t, e);
}

struct kt_case {
	const char *name;
	void (*run)(struct kt *t, struct edu *e);
};

static const struct kt_case cases[] = {
	{ "edu_alive", t_edu_alive },
	{ "dma_api_baseline", t_dma_api_baseline },
	{ "attach_group_mode", t_attach_group },
	{ "attach_direct_mode", t_attach_direct },
	{ "dma_group_mode", t_dma_group },
	{ "dma_direct_mode", t_dma_direct },
	{ "unmapped_iova_group_mode", t_unmapped_group },
	{ "unmapped_iova_direct_mode", t_unmapped_direct },
	{ "detach_restores_default_group_mode", t_detach_group },
	{ "detach_restores_default_direct_mode", t_detach_direct },
	{ "second_attach_ebusy_after_group", t_ebusy_after_group },
	{ "second_attach_ebusy_after_direct", t_ebusy_after_direct },
	{ "attach_einval_args", t_attach_einval },
	{ "detach_null_args_harmless", t_detach_null_args },
	{ "get_pasid_errors", t_get_pasid_errors },
	{ "aux_api_on_edu", t_aux_api_on_edu },
	{ "lookup_null_enodev", t_lookup_null_enodev },
	{ "lookup_errptr_propagated", t_lookup_errptr },
	{ "lookup_once_per_attach", t_lookup_once_per_attach },
	{ "lookup_runs_without_shim_lock", t_lookup_unlocked },
	{ "detach_wrong_domain_group_mode", t_detach_wrong_domain_group },
	{ "detach_wrong_domain_direct_mode", t_detach_wrong_domain_direct },
	{ "attach_fail_nth_rollback_group_mode", t_fail_nth_group },
	{ "attach_fail_nth_rollback_direct_mode", t_fail_nth_direct },
	{ "final_state", t_final_state },
};

/* Run the suite; its KTAP goes to the kernel log.  Returns failures. */
static unsigned int run_suite(struct edu *e)
{
	unsigned int i, failed = 0;
	struct kt t;

	pr_info("KTAP version 1\n");
	pr_info("1..%zu\n", ARRAY_SIZE(cases));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(&t, 0, sizeof(t));
		cases[i].run(&t, e);
		if (t.failed) {
			failed++;
			pr_info("not ok %u %s # %s\n", i + 1, cases[i].name, t.why);
		} else {
			pr_info("ok %u %s\n", i + 1, cases[i].name);
		}
	}
	return failed;
}

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
	const char *mode;
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

static int held_take(struct edu *e, const char *mode)
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
	ret = auxshim_attach_group(h->c.dom, e->group,
				   strcmp(mode, "direct") ? NULL : lookup_self);
	if (ret) {
		dev_err(&e->pdev->dev, "holding a %s attach failed: %d\n", mode, ret);
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

static ssize_t hold_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	char buf[16];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);

	mutex_lock(&auxshim_test_lock);
	if (!strcmp(buf, "0")) {
		held_release();
		ret = 0;
	} else if (!strcmp(buf, "group") || !strcmp(buf, "direct")) {
		ret = auxshim_test_edu ?
		      held_take(auxshim_test_edu, buf[0] == 'g' ? "group" : "direct") :
		      -ENODEV;
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&auxshim_test_lock);
	return ret ? ret : len;
}

static int hold_show(struct seq_file *s, void *unused)
{
	mutex_lock(&auxshim_test_lock);
	if (held)
		seq_printf(s, "mode %s group %d domain %p dev %s\n", held->mode,
			   held->group_id, held->c.dom, held->bdf);
	else
		seq_puts(s, "none\n");
	mutex_unlock(&auxshim_test_lock);
	return 0;
}

static int hold_open(struct inode *inode, struct file *file)
{
	return single_open(file, hold_show, NULL);
}

static const struct file_operations hold_fops = {
	.owner = THIS_MODULE,
	.open = hold_open,
	.read = seq_read,
	.write = hold_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* Is the held attachment in force: the shim's view, and real DMA. */
static int check_show(struct seq_file *s, void *unused)
{
	struct iommu_domain *d;
	char why[96] = "";

	mutex_lock(&auxshim_test_lock);
	if (!held) {
		seq_puts(s, "fail: nothing held\n");
	} else if (!auxshim_test_edu) {
		seq_puts(s, "fail: no edu device\n");
	} else {
		d = auxshim_get_domain_for_dev(&auxshim_test_edu->pdev->dev);
		held->c.e = auxshim_test_edu;
		if (d != held->c.dom)
			seq_printf(s, "fail: auxshim_get_domain_for_dev %p, held %p\n",
				   d, held->c.dom);
		else if (tctx_dma(&held->c, why, sizeof(why)))
			seq_printf(s, "fail: %s\n", why);
		else
			seq_puts(s, "ok\n");
	}
	mutex_unlock(&auxshim_test_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(check);

static int counts_show(struct seq_file *s, void *unused)
{
	struct auxshim_test_counts c;

	auxshim_test_get_counts(&c);
	seq_printf(s, "groups %u devs %u attachments %u aux_devs %u allocs %ld\n",
		   c.groups, c.devs, c.attachments, c.aux_devs, c.allocs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counts);

static ssize_t run_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	int ret = 0;

	mutex_lock(&auxshim_test_lock);
	if (!auxshim_test_edu)
		ret = -ENODEV;
	else if (held)
		ret = -EBUSY;
	else
		run_suite(auxshim_test_edu);
	mutex_unlock(&auxshim_test_lock);
	return ret ? ret : len;
}

static const struct file_operations run_fops = {
	.owner = THIS_MODULE,
	.write = run_write,
};

static ssize_t bench_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	unsigned long iters;
	unsigned int rounds;
	char buf[48];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%lu %u", &iters, &rounds) != 2 || !iters ||
	    !rounds || rounds > 100)
		return -EINVAL;

	mutex_lock(&auxshim_test_lock);
	if (!auxshim_test_edu)
		ret = -ENODEV;
	else if (held)
		ret = -EBUSY;
	else
		ret = auxshim_test_bench(auxshim_test_edu, iters, rounds);
	mutex_unlock(&auxshim_test_lock);
	return ret ? ret : len;
}

static const struct file_operations bench_fops = {
	.owner = THIS_MODULE,
	.write = bench_write,
};

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
			 held->mode);
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

	auxshim_test_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("run", 0200, auxshim_test_dir, NULL, &run_fops);
	debugfs_create_file("hold", 0600, auxshim_test_dir, NULL, &hold_fops);
	debugfs_create_file("check", 0400, auxshim_test_dir, NULL, &check_fops);
	debugfs_create_file("counts", 0400, auxshim_test_dir, NULL, &counts_fops);
	debugfs_create_file("bench", 0200, auxshim_test_dir, NULL, &bench_fops);

	ret = pci_register_driver(&edu_driver);
	if (ret) {
		pr_err("cannot register the edu driver: %d\n", ret);
		goto err_debugfs;
	}
	return 0;

err_debugfs:
	debugfs_remove_recursive(auxshim_test_dir);
	return ret;
}

static void __exit auxshim_test_exit(void)
{
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
