// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct iommu_domain_ops (domain callbacks split out of struct iommu_ops)
 * Added in v5.18 by 9a630a4b41a2 ("iommu: Split struct iommu_ops").
 */
#include <linux/iommu.h>

const void *conftest(const struct iommu_ops *ops);
const void *conftest(const struct iommu_ops *ops)
{
	const struct iommu_domain_ops *dops = ops->default_domain_ops;

	return dops->attach_dev;
}
