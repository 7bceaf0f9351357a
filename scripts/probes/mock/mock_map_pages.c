// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct iommu_domain_ops.map_pages(domain, iova, paddr, pgsize, pgcount,
 * prot, gfp, mapped) and .unmap_pages
 * Added in v5.14 by 910c4406ccc9 ("iommu: Add a map_pages() op for IOMMU
 * drivers") and cacffb7f7b45 ("iommu: Add an unmap_pages() op for IOMMU
 * drivers").
 */
#include <linux/iommu.h>

const void *conftest(const struct iommu_domain_ops *ops);
const void *conftest(const struct iommu_domain_ops *ops)
{
	return ops->map_pages ? (const void *)ops->map_pages :
				(const void *)ops->unmap_pages;
}
