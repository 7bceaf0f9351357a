// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_attach_device_pasid(domain, dev, pasid, handle), four arguments
 * Changed in v6.11 by 14678219cf40 ("iommu: Introduce domain attachment
 * handle").
 */
#include <linux/iommu.h>

int conftest(struct iommu_domain *d, struct device *dev);
int conftest(struct iommu_domain *d, struct device *dev)
{
	iommu_detach_device_pasid(d, dev, 1);
	return iommu_attach_device_pasid(d, dev, 1, NULL);
}
