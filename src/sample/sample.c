// SPDX-License-Identifier: GPL-2.0-only
/*
 * auxshim_sample: an mdev parent driver for QEMU's edu device, showing an
 * mdev author how to give each mdev an IOMMU domain of its own through
 * auxshim, on kernels that no longer have aux domains.
 *
 * Each mdev is a VFIO device, a mediated edu (vdev.c): a VFIO user opens
 * it through the standard group and container path, and its DMA commands
 * become real DMA by edu, translated through a domain attached with
 * auxshim_attach_group() (attach.c) when the device was opened.
 *
 * Each mdev also has sysfs knobs, auxshim/ (here): attach the mdev through
 * the shim with a domain that maps two pages of its own, and run a DMA test
 * through it.  edu has one DMA engine and no PASID capability, so one mdev
 * at a time gets it whole ("direct"); a second mdev with another domain is
 * refused with -EBUSY by the shim.
 *
 * Written against the v6.1 mdev/vfio API, like samples/vfio-mdev/mtty.c:
 * an mdev_driver whose probe() makes each mdev an emulated vfio device (the
 * vfio device gives the mdev its iommu_group), and one mdev type per edu.
 * compat.h backfills that API on v5.10 (mdev_parent_ops).
 */
#include <linux/bitops.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/vfio.h>

#include "auxshim.h"
#include "edu.h"
#include "sample.h"

/* mdev core names the type's directory "<driver name>-<sysfs name>". */
#define SAMPLE_TYPE "edu"
#define SAMPLE_TYPE_NAME "edu-dma-slice"
#define SAMPLE_TYPE_DESC \
	"a slice of QEMU's edu: DMA through an auxshim-attached domain"

/* Transfers are split into chunks of this size (at most EDU_XFER_MAX). */
#define EDU_CHUNK 2048

#define SAMPLE_MAX_MDEVS 4
#define SAMPLE_DMA_MAX PAGE_SIZE
/* Per-slot IOVAs, below edu's 28-bit reach: src, then dst one page up. */
#define SAMPLE_IOVA_BASE 0x1000000UL
#define SAMPLE_IOVA_STRIDE 0x100000UL

static unsigned long sample_iova_src(struct sample_mdev *sm)
{
	return SAMPLE_IOVA_BASE + sm->slot * SAMPLE_IOVA_STRIDE;
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
	u8 *src = page_address(sm->src), *dst = page_address(sm->dst);
	size_t off, n, i;
	int ret;

	lockdep_assert_held(&sp->lock);
	BUILD_BUG_ON(EDU_CHUNK > EDU_XFER_MAX);
	if (!sm->domain) {
		ret = -ENODEV;
		snprintf(sm->result, sizeof(sm->result),
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
			snprintf(sm->result, sizeof(sm->result),
				 "fail %d edu DMA error", ret);
			return ret;
		}
	}

	for (i = 0; i < len && dst[i] == src[i]; i++)
		;
	if (i < len) {
		ret = -EIO;
		snprintf(sm->result, sizeof(sm->result),
			 "fail %d mismatch at byte %zu (%s)", ret, i,
			 sm->domain ? "attached" :
				      "not attached: IOVAs unmapped");
		dev_err(sm->dev,
			"DMA test of %zu bytes: mismatch at byte %zu: %d\n",
			len, i, ret);
		return ret;
	}
	snprintf(sm->result, sizeof(sm->result), "ok %zu", len);
	return 0;
}

/* ---- the sysfs test's attachment: the domain maps the two test pages ------- */

/* A VFIO user has edu: the sysfs test would DMA through the client's domain. */
static int sample_sysfs_busy(struct sample_mdev *sm)
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
	int ret;

	lockdep_assert_held(&sm->sp->lock);
	if (sm->domain)
		return 0;
	ret = sample_attach(sm);
	if (ret)
		return ret;
	ret = auxshim_map(sm->domain, sample_iova_src(sm),
			  page_to_phys(sm->src), PAGE_SIZE, IOMMU_READ);
	if (ret) {
		dev_err(sm->dev, "cannot map the source page: %d\n", ret);
		goto err_detach;
	}
	ret = auxshim_map(sm->domain, sample_iova_dst(sm),
			  page_to_phys(sm->dst), PAGE_SIZE,
			  IOMMU_READ | IOMMU_WRITE);
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
	ret = sysfs_emit(buf, "%s\n", sm->result);
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
	ret = sample_sysfs_busy(sm);
	if (!ret)
		ret = sample_dma_test(sm, len);
	mutex_unlock(&sm->sp->lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(dma_test);

static struct attribute *sample_mdev_attrs[] = {
	&dev_attr_attach.attr, &dev_attr_mode.attr, &dev_attr_pasid.attr,
	&dev_attr_dma_test.attr, NULL
};

static const struct attribute_group sample_mdev_group = {
	.name = "auxshim",
	.attrs = sample_mdev_attrs,
};

static const struct attribute_group *sample_mdev_groups[] = {
	&sample_mdev_group, NULL
};

/* ---- the mdevs: a vfio device each ---------------------------------------- */

static int sample_get_slot(struct sample_mdev *sm)
{
	struct sample_parent *sp = sm->sp;
	int ret = 0;

	mutex_lock(&sp->lock);
	sm->slot = find_first_zero_bit(&sp->slots, SAMPLE_MAX_MDEVS);
	if (sm->slot < SAMPLE_MAX_MDEVS)
		__set_bit(sm->slot, &sp->slots);
	else
		ret = -ENOSPC;
	mutex_unlock(&sp->lock);
	return ret;
}

static void sample_put_slot(struct sample_mdev *sm)
{
	mutex_lock(&sm->sp->lock);
	__clear_bit(sm->slot, &sm->sp->slots);
	mutex_unlock(&sm->sp->lock);
}

static int sample_mdev_probe(struct mdev_device *mdev)
{
	struct device *dev = mdev_dev(mdev);
	struct sample_mdev *sm;
	int ret;

	sm = vfio_alloc_device(sample_mdev, vdev, dev, &sample_vfio_ops);
	if (IS_ERR(sm))
		return PTR_ERR(sm);
	sm->sp = dev_get_drvdata(dev->parent);
	sm->dev = dev;
	sample_vdev_init(sm);
	snprintf(sm->result, sizeof(sm->result), "fail %d no test has run",
		 -ENODATA);
	sm->src = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!sm->src) {
		ret = -ENOMEM;
		goto err_put;
	}
	sm->dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!sm->dst) {
		ret = -ENOMEM;
		goto err_free_src;
	}
	ret = sample_get_slot(sm);
	if (ret) {
		dev_err(dev->parent, "all %d mdevs are in use: %d\n",
			SAMPLE_MAX_MDEVS, ret);
		goto err_free_dst;
	}
	dev_info(dev, "created on %s (slot %u)\n", dev_name(dev->parent),
		 sm->slot);
	ret = vfio_register_emulated_iommu_dev(&sm->vdev);
	if (ret) {
		dev_err(dev, "cannot register as a vfio device: %d\n", ret);
		goto err_put_slot;
	}
	auxshim_sample_mdev_set_drvdata(dev, sm);
	return 0;

err_put_slot:
	sample_put_slot(sm);
err_free_dst:
	__free_page(sm->dst);
err_free_src:
	__free_page(sm->src);
err_put:
	vfio_put_device(&sm->vdev);
	return ret;
}

/*
 * A sysfs attachment is undone first, while the mdev is still a vfio device
 * (on v5.10 it has already left its group: sample_detach() goes through its
 * own reference).  A VFIO user's is undone by its close, which
 * vfio_unregister_group_dev() waits for (on v5.10, vfio_mdev waited for it
 * before this is called).
 */
static void sample_mdev_remove(struct mdev_device *mdev)
{
	struct sample_mdev *sm =
		auxshim_sample_mdev_get_drvdata(mdev_dev(mdev));

	mutex_lock(&sm->sp->lock);
	if (sm->domain && sm->sp->vfio_user != sm) {
		dev_info(sm->dev, "removed while attached: detaching\n");
		sample_test_detach(sm);
	}
	mutex_unlock(&sm->sp->lock);
	vfio_unregister_group_dev(&sm->vdev);
	WARN_ON(sm->domain || !xa_empty(&sm->pins));
	sample_put_slot(sm);
	__free_page(sm->dst);
	__free_page(sm->src);
	vfio_put_device(&sm->vdev);
}

static unsigned int sample_get_available(struct mdev_type *mtype)
{
	struct sample_parent *sp =
		container_of(mtype->parent, struct sample_parent, parent);
	unsigned int used;

	mutex_lock(&sp->lock);
	used = hweight_long(sp->slots);
	mutex_unlock(&sp->lock);
	return SAMPLE_MAX_MDEVS - used;
}

static ssize_t sample_show_description(struct mdev_type *mtype, char *buf)
{
	return sysfs_emit(buf, "%s\n", SAMPLE_TYPE_DESC);
}

static struct mdev_driver sample_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = KBUILD_MODNAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = sample_mdev_groups,
	},
	.probe = sample_mdev_probe,
	.remove = sample_mdev_remove,
	.get_available = sample_get_available,
	.show_description = sample_show_description,
};

/* ---- the PCI driver for edu ------------------------------------------------ */

/*
 * edu's DMA must be translated by the IOMMU: without an IOMMU group (no
 * IOMMU, VT-d off) or in an identity domain (iommu=pt), a DMA test or a
 * client's command would reach RAM at the bus addresses it names, and a
 * detach would leave edu there.
 */
static int sample_check_translated(struct device *dev)
{
	struct iommu_domain *domain;
	struct iommu_group *group;

	group = iommu_group_get(dev);
	if (!group) {
		dev_err(dev,
			"no IOMMU group: edu's DMA would not be translated: %d\n",
			-ENODEV);
		return -ENODEV;
	}
	iommu_group_put(group);
	domain = iommu_get_domain_for_dev(dev);
	if (!domain) {
		dev_err(dev,
			"in no IOMMU domain: edu's DMA would not be translated: %d\n",
			-ENODEV);
		return -ENODEV;
	}
	if (domain->type == IOMMU_DOMAIN_IDENTITY) {
		dev_err(dev,
			"in an identity domain: edu's DMA would not be translated: %d\n",
			-ENODEV);
		return -ENODEV;
	}
	return 0;
}

static int sample_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct sample_parent *sp;
	u32 edu_id;
	int ret;

	ret = sample_check_translated(dev);
	if (ret)
		return ret;
	sp = devm_kzalloc(dev, sizeof(*sp), GFP_KERNEL);
	if (!sp)
		return -ENOMEM;
	sp->pdev = pdev;
	mutex_init(&sp->lock);
	ret = pcim_enable_device(pdev);
	if (ret) {
		dev_err(dev, "cannot enable: %d\n", ret);
		return ret;
	}
	sp->bar = pcim_iomap(pdev, 0, 0);
	if (!sp->bar) {
		dev_err(dev, "cannot map BAR0: %d\n", -ENOMEM);
		return -ENOMEM;
	}
	edu_id = readl(sp->bar + EDU_REG_ID);
	if (edu_id != EDU_ID) {
		dev_err(dev, "not an edu (id %#x): %d\n", edu_id, -ENODEV);
		return -ENODEV;
	}
	sp->zero = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!sp->zero)
		return -ENOMEM;
	pci_set_master(pdev);
	pci_set_drvdata(pdev, sp);

	/* Aux (a PASID per mdev) where edu could do it; it cannot. */
	sp->aux = auxshim_dev_has_aux(dev) && !auxshim_dev_enable_aux(dev);
	/* One type per edu: mdev core's type objects are per parent. */
	sp->type.sysfs_name = SAMPLE_TYPE;
	sp->type.pretty_name = SAMPLE_TYPE_NAME;
	sp->types[0] = &sp->type;
	ret = mdev_register_parent(&sp->parent, dev, &sample_mdev_driver,
				   sp->types, ARRAY_SIZE(sp->types));
	if (ret) {
		dev_err(dev, "cannot register as an mdev parent: %d\n", ret);
		goto err_disable_aux;
	}
	dev_info(dev, "mdev parent, up to %d mdevs, %s attach\n",
		 SAMPLE_MAX_MDEVS, sp->aux ? "aux" : "whole-device");
	return 0;

err_disable_aux:
	if (sp->aux)
		auxshim_dev_disable_aux(dev);
	pci_clear_master(pdev);
	__free_page(sp->zero);
	return ret;
}

/* Removes (and so detaches) every mdev first. */
static void sample_remove(struct pci_dev *pdev)
{
	struct sample_parent *sp = pci_get_drvdata(pdev);

	mdev_unregister_parent(&sp->parent);
	if (sp->aux)
		auxshim_dev_disable_aux(&pdev->dev);
	pci_clear_master(pdev);
	__free_page(sp->zero);
}

static const struct pci_device_id sample_ids[] = { { PCI_DEVICE(EDU_VENDOR,
								EDU_DEVICE) },
						   {} };
MODULE_DEVICE_TABLE(pci, sample_ids);

static struct pci_driver sample_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = sample_ids,
	.probe = sample_probe,
	.remove = sample_remove,
};

static int __init sample_init(void)
{
	int ret;

	ret = mdev_register_driver(&sample_mdev_driver);
	if (ret) {
		pr_err("cannot register the mdev driver: %d\n", ret);
		return ret;
	}
	ret = pci_register_driver(&sample_pci_driver);
	if (ret) {
		pr_err("cannot register the PCI driver: %d\n", ret);
		goto err_mdev_driver;
	}
	return 0;

err_mdev_driver:
	mdev_unregister_driver(&sample_mdev_driver);
	return ret;
}

static void __exit sample_exit(void)
{
	pci_unregister_driver(&sample_pci_driver);
	mdev_unregister_driver(&sample_mdev_driver);
}

module_init(sample_init);
module_exit(sample_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("auxshim sample: mediated edus, attached through auxshim");
MODULE_VERSION(AUXSHIM_VERSION);
