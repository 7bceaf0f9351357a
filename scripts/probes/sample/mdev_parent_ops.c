// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct mdev_parent_ops + mdev_register_device(dev, ops), for the sample
 * Removed in v5.19 by 6b42f491e17c ("vfio/mdev: Remove mdev_parent_ops");
 * v6.1 has struct mdev_driver + mdev_register_parent() instead.
 */
#include <linux/device.h>
#include <linux/uuid.h>
#include <linux/mdev.h>

int conftest(struct device *dev, const struct mdev_parent_ops *ops);
int conftest(struct device *dev, const struct mdev_parent_ops *ops)
{
	return mdev_register_device(dev, ops);
}
