// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct iommu_ops.domain_alloc_paging(dev)
 * Added in v6.7 by 4601cd2d7c4c ("iommu: Add ops->domain_alloc_paging()").
 */
#include <linux/iommu.h>

const void *conftest(const struct iommu_ops *ops);
const void *conftest(const struct iommu_ops *ops)
{
	return ops->domain_alloc_paging;
}
