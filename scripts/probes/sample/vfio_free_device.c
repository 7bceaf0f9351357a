// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_free_device(): a vfio_device_ops.release that must free the device, for the sample
 * Added in v6.1 with vfio_alloc_device(); removed in v6.2 by "vfio: Remove
 * vfio_free_device" (the core frees the device after .release since).
 */
#include <linux/vfio.h>

void conftest(struct vfio_device *vdev);
void conftest(struct vfio_device *vdev)
{
	vfio_free_device(vdev);
}
