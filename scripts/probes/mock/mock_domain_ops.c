// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct iommu_domain_ops (domain callbacks split out of struct iommu_ops)
 * Added in v5.17 by "iommu: Add iommu_domain_ops for attach/detach_dev".
 */
#include <linux/iommu.h>

const void *conftest(const struct iommu_ops *ops);
const void *conftest(const struct iommu_ops *ops)
{
	const struct iommu_domain_ops *dops = ops->default_domain_ops;

	return dops->attach_dev;
}
