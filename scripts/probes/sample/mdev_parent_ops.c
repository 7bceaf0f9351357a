// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct mdev_parent_ops + mdev_register_device(dev, ops), for the sample
 * Replaced in v5.19-v6.1 by struct mdev_driver + mdev_register_parent()
 * ("vfio/mdev: remove mdev_parent_ops", v6.1).
 */
#include <linux/device.h>
#include <linux/uuid.h>
#include <linux/mdev.h>

int conftest(struct device *dev, const struct mdev_parent_ops *ops);
int conftest(struct device *dev, const struct mdev_parent_ops *ops)
{
	return mdev_register_device(dev, ops);
}
