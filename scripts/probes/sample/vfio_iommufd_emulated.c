// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_device_ops.bind_iommufd and vfio_iommufd_emulated_bind() & co, for the sample
 * Added in v6.2 by 4741f2e94129 ("vfio-iommufd: Support iommufd for emulated
 * VFIO devices"); the helpers are NULL casts when CONFIG_IOMMUFD is off.
 */
#include <linux/vfio.h>

static const struct vfio_device_ops conftest_ops = {
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

const struct vfio_device_ops *conftest(void);
const struct vfio_device_ops *conftest(void)
{
	return &conftest_ops;
}
