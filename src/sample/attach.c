// SPDX-License-Identifier: GPL-2.0-only
/*
 * An mdev's domain, attached through auxshim: what an mdev driver author
 * copies.  The mdev's iommu_group (vfio's emulated group on v6.x, mdev
 * core's on v5.10) has no IOMMU behind it; the shim's lookup says that its
 * DMA is edu's, so the domain goes onto edu: a PASID of edu where edu can
 * take one (aux), else edu whole ("direct": one mdev at a time).
 */
#include <linux/iommu.h>

#include "auxshim.h"
#include "sample.h"

/* The shim's lookup: an mdev does its DMA through the edu it hangs off. */
static struct device *sample_lookup(struct device *dev)
{
	struct device *parent = dev->parent;

	if (!parent || !dev_is_pci(parent) || !parent->driver ||
	    strcmp(parent->driver->name, KBUILD_MODNAME))
		return ERR_PTR(-ENODEV);
	return parent;
}

/**
 * sample_attach() - give @sm an empty domain, attached through auxshim
 * @sm: the mdev, detached
 *
 * Context: sm->sp->lock held.
 * Return: 0, or an errno the caller can pass on (-EBUSY: edu is attached
 * to another mdev's domain and cannot take a PASID).
 */
int sample_attach(struct sample_mdev *sm)
{
	struct device *edu = &sm->sp->pdev->dev;
	struct iommu_domain *domain;
	struct iommu_group *group;
	int ret;

	lockdep_assert_held(&sm->sp->lock);
	if (WARN_ON(sm->domain))
		return -EINVAL;

	group = iommu_group_get(sm->dev);
	if (!group) {
		dev_err(sm->dev, "no iommu_group to attach: %d\n", -ENODEV);
		return -ENODEV;
	}
	domain = auxshim_domain_alloc(edu);
	if (IS_ERR(domain)) {
		ret = PTR_ERR(domain);
		dev_err(sm->dev, "cannot allocate a domain for %s: %d\n",
			dev_name(edu), ret);
		goto err_put_group;
	}
	ret = auxshim_attach_group(domain, group, sample_lookup);
	if (ret == -EBUSY && !sm->sp->aux) {
		dev_err(sm->dev,
			"%s has no PASID support and is attached to another mdev's domain: %d\n",
			dev_name(edu), ret);
		goto err_free_domain;
	} else if (ret) {
		dev_err(sm->dev, "cannot attach group %d through %s: %d\n",
			iommu_group_id(group), dev_name(edu), ret);
		goto err_free_domain;
	}
	sm->domain = domain;
	sm->group = group;
	return 0;

err_free_domain:
	iommu_domain_free(domain);
err_put_group:
	iommu_group_put(group);
	return ret;
}

/**
 * sample_detach() - undo sample_attach(), and free the domain
 * @sm: the mdev, attached; the caller has unmapped what it mapped
 *
 * Through the group reference taken at attach: on some kernels the mdev has
 * already left its group when it is removed.
 *
 * Context: sm->sp->lock held.
 */
void sample_detach(struct sample_mdev *sm)
{
	lockdep_assert_held(&sm->sp->lock);
	if (!sm->domain)
		return;
	auxshim_detach_group(sm->domain, sm->group);
	iommu_domain_free(sm->domain);
	iommu_group_put(sm->group);
	sm->domain = NULL;
	sm->group = NULL;
}
