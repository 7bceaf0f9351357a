// SPDX-License-Identifier: GPL-2.0-only
/*
 * the aux-domain callbacks of struct iommu_ops and IOMMU_DEV_FEAT_AUX
 * Added in v5.2 by a3a195929d40 ("iommu: Add APIs for multiple domains per
 * device"); removed in v5.18 by 8652d875939b ("iommu: Remove aux-domain
 * related interfaces and iommu_ops").
 */
#include <linux/iommu.h>

const void *conftest(const struct iommu_ops *ops, struct device *dev);
const void *conftest(const struct iommu_ops *ops, struct device *dev)
{
	if (ops->dev_has_feat(dev, IOMMU_DEV_FEAT_AUX))
		return (const void *)ops->aux_attach_dev;
	return (const void *)ops->aux_get_pasid;
}
