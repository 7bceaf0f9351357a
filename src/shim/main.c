// SPDX-License-Identifier: GPL-2.0-only
/*
 * auxshim: attach an IOMMU domain to an iommu_group through a lookup
 * callback that maps each device of the group to the device doing its DMA.
 *
 * The design is the one Alex Williamson proposed for iommu_aux_attach_group()
 * (LKML, July 2020), done as a module: aux domains where the kernel has them,
 * PASID attach where it has that instead, a whole-device attach otherwise,
 * and the shim's own group-to-domain table because iommu_group->domain is
 * private to the IOMMU core.
 *
 * This file is the module's face: argument checks, the exported API, init
 * and exit.  It calls the removal watchers (watch.c), debugfs (debugfs.c)
 * and the core, where every object's life is: core.c (shared state),
 * lut.c (the readers' table), att.c (attachments, aux devices), group.c
 * (group entries, records), attach.c (the attach protocol) and removal.c.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/module.h>

#include "internal.h"
#include "debugfs.h"
#include "watch.h"

/* Removals of the group's devices and their backing devices must reach us. */
static int auxshim_watch_snapshot(struct auxshim_snapshot *snap)
{
	const struct bus_type *last = NULL;
	struct device *devs[2];
	unsigned int i, j;
	int ret;

	for (i = 0; i < snap->n; i++) {
		devs[0] = snap->slots[i].dev;
		devs[1] = snap->slots[i].backing;
		for (j = 0; j < ARRAY_SIZE(devs); j++) {
			/* A group's devices mostly share one or two buses. */
			if (devs[j]->bus && devs[j]->bus == last)
				continue;
			ret = auxshim_watch(devs[j]);
			if (ret)
				return ret;
			last = devs[j]->bus;
		}
	}
	return 0;
}

int auxshim_attach_group(struct iommu_domain *domain, struct iommu_group *group,
			 auxshim_lookup_t lookup)
{
	struct auxshim_snapshot snap;
	int ret;

	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(group))
		return -EINVAL;

	ret = auxshim_snapshot_take(group, &snap);
	if (ret)
		return ret;
	ret = auxshim_snapshot_resolve(&snap, lookup);
	if (!ret)
		ret = auxshim_watch_snapshot(&snap);
	if (!ret)
		ret = auxshim_core_attach(domain, group, &snap, !lookup);
	auxshim_snapshot_release(&snap);
	return ret;
}
EXPORT_SYMBOL_GPL(auxshim_attach_group);

void auxshim_detach_group(struct iommu_domain *domain,
			  struct iommu_group *group)
{
	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(group)) {
		/* A whole message, over 80 columns: see scripts/lint.sh. */
		/* clang-format off */
		pr_warn_once("detach with a NULL or error domain/group ignored\n");
		/* clang-format on */
		return;
	}
	auxshim_core_detach(domain, group);
}
EXPORT_SYMBOL_GPL(auxshim_detach_group);

/* For callers that take its address: the inline in auxshim.h. */
struct iommu_domain *auxshim_get_domain_for_dev(struct device *dev)
{
	return __auxshim_get_domain_for_dev(dev);
}
EXPORT_SYMBOL_GPL(auxshim_get_domain_for_dev);

/* How @dev of an attached group was attached under @domain, and its PASID. */
static int auxshim_dev_info(struct iommu_domain *domain, struct device *dev,
			    enum auxshim_mode *mode, u32 *pasid)
{
	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(dev))
		return -EINVAL;
	return auxshim_core_dev_info(domain, dev, mode, pasid);
}

int auxshim_get_pasid(struct iommu_domain *domain, struct device *dev)
{
	enum auxshim_mode mode;
	u32 pasid;
	int ret = auxshim_dev_info(domain, dev, &mode, &pasid);

	if (!ret && mode != AUXSHIM_MODE_AUX)
		ret = -EINVAL;
	return ret ? ret : (int)pasid;
}
EXPORT_SYMBOL_GPL(auxshim_get_pasid);

int auxshim_get_mode(struct iommu_domain *domain, struct device *dev)
{
	enum auxshim_mode mode;
	u32 pasid;
	int ret = auxshim_dev_info(domain, dev, &mode, &pasid);

	return ret ? ret : mode;
}
EXPORT_SYMBOL_GPL(auxshim_get_mode);

bool auxshim_dev_has_aux(struct device *dev)
{
	return !IS_ERR_OR_NULL(dev) && auxshim_compat_dev_has_aux(dev);
}
EXPORT_SYMBOL_GPL(auxshim_dev_has_aux);

int auxshim_dev_enable_aux(struct device *dev)
{
	int ret;

	if (IS_ERR_OR_NULL(dev))
		return -EINVAL;
	if (!auxshim_compat_aux_supported())
		return -EOPNOTSUPP;
	if (!auxshim_compat_dev_has_aux(dev))
		return -ENODEV;
	ret = auxshim_watch(dev);
	return ret ? ret : auxshim_core_enable_aux(dev);
}
EXPORT_SYMBOL_GPL(auxshim_dev_enable_aux);

int auxshim_dev_disable_aux(struct device *dev)
{
	if (IS_ERR_OR_NULL(dev))
		return -EINVAL;
	if (!auxshim_compat_aux_supported())
		return -EOPNOTSUPP;
	return auxshim_core_disable_aux(dev);
}
EXPORT_SYMBOL_GPL(auxshim_dev_disable_aux);

bool auxshim_dev_aux_enabled(struct device *dev)
{
	return !IS_ERR_OR_NULL(dev) && auxshim_core_aux_enabled(dev);
}
EXPORT_SYMBOL_GPL(auxshim_dev_aux_enabled);

int auxshim_aux_attach_device(struct iommu_domain *domain, struct device *dev)
{
	int ret;

	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(dev))
		return -EINVAL;
	if (!auxshim_compat_aux_supported())
		return -EOPNOTSUPP;
	ret = auxshim_watch(dev);
	return ret ? ret : auxshim_core_aux_attach(domain, dev);
}
EXPORT_SYMBOL_GPL(auxshim_aux_attach_device);

void auxshim_aux_detach_device(struct iommu_domain *domain, struct device *dev)
{
	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(dev)) {
		/* A whole message, over 80 columns: see scripts/lint.sh. */
		/* clang-format off */
		pr_warn_once("aux detach with a NULL or error domain/device ignored\n");
		/* clang-format on */
		return;
	}
	/* A whole message, over 80 columns: see scripts/lint.sh. */
	/* clang-format off */
	if (!auxshim_core_aux_detach(domain, dev))
		dev_warn_once(dev, "aux detach of a domain not aux-attached to it; ignored\n");
	/* clang-format on */
}
EXPORT_SYMBOL_GPL(auxshim_aux_detach_device);

int auxshim_aux_get_pasid(struct iommu_domain *domain, struct device *dev)
{
	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(dev))
		return -EINVAL;
	return auxshim_core_aux_get_pasid(domain, dev);
}
EXPORT_SYMBOL_GPL(auxshim_aux_get_pasid);

struct iommu_domain *auxshim_domain_alloc(struct device *dev)
{
	if (IS_ERR_OR_NULL(dev))
		return ERR_PTR(-EINVAL);
	return auxshim_compat_domain_alloc(dev);
}
EXPORT_SYMBOL_GPL(auxshim_domain_alloc);

int auxshim_map(struct iommu_domain *domain, unsigned long iova,
		phys_addr_t paddr, size_t size, int prot)
{
	if (IS_ERR_OR_NULL(domain))
		return -EINVAL;
	return auxshim_compat_map(domain, iova, paddr, size, prot);
}
EXPORT_SYMBOL_GPL(auxshim_map);

static int __init auxshim_init(void)
{
	int ret;

	ret = auxshim_watch_init();
	if (ret)
		return ret;
	auxshim_debugfs_init();
	pr_info("loaded; aux backend: %s\n", AUXSHIM_AUX_BACKEND);
	return 0;
}

static void __exit auxshim_exit(void)
{
	auxshim_debugfs_exit();
	auxshim_watch_exit();
	/*
	 * The module pins itself while anything is attached: only aux state
	 * and tombstones can be left.
	 */
	auxshim_att_exit();
	auxshim_grp_exit();
	auxshim_lut_exit();
	auxshim_core_exit();
}

module_init(auxshim_init);
module_exit(auxshim_exit);

MODULE_LICENSE("GPL");
/* A whole string, over 80 columns: see scripts/lint.sh. */
/* clang-format off */
MODULE_DESCRIPTION("Attach IOMMU domains to groups of mediated devices through their backing devices");
/* clang-format on */
MODULE_AUTHOR("auxshim developers");
MODULE_VERSION(AUXSHIM_VERSION);
