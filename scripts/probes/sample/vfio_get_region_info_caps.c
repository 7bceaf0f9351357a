// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_device_ops.get_region_info_caps: the vfio core answers
 * VFIO_DEVICE_GET_REGION_INFO itself and asks the driver through this op
 * (the ioctl never reaches .ioctl).  Added in v6.19 by 775f726a742a
 * ("vfio: Add get_region_info_caps op").
 */
#include <linux/vfio.h>

static int conftest_caps(struct vfio_device *vdev,
			 struct vfio_region_info *info,
			 struct vfio_info_cap *caps)
{
	return 0;
}

const struct vfio_device_ops conftest_ops = {
	.get_region_info_caps = conftest_caps,
};
