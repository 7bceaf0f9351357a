// SPDX-License-Identifier: GPL-2.0-only
/*
 * bus_set_iommu(bus, ops), for the test IOMMU on a private bus
 * Removed in v6.1 by 29e932295bfa ("iommu: Clean up bus_set_iommu()").
 */
#include <linux/device.h>
#include <linux/iommu.h>

int conftest(struct bus_type *bus, const struct iommu_ops *ops);
int conftest(struct bus_type *bus, const struct iommu_ops *ops)
{
	return bus_set_iommu(bus, ops);
}
