// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct iommu_ops.default_domain and .blocked_domain (static domains)
 * Added in v6.7 by 1c68cbc64fe6 ("iommu: Add IOMMU_DOMAIN_PLATFORM") and
 * e5d8be7406ca ("iommu: Move IOMMU_DOMAIN_BLOCKED global statics to
 * ops->blocked_domain").
 */
#include <linux/iommu.h>

const void *conftest(const struct iommu_ops *ops);
const void *conftest(const struct iommu_ops *ops)
{
	return ops->default_domain ? ops->default_domain : ops->blocked_domain;
}
