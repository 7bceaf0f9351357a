// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_domain_ops.set_dev_pasid(domain, dev, pasid, old)
 * Added in v6.2 by 16603704559c ("iommu: Add attach/detach_dev_pasid iommu
 * interfaces"); the old argument came in v6.13 by b45a3777ceab ("iommu: Pass
 * old domain to set_dev_pasid op").
 */
#include <linux/iommu.h>

int conftest(struct iommu_domain *d, struct device *dev);
int conftest(struct iommu_domain *d, struct device *dev)
{
	return d->ops->set_dev_pasid(d, dev, 1, NULL);
}
