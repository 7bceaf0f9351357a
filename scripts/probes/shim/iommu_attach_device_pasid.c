// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_attach_device_pasid(domain, dev, pasid), three arguments
 * Added in v6.2 by 16603704559c ("iommu: Add attach/detach_dev_pasid iommu
 * interfaces"); gained the handle argument in v6.11 (see
 * iommu_attach_device_pasid_handle).
 */
#include <linux/iommu.h>

int conftest(struct iommu_domain *d, struct device *dev);
int conftest(struct iommu_domain *d, struct device *dev)
{
	iommu_detach_device_pasid(d, dev, 1);
	return iommu_attach_device_pasid(d, dev, 1);
}
