// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_domain_alloc(bus) and iommu_present(bus)
 * Present since v3.2; removed in v6.13 by f6440fcc9c7b ("iommu: Remove
 * iommu_domain_alloc()") and 6632863226d8 ("iommu: Remove iommu_present()").
 */
#include <linux/device.h>
#include <linux/iommu.h>

struct iommu_domain *conftest(struct device *dev);
struct iommu_domain *conftest(struct device *dev)
{
	return iommu_present(dev->bus) ? iommu_domain_alloc(dev->bus) : NULL;
}
