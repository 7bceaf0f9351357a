// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev_register_parent(parent, dev, mdev_driver, types, nr_types), for the sample
 * Added in v6.1 by 89345d5177aa ("vfio/mdev: embedd struct mdev_parent in
 * the parent data structure").
 */
#include <linux/device.h>
#include <linux/uuid.h>
#include <linux/mdev.h>

int conftest(struct mdev_parent *parent, struct device *dev,
	     struct mdev_driver *drv, struct mdev_type **types);
int conftest(struct mdev_parent *parent, struct device *dev,
	     struct mdev_driver *drv, struct mdev_type **types)
{
	return mdev_register_parent(parent, dev, drv, types, 1);
}
