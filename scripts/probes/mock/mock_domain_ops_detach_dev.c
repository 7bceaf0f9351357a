// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct iommu_domain_ops.detach_dev
 * Added in v5.17 (moved from iommu_ops); removed in v6.2 by "iommu: Remove
 * detach_dev callbacks".
 */
#include <linux/iommu.h>

const void *conftest(const struct iommu_domain_ops *ops);
const void *conftest(const struct iommu_domain_ops *ops)
{
	return ops->detach_dev;
}
