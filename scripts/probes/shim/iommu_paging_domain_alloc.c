// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_paging_domain_alloc(dev), returning an ERR_PTR
 * Added in v6.11 by a27bf2743cb8 ("iommu: Add iommu_paging_domain_alloc()
 * interface"); an inline over iommu_paging_domain_alloc_flags() since v6.13, by
 * 20858d4ebb42 ("iommu: Introduce iommu_paging_domain_alloc_flags()").
 */
#include <linux/iommu.h>

struct iommu_domain *conftest(struct device *dev);
struct iommu_domain *conftest(struct device *dev)
{
	return iommu_paging_domain_alloc(dev);
}
