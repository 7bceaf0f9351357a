// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_device_register(iommu, ops, hwdev), three arguments
 * Changed in v5.13 by 2d471b20c55e ("iommu: Streamline registration
 * interface"); before: iommu_device_set_ops() + iommu_device_register(iommu).
 */
#include <linux/iommu.h>

int conftest(struct iommu_device *iommu, const struct iommu_ops *ops);
int conftest(struct iommu_device *iommu, const struct iommu_ops *ops)
{
	return iommu_device_register(iommu, ops, NULL);
}
