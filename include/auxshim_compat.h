/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one place where kernel API differences are handled.
 *
 * Every AUXSHIM_HAVE_* comes from a compile probe in scripts/probes/ (run by
 * scripts/conftest.sh into auxshim_config.h); each probe names the upstream
 * change it tracks.  Only this header tests them, and only to define small
 * static inline wrappers, so the .c files read the same on every kernel.
 * It has one section per user: the shim, the sample mdev driver, the test
 * IOMMU driver.
 */
#ifndef AUXSHIM_COMPAT_H
#define AUXSHIM_COMPAT_H

#include <linux/version.h>
#include <linux/device.h>
#include <linux/iommu.h>

#include "auxshim_config.h"

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "auxshim needs Linux 5.10 or later"
#endif

/* ---- shim: aux domains, PASIDs, domains, maps ---------------------------- */

/* The type of dev->bus: const since v6.4; bus notifier calls follow it. */
typedef typeof(((struct device *)NULL)->bus) auxshim_bus_t;

/*
 * How "aux" is done on this kernel: the aux-domain API (<= v5.17), a shim
 * allocated PASID with iommu_attach_device_pasid() (>= v6.5, where global
 * PASIDs exist), or not at all (v5.18 .. v6.4, e.g. Debian's 6.1).
 */
#if defined(AUXSHIM_HAVE_IOMMU_AUX_API)
#define AUXSHIM_AUX_BACKEND "aux-domain"
#elif defined(AUXSHIM_HAVE_IOMMU_GLOBAL_PASID) && defined(AUXSHIM_HAVE_DEV_IOMMU_MAX_PASIDS) && \
	(defined(AUXSHIM_HAVE_IOMMU_ATTACH_DEVICE_PASID) || \
	 defined(AUXSHIM_HAVE_IOMMU_ATTACH_DEVICE_PASID_HANDLE))
#define AUXSHIM_AUX_BACKEND "pasid"
#define AUXSHIM_AUX_PASID 1
#else
#define AUXSHIM_AUX_BACKEND "none"
#endif

/* Does the kernel have any way to attach a domain to part of a device? */
static inline bool auxshim_compat_aux_supported(void)
{
#if defined(AUXSHIM_HAVE_IOMMU_AUX_API) || defined(AUXSHIM_AUX_PASID)
	return true;
#else
	return false;
#endif
}

/* Can the IOMMU driver give @dev aux domains / PASIDs? */
static inline bool auxshim_compat_dev_has_aux(struct device *dev)
{
#if defined(AUXSHIM_HAVE_IOMMU_AUX_API)
	return iommu_dev_has_feature(dev, IOMMU_DEV_FEAT_AUX);
#elif defined(AUXSHIM_AUX_PASID)
	return dev->iommu && dev->iommu->max_pasids > 0;
#else
	return false;
#endif
}

/*
 * Turn aux on or off in the IOMMU driver.  With PASID attach there is no
 * driver state to change: the shim's own bookkeeping is the whole story.
 */
static inline int auxshim_compat_enable_aux(struct device *dev)
{
#if defined(AUXSHIM_HAVE_IOMMU_AUX_API)
	return iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_AUX);
#elif defined(AUXSHIM_AUX_PASID)
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

static inline int auxshim_compat_disable_aux(struct device *dev)
{
#if defined(AUXSHIM_HAVE_IOMMU_AUX_API)
	return iommu_dev_disable_feature(dev, IOMMU_DEV_FEAT_AUX);
#elif defined(AUXSHIM_AUX_PASID)
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

/*
 * Attach @domain to @dev as an aux domain and return its PASID through
 * @pasid.  On the PASID backend the shim allocates a global PASID.
 */
static inline int auxshim_compat_aux_attach(struct iommu_domain *domain,
					    struct device *dev, u32 *pasid)
{
#if defined(AUXSHIM_HAVE_IOMMU_AUX_API)
	int ret = iommu_aux_attach_device(domain, dev);

	if (ret)
		return ret;
	ret = iommu_aux_get_pasid(domain, dev);
	if (ret < 0) {
		iommu_aux_detach_device(domain, dev);
		return ret;
	}
	*pasid = ret;
	return 0;
#elif defined(AUXSHIM_AUX_PASID)
	ioasid_t id = iommu_alloc_global_pasid(dev);
	int ret;

	if (id == IOMMU_PASID_INVALID)
		return -ENOSPC;
#if defined(AUXSHIM_HAVE_IOMMU_ATTACH_DEVICE_PASID_HANDLE)
	ret = iommu_attach_device_pasid(domain, dev, id, NULL);
#else
	ret = iommu_attach_device_pasid(domain, dev, id);
#endif
	if (ret) {
		iommu_free_global_pasid(id);
		return ret;
	}
	*pasid = id;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

static inline void auxshim_compat_aux_detach(struct iommu_domain *domain,
					     struct device *dev, u32 pasid)
{
#if defined(AUXSHIM_HAVE_IOMMU_AUX_API)
	iommu_aux_detach_device(domain, dev);
#elif defined(AUXSHIM_AUX_PASID)
	iommu_detach_device_pasid(domain, dev, pasid);
	iommu_free_global_pasid(pasid);
#endif
}

static inline struct iommu_domain *auxshim_compat_domain_alloc(struct device *dev)
{
#if defined(AUXSHIM_HAVE_IOMMU_PAGING_DOMAIN_ALLOC)
	return iommu_paging_domain_alloc(dev);
#elif defined(AUXSHIM_HAVE_IOMMU_DOMAIN_ALLOC_BUS)
	struct iommu_domain *domain;

	if (!dev->bus || !iommu_present(dev->bus))
		return ERR_PTR(-ENODEV);
	domain = iommu_domain_alloc(dev->bus);
	return domain ? domain : ERR_PTR(-ENOMEM);
#else
#error "auxshim: no way to allocate an IOMMU domain on this kernel"
#endif
}

static inline int auxshim_compat_map(struct iommu_domain *domain,
				     unsigned long iova, phys_addr_t paddr,
				     size_t size, int prot)
{
#if defined(AUXSHIM_HAVE_IOMMU_MAP_GFP)
	return iommu_map(domain, iova, paddr, size, prot, GFP_KERNEL);
#else
	return iommu_map(domain, iova, paddr, size, prot);
#endif
}

/* ---- sample: mdev and vfio (owned by the sample driver) ------------------ */

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

/* ---- tests: the test IOMMU driver (owned by tests/) ---------------------- */

/*
 * How the test IOMMU puts its fake devices in front of the IOMMU core:
 * - bus_set_iommu() on a private bus (<= v6.1 upstream, Debian 5.10): the
 *   core probes every device added to that bus;
 * - a fwnode (>= v6.11): iommu_device_register() with a fwnode and a fwspec
 *   on each fake platform device, which the core probes through its
 *   platform bus notifier; "pasid-num-bits" gives them PASIDs;
 * - by hand (v6.2 .. v6.7, Debian 6.1): iommu_device_register() refuses a
 *   second driver ("Temporarily enforce global restriction to a single
 *   driver") once intel-iommu owns the platform and PCI buses, and
 *   iommu_probe_device() is not exported, so the mock sets the private
 *   bus's iommu_ops, fills dev->iommu and adds the device to its group
 *   itself, as the core's probe would.
 */
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>

#if defined(AUXSHIM_HAVE_MOCK_BUS_SET_IOMMU)
#define AUXSHIM_MOCK_ROUTE "bus_set_iommu() on a private bus"
#define AUXSHIM_MOCK_ROUTE_BUS 1
#elif defined(AUXSHIM_HAVE_MOCK_FWSPEC_INIT_FWNODE) && \
	defined(AUXSHIM_HAVE_MOCK_OPS_DEFAULT_DOMAIN) && \
	defined(AUXSHIM_HAVE_DEV_IOMMU_MAX_PASIDS)
#define AUXSHIM_MOCK_ROUTE "iommu_device_register() with a fwnode, fwspec on platform devices"
#define AUXSHIM_MOCK_ROUTE_FWNODE 1
#elif defined(AUXSHIM_HAVE_MOCK_BUS_IOMMU_OPS)
#define AUXSHIM_MOCK_ROUTE "private bus->iommu_ops, devices added to their groups by the mock"
#define AUXSHIM_MOCK_ROUTE_MANUAL 1
#else
#define AUXSHIM_MOCK_ROUTE NULL
#endif

/* Which route, for the code paths that differ at run time. */
static inline bool auxshim_mockc_manual(void)
{
#if defined(AUXSHIM_MOCK_ROUTE_MANUAL)
	return true;
#else
	return false;
#endif
}

static inline bool auxshim_mockc_platform_devices(void)
{
#if defined(AUXSHIM_MOCK_ROUTE_FWNODE)
	return true;
#else
	return false;
#endif
}

/* The aux feature, where the aux-domain API exists (enum gone in v6.14+). */
#if defined(AUXSHIM_HAVE_IOMMU_AUX_API)
#define AUXSHIM_MOCK_FEAT enum iommu_dev_features
#define AUXSHIM_MOCK_FEAT_AUX IOMMU_DEV_FEAT_AUX
#else
#define AUXSHIM_MOCK_FEAT int
#define AUXSHIM_MOCK_FEAT_AUX (-1)
#endif

/* attach_dev gained the old domain in v7.0. */
#if defined(AUXSHIM_HAVE_MOCK_ATTACH_DEV_OLD)
#define AUXSHIM_MOCK_ATTACH_ARGS \
	struct iommu_domain *domain, struct device *dev, struct iommu_domain *old
#else
#define AUXSHIM_MOCK_ATTACH_ARGS struct iommu_domain *domain, struct device *dev
#endif

/*
 * The mock's ops tables, built here because which callbacks exist, and
 * where, is what changes between kernels: tests/mock_iommu.c defines
 * AUXSHIM_MOCK_OPS before including this header and implements every
 * callback declared below (the ones this kernel does not use are
 * __maybe_unused there).
 */
#if defined(AUXSHIM_MOCK_OPS)
static struct iommu_domain *mock_domain_alloc_paging(struct device *dev);
static struct iommu_domain *mock_domain_alloc_type(unsigned int type);
static void mock_domain_free(struct iommu_domain *domain);
static int mock_attach_dev(AUXSHIM_MOCK_ATTACH_ARGS);
static int mock_blocked_attach_dev(AUXSHIM_MOCK_ATTACH_ARGS);
static void mock_detach_dev(struct iommu_domain *domain, struct device *dev);
static int mock_map(struct iommu_domain *domain, unsigned long iova,
		    phys_addr_t paddr, size_t size, int prot, gfp_t gfp);
static size_t mock_unmap(struct iommu_domain *domain, unsigned long iova,
			 size_t size, struct iommu_iotlb_gather *gather);
static int mock_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped);
static size_t mock_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather);
static phys_addr_t mock_iova_to_phys(struct iommu_domain *domain,
				     dma_addr_t iova);
static int mock_set_dev_pasid(struct iommu_domain *domain, struct device *dev,
			      ioasid_t pasid, struct iommu_domain *old);
static int mock_blocked_set_dev_pasid(struct iommu_domain *domain,
				      struct device *dev, ioasid_t pasid,
				      struct iommu_domain *old);
static void mock_remove_dev_pasid(struct device *dev, ioasid_t pasid,
				  struct iommu_domain *domain);
static bool mock_dev_has_feat(struct device *dev, AUXSHIM_MOCK_FEAT feat);
static bool mock_dev_feat_enabled(struct device *dev, AUXSHIM_MOCK_FEAT feat);
static int mock_dev_enable_feat(struct device *dev, AUXSHIM_MOCK_FEAT feat);
static int mock_dev_disable_feat(struct device *dev, AUXSHIM_MOCK_FEAT feat);
static int mock_aux_attach_dev(struct iommu_domain *domain, struct device *dev);
static void mock_aux_detach_dev(struct iommu_domain *domain, struct device *dev);
static int mock_aux_get_pasid(struct iommu_domain *domain, struct device *dev);
static struct iommu_device *mock_probe_device(struct device *dev);
static void mock_release_device(struct device *dev);
static struct iommu_group *mock_device_group(struct device *dev);

#if defined(AUXSHIM_HAVE_MOCK_DOMAIN_OPS)
/* struct iommu_domain_ops since v5.17 */
static const struct iommu_domain_ops mock_domain_ops = {
	.attach_dev = mock_attach_dev,
#if defined(AUXSHIM_HAVE_MOCK_DOMAIN_OPS_DETACH_DEV)
	.detach_dev = mock_detach_dev,
#endif
#if defined(AUXSHIM_HAVE_MOCK_MAP_PAGES)
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
#endif
#if defined(AUXSHIM_HAVE_MOCK_SET_DEV_PASID)
	.set_dev_pasid = mock_set_dev_pasid,
#endif
	.iova_to_phys = mock_iova_to_phys,
	.free = mock_domain_free,
};
#endif

#if defined(AUXSHIM_HAVE_MOCK_OPS_DEFAULT_DOMAIN)
/* A static blocked domain: the default, and what detaches PASIDs on 6.14+. */
static const struct iommu_domain_ops mock_blocked_ops = {
	.attach_dev = mock_blocked_attach_dev,
#if defined(AUXSHIM_HAVE_MOCK_SET_DEV_PASID)
	.set_dev_pasid = mock_blocked_set_dev_pasid,
#endif
};

static struct iommu_domain mock_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &mock_blocked_ops,
};
#endif

static const struct iommu_ops mock_ops = {
	.owner = THIS_MODULE,
	.probe_device = mock_probe_device,
	.release_device = mock_release_device,
	.device_group = mock_device_group,
#if defined(AUXSHIM_HAVE_MOCK_DOMAIN_OPS)
	.default_domain_ops = &mock_domain_ops,
#else
	/* the domain callbacks, in struct iommu_ops before v5.17 */
	.domain_free = mock_domain_free,
	.attach_dev = mock_attach_dev,
	.detach_dev = mock_detach_dev,
	.map = mock_map,
	.unmap = mock_unmap,
	.iova_to_phys = mock_iova_to_phys,
#endif
#if defined(AUXSHIM_HAVE_MOCK_DOMAIN_ALLOC_PAGING)
	.domain_alloc_paging = mock_domain_alloc_paging,
#else
	.domain_alloc = mock_domain_alloc_type,
#endif
#if defined(AUXSHIM_HAVE_MOCK_OPS_PGSIZE_BITMAP)
	.pgsize_bitmap = MOCK_PGSIZES,
#endif
#if defined(AUXSHIM_HAVE_MOCK_OPS_DEFAULT_DOMAIN)
	.default_domain = &mock_blocked_domain,
	.blocked_domain = &mock_blocked_domain,
#endif
#if defined(AUXSHIM_HAVE_MOCK_REMOVE_DEV_PASID)
	.remove_dev_pasid = mock_remove_dev_pasid,
#endif
#if defined(AUXSHIM_HAVE_IOMMU_AUX_API)
	.dev_has_feat = mock_dev_has_feat,
	.dev_feat_enabled = mock_dev_feat_enabled,
	.dev_enable_feat = mock_dev_enable_feat,
	.dev_disable_feat = mock_dev_disable_feat,
	.aux_attach_dev = mock_aux_attach_dev,
	.aux_detach_dev = mock_aux_detach_dev,
	.aux_get_pasid = mock_aux_get_pasid,
#endif
};
#endif /* AUXSHIM_MOCK_OPS */

/* The domain's own page sizes, where the ops no longer carry them. */
static inline void auxshim_mockc_domain_init(struct iommu_domain *domain,
					     unsigned long pgsizes)
{
#if !defined(AUXSHIM_HAVE_MOCK_OPS_PGSIZE_BITMAP)
	domain->pgsize_bitmap = pgsizes;
#endif
}

/*
 * Make the IOMMU known to the core, by the route above.  On the manual
 * route, *@refused gets what iommu_device_register() answered, measured
 * rather than assumed; it is only asked while another driver owns the
 * platform bus, where it refuses before changing anything.
 */
static inline int auxshim_mockc_register(struct iommu_device *iommu,
					 const struct iommu_ops *ops,
					 struct bus_type *bus,
					 struct fwnode_handle *fwnode,
					 u32 max_pasids, int *refused)
{
#if defined(AUXSHIM_MOCK_ROUTE_BUS)
	int ret;

	*refused = 0;
	iommu->ops = ops;
#if defined(AUXSHIM_HAVE_MOCK_DEVICE_REGISTER_HWDEV)
	ret = iommu_device_register(iommu, ops, NULL);
#else
	ret = iommu_device_register(iommu);
#endif
	if (ret)
		return ret;
	ret = bus_set_iommu(bus, ops);
	if (ret)
		iommu_device_unregister(iommu);
	return ret;
#elif defined(AUXSHIM_MOCK_ROUTE_FWNODE)
	*refused = 0;
	iommu->fwnode = fwnode;
	iommu->max_pasids = max_pasids;
	return iommu_device_register(iommu, ops, NULL);
#elif defined(AUXSHIM_MOCK_ROUTE_MANUAL)
	if (!platform_bus_type.iommu_ops)
		return -EOPNOTSUPP;	/* it would take over platform and PCI */
	*refused = iommu_device_register(iommu, ops, NULL);
	if (!*refused) {
		iommu_device_unregister(iommu);
		return -EINVAL;
	}
	iommu->ops = ops;
	bus->iommu_ops = ops;
	return 0;
#else
	*refused = 0;
	return -EOPNOTSUPP;
#endif
}

static inline void auxshim_mockc_unregister(struct iommu_device *iommu,
					    struct bus_type *bus)
{
#if defined(AUXSHIM_MOCK_ROUTE_BUS)
	bus_set_iommu(bus, NULL);
	iommu_device_unregister(iommu);
#elif defined(AUXSHIM_MOCK_ROUTE_FWNODE)
	iommu_device_unregister(iommu);
#elif defined(AUXSHIM_MOCK_ROUTE_MANUAL)
	bus->iommu_ops = NULL;
#endif
}

/*
 * Manual route only: what the core's probe/release would do for a device
 * on the private bus (called from the mock's bus notifier).
 */
static inline int auxshim_mockc_manual_probe(struct device *dev,
					     struct iommu_device *iommu,
					     struct iommu_group *group)
{
#if defined(AUXSHIM_MOCK_ROUTE_MANUAL)
	struct dev_iommu *param;
	int ret;

	param = kzalloc(sizeof(*param), GFP_KERNEL);
	if (!param)
		return -ENOMEM;
	mutex_init(&param->lock);
	param->iommu_dev = iommu;
	dev->iommu = param;
	ret = iommu_group_add_device(group, dev);
	if (ret) {
		dev->iommu = NULL;
		kfree(param);
	}
	return ret;
#else
	return 0;
#endif
}

static inline void auxshim_mockc_manual_release(struct device *dev)
{
#if defined(AUXSHIM_MOCK_ROUTE_MANUAL)
	struct dev_iommu *param = dev->iommu;

	if (!param)
		return;
	iommu_group_remove_device(dev);
	dev->iommu = NULL;
	kfree(param);
#endif
}

/*
 * Fwnode route only: give a fake platform device its fwspec and, for a
 * PASID-capable one, "pasid-num-bits", before it is added.
 */
static inline int auxshim_mockc_fwspec(struct device *dev,
				       struct fwnode_handle *iommu_fwnode,
				       const struct property_entry *props)
{
#if defined(AUXSHIM_MOCK_ROUTE_FWNODE)
	int ret;

	if (props) {
		ret = device_create_managed_software_node(dev, props, NULL);
		if (ret)
			return ret;
	}
	return iommu_fwspec_init(dev, iommu_fwnode);
#else
	return 0;
#endif
}

#endif /* AUXSHIM_COMPAT_H */
