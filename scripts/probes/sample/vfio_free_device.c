// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_free_device(): a vfio_device_ops.release that must free the device, for the sample
 * Added in v6.1 by cb9ff3f3b84c ("vfio: Add helpers for unifying vfio_device
 * life cycle"); removed in v6.2 by 913447d06f03 ("vfio: Remove
 * vfio_free_device"): the core frees the device after .release since.
 */
#include <linux/vfio.h>

void conftest(struct vfio_device *vdev);
void conftest(struct vfio_device *vdev)
{
	vfio_free_device(vdev);
}
