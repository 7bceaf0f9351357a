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
 * A test build (make AUXSHIM_TEST=1) also gives each mdev the root-only
 * auxshim/ sysfs knobs of test_harness.c; in the build users get, the
 * sample_test_*() hooks here are empty (test_harness.h).
 *
 * Written against the v6.1 mdev/vfio API, like samples/vfio-mdev/mtty.c:
 * an mdev_driver whose probe() makes each mdev an emulated vfio device (the
 * vfio device gives the mdev its iommu_group), and one mdev type per edu.
 * Where v5.10 lacks that API or has it with another meaning, the sample
 * uses compat.h's auxshim_sample_<name>: the kernel's <name> on v6.1+, the
 * same shape built on mdev_parent_ops on v5.10.
 */
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "auxshim.h"
#include "edu.h"
#include "sample.h"
#include "test_harness.h"

/* mdev core names the type's directory "<driver name>-<sysfs name>". */
#define SAMPLE_TYPE "edu"
#define SAMPLE_TYPE_NAME "edu-dma-slice"
#define SAMPLE_TYPE_DESC \
	"a slice of QEMU's edu: DMA through an auxshim-attached domain"

#define SAMPLE_MAX_MDEVS 4

/* ---- the mdevs: a vfio device each ---------------------------------------- */

/* edu's mdevs are counted against SAMPLE_MAX_MDEVS. */
static int sample_count_mdev(struct sample_parent *sp)
{
	int ret = 0;

	mutex_lock(&sp->lock);
	if (sp->nr_mdevs < SAMPLE_MAX_MDEVS)
		sp->nr_mdevs++;
	else
		ret = -ENOSPC;
	mutex_unlock(&sp->lock);
	return ret;
}

static void sample_uncount_mdev(struct sample_parent *sp)
{
	mutex_lock(&sp->lock);
	sp->nr_mdevs--;
	mutex_unlock(&sp->lock);
}

static int sample_mdev_probe(struct mdev_device *mdev)
{
	struct device *dev = mdev_dev(mdev);
	struct sample_mdev *sm;
	int ret;

	sm = auxshim_sample_vfio_alloc_device(sample_mdev, vdev, dev,
					      &sample_vfio_ops);
	if (IS_ERR(sm))
		return PTR_ERR(sm);
	sm->sp = dev_get_drvdata(dev->parent);
	sm->dev = dev;
	sample_vdev_init(sm);
	ret = sample_count_mdev(sm->sp);
	if (ret) {
		dev_err(dev->parent, "all %d mdevs are in use: %d\n",
			SAMPLE_MAX_MDEVS, ret);
		goto err_put;
	}
	ret = sample_test_probe(sm);
	if (ret)
		goto err_uncount;
	dev_info(dev, "created on %s\n", dev_name(dev->parent));
	ret = auxshim_sample_vfio_register_emulated_iommu_dev(&sm->vdev);
	if (ret) {
		dev_err(dev, "cannot register as a vfio device: %d\n", ret);
		goto err_test;
	}
	auxshim_sample_mdev_set_drvdata(dev, sm);
	return 0;

err_test:
	sample_test_remove(sm);
err_uncount:
	sample_uncount_mdev(sm->sp);
err_put:
	auxshim_sample_vfio_put_device(&sm->vdev);
	return ret;
}

/*
 * A VFIO user's attachment is undone by its close, which
 * vfio_unregister_group_dev() waits for (on v5.10, vfio_mdev waited for it
 * before this is called).
 */
static void sample_mdev_remove(struct mdev_device *mdev)
{
	struct sample_mdev *sm =
		auxshim_sample_mdev_get_drvdata(mdev_dev(mdev));

	sample_test_remove(sm);
	auxshim_sample_vfio_unregister_group_dev(&sm->vdev);
	WARN_ON(sm->domain || !xa_empty(&sm->pins));
	sample_uncount_mdev(sm->sp);
	auxshim_sample_vfio_put_device(&sm->vdev);
}

static unsigned int sample_get_available(struct auxshim_sample_mdev_type *mtype)
{
	struct sample_parent *sp =
		container_of(mtype->parent, struct sample_parent, parent);
	unsigned int used;

	mutex_lock(&sp->lock);
	used = sp->nr_mdevs;
	mutex_unlock(&sp->lock);
	return SAMPLE_MAX_MDEVS - used;
}

static ssize_t sample_show_description(struct auxshim_sample_mdev_type *mtype,
				       char *buf)
{
	return sysfs_emit(buf, "%s\n", SAMPLE_TYPE_DESC);
}

static struct auxshim_sample_mdev_driver sample_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = KBUILD_MODNAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = sample_test_groups,
	},
	.probe = sample_mdev_probe,
	.remove = sample_mdev_remove,
	.get_available = sample_get_available,
	.show_description = sample_show_description,
};

/* ---- the PCI driver for edu ------------------------------------------------ */

/*
 * edu's DMA must be translated by the IOMMU: without an IOMMU group (no
 * IOMMU, VT-d off) or in an identity domain (iommu=pt), a client's command
 * (or the test harness's DMA test) would reach RAM at the bus addresses it
 * names, and a detach would leave edu there.
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
	ret = auxshim_sample_mdev_register_parent(&sp->parent, dev,
						  &sample_mdev_driver,
						  sp->types,
						  ARRAY_SIZE(sp->types));
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

	auxshim_sample_mdev_unregister_parent(&sp->parent);
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

	ret = auxshim_sample_mdev_register_driver(&sample_mdev_driver);
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
	auxshim_sample_mdev_unregister_driver(&sample_mdev_driver);
	return ret;
}

static void __exit sample_exit(void)
{
	pci_unregister_driver(&sample_pci_driver);
	auxshim_sample_mdev_unregister_driver(&sample_mdev_driver);
}

module_init(sample_init);
module_exit(sample_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("auxshim sample: mediated edus, attached through auxshim");
MODULE_VERSION(AUXSHIM_VERSION);
