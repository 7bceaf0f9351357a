// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct bus_type.iommu_ops, for the test IOMMU on a private bus
 * Removed in v6.8 by 17de3f5fdd35 ("iommu: Retire bus ops").
 */
#include <linux/device.h>
#include <linux/iommu.h>

void conftest(struct bus_type *bus, const struct iommu_ops *ops);
void conftest(struct bus_type *bus, const struct iommu_ops *ops)
{
	bus->iommu_ops = ops;
}
