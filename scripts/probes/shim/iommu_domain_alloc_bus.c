// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_domain_alloc(bus) and iommu_present(bus)
 * Present since v3.2; removed in v6.14 by "iommu: Remove iommu_domain_alloc()"
 * and "iommu: Remove iommu_present()".
 */
#include <linux/device.h>
#include <linux/iommu.h>

struct iommu_domain *conftest(struct device *dev);
struct iommu_domain *conftest(struct device *dev)
{
	return iommu_present(dev->bus) ? iommu_domain_alloc(dev->bus) : NULL;
}
