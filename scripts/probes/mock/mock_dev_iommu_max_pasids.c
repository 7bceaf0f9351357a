// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct dev_iommu.max_pasids, which the fwnode route's devices need
 * Added in v6.2 by 22d2c7afb369 ("iommu: Add max_pasids field in struct
 * dev_iommu").
 */
#include <linux/device.h>
#include <linux/iommu.h>

u32 conftest(struct device *dev);
u32 conftest(struct device *dev)
{
	return dev->iommu->max_pasids;
}
