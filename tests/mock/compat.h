/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test IOMMU's compat header.  Its AUXSHIM_HAVE_MOCK_* come from the
 * probes in scripts/probes/mock/ (tests/mock/conftest.h).
 */
#ifndef AUXSHIM_MOCK_COMPAT_H
#define AUXSHIM_MOCK_COMPAT_H

#include <linux/device.h>
#include <linux/iommu.h>

#include "conftest.h"

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
	defined(AUXSHIM_HAVE_MOCK_DEV_IOMMU_MAX_PASIDS)
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
#if defined(AUXSHIM_HAVE_MOCK_IOMMU_AUX_API)
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
 * Filling in the mock's ops tables.  They are defined in iommu.c and filled
 * in once, at module init, by the setters below: each sets its callbacks
 * where this kernel has the field and does nothing where it does not, so
 * iommu.c names every callback on every kernel and the compiler drops the
 * ones a kernel does not use.
 *
 * Before v5.17 the domain callbacks are in struct iommu_ops itself; since,
 * in a struct iommu_domain_ops that struct iommu_ops points to.  This
 * holds the latter where it exists and is empty where it does not.
 */
struct auxshim_mockc_domain_ops {
#if defined(AUXSHIM_HAVE_MOCK_DOMAIN_OPS)
	struct iommu_domain_ops ops;
#endif
};

/* The domain ops @dops are @ops's, and the callbacks every kernel has. */
static inline void
auxshim_mockc_set_domain_ops(struct iommu_ops *ops,
			     struct auxshim_mockc_domain_ops *dops,
			     int (*attach_dev)(AUXSHIM_MOCK_ATTACH_ARGS),
			     phys_addr_t (*iova_to_phys)(struct iommu_domain *domain,
							 dma_addr_t iova),
			     void (*free)(struct iommu_domain *domain))
{
#if defined(AUXSHIM_HAVE_MOCK_DOMAIN_OPS)
	ops->default_domain_ops = &dops->ops;
	dops->ops.attach_dev = attach_dev;
	dops->ops.iova_to_phys = iova_to_phys;
	dops->ops.free = free;
#else
	ops->attach_dev = attach_dev;
	ops->iova_to_phys = iova_to_phys;
	ops->domain_free = free;
#endif
}

/* detach_dev, until v6.2 (the default domain's attach does it since). */
static inline void
auxshim_mockc_set_detach_dev(struct iommu_ops *ops,
			     struct auxshim_mockc_domain_ops *dops,
			     void (*detach_dev)(struct iommu_domain *domain,
						struct device *dev))
{
#if defined(AUXSHIM_HAVE_MOCK_DOMAIN_OPS_DETACH_DEV)
	dops->ops.detach_dev = detach_dev;
#elif !defined(AUXSHIM_HAVE_MOCK_DOMAIN_OPS)
	ops->detach_dev = detach_dev;
#endif
}

/* map_pages/unmap_pages where the domain ops have them, else map/unmap. */
static inline void
auxshim_mockc_set_map(struct iommu_ops *ops,
		      struct auxshim_mockc_domain_ops *dops,
		      int (*map)(struct iommu_domain *domain, unsigned long iova,
				 phys_addr_t paddr, size_t size, int prot,
				 gfp_t gfp),
		      size_t (*unmap)(struct iommu_domain *domain,
				      unsigned long iova, size_t size,
				      struct iommu_iotlb_gather *gather),
		      int (*map_pages)(struct iommu_domain *domain,
				       unsigned long iova, phys_addr_t paddr,
				       size_t pgsize, size_t pgcount, int prot,
				       gfp_t gfp, size_t *mapped),
		      size_t (*unmap_pages)(struct iommu_domain *domain,
					    unsigned long iova, size_t pgsize,
					    size_t pgcount,
					    struct iommu_iotlb_gather *gather))
{
#if defined(AUXSHIM_HAVE_MOCK_MAP_PAGES)
	dops->ops.map_pages = map_pages;
	dops->ops.unmap_pages = unmap_pages;
#elif !defined(AUXSHIM_HAVE_MOCK_DOMAIN_OPS)
	ops->map = map;
	ops->unmap = unmap;
#endif
}

/* set_dev_pasid, since v6.2 (with the old domain since v6.12). */
static inline void
auxshim_mockc_set_dev_pasid_op(struct auxshim_mockc_domain_ops *dops,
			       int (*set_dev_pasid)(struct iommu_domain *domain,
						    struct device *dev,
						    ioasid_t pasid,
						    struct iommu_domain *old))
{
#if defined(AUXSHIM_HAVE_MOCK_SET_DEV_PASID)
	dops->ops.set_dev_pasid = set_dev_pasid;
#endif
}

/* remove_dev_pasid, v6.2 .. v6.13 (the blocked domain's job since). */
static inline void
auxshim_mockc_set_remove_dev_pasid(struct iommu_ops *ops,
				   void (*remove_dev_pasid)(struct device *dev,
							    ioasid_t pasid,
							    struct iommu_domain *domain))
{
#if defined(AUXSHIM_HAVE_MOCK_REMOVE_DEV_PASID)
	ops->remove_dev_pasid = remove_dev_pasid;
#endif
}

/* domain_alloc_paging(dev) since v6.7, domain_alloc(type) before. */
static inline void
auxshim_mockc_set_domain_alloc(struct iommu_ops *ops,
			       struct iommu_domain *(*alloc_paging)(struct device *dev),
			       struct iommu_domain *(*alloc_type)(unsigned int type))
{
#if defined(AUXSHIM_HAVE_MOCK_DOMAIN_ALLOC_PAGING)
	ops->domain_alloc_paging = alloc_paging;
#else
	ops->domain_alloc = alloc_type;
#endif
}

/* The page sizes in the ops, until v6.15 (see auxshim_mockc_domain_init()). */
static inline void auxshim_mockc_set_pgsizes(struct iommu_ops *ops,
					     unsigned long pgsizes)
{
#if defined(AUXSHIM_HAVE_MOCK_OPS_PGSIZE_BITMAP)
	ops->pgsize_bitmap = pgsizes;
#endif
}

/*
 * A static blocked domain, since v6.7: the default domain and, since v6.14,
 * what detaches PASIDs (through @bops's set_dev_pasid).
 */
static inline void
auxshim_mockc_set_blocked_domain(struct iommu_ops *ops,
				 struct iommu_domain *blocked,
				 struct auxshim_mockc_domain_ops *bops,
				 int (*attach_dev)(AUXSHIM_MOCK_ATTACH_ARGS))
{
#if defined(AUXSHIM_HAVE_MOCK_OPS_DEFAULT_DOMAIN)
	bops->ops.attach_dev = attach_dev;
	blocked->ops = &bops->ops;
	ops->default_domain = blocked;
	ops->blocked_domain = blocked;
#endif
}

/* The device features of the aux-domain API, until v5.18. */
static inline void
auxshim_mockc_set_aux_feat(struct iommu_ops *ops,
			   bool (*has_feat)(struct device *dev,
					    AUXSHIM_MOCK_FEAT feat),
			   bool (*feat_enabled)(struct device *dev,
						AUXSHIM_MOCK_FEAT feat),
			   int (*enable_feat)(struct device *dev,
					      AUXSHIM_MOCK_FEAT feat),
			   int (*disable_feat)(struct device *dev,
					       AUXSHIM_MOCK_FEAT feat))
{
#if defined(AUXSHIM_HAVE_MOCK_IOMMU_AUX_API)
	ops->dev_has_feat = has_feat;
	ops->dev_feat_enabled = feat_enabled;
	ops->dev_enable_feat = enable_feat;
	ops->dev_disable_feat = disable_feat;
#endif
}

/* The aux-domain callbacks, until v5.18. */
static inline void
auxshim_mockc_set_aux(struct iommu_ops *ops,
		      int (*aux_attach_dev)(struct iommu_domain *domain,
					    struct device *dev),
		      void (*aux_detach_dev)(struct iommu_domain *domain,
					     struct device *dev),
		      int (*aux_get_pasid)(struct iommu_domain *domain,
					   struct device *dev))
{
#if defined(AUXSHIM_HAVE_MOCK_IOMMU_AUX_API)
	ops->aux_attach_dev = aux_attach_dev;
	ops->aux_detach_dev = aux_detach_dev;
	ops->aux_get_pasid = aux_get_pasid;
#endif
}

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
#endif /* AUXSHIM_MOCK_COMPAT_H */
