/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * auxshim_sample.ko's compat header.  The sample is written against the
 * v6.1 mdev/vfio API, the way samples/vfio-mdev/mtty.c is; this header
 * fills in what other kernels lack or do differently.  Its AUXSHIM_HAVE_*
 * come from the probes in scripts/probes/sample/ (src/sample/conftest.h).
 *
 * It renames no kernel identifier: a kernel name in the sample means the
 * kernel's own on every kernel.  Where the sample needs the v6.1 API that
 * v5.10 lacks or has with another meaning (struct vfio_device,
 * vfio_pin_pages(), struct mdev_driver, ...), it uses this header's
 * auxshim_sample_<kernel name> instead: on v6.1+ that is the kernel's own
 * (a macro for a type, a static inline for a function), on v5.10 the same
 * v6.1 shape built here on top of mdev_parent_ops.
 */
#ifndef AUXSHIM_SAMPLE_COMPAT_H
#define AUXSHIM_SAMPLE_COMPAT_H

#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/mdev.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>

#include "conftest.h"

#if !defined(AUXSHIM_HAVE_MDEV_PARENT_OPS) &&           \
	!(defined(AUXSHIM_HAVE_MDEV_REGISTER_PARENT) && \
	  defined(AUXSHIM_HAVE_VFIO_EMULATED_IOMMU_DEV))
#error "auxshim_sample: neither mdev_parent_ops nor mdev_register_parent() + vfio emulated devices"
#endif

/*
 * v6.2+: an emulated vfio device must have these when CONFIG_IOMMUFD is on.
 * Last in a vfio_device_ops initializer (it brings its own commas).
 */
#if defined(AUXSHIM_HAVE_VFIO_IOMMUFD_EMULATED)
#define AUXSHIM_VFIO_IOMMUFD_EMULATED_OPS                 \
	.bind_iommufd = vfio_iommufd_emulated_bind,       \
	.unbind_iommufd = vfio_iommufd_emulated_unbind,   \
	.attach_ioas = vfio_iommufd_emulated_attach_ioas, \
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
#else
#define AUXSHIM_VFIO_IOMMUFD_EMULATED_OPS
#endif

#if defined(AUXSHIM_HAVE_MDEV_PARENT_OPS) == \
	defined(AUXSHIM_HAVE_VFIO_PIN_PAGES_PAGES)
#error "auxshim_sample: a kernel between v5.10 and v6.1 (vfio_pin_pages() vs mdev_parent_ops)"
#endif

#if !defined(AUXSHIM_HAVE_MDEV_PARENT_OPS)
/* v6.1+: the kernel's own. */
#define auxshim_sample_mdev_type mdev_type
#define auxshim_sample_mdev_parent mdev_parent
#define auxshim_sample_mdev_driver mdev_driver
#define auxshim_sample_vfio_device vfio_device
#define auxshim_sample_vfio_device_ops vfio_device_ops
#define auxshim_sample_vfio_alloc_device vfio_alloc_device

static inline int
auxshim_sample_mdev_register_parent(struct mdev_parent *parent,
				    struct device *dev, struct mdev_driver *drv,
				    struct mdev_type **types, unsigned int n)
{
	return mdev_register_parent(parent, dev, drv, types, n);
}

static inline void
auxshim_sample_mdev_unregister_parent(struct mdev_parent *parent)
{
	mdev_unregister_parent(parent);
}

static inline int auxshim_sample_mdev_register_driver(struct mdev_driver *drv)
{
	return mdev_register_driver(drv);
}

static inline void
auxshim_sample_mdev_unregister_driver(struct mdev_driver *drv)
{
	mdev_unregister_driver(drv);
}

static inline int
auxshim_sample_vfio_register_emulated_iommu_dev(struct vfio_device *vdev)
{
	return vfio_register_emulated_iommu_dev(vdev);
}

static inline void
auxshim_sample_vfio_unregister_group_dev(struct vfio_device *vdev)
{
	vfio_unregister_group_dev(vdev);
}

static inline void auxshim_sample_vfio_put_device(struct vfio_device *vdev)
{
	vfio_put_device(vdev);
}

/*
 * v6.1's .release frees the device; v6.2+ frees it itself once .release
 * has returned (913447d06f03 "vfio: Remove vfio_free_device").
 */
static inline void auxshim_sample_vfio_free_device(struct vfio_device *vdev)
{
#if defined(AUXSHIM_HAVE_VFIO_FREE_DEVICE)
	vfio_free_device(vdev);
#endif
}

static inline int auxshim_sample_vfio_pin_pages(struct vfio_device *vdev,
						dma_addr_t iova, int npage,
						int prot, struct page **pages)
{
	return vfio_pin_pages(vdev, iova, npage, prot, pages);
}

static inline void auxshim_sample_vfio_unpin_pages(struct vfio_device *vdev,
						   dma_addr_t iova, int npage)
{
	vfio_unpin_pages(vdev, iova, npage);
}

/*
 * The mdev's driver data.  A function of its own because on v5.10 the
 * mdev's struct device belongs to vfio_mdev (and vfio sets its drvdata).
 */
static inline void auxshim_sample_mdev_set_drvdata(struct device *dev,
						   void *data)
{
	dev_set_drvdata(dev, data);
}

static inline void *auxshim_sample_mdev_get_drvdata(struct device *dev)
{
	return dev_get_drvdata(dev);
}

#else /* AUXSHIM_HAVE_MDEV_PARENT_OPS */
/*
 * v5.10: struct mdev_parent_ops.  mdev core calls the parent's create()
 * before vfio_mdev (the vfio driver of every mdev) binds the new mdev, and
 * remove() after vfio_mdev unbound it, by when the mdev has left its
 * iommu_group.  Here is the v6.1 API on top of that:
 *
 * - auxshim_sample_mdev_register_parent() builds the mdev_parent_ops and
 *   the type's attributes inside struct auxshim_sample_mdev_parent, and
 *   routes create()/remove() to the mdev driver's probe()/remove();
 *   auxshim_sample_mdev_register_driver() has nothing to register.  One
 *   type per parent: v5.10's type attributes are not told which type they
 *   are read on.
 * - the vfio device the driver allocates is only the container of its
 *   state: making the mdev a vfio device is vfio_mdev's business.
 *
 * Only what the sample uses.  v5.10 has a struct mdev_driver, a struct
 * vfio_device, a struct vfio_device_ops, an mdev_register_driver() and a
 * vfio_pin_pages() of its own, which mean something else: the v6.1 shapes
 * here are auxshim_sample_*, and the kernel's names keep their meaning.
 */

struct auxshim_sample_mdev_type {
	const char *sysfs_name;
	const char *pretty_name;
	struct auxshim_sample_mdev_parent *parent;
};

struct auxshim_sample_mdev_driver {
	const char *device_api;
	int (*probe)(struct mdev_device *mdev);
	void (*remove)(struct mdev_device *mdev);
	unsigned int (*get_available)(struct auxshim_sample_mdev_type *mtype);
	ssize_t (*show_description)(struct auxshim_sample_mdev_type *mtype,
				    char *buf);
	struct device_driver driver;
};

#define AUXSHIM_SAMPLE_TYPE_ATTRS 4

struct auxshim_sample_mdev_parent {
	struct device *dev;
	struct auxshim_sample_mdev_driver *mdev_driver;
	struct auxshim_sample_mdev_type *type;
	/* What mdev_register_device() is given, built at registration: */
	struct mdev_parent_ops ops;
	struct mdev_type_attribute type_attrs[AUXSHIM_SAMPLE_TYPE_ATTRS];
	struct attribute *type_attr_list[AUXSHIM_SAMPLE_TYPE_ATTRS + 1];
	struct attribute_group type_group;
	struct attribute_group *type_groups[2];
	struct notifier_block bus_nb; /* its mdevs' removal, for .request */
};

struct auxshim_sample_vfio_device {
	struct device *dev;
	const struct auxshim_sample_vfio_device_ops *ops;
	struct mutex lock; /* open_count, req_count */
	unsigned int open_count;
	struct notifier_block iommu_nb; /* type1's unmaps, for .dma_unmap */
	/* .request while the removal waits: at once, then every 10 s */
	struct delayed_work req_work;
	unsigned int req_count;
};

struct auxshim_sample_vfio_device_ops {
	char *name;
	void (*release)(struct auxshim_sample_vfio_device *vdev);
	int (*open_device)(struct auxshim_sample_vfio_device *vdev);
	void (*close_device)(struct auxshim_sample_vfio_device *vdev);
	ssize_t (*read)(struct auxshim_sample_vfio_device *vdev,
			char __user *buf, size_t count, loff_t *ppos);
	ssize_t (*write)(struct auxshim_sample_vfio_device *vdev,
			 const char __user *buf, size_t count, loff_t *ppos);
	long (*ioctl)(struct auxshim_sample_vfio_device *vdev, unsigned int cmd,
		      unsigned long arg);
	void (*dma_unmap)(struct auxshim_sample_vfio_device *vdev, u64 iova,
			  u64 length);
	void (*request)(struct auxshim_sample_vfio_device *vdev,
			unsigned int count);
};

/*
 * vfio_mdev hands the mdev's file operations to the parent: route them to
 * the auxshim_sample_vfio_device_ops, with v6.1's semantics (open_device on
 * the first open, close_device on the last close, dma_unmap for the
 * container's unmaps, announced on v5.10 through an IOMMU notifier).  The
 * mdev's driver data is the driver's container, whose first member is the
 * auxshim_sample_vfio_device.
 */
static inline struct auxshim_sample_vfio_device *
auxshim_sample_vdev(struct mdev_device *mdev)
{
	return mdev_get_drvdata(mdev);
}

static inline int auxshim_sample_iommu_notifier(struct notifier_block *nb,
						unsigned long action,
						void *data)
{
	struct auxshim_sample_vfio_device *vdev =
		container_of(nb, struct auxshim_sample_vfio_device, iommu_nb);
	struct vfio_iommu_type1_dma_unmap *unmap = data;

	if (action == VFIO_IOMMU_NOTIFY_DMA_UNMAP)
		vdev->ops->dma_unmap(vdev, unmap->iova, unmap->size);
	return NOTIFY_OK;
}

static inline int auxshim_sample_open(struct mdev_device *mdev)
{
	struct auxshim_sample_vfio_device *vdev = auxshim_sample_vdev(mdev);
	unsigned long events = VFIO_IOMMU_NOTIFY_DMA_UNMAP;
	int ret = 0;

	mutex_lock(&vdev->lock);
	if (vdev->open_count)
		goto out_count;
	vdev->iommu_nb.notifier_call = auxshim_sample_iommu_notifier;
	ret = vfio_register_notifier(vdev->dev, VFIO_IOMMU_NOTIFY, &events,
				     &vdev->iommu_nb);
	if (ret)
		goto out_unlock;
	ret = vdev->ops->open_device(vdev);
	if (ret) {
		vfio_unregister_notifier(vdev->dev, VFIO_IOMMU_NOTIFY,
					 &vdev->iommu_nb);
		goto out_unlock;
	}
out_count:
	vdev->open_count++;
out_unlock:
	mutex_unlock(&vdev->lock);
	return ret;
}

static inline void auxshim_sample_release(struct mdev_device *mdev)
{
	struct auxshim_sample_vfio_device *vdev = auxshim_sample_vdev(mdev);

	mutex_lock(&vdev->lock);
	if (!--vdev->open_count) {
		vdev->ops->close_device(vdev);
		vfio_unregister_notifier(vdev->dev, VFIO_IOMMU_NOTIFY,
					 &vdev->iommu_nb);
	}
	mutex_unlock(&vdev->lock);
}

static inline ssize_t auxshim_sample_read(struct mdev_device *mdev,
					  char __user *buf, size_t count,
					  loff_t *ppos)
{
	struct auxshim_sample_vfio_device *vdev = auxshim_sample_vdev(mdev);

	return vdev->ops->read(vdev, buf, count, ppos);
}

static inline ssize_t auxshim_sample_write(struct mdev_device *mdev,
					   const char __user *buf, size_t count,
					   loff_t *ppos)
{
	struct auxshim_sample_vfio_device *vdev = auxshim_sample_vdev(mdev);

	return vdev->ops->write(vdev, buf, count, ppos);
}

static inline long auxshim_sample_ioctl(struct mdev_device *mdev,
					unsigned int cmd, unsigned long arg)
{
	struct auxshim_sample_vfio_device *vdev = auxshim_sample_vdev(mdev);

	return vdev->ops->ioctl(vdev, cmd, arg);
}

/*
 * v5.10's struct mdev_parent_ops has no request member and vfio_mdev no
 * .request (read from Debian's 5.10 headers and vfio_mdev.ko): its
 * vfio_del_group_dev() waits for the last close without asking.  The
 * v6.1 behaviour instead: when an mdev of ours leaves the bus
 * (BUS_NOTIFY_DEL_DEVICE comes before vfio_mdev's remove, which waits)
 * while open, call .request with count 0, then again every 10 s, as the
 * v6.1 vfio core does, until the last close.
 */
#define AUXSHIM_SAMPLE_REQ_PERIOD (10 * HZ)

static inline void auxshim_sample_req_work(struct work_struct *work)
{
	struct auxshim_sample_vfio_device *vdev =
		container_of(to_delayed_work(work),
			     struct auxshim_sample_vfio_device, req_work);

	mutex_lock(&vdev->lock);
	if (vdev->open_count) {
		vdev->ops->request(vdev, vdev->req_count++);
		schedule_delayed_work(&vdev->req_work,
				      AUXSHIM_SAMPLE_REQ_PERIOD);
	}
	mutex_unlock(&vdev->lock);
}

static inline int auxshim_sample_bus_notify(struct notifier_block *nb,
					    unsigned long action, void *data)
{
	struct auxshim_sample_mdev_parent *parent =
		container_of(nb, struct auxshim_sample_mdev_parent, bus_nb);
	struct mdev_device *mdev = mdev_from_dev(data);
	struct auxshim_sample_vfio_device *vdev;

	if (action != BUS_NOTIFY_DEL_DEVICE || !mdev ||
	    mdev_parent_dev(mdev) != parent->dev)
		return NOTIFY_DONE;
	vdev = auxshim_sample_vdev(mdev);
	if (vdev && vdev->ops->request)
		mod_delayed_work(system_wq, &vdev->req_work, 0);
	return NOTIFY_OK;
}

/*
 * v5.10's vfio_pin_pages() takes the mdev's device and arrays of user and
 * physical pfns; v6.0's shape (pages, by IOVA, on the vfio device) on top.
 */
static inline void
auxshim_sample_vfio_unpin_pages(struct auxshim_sample_vfio_device *vdev,
				dma_addr_t iova, int npage)
{
	unsigned long pfn;
	int i;

	for (i = 0; i < npage; i++) {
		pfn = (iova >> PAGE_SHIFT) + i;
		vfio_unpin_pages(vdev->dev, &pfn, 1);
	}
}

static inline int
auxshim_sample_vfio_pin_pages(struct auxshim_sample_vfio_device *vdev,
			      dma_addr_t iova, int npage, int prot,
			      struct page **pages)
{
	unsigned long pfn, phys;
	int i, ret;

	for (i = 0; i < npage; i++) {
		pfn = (iova >> PAGE_SHIFT) + i;
		ret = vfio_pin_pages(vdev->dev, &pfn, 1, prot, &phys);
		if (ret == 1 && !pfn_valid(phys)) {
			vfio_unpin_pages(vdev->dev, &pfn, 1);
			ret = -EINVAL;
		}
		if (ret != 1) {
			auxshim_sample_vfio_unpin_pages(vdev, iova, i);
			return ret < 0 ? ret : -EFAULT;
		}
		pages[i] = pfn_to_page(phys);
	}
	return npage;
}

/*
 * v5.10's callbacks only name the parent's struct device: the parent
 * registered on it is found through a devres of that device.
 */
static inline void auxshim_sample_parent_release(struct device *dev, void *res)
{
}

static inline struct auxshim_sample_mdev_parent *
auxshim_sample_parent(struct device *dev)
{
	struct auxshim_sample_mdev_parent **res;

	res = devres_find(dev, auxshim_sample_parent_release, NULL, NULL);
	return res ? *res : NULL;
}

/* The type's attributes (v6.1's mdev core has the same four). */
static inline ssize_t auxshim_sample_name_show(struct kobject *kobj,
					       struct device *dev, char *buf)
{
	struct auxshim_sample_mdev_type *mtype =
		auxshim_sample_parent(dev)->type;

	return sysfs_emit(buf, "%s\n", mtype->pretty_name ?: mtype->sysfs_name);
}

static inline ssize_t auxshim_sample_description_show(struct kobject *kobj,
						      struct device *dev,
						      char *buf)
{
	struct auxshim_sample_mdev_parent *parent = auxshim_sample_parent(dev);

	return parent->mdev_driver->show_description(parent->type, buf);
}

static inline ssize_t auxshim_sample_device_api_show(struct kobject *kobj,
						     struct device *dev,
						     char *buf)
{
	struct auxshim_sample_mdev_parent *parent = auxshim_sample_parent(dev);

	return sysfs_emit(buf, "%s\n", parent->mdev_driver->device_api);
}

static inline ssize_t auxshim_sample_available_show(struct kobject *kobj,
						    struct device *dev,
						    char *buf)
{
	struct auxshim_sample_mdev_parent *parent = auxshim_sample_parent(dev);

	return sysfs_emit(buf, "%u\n",
			  parent->mdev_driver->get_available(parent->type));
}

static inline int auxshim_sample_create(struct kobject *kobj,
					struct mdev_device *mdev)
{
	struct auxshim_sample_mdev_parent *parent =
		auxshim_sample_parent(mdev_parent_dev(mdev));

	return parent->mdev_driver->probe(mdev);
}

static inline int auxshim_sample_remove(struct mdev_device *mdev)
{
	struct auxshim_sample_mdev_parent *parent =
		auxshim_sample_parent(mdev_parent_dev(mdev));

	/* vfio_mdev has seen the last close: no request is due any more. */
	cancel_delayed_work_sync(&auxshim_sample_vdev(mdev)->req_work);
	parent->mdev_driver->remove(mdev);
	return 0;
}

typedef ssize_t auxshim_sample_type_show(struct kobject *, struct device *,
					 char *);

static inline void
auxshim_sample_type_attr(struct auxshim_sample_mdev_parent *parent,
			 unsigned int i, const char *name,
			 auxshim_sample_type_show *show)
{
	struct mdev_type_attribute *ta = &parent->type_attrs[i];

	sysfs_attr_init(&ta->attr);
	ta->attr.name = name;
	ta->attr.mode = 0444;
	ta->show = show;
	ta->store = NULL;
	parent->type_attr_list[i] = &ta->attr;
}

/* clang-format would break after "(" (checkpatch OPEN_ENDED_LINE). */
/* clang-format off */
static inline int
auxshim_sample_mdev_register_parent(struct auxshim_sample_mdev_parent *parent,
				    struct device *dev,
				    struct auxshim_sample_mdev_driver *mdev_driver,
				    struct auxshim_sample_mdev_type **types,
				    unsigned int nr_types)
{
	struct auxshim_sample_mdev_parent **res;
	int ret;

	if (nr_types != 1)
		return -EINVAL;
	parent->dev = dev;
	parent->mdev_driver = mdev_driver;
	parent->type = types[0];
	parent->type->parent = parent;

	auxshim_sample_type_attr(parent, 0, "name", auxshim_sample_name_show);
	auxshim_sample_type_attr(parent, 1, "description",
				 auxshim_sample_description_show);
	auxshim_sample_type_attr(parent, 2, "device_api",
				 auxshim_sample_device_api_show);
	auxshim_sample_type_attr(parent, 3, "available_instances",
				 auxshim_sample_available_show);
	parent->type_attr_list[AUXSHIM_SAMPLE_TYPE_ATTRS] = NULL;
	/* mdev core names the type's directory "<driver name>-<group name>". */
	parent->type_group = (struct attribute_group){
		.name = parent->type->sysfs_name,
		.attrs = parent->type_attr_list,
	};
	parent->type_groups[0] = &parent->type_group;
	parent->type_groups[1] = NULL;
	parent->ops = (struct mdev_parent_ops){
		.owner = mdev_driver->driver.owner,
		.mdev_attr_groups = mdev_driver->driver.dev_groups,
		.supported_type_groups = parent->type_groups,
		.create = auxshim_sample_create,
		.remove = auxshim_sample_remove,
		.open = auxshim_sample_open,
		.release = auxshim_sample_release,
		.read = auxshim_sample_read,
		.write = auxshim_sample_write,
		.ioctl = auxshim_sample_ioctl,
	};

	res = devres_alloc(auxshim_sample_parent_release, sizeof(*res),
			   GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	*res = parent;
	devres_add(dev, res);
	parent->bus_nb.notifier_call = auxshim_sample_bus_notify;
	ret = bus_register_notifier(&mdev_bus_type, &parent->bus_nb);
	if (ret)
		goto err_devres;
	ret = mdev_register_device(dev, &parent->ops);
	if (ret)
		goto err_notifier;
	return 0;

err_notifier:
	bus_unregister_notifier(&mdev_bus_type, &parent->bus_nb);
err_devres:
	devres_release(dev, auxshim_sample_parent_release, NULL, NULL);
	return ret;
}

/* clang-format on */

/* Its mdevs are removed first: their requests go out meanwhile. */
static inline void
auxshim_sample_mdev_unregister_parent(struct auxshim_sample_mdev_parent *parent)
{
	mdev_unregister_device(parent->dev);
	bus_unregister_notifier(&mdev_bus_type, &parent->bus_nb);
	devres_release(parent->dev, auxshim_sample_parent_release, NULL, NULL);
}

static inline int
auxshim_sample_mdev_register_driver(struct auxshim_sample_mdev_driver *drv)
{
	return 0;
}

static inline void
auxshim_sample_mdev_unregister_driver(struct auxshim_sample_mdev_driver *drv)
{
}

/* mdev core keeps a driver data pointer of its own beside vfio's. */
static inline void auxshim_sample_mdev_set_drvdata(struct device *dev,
						   void *data)
{
	mdev_set_drvdata(mdev_from_dev(dev), data);
}

static inline void *auxshim_sample_mdev_get_drvdata(struct device *dev)
{
	return mdev_get_drvdata(mdev_from_dev(dev));
}

/* The auxshim_sample_vfio_device comes first in its container, as on v6.1. */
static inline void *
auxshim_sample_vfio_alloc(size_t size, size_t offset, struct device *dev,
			  const struct auxshim_sample_vfio_device_ops *ops)
{
	struct auxshim_sample_vfio_device *vdev;

	if (WARN_ON(offset))
		return ERR_PTR(-EINVAL);
	vdev = kvzalloc(size, GFP_KERNEL);
	if (!vdev)
		return ERR_PTR(-ENOMEM);
	vdev->dev = dev;
	vdev->ops = ops;
	mutex_init(&vdev->lock);
	INIT_DELAYED_WORK(&vdev->req_work, auxshim_sample_req_work);
	return vdev;
}

#define auxshim_sample_vfio_alloc_device(type, member, dev, ops) \
	((struct type *)auxshim_sample_vfio_alloc(               \
		sizeof(struct type), offsetof(struct type, member), dev, ops))

/*
 * Making the mdev a vfio device is vfio_mdev's business.  clang-format
 * would break these after "(" (checkpatch OPEN_ENDED_LINE).
 */
/* clang-format off */
static inline int
auxshim_sample_vfio_register_emulated_iommu_dev(struct auxshim_sample_vfio_device *vdev)
{
	return 0;
}

static inline void
auxshim_sample_vfio_unregister_group_dev(struct auxshim_sample_vfio_device *vdev)
{
}

/* clang-format on */

/* The driver holds the only reference: the put is the last one. */
static inline void
auxshim_sample_vfio_put_device(struct auxshim_sample_vfio_device *vdev)
{
	vdev->ops->release(vdev);
}

static inline void
auxshim_sample_vfio_free_device(struct auxshim_sample_vfio_device *vdev)
{
	kvfree(vdev);
}

#endif /* AUXSHIM_HAVE_MDEV_PARENT_OPS */

/*
 * v6.19+: the vfio core answers VFIO_DEVICE_GET_REGION_INFO itself through
 * vfio_device_ops.get_region_info_caps, and the ioctl never reaches .ioctl
 * (775f726a742a "vfio: Add get_region_info_caps op").  Before, .ioctl
 * answers it: with the same function, behind the core's copy-in and
 * copy-out here.  The macro goes in a vfio_device_ops initializer (it
 * brings its own comma).
 */
#if defined(AUXSHIM_HAVE_VFIO_GET_REGION_INFO_CAPS)
#define AUXSHIM_VFIO_REGION_INFO_OPS(fn) .get_region_info_caps = (fn),
#else
#define AUXSHIM_VFIO_REGION_INFO_OPS(fn)
#endif

typedef int
auxshim_sample_region_info_fn(struct auxshim_sample_vfio_device *vdev,
			      struct vfio_region_info *info,
			      struct vfio_info_cap *caps);

static inline long
auxshim_sample_region_info_ioctl(struct auxshim_sample_vfio_device *vdev,
				 unsigned long arg,
				 auxshim_sample_region_info_fn *fn)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = {};
	struct vfio_region_info info;
	int ret;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	ret = fn(vdev, &info, &caps);
	/* No capability chain: the sample's regions have none. */
	if (!ret && WARN_ON_ONCE(caps.size))
		ret = -EINVAL;
	kfree(caps.buf);
	if (ret)
		return ret;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/* v6.8 dropped the count, always 1 (3652117f8548 "eventfd: simplify eventfd_signal()"). */
static inline void auxshim_sample_eventfd_signal(struct eventfd_ctx *ctx)
{
#if defined(AUXSHIM_HAVE_EVENTFD_SIGNAL_CTX)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

#endif /* AUXSHIM_SAMPLE_COMPAT_H */
