/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * auxshim_sample.ko's compat header.  Its AUXSHIM_HAVE_* come from the
 * probes in scripts/probes/sample/ (src/sample/conftest.h).
 */
#ifndef AUXSHIM_SAMPLE_COMPAT_H
#define AUXSHIM_SAMPLE_COMPAT_H

#include "conftest.h"


/*
 * Only src/sample.c defines AUXSHIM_COMPAT_SAMPLE (and SAMPLE_TYPE,
 * SAMPLE_TYPE_NAME, SAMPLE_TYPE_DESC).  This section builds the mdev parent
 * and type objects of each kernel around a uniform pair of callbacks that
 * src/sample.c provides:
 *
 *   sample_mdev_create(dev, parent, &priv)  an mdev was created on parent
 *   sample_mdev_remove(priv)                it is going; detach it here
 *   sample_available(parent)                instances left on parent
 *   sample_mdev_group                       the mdev's "auxshim/" attributes
 *
 * Two lifecycles:
 * - struct mdev_parent_ops (<= v6.0; Debian 5.10): mdev core calls
 *   create/remove and gives the mdev an iommu_group when vfio_mdev binds.
 *   The mdev leaves that group BEFORE remove() runs: detach through the
 *   group reference taken at attach time.
 * - struct mdev_driver + mdev_register_parent() (>= v6.1): probe/remove of
 *   an mdev bus driver; the vfio device registered here with
 *   vfio_register_emulated_iommu_dev() gives the mdev its iommu_group and
 *   is unregistered only after sample_mdev_remove().  It has no regions and
 *   no irqs, so it needs no .ioctl (nor, on v7.x, .get_region_info_caps):
 *   the vfio core answers those ioctls with an error by itself.
 */
#if defined(AUXSHIM_COMPAT_SAMPLE)
#include <linux/mdev.h>
#include <linux/sysfs.h>
#include <linux/vfio.h>

static int sample_mdev_create(struct device *dev, struct device *parent,
			      void **priv);
static void sample_mdev_remove(void *priv);
static unsigned int sample_available(struct device *parent);
static const struct attribute_group sample_mdev_group;

static const struct attribute_group *auxshim_samplec_mdev_groups[] = {
	&sample_mdev_group,
	NULL
};

#if defined(AUXSHIM_HAVE_MDEV_PARENT_OPS)

struct auxshim_sample_parent {
};

static ssize_t auxshim_samplec_name_show(struct kobject *kobj,
					 struct device *dev, char *buf)
{
	return sysfs_emit(buf, "%s\n", SAMPLE_TYPE_NAME);
}

static ssize_t auxshim_samplec_desc_show(struct kobject *kobj,
					 struct device *dev, char *buf)
{
	return sysfs_emit(buf, "%s\n", SAMPLE_TYPE_DESC);
}

static ssize_t auxshim_samplec_api_show(struct kobject *kobj,
					struct device *dev, char *buf)
{
	return sysfs_emit(buf, "%s\n", VFIO_DEVICE_API_PCI_STRING);
}

static ssize_t auxshim_samplec_avail_show(struct kobject *kobj,
					  struct device *dev, char *buf)
{
	return sysfs_emit(buf, "%u\n", sample_available(dev));
}

static struct mdev_type_attribute auxshim_samplec_type_attrs[] = {
	__ATTR(name, 0444, auxshim_samplec_name_show, NULL),
	__ATTR(description, 0444, auxshim_samplec_desc_show, NULL),
	__ATTR(device_api, 0444, auxshim_samplec_api_show, NULL),
	__ATTR(available_instances, 0444, auxshim_samplec_avail_show, NULL),
};

static struct attribute *auxshim_samplec_type_attr_list[] = {
	&auxshim_samplec_type_attrs[0].attr,
	&auxshim_samplec_type_attrs[1].attr,
	&auxshim_samplec_type_attrs[2].attr,
	&auxshim_samplec_type_attrs[3].attr,
	NULL
};

/* mdev core names the type's directory "<driver name>-<group name>". */
static struct attribute_group auxshim_samplec_type_group = {
	.name = SAMPLE_TYPE,
	.attrs = auxshim_samplec_type_attr_list,
};

static struct attribute_group *auxshim_samplec_type_groups[] = {
	&auxshim_samplec_type_group,
	NULL
};

static int auxshim_samplec_create(struct kobject *kobj,
				  struct mdev_device *mdev)
{
	void *priv;
	int ret;

	ret = sample_mdev_create(mdev_dev(mdev), mdev_parent_dev(mdev), &priv);
	if (!ret)
		mdev_set_drvdata(mdev, priv);
	return ret;
}

static int auxshim_samplec_remove(struct mdev_device *mdev)
{
	sample_mdev_remove(mdev_get_drvdata(mdev));
	return 0;
}

static const struct mdev_parent_ops auxshim_samplec_parent_ops = {
	.owner = THIS_MODULE,
	.mdev_attr_groups = auxshim_samplec_mdev_groups,
	.supported_type_groups = auxshim_samplec_type_groups,
	.create = auxshim_samplec_create,
	.remove = auxshim_samplec_remove,
};

/* The private data of an mdev, from its device (for sysfs attributes). */
static inline void *auxshim_sample_priv(struct device *dev)
{
	return mdev_get_drvdata(mdev_from_dev(dev));
}

static inline int auxshim_sample_register_parent(struct auxshim_sample_parent *p,
						 struct device *dev)
{
	return mdev_register_device(dev, &auxshim_samplec_parent_ops);
}

static inline void auxshim_sample_unregister_parent(struct auxshim_sample_parent *p,
						    struct device *dev)
{
	mdev_unregister_device(dev);
}

/* vfio_mdev is the mdev driver here: nothing of ours to register. */
static inline int auxshim_sample_register_driver(void)
{
	return 0;
}

static inline void auxshim_sample_unregister_driver(void)
{
}

#elif defined(AUXSHIM_HAVE_MDEV_REGISTER_PARENT) && \
	defined(AUXSHIM_HAVE_VFIO_EMULATED_IOMMU_DEV)

struct auxshim_sample_parent {
	struct mdev_parent parent;
	struct mdev_type type;
	struct mdev_type *types[1];
};

struct auxshim_samplec_vdev {
	struct vfio_device vdev;	/* first: vfio_alloc_device() wants it */
	void *priv;
};

#if defined(AUXSHIM_HAVE_VFIO_FREE_DEVICE)
/* v6.1 only: .release is required and frees the device. */
static void auxshim_samplec_vfio_release(struct vfio_device *vdev)
{
	vfio_free_device(vdev);
}
#endif

static const struct vfio_device_ops auxshim_samplec_vfio_ops = {
	.name = KBUILD_MODNAME,
#if defined(AUXSHIM_HAVE_VFIO_FREE_DEVICE)
	.release = auxshim_samplec_vfio_release,
#endif
#if defined(AUXSHIM_HAVE_VFIO_IOMMUFD_EMULATED)
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
#endif
};

static int auxshim_samplec_probe(struct mdev_device *mdev)
{
	struct auxshim_samplec_vdev *vd;
	int ret;

	vd = vfio_alloc_device(auxshim_samplec_vdev, vdev, &mdev->dev,
			       &auxshim_samplec_vfio_ops);
	if (IS_ERR(vd))
		return PTR_ERR(vd);
	ret = sample_mdev_create(&mdev->dev, mdev->dev.parent, &vd->priv);
	if (ret)
		goto err_put;
	ret = vfio_register_emulated_iommu_dev(&vd->vdev);
	if (ret)
		goto err_remove;
	dev_set_drvdata(&mdev->dev, vd);
	return 0;

err_remove:
	sample_mdev_remove(vd->priv);
err_put:
	vfio_put_device(&vd->vdev);
	return ret;
}

static void auxshim_samplec_remove(struct mdev_device *mdev)
{
	struct auxshim_samplec_vdev *vd = dev_get_drvdata(&mdev->dev);

	sample_mdev_remove(vd->priv);
	vfio_unregister_group_dev(&vd->vdev);
	vfio_put_device(&vd->vdev);
}

static unsigned int auxshim_samplec_get_available(struct mdev_type *mtype)
{
	return sample_available(mtype->parent->dev);
}

static ssize_t auxshim_samplec_show_description(struct mdev_type *mtype,
						char *buf)
{
	return sysfs_emit(buf, "%s\n", SAMPLE_TYPE_DESC);
}

static struct mdev_driver auxshim_samplec_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = KBUILD_MODNAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = auxshim_samplec_mdev_groups,
	},
	.probe = auxshim_samplec_probe,
	.remove = auxshim_samplec_remove,
	.get_available = auxshim_samplec_get_available,
	.show_description = auxshim_samplec_show_description,
};

static inline void *auxshim_sample_priv(struct device *dev)
{
	struct auxshim_samplec_vdev *vd = dev_get_drvdata(dev);

	return vd->priv;
}

static inline int auxshim_sample_register_parent(struct auxshim_sample_parent *p,
						 struct device *dev)
{
	/* mdev core names its directory "<driver name>-<sysfs_name>". */
	p->type.sysfs_name = SAMPLE_TYPE;
	p->type.pretty_name = SAMPLE_TYPE_NAME;
	p->types[0] = &p->type;
	return mdev_register_parent(&p->parent, dev, &auxshim_samplec_driver,
				    p->types, ARRAY_SIZE(p->types));
}

static inline void auxshim_sample_unregister_parent(struct auxshim_sample_parent *p,
						    struct device *dev)
{
	mdev_unregister_parent(&p->parent);
}

static inline int auxshim_sample_register_driver(void)
{
	return mdev_register_driver(&auxshim_samplec_driver);
}

static inline void auxshim_sample_unregister_driver(void)
{
	mdev_unregister_driver(&auxshim_samplec_driver);
}

#else
#error "auxshim_sample: neither mdev_parent_ops nor mdev_register_parent() + vfio emulated devices"
#endif
#endif /* AUXSHIM_COMPAT_SAMPLE */

#endif /* AUXSHIM_SAMPLE_COMPAT_H */
