// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct iommu_domain_ops.detach_dev
 * Moved here from iommu_ops in v5.18 by 9a630a4b41a2 ("iommu: Split struct
 * iommu_ops"); removed in v6.3 by 1b932ceddd19 ("iommu: Remove detach_dev
 * callbacks").
 */
#include <linux/iommu.h>

const void *conftest(const struct iommu_domain_ops *ops);
const void *conftest(const struct iommu_domain_ops *ops)
{
	return ops->detach_dev;
}
