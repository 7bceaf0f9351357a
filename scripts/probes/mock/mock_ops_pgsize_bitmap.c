// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct iommu_ops.pgsize_bitmap
 * Removed in v6.17 by 792ea7b6cafa ("iommu: Remove ops->pgsize_bitmap"); the
 * domain allocator sets domain->pgsize_bitmap since.
 */
#include <linux/iommu.h>

unsigned long conftest(const struct iommu_ops *ops);
unsigned long conftest(const struct iommu_ops *ops)
{
	return ops->pgsize_bitmap;
}
