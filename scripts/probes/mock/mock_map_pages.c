// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct iommu_domain_ops.map_pages(domain, iova, paddr, pgsize, pgcount,
 * prot, gfp, mapped) and .unmap_pages
 * Added in v5.14 by "iommu: Add support for the map_pages() callback".
 */
#include <linux/iommu.h>

const void *conftest(const struct iommu_domain_ops *ops);
const void *conftest(const struct iommu_domain_ops *ops)
{
	return ops->map_pages ? (const void *)ops->map_pages :
				(const void *)ops->unmap_pages;
}
