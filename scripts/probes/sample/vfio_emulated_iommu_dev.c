// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_alloc_device() + vfio_register_emulated_iommu_dev(), for the sample
 * vfio_register_emulated_iommu_dev() was added in v5.16 by c68ea0d00ad8
 * ("vfio: simplify iommu group allocation for mediated devices"), and
 * vfio_alloc_device() in v6.1 by cb9ff3f3b84c ("vfio: Add helpers for
 * unifying vfio_device life cycle").
 */
#include <linux/vfio.h>

int conftest(struct device *dev, const struct vfio_device_ops *ops);

struct conftest_dev {
	struct vfio_device vdev;
};

int conftest(struct device *dev, const struct vfio_device_ops *ops)
{
	struct conftest_dev *c;

	c = vfio_alloc_device(conftest_dev, vdev, dev, ops);
	if (IS_ERR(c))
		return PTR_ERR(c);
	return vfio_register_emulated_iommu_dev(&c->vdev);
}
