// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_ops.remove_dev_pasid(dev, pasid, domain)
 * Added in v6.2 by 16603704559c ("iommu: Add attach/detach_dev_pasid iommu
 * interfaces"); removed in v6.14 by 647b7aad1949 ("iommu: Remove the
 * remove_dev_pasid op") (the blocked domain's set_dev_pasid does it since).
 */
#include <linux/iommu.h>

const void *conftest(const struct iommu_ops *ops);
const void *conftest(const struct iommu_ops *ops)
{
	return ops->remove_dev_pasid;
}
