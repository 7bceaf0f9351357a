// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_domain_ops.attach_dev(domain, dev, old), with the old domain
 * Changed in v6.19 by fd714986e4e4 ("iommu: Pass in old domain to attach_dev
 * callback functions").
 */
#include <linux/iommu.h>

int conftest(struct iommu_domain *d, struct device *dev);
int conftest(struct iommu_domain *d, struct device *dev)
{
	return d->ops->attach_dev(d, dev, NULL);
}
