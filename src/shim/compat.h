/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * auxshim.ko's compat header: the one place where the shim handles kernel
 * API differences.
 *
 * Every AUXSHIM_HAVE_* comes from a compile probe in scripts/probes/shim/
 * (run by scripts/conftest.sh into src/shim/conftest.h); each probe names
 * the upstream commit it tracks.  Only this header tests them, and only to
 * define small static inline wrappers, so the .c files read the same on
 * every kernel.
 */
#ifndef AUXSHIM_COMPAT_H
#define AUXSHIM_COMPAT_H

#include <linux/version.h>
#include <linux/device.h>
#include <linux/iommu.h>

#include "conftest.h"

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "auxshim needs Linux 5.10 or later"
#endif

/* The type of dev->bus: const since v6.4; bus notifier calls follow it. */
typedef typeof(((struct device *)NULL)->bus) auxshim_bus_t;

/*
 * How "aux" is done on this kernel: the aux-domain API (<= v5.17), a shim
 * allocated PASID with iommu_attach_device_pasid() (>= v6.6, where global
 * PASIDs exist), or not at all (v5.18 .. v6.5, e.g. Debian's 6.1).
 */
#if defined(AUXSHIM_HAVE_IOMMU_AUX_API)
#define AUXSHIM_AUX_BACKEND "aux-domain"
#elif defined(AUXSHIM_HAVE_IOMMU_GLOBAL_PASID) &&           \
	defined(AUXSHIM_HAVE_DEV_IOMMU_MAX_PASIDS) &&       \
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

static inline struct iommu_domain *
auxshim_compat_domain_alloc(struct device *dev)
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

#endif /* AUXSHIM_COMPAT_H */
