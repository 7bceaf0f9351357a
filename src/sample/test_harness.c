// SPDX-License-Identifier: GPL-2.0-only
/*
 * auxshim_sample's test harness, in a test build only (test_harness.h):
 * /sys/bus/mdev/devices/<uuid>/auxshim/, root-only knobs that attach an
 * mdev through the shim without a VFIO user (attach.c, with a domain that
 * maps two pages of the harness's own at fixed IOVAs), show how the shim
 * attached it (mode, pasid) and run a DMA test through that domain
 * (dma_test).  edu has one DMA engine and no PASID capability, so one mdev
 * at a time gets it whole ("direct"); a second mdev with another domain is
 * refused with -EBUSY by the shim.
 *
 * Calls attach.c and edu.h; reads, under the parent's lock, which mdev a
 * VFIO user has open (vdev.c's sp->vfio_user), whose domain the knobs
 * leave alone.
 */
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "auxshim.h"
#include "edu.h"
#include "sample.h"
#include "test_harness.h"

/* Transfers are split into chunks of this size (at most EDU_XFER_MAX). */
#define EDU_CHUNK 2048

#define SAMPLE_DMA_MAX PAGE_SIZE
/*
 * Per-slot IOVAs, below edu's 28-bit reach: src, then dst one page up.
 * Each mdev's are its own, so that a test through another mdev's domain
 * cannot reach them.
 */
#define SAMPLE_IOVA_BASE 0x1000000UL
#define SAMPLE_IOVA_STRIDE 0x100000UL
#define SAMPLE_TEST_SLOTS 64

/* One mdev's harness; under sm->sp->lock but for slot, src and dst. */
struct sample_test {
	unsigned int slot;
	struct page *src;
	struct page *dst;
	char result[80]; /* of the last dma_test */
};

static DEFINE_IDA(sample_test_slots);

static unsigned long sample_iova_src(struct sample_mdev *sm)
{
	return SAMPLE_IOVA_BASE + sm->test->slot * SAMPLE_IOVA_STRIDE;
}

static unsigned long sample_iova_dst(struct sample_mdev *sm)
{
	return sample_iova_src(sm) + PAGE_SIZE;
}

/* ---- edu ------------------------------------------------------------------ */

/*
 * Fill the source with fresh bytes and the destination with their
 * complement, copy source -> edu -> destination in chunks, compare.
 * Only through the mdev's own domain: without it edu would DMA to the bus
 * addresses themselves (another mdev's domain, or no translation at all).
 */
static int sample_dma_test(struct sample_mdev *sm, size_t len)
{
	struct sample_parent *sp = sm->sp;
	struct sample_test *t = sm->test;
	u8 *src = page_address(t->src), *dst = page_address(t->dst);
	size_t off, n, i;
	int ret;

	lockdep_assert_held(&sp->lock);
	BUILD_BUG_ON(EDU_CHUNK > EDU_XFER_MAX);
	if (!sm->domain) {
		ret = -ENODEV;
		snprintf(t->result, sizeof(t->result),
			 "fail %d not attached: write 1 to attach first", ret);
		dev_err(sm->dev, "DMA test refused: no domain attached: %d\n",
			ret);
		return ret;
	}
	get_random_bytes(src, len);
	for (i = 0; i < len; i++)
		dst[i] = ~src[i];

	for (off = 0; off < len; off += n) {
		n = min_t(size_t, len - off, EDU_CHUNK);
		edu_wait_idle(&sp->pdev->dev, sp->bar, EDU_IDLE_WAIT);
		ret = edu_dma(&sp->pdev->dev, sp->bar,
			      sample_iova_src(sm) + off, EDU_BUF, n, false);
		if (!ret)
			ret = edu_dma(&sp->pdev->dev, sp->bar, EDU_BUF,
				      sample_iova_dst(sm) + off, n, true);
		if (ret) {
			snprintf(t->result, sizeof(t->result),
				 "fail %d edu DMA error", ret);
			return ret;
		}
	}

	for (i = 0; i < len && dst[i] == src[i]; i++)
		;
	if (i < len) {
		ret = -EIO;
		snprintf(t->result, sizeof(t->result),
			 "fail %d mismatch at byte %zu (%s)", ret, i,
			 sm->domain ? "attached" :
				      "not attached: IOVAs unmapped");
		dev_err(sm->dev,
			"DMA test of %zu bytes: mismatch at byte %zu: %d\n",
			len, i, ret);
		return ret;
	}
	snprintf(t->result, sizeof(t->result), "ok %zu", len);
	return 0;
}

/* ---- the knobs' attachment: the domain maps the two test pages ----------- */

/* A VFIO user has edu: the DMA test would DMA through the client's domain. */
static int sample_test_busy(struct sample_mdev *sm)
{
	struct sample_mdev *user = sm->sp->vfio_user;

	lockdep_assert_held(&sm->sp->lock);
	if (!user)
		return 0;
	dev_err(sm->dev, "a VFIO user has mdev %s open on %s: %d\n",
		dev_name(user->dev), pci_name(sm->sp->pdev), -EBUSY);
	return -EBUSY;
}

static int sample_test_attach(struct sample_mdev *sm)
{
	struct sample_test *t = sm->test;
	int ret;

	lockdep_assert_held(&sm->sp->lock);
	if (sm->domain)
		return 0;
	ret = sample_attach(sm);
	if (ret)
		return ret;
	ret = auxshim_map(sm->domain, sample_iova_src(sm), page_to_phys(t->src),
			  PAGE_SIZE, IOMMU_READ);
	if (ret) {
		dev_err(sm->dev, "cannot map the source page: %d\n", ret);
		goto err_detach;
	}
	ret = auxshim_map(sm->domain, sample_iova_dst(sm), page_to_phys(t->dst),
			  PAGE_SIZE, IOMMU_READ | IOMMU_WRITE);
	if (ret) {
		dev_err(sm->dev, "cannot map the destination page: %d\n", ret);
		goto err_unmap_src;
	}
	return 0;

err_unmap_src:
	iommu_unmap(sm->domain, sample_iova_src(sm), PAGE_SIZE);
err_detach:
	sample_detach(sm);
	return ret;
}

static void sample_test_detach(struct sample_mdev *sm)
{
	lockdep_assert_held(&sm->sp->lock);
	if (!sm->domain)
		return;
	/* No DMA test runs (sp->lock is held), unless one timed out. */
	edu_wait_idle(&sm->sp->pdev->dev, sm->sp->bar, EDU_IDLE_WAIT);
	iommu_unmap(sm->domain, sample_iova_dst(sm), PAGE_SIZE);
	iommu_unmap(sm->domain, sample_iova_src(sm), PAGE_SIZE);
	sample_detach(sm);
}

/* ---- sysfs: /sys/bus/mdev/devices/<uuid>/auxshim/ ------------------------ */

static ssize_t attach_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct sample_mdev *sm = auxshim_sample_mdev_get_drvdata(dev);
	bool on;

	mutex_lock(&sm->sp->lock);
	on = sm->domain;
	mutex_unlock(&sm->sp->lock);
	return sysfs_emit(buf, "%d\n", on);
}

static ssize_t attach_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct sample_mdev *sm = auxshim_sample_mdev_get_drvdata(dev);
	bool on;
	int ret;

	ret = kstrtobool(buf, &on);
	if (ret)
		return ret;
	mutex_lock(&sm->sp->lock);
	if (sm->sp->vfio_user == sm) {
		ret = -EBUSY;
		dev_err(dev,
			"open through VFIO: its domain follows the VFIO device: %d\n",
			ret);
	} else if (on) {
		ret = sample_test_attach(sm);
	} else {
		sample_test_detach(sm);
	}
	mutex_unlock(&sm->sp->lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(attach);

/*
 * The sample always passes a lookup that maps the mdev to edu, so an
 * attachment is "aux" (a PASID of edu) or "direct" (edu whole), never
 * "group" (a NULL lookup).
 */
static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct sample_mdev *sm = auxshim_sample_mdev_get_drvdata(dev);
	const char *mode = "none";

	mutex_lock(&sm->sp->lock);
	if (sm->domain) {
		switch (auxshim_get_mode(sm->domain, sm->dev)) {
		case AUXSHIM_MODE_AUX:
			mode = "aux";
			break;
		case AUXSHIM_MODE_DIRECT:
			mode = "direct";
			break;
		case AUXSHIM_MODE_GROUP:
			mode = "group";
			break;
		}
	}
	mutex_unlock(&sm->sp->lock);
	return sysfs_emit(buf, "%s\n", mode);
}
static DEVICE_ATTR_RO(mode);

static ssize_t pasid_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct sample_mdev *sm = auxshim_sample_mdev_get_drvdata(dev);
	int pasid = -1;

	mutex_lock(&sm->sp->lock);
	if (sm->domain)
		pasid = max(auxshim_get_pasid(sm->domain, sm->dev), -1);
	mutex_unlock(&sm->sp->lock);
	return sysfs_emit(buf, "%d\n", pasid);
}
static DEVICE_ATTR_RO(pasid);

static ssize_t dma_test_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct sample_mdev *sm = auxshim_sample_mdev_get_drvdata(dev);
	ssize_t ret;

	mutex_lock(&sm->sp->lock);
	ret = sysfs_emit(buf, "%s\n", sm->test->result);
	mutex_unlock(&sm->sp->lock);
	return ret;
}

static ssize_t dma_test_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct sample_mdev *sm = auxshim_sample_mdev_get_drvdata(dev);
	unsigned int len;
	int ret;

	ret = kstrtouint(buf, 0, &len);
	if (ret)
		return ret;
	if (!len || len > SAMPLE_DMA_MAX)
		return -EINVAL;
	mutex_lock(&sm->sp->lock);
	ret = sample_test_busy(sm);
	if (!ret)
		ret = sample_dma_test(sm, len);
	mutex_unlock(&sm->sp->lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(dma_test);

static struct attribute *sample_test_attrs[] = {
	&dev_attr_attach.attr, &dev_attr_mode.attr, &dev_attr_pasid.attr,
	&dev_attr_dma_test.attr, NULL
};

static const struct attribute_group sample_test_group = {
	.name = "auxshim",
	.attrs = sample_test_attrs,
};

const struct attribute_group *sample_test_groups[] = { &sample_test_group,
						       NULL };

/* ---- the harness's life, one per mdev ----------------------------------- */

int sample_test_probe(struct sample_mdev *sm)
{
	struct sample_test *t;
	int ret;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	snprintf(t->result, sizeof(t->result), "fail %d no test has run",
		 -ENODATA);
	t->src = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!t->src) {
		ret = -ENOMEM;
		goto err_free;
	}
	t->dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!t->dst) {
		ret = -ENOMEM;
		goto err_free_src;
	}
	ret = ida_alloc_max(&sample_test_slots, SAMPLE_TEST_SLOTS - 1,
			    GFP_KERNEL);
	if (ret < 0) {
		dev_err(sm->dev, "all %d test slots are in use: %d\n",
			SAMPLE_TEST_SLOTS, ret);
		goto err_free_dst;
	}
	t->slot = ret;
	sm->test = t;
	dev_dbg(sm->dev, "test slot %u\n", t->slot);
	return 0;

err_free_dst:
	__free_page(t->dst);
err_free_src:
	__free_page(t->src);
err_free:
	kfree(t);
	return ret;
}

/*
 * A knob's attachment is undone while the mdev is still a vfio device (on
 * v5.10 it has already left its group: sample_detach() goes through its
 * own reference).  A VFIO user's is its close's.
 */
void sample_test_remove(struct sample_mdev *sm)
{
	struct sample_test *t = sm->test;

	mutex_lock(&sm->sp->lock);
	if (sm->domain && sm->sp->vfio_user != sm) {
		dev_info(sm->dev, "removed while attached: detaching\n");
		sample_test_detach(sm);
	}
	sm->test = NULL;
	mutex_unlock(&sm->sp->lock);
	ida_free(&sample_test_slots, t->slot);
	__free_page(t->dst);
	__free_page(t->src);
	kfree(t);
}
