// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_fwspec_init(dev, iommu_fwnode), ops found from the fwnode
 * Changed in v6.11 by 3f7c32091628 ("iommu: Resolve fwspec ops automatically").
 */
#include <linux/device.h>
#include <linux/iommu.h>

int conftest(struct device *dev, struct fwnode_handle *fwnode);
int conftest(struct device *dev, struct fwnode_handle *fwnode)
{
	return iommu_fwspec_init(dev, fwnode);
}
