/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test IOMMU's compat header.  Its AUXSHIM_HAVE_MOCK_* come from the
 * probes in scripts/probes/mock/ (tests/mock/conftest.h); the two shim
 * probes it also reads (the aux-domain API and dev_iommu.max_pasids) come
 * from src/shim/conftest.h, which a test build always has.
 */
#ifndef AUXSHIM_MOCK_COMPAT_H
#define AUXSHIM_MOCK_COMPAT_H

#include <linux/device.h>
#include <linux/iommu.h>

#include "src/shim/conftest.h"
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
#endif /* AUXSHIM_MOCK_COMPAT_H */
