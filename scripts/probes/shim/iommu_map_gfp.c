// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_map(domain, iova, paddr, size, prot, gfp)
 * The gfp argument was added in v6.3 by 1369459b2e21 ("iommu: Add a gfp
 * parameter to iommu_map()").
 */
#include <linux/gfp.h>
#include <linux/iommu.h>

int conftest(struct iommu_domain *d);
int conftest(struct iommu_domain *d)
{
	return iommu_map(d, 0, 0, PAGE_SIZE, IOMMU_READ, GFP_KERNEL);
}
