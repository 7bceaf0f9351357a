// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_alloc_global_pasid() / iommu_free_global_pasid()
 * Added in v6.5 by "iommu: Generalize PASID 0 for normal DMA w/o PASID".
 */
#include <linux/iommu.h>

ioasid_t conftest(struct device *dev);
ioasid_t conftest(struct device *dev)
{
	ioasid_t pasid = iommu_alloc_global_pasid(dev);

	iommu_free_global_pasid(pasid);
	return IOMMU_PASID_INVALID;
}
