// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_alloc_global_pasid() / iommu_free_global_pasid()
 * Added in v6.6 by 2dcebc7ddce7 ("iommu: Move global PASID allocation from SVA
 * to core").
 */
#include <linux/iommu.h>

ioasid_t conftest(struct device *dev);
ioasid_t conftest(struct device *dev)
{
	ioasid_t pasid = iommu_alloc_global_pasid(dev);

	iommu_free_global_pasid(pasid);
	return IOMMU_PASID_INVALID;
}
