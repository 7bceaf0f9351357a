// SPDX-License-Identifier: GPL-2.0-only
/*
 * the aux-domain API (IOMMU_DEV_FEAT_AUX, iommu_aux_attach_device, ...)
 * Added in v5.2 by a3a195929d40 ("iommu: Add APIs for multiple domains per
 * device"); removed in v5.18 by 8652d875939b ("iommu: Remove aux-domain related
 * interfaces and iommu_ops").
 */
#include <linux/iommu.h>

int conftest(struct iommu_domain *d, struct device *dev);
int conftest(struct iommu_domain *d, struct device *dev)
{
	if (!iommu_dev_feature_enabled(dev, IOMMU_DEV_FEAT_AUX))
		return iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_AUX);
	iommu_aux_detach_device(d, dev);
	return iommu_aux_attach_device(d, dev) + iommu_aux_get_pasid(d, dev);
}
