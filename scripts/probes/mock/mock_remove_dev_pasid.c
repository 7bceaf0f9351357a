// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_ops.remove_dev_pasid(dev, pasid, domain)
 * Added in v6.2; removed in v6.14 by "iommu: Remove remove_dev_pasid op"
 * (the blocked domain's set_dev_pasid does it since).
 */
#include <linux/iommu.h>

const void *conftest(const struct iommu_ops *ops);
const void *conftest(const struct iommu_ops *ops)
{
	return ops->remove_dev_pasid;
}
