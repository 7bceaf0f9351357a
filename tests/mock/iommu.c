// SPDX-License-Identifier: GPL-2.0-only
/*
 * auxshim_mockiommu.ko: a test IOMMU driver, in the spirit of iommufd's
 * selftest mock (drivers/iommu/iommufd/selftest.c).
 *
 * No emulated device has a PCI PASID capability, so with a real VT-d in the
 * guest the shim's aux/PASID paths never run.  This driver registers a fake
 * IOMMU whose domains really translate (a two-level table of 4 KiB pages),
 * implements the aux-domain callbacks where the kernel has them and
 * set_dev_pasid where it has PASID attach, and creates fake devices on
 * request of the test module.  It counts everything it holds and can fail
 * the Nth operation of chosen kinds.  Loaded by the test suite only.
 *
 * How its devices reach the IOMMU core, and which callbacks the core
 * takes, depend on the kernel; compat.h has the differences.
 */
#include <linux/device.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "compat.h"
#include "mock_iommu.h"

#define MOCK_PGSIZES		SZ_4K
#define MOCK_PTES_PER_LEAF	(PAGE_SIZE / sizeof(u64))
#define MOCK_LEAF_SHIFT		(PAGE_SHIFT + 9)
#define MOCK_DIR_SIZE		512
#define MOCK_APERTURE_END	((1UL << (MOCK_LEAF_SHIFT + 9)) - 1)	/* 1 GiB */
#define MOCK_PTE_VALID		BIT_ULL(0)
#define MOCK_DOMAIN_MAGIC	0x6d6f636bU
#define MOCK_DOMAIN_POISON	0x6b6b6b6bU
#define MOCK_PASID_BITS		8
#define MOCK_MAX_PASIDS		BIT(MOCK_PASID_BITS)
#define MOCK_MAX_SHARE		4

struct mock_domain {
	struct iommu_domain domain;
	u32 magic;			/* MOCK_DOMAIN_MAGIC while alive */
	struct list_head node;		/* in mock_domains; mock_lock */
	spinlock_t pt_lock;		/* protects dir[] and the leaves' PTEs */
	u64 *dir[MOCK_DIR_SIZE];
	int aux_pasid;			/* aux API: the domain's PASID or -1; mock_lock */
	unsigned int aux_users;		/* aux API: devices aux-attached; mock_lock */
};

/* A "physical" device behind the mock IOMMU. */
struct mock_pdev {
	struct list_head node;		/* in mock_pdevs; mock_lock */
	struct device *dev;
	struct platform_device *pdev;	/* fwnode route: the platform device */
	int share;			/* > 0: in the shared group of that index */
	bool pasid;			/* can do aux / PASIDs */
	bool aux_enabled;		/* aux API: feature enabled */
	struct iommu_domain *domain;	/* attached paging domain or NULL */
	struct xarray pasids;		/* PASID -> attached domain */
};

/* A sub-device (mdev-like) in a group without IOMMU, backed by @parent. */
struct mock_sub {
	struct device dev;
	struct device *parent;		/* reference held */
};

/*
 * mock_lock protects mock_pdevs, mock_domains, mock_shared[] and every
 * mock_pdev and mock_domain field marked so.  Taken inside the IOMMU
 * core's group mutex (callbacks) and never held across device_add/del.
 */
static DEFINE_MUTEX(mock_lock);
static LIST_HEAD(mock_pdevs);
static LIST_HEAD(mock_domains);
static struct iommu_group *mock_shared[MOCK_MAX_SHARE];
static DEFINE_IDA(mock_pasid_ida);
static unsigned int mock_pasid_ids;	/* mock_lock */

static atomic_long_t mock_nr_domains = ATOMIC_LONG_INIT(0);
static atomic_long_t mock_nr_pages = ATOMIC_LONG_INIT(0);

static atomic_t mock_fail_count = ATOMIC_INIT(0);
static atomic_t mock_fail_kinds = ATOMIC_INIT(0);
static atomic_t mock_fail_fired = ATOMIC_INIT(0);

static struct iommu_device mock_iommu;
static struct fwnode_handle *mock_fwnode;
static const char *const mock_route_name = AUXSHIM_MOCK_ROUTE;
static const char *mock_route;		/* set once registered */
static char mock_route_buf[192];
static char mock_why[192];

static struct bus_type mock_bus = {
	.name = "auxshim_mock",
};

static struct bus_type mock_sub_bus = {
	.name = "auxshim_mocksub",
};

static bool mock_should_fail(unsigned int kind)
{
	int old;

	if (!(atomic_read(&mock_fail_kinds) & kind))
		return false;
	old = atomic_read(&mock_fail_count);
	while (old > 0) {
		int seen = atomic_cmpxchg(&mock_fail_count, old, old - 1);

		if (seen == old) {
			if (old != 1)
				return false;
			atomic_set(&mock_fail_fired, 1);
			return true;
		}
		old = seen;
	}
	return false;
}

/**
 * auxshim_mock_fail_nth() - fail the @nth mock operation of @kinds from now
 * @nth: 1-based; 0 turns injection off
 * @kinds: AUXSHIM_MOCK_FAIL_* bits; only those operations count
 */
void auxshim_mock_fail_nth(unsigned int nth, unsigned int kinds)
{
	atomic_set(&mock_fail_kinds, 0);
	atomic_set(&mock_fail_fired, 0);
	atomic_set(&mock_fail_count, nth);
	atomic_set(&mock_fail_kinds, nth ? kinds : 0);
}
EXPORT_SYMBOL_GPL(auxshim_mock_fail_nth);

/* Has the injected failure fired since the last auxshim_mock_fail_nth()? */
bool auxshim_mock_fail_fired(void)
{
	return atomic_read(&mock_fail_fired);
}
EXPORT_SYMBOL_GPL(auxshim_mock_fail_fired);

static struct mock_domain *to_mock(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

static struct mock_pdev *mock_pdev_find(struct device *dev)
{
	struct mock_pdev *mp;

	lockdep_assert_held(&mock_lock);
	list_for_each_entry(mp, &mock_pdevs, node)
		if (mp->dev == dev)
			return mp;
	return NULL;
}

/* ---- domains and their page tables ---- */

static struct iommu_domain *mock_domain_new(void)
{
	struct mock_domain *md = kzalloc(sizeof(*md), GFP_KERNEL);

	if (!md)
		return NULL;
	md->magic = MOCK_DOMAIN_MAGIC;
	spin_lock_init(&md->pt_lock);
	md->aux_pasid = -1;
	md->domain.geometry.aperture_start = 0;
	md->domain.geometry.aperture_end = MOCK_APERTURE_END;
	md->domain.geometry.force_aperture = true;
	auxshim_mockc_domain_init(&md->domain, MOCK_PGSIZES);
	mutex_lock(&mock_lock);
	list_add(&md->node, &mock_domains);
	mutex_unlock(&mock_lock);
	atomic_long_inc(&mock_nr_domains);
	return &md->domain;
}

static struct iommu_domain *mock_domain_alloc_paging(struct device *dev)
{
	return mock_domain_new();
}

static struct iommu_domain *mock_domain_alloc_type(unsigned int type)
{
	return type == IOMMU_DOMAIN_UNMANAGED ? mock_domain_new() : NULL;
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock(domain);
	int i;

	mutex_lock(&mock_lock);
	list_del(&md->node);
	WARN_ON(md->aux_users);
	mutex_unlock(&mock_lock);
	for (i = 0; i < MOCK_DIR_SIZE; i++) {
		if (!md->dir[i])
			continue;
		kfree(md->dir[i]);
		atomic_long_dec(&mock_nr_pages);
	}
	md->magic = MOCK_DOMAIN_POISON;
	atomic_long_dec(&mock_nr_domains);
	kfree(md);
}

/**
 * auxshim_mock_domain_valid() - is @domain a live mock domain?
 * @domain: any pointer a lookup returned
 *
 * Checks membership in the list of live domains before touching it, then
 * its magic (poisoned on free).
 */
bool auxshim_mock_domain_valid(struct iommu_domain *domain)
{
	struct mock_domain *md;
	bool ret = false;

	mutex_lock(&mock_lock);
	list_for_each_entry(md, &mock_domains, node)
		if (&md->domain == domain) {
			ret = md->magic == MOCK_DOMAIN_MAGIC;
			break;
		}
	mutex_unlock(&mock_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(auxshim_mock_domain_valid);

static int mock_map_range(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t size, int prot, gfp_t gfp,
			  size_t *mapped)
{
	struct mock_domain *md = to_mock(domain);
	size_t done;

	if (mock_should_fail(AUXSHIM_MOCK_FAIL_MAP))
		return -ENOMEM;
	if (iova > MOCK_APERTURE_END || size > MOCK_APERTURE_END + 1 - iova)
		return -ERANGE;

	for (done = 0; done < size; done += PAGE_SIZE) {
		unsigned long cur = iova + done;
		unsigned int idx = cur >> MOCK_LEAF_SHIFT;
		u64 *leaf = NULL, *pte;
		int ret = 0;

		if (!READ_ONCE(md->dir[idx])) {
			leaf = kzalloc(PAGE_SIZE, gfp);
			if (!leaf)
				return -ENOMEM;
		}
		spin_lock(&md->pt_lock);
		if (!md->dir[idx] && leaf) {
			md->dir[idx] = leaf;
			atomic_long_inc(&mock_nr_pages);
			leaf = NULL;
		}
		pte = &md->dir[idx][(cur >> PAGE_SHIFT) % MOCK_PTES_PER_LEAF];
		if (*pte & MOCK_PTE_VALID)
			ret = -EEXIST;
		else
			*pte = ((paddr + done) & PAGE_MASK) | MOCK_PTE_VALID |
			       ((u64)(prot & 0xff) << 1);
		spin_unlock(&md->pt_lock);
		kfree(leaf);
		if (ret)
			return ret;
		if (mapped)
			*mapped += PAGE_SIZE;
	}
	return 0;
}

static size_t mock_unmap_range(struct iommu_domain *domain, unsigned long iova,
			       size_t size)
{
	struct mock_domain *md = to_mock(domain);
	size_t done;

	spin_lock(&md->pt_lock);
	for (done = 0; done < size; done += PAGE_SIZE) {
		unsigned long cur = iova + done;
		unsigned int idx = cur >> MOCK_LEAF_SHIFT;

		if (cur > MOCK_APERTURE_END || !md->dir[idx])
			break;
		md->dir[idx][(cur >> PAGE_SHIFT) % MOCK_PTES_PER_LEAF] = 0;
	}
	spin_unlock(&md->pt_lock);
	return done;
}

static int mock_map(struct iommu_domain *domain, unsigned long iova,
		    phys_addr_t paddr, size_t size, int prot, gfp_t gfp)
{
	return mock_map_range(domain, iova, paddr, size, prot, gfp, NULL);
}

static size_t mock_unmap(struct iommu_domain *domain, unsigned long iova,
			 size_t size, struct iommu_iotlb_gather *gather)
{
	return mock_unmap_range(domain, iova, size);
}

static int mock_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	return mock_map_range(domain, iova, paddr, pgsize * pgcount, prot, gfp,
			      mapped);
}

static size_t mock_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	return mock_unmap_range(domain, iova, pgsize * pgcount);
}

static phys_addr_t mock_iova_to_phys(struct iommu_domain *domain,
				     dma_addr_t iova)
{
	struct mock_domain *md = to_mock(domain);
	unsigned int idx = iova >> MOCK_LEAF_SHIFT;
	phys_addr_t phys = 0;
	u64 pte;

	if (iova > MOCK_APERTURE_END)
		return 0;
	spin_lock(&md->pt_lock);
	if (md->dir[idx]) {
		pte = md->dir[idx][(iova >> PAGE_SHIFT) % MOCK_PTES_PER_LEAF];
		if (pte & MOCK_PTE_VALID)
			phys = (pte & PAGE_MASK) | (iova & ~PAGE_MASK);
	}
	spin_unlock(&md->pt_lock);
	return phys;
}

/* ---- attach: whole device, PASIDs, aux domains ---- */

static int mock_attach_dev(AUXSHIM_MOCK_ATTACH_ARGS)
{
	struct mock_pdev *mp;
	int ret = 0;

	if (mock_should_fail(AUXSHIM_MOCK_FAIL_ATTACH))
		return -EIO;
	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	if (mp)
		mp->domain = domain;
	else
		ret = -ENODEV;
	mutex_unlock(&mock_lock);
	return ret;
}

static void mock_set_unattached(struct device *dev)
{
	struct mock_pdev *mp;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	if (mp)
		mp->domain = NULL;
	mutex_unlock(&mock_lock);
}

static int mock_blocked_attach_dev(AUXSHIM_MOCK_ATTACH_ARGS)
{
	mock_set_unattached(dev);
	return 0;
}

static void mock_detach_dev(struct iommu_domain *domain, struct device *dev)
{
	mock_set_unattached(dev);
}

static int mock_set_dev_pasid(struct iommu_domain *domain, struct device *dev,
			      ioasid_t pasid, struct iommu_domain *old)
{
	struct mock_pdev *mp;
	int ret;

	if (mock_should_fail(AUXSHIM_MOCK_FAIL_PASID_ATTACH))
		return -EIO;
	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	if (!mp || !mp->pasid)
		ret = -EOPNOTSUPP;
	else
		ret = xa_err(xa_store(&mp->pasids, pasid, domain, GFP_KERNEL));
	mutex_unlock(&mock_lock);
	return ret;
}

static void mock_pasid_clear(struct device *dev, ioasid_t pasid)
{
	struct mock_pdev *mp;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	if (mp)
		xa_erase(&mp->pasids, pasid);
	mutex_unlock(&mock_lock);
}

static int mock_blocked_set_dev_pasid(struct iommu_domain *domain,
				      struct device *dev, ioasid_t pasid,
				      struct iommu_domain *old)
{
	mock_pasid_clear(dev, pasid);
	return 0;
}

static void mock_remove_dev_pasid(struct device *dev, ioasid_t pasid,
				  struct iommu_domain *domain)
{
	mock_pasid_clear(dev, pasid);
}

/*
 * The aux-domain API (<= v5.17): one PASID per domain, allocated by the
 * IOMMU driver on the domain's first aux attach, as intel-iommu did.
 */
static bool mock_dev_has_feat(struct device *dev, AUXSHIM_MOCK_FEAT feat)
{
	struct mock_pdev *mp;
	bool ret;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	ret = mp && mp->pasid && feat == AUXSHIM_MOCK_FEAT_AUX;
	mutex_unlock(&mock_lock);
	return ret;
}

static bool mock_dev_feat_enabled(struct device *dev, AUXSHIM_MOCK_FEAT feat)
{
	struct mock_pdev *mp;
	bool ret;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	ret = mp && mp->aux_enabled && feat == AUXSHIM_MOCK_FEAT_AUX;
	mutex_unlock(&mock_lock);
	return ret;
}

static int mock_dev_enable_feat(struct device *dev, AUXSHIM_MOCK_FEAT feat)
{
	struct mock_pdev *mp;
	int ret = 0;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	if (!mp || !mp->pasid || feat != AUXSHIM_MOCK_FEAT_AUX)
		ret = -ENODEV;
	else
		mp->aux_enabled = true;
	mutex_unlock(&mock_lock);
	return ret;
}

static int mock_dev_disable_feat(struct device *dev, AUXSHIM_MOCK_FEAT feat)
{
	struct mock_pdev *mp;
	int ret = 0;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	if (!mp || feat != AUXSHIM_MOCK_FEAT_AUX)
		ret = -ENODEV;
	else if (!xa_empty(&mp->pasids))
		ret = -EBUSY;
	else
		mp->aux_enabled = false;
	mutex_unlock(&mock_lock);
	return ret;
}

static int mock_aux_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct mock_domain *md = to_mock(domain);
	struct mock_pdev *mp;
	bool new_pasid = false;
	int ret;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	if (!mp || !mp->aux_enabled) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (md->aux_pasid >= 0 && xa_load(&mp->pasids, md->aux_pasid)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (md->aux_pasid < 0) {
		if (mock_should_fail(AUXSHIM_MOCK_FAIL_PASID_ALLOC)) {
			ret = -ENOSPC;
			goto out_unlock;
		}
		ret = ida_alloc_range(&mock_pasid_ida, 1, MOCK_MAX_PASIDS - 1,
				      GFP_KERNEL);
		if (ret < 0)
			goto out_unlock;
		md->aux_pasid = ret;
		mock_pasid_ids++;
		new_pasid = true;
	}
	ret = -EIO;
	if (!mock_should_fail(AUXSHIM_MOCK_FAIL_PASID_ATTACH))
		ret = xa_err(xa_store(&mp->pasids, md->aux_pasid, domain,
				      GFP_KERNEL));
	if (ret) {
		if (new_pasid) {
			ida_free(&mock_pasid_ida, md->aux_pasid);
			mock_pasid_ids--;
			md->aux_pasid = -1;
		}
		goto out_unlock;
	}
	md->aux_users++;
out_unlock:
	mutex_unlock(&mock_lock);
	return ret;
}

static void mock_aux_detach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct mock_domain *md = to_mock(domain);
	struct mock_pdev *mp;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	if (!mp || md->aux_pasid < 0 ||
	    WARN_ON(xa_load(&mp->pasids, md->aux_pasid) != domain))
		goto out_unlock;
	xa_erase(&mp->pasids, md->aux_pasid);
	if (!--md->aux_users) {
		ida_free(&mock_pasid_ida, md->aux_pasid);
		mock_pasid_ids--;
		md->aux_pasid = -1;
	}
out_unlock:
	mutex_unlock(&mock_lock);
}

static int mock_aux_get_pasid(struct iommu_domain *domain, struct device *dev)
{
	struct mock_domain *md = to_mock(domain);
	struct mock_pdev *mp;
	int ret = -ENODEV;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	if (mp && md->aux_pasid >= 0 &&
	    xa_load(&mp->pasids, md->aux_pasid) == domain)
		ret = md->aux_pasid;
	mutex_unlock(&mock_lock);
	return ret;
}

/* ---- device probing ---- */

static struct iommu_device *mock_probe_device(struct device *dev)
{
	struct mock_pdev *mp;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	mutex_unlock(&mock_lock);
	return mp ? &mock_iommu : ERR_PTR(-ENODEV);
}

static void mock_release_device(struct device *dev)
{
	struct mock_pdev *mp;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	if (mp) {
		WARN_ON(!xa_empty(&mp->pasids));
		mp->domain = NULL;
	}
	mutex_unlock(&mock_lock);
}

static struct iommu_group *mock_device_group(struct device *dev)
{
	struct iommu_group *group;
	struct mock_pdev *mp;
	int share;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	share = mp ? mp->share : 0;
	mutex_unlock(&mock_lock);
	if (!mp)
		return ERR_PTR(-ENODEV);
	if (!share)
		return iommu_group_alloc();

	mutex_lock(&mock_lock);
	group = mock_shared[share];
	if (group) {
		iommu_group_ref_get(group);
	} else {
		group = iommu_group_alloc();
		if (!IS_ERR(group))
			mock_shared[share] = iommu_group_ref_get(group);
	}
	mutex_unlock(&mock_lock);
	return group;
}

/* ---- the ops tables ---- */

/*
 * Which fields exist differs between kernels, so init fills the tables in
 * through compat.h's setters; they are read-only once init is done.
 */
static struct iommu_ops mock_ops __ro_after_init = {
	.owner = THIS_MODULE,
	.probe_device = mock_probe_device,
	.release_device = mock_release_device,
	.device_group = mock_device_group,
};

static struct auxshim_mockc_domain_ops mock_domain_ops __ro_after_init;
static struct auxshim_mockc_domain_ops mock_blocked_ops __ro_after_init;

/* A static blocked domain, where the core takes one. */
static struct iommu_domain mock_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
};

static void __init mock_ops_init(void)
{
	struct auxshim_mockc_domain_ops *dops = &mock_domain_ops;
	struct iommu_ops *ops = &mock_ops;

	auxshim_mockc_set_domain_alloc(ops, mock_domain_alloc_paging,
				       mock_domain_alloc_type);
	auxshim_mockc_set_pgsizes(ops, MOCK_PGSIZES);
	auxshim_mockc_set_domain_ops(ops, dops, mock_attach_dev,
				     mock_iova_to_phys, mock_domain_free);
	auxshim_mockc_set_detach_dev(ops, dops, mock_detach_dev);
	auxshim_mockc_set_map(ops, dops, mock_map, mock_unmap, mock_map_pages,
			      mock_unmap_pages);
	auxshim_mockc_set_dev_pasid_op(dops, mock_set_dev_pasid);
	auxshim_mockc_set_remove_dev_pasid(ops, mock_remove_dev_pasid);
	auxshim_mockc_set_aux_feat(ops, mock_dev_has_feat, mock_dev_feat_enabled,
				   mock_dev_enable_feat, mock_dev_disable_feat);
	auxshim_mockc_set_aux(ops, mock_aux_attach_dev, mock_aux_detach_dev,
			      mock_aux_get_pasid);

	auxshim_mockc_set_blocked_domain(ops, &mock_blocked_domain,
					 &mock_blocked_ops,
					 mock_blocked_attach_dev);
	auxshim_mockc_set_dev_pasid_op(&mock_blocked_ops,
				       mock_blocked_set_dev_pasid);
}

/*
 * Private bus notifiers: on the manual route, what the IOMMU core's probe
 * and release would do; for sub-devices, leave their group on removal.
 * BUS_NOTIFY_REMOVED_DEVICE comes after BUS_NOTIFY_DEL_DEVICE, where the
 * shim forgets the device, as with a real bus.
 */
static int mock_bus_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	struct device *dev = data;
	struct iommu_group *group;
	int ret;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		if (!auxshim_mockc_manual())
			return NOTIFY_DONE;
		if (IS_ERR(mock_probe_device(dev)))
			return NOTIFY_DONE;
		group = mock_device_group(dev);
		if (IS_ERR(group))
			return NOTIFY_DONE;
		ret = auxshim_mockc_manual_probe(dev, &mock_iommu, group);
		if (ret)
			dev_err(dev, "mock probe failed: %d\n", ret);
		iommu_group_put(group);
		return NOTIFY_OK;
	case BUS_NOTIFY_REMOVED_DEVICE:
		if (auxshim_mockc_manual()) {
			mock_release_device(dev);
			auxshim_mockc_manual_release(dev);
		}
		return NOTIFY_OK;
	}
	return NOTIFY_DONE;
}

static struct notifier_block mock_bus_nb = {
	.notifier_call = mock_bus_notify,
};

static int mock_sub_bus_notify(struct notifier_block *nb, unsigned long action,
			       void *data)
{
	struct device *dev = data;

	if (action != BUS_NOTIFY_REMOVED_DEVICE || !dev->iommu_group)
		return NOTIFY_DONE;
	iommu_group_remove_device(dev);
	return NOTIFY_OK;
}

static struct notifier_block mock_sub_bus_nb = {
	.notifier_call = mock_sub_bus_notify,
};

/* ---- the test module's interface ---- */

/**
 * auxshim_mock_route() - how the mock reached the IOMMU core
 *
 * Return: a description, or NULL if the mock could not register on this
 * kernel (auxshim_mock_why() says why).
 */
const char *auxshim_mock_route(void)
{
	return mock_route;
}
EXPORT_SYMBOL_GPL(auxshim_mock_route);

const char *auxshim_mock_why(void)
{
	return mock_why;
}
EXPORT_SYMBOL_GPL(auxshim_mock_why);

static void mock_plain_release(struct device *dev)
{
	kfree(dev);
}

/**
 * auxshim_mock_phys_add() - add a device behind the mock IOMMU
 * @name: unique device name
 * @pasid: can it do aux domains / PASIDs?
 * @share: 0 for a group of its own, else the index (< 4) of a shared group
 *
 * Context: process context; takes the IOMMU core's probe path.
 * Return: the device, probed into its IOMMU group, or an ERR_PTR().
 */
struct device *auxshim_mock_phys_add(const char *name, bool pasid, int share)
{
	const struct property_entry props[] = {
		PROPERTY_ENTRY_U32("pasid-num-bits", MOCK_PASID_BITS),
		{ }
	};
	struct platform_device *pd = NULL;
	struct mock_pdev *mp;
	struct device *dev;
	int ret;

	if (!mock_route)
		return ERR_PTR(-EOPNOTSUPP);
	if (share < 0 || share >= MOCK_MAX_SHARE)
		return ERR_PTR(-EINVAL);
	mp = kzalloc(sizeof(*mp), GFP_KERNEL);
	if (!mp)
		return ERR_PTR(-ENOMEM);
	xa_init(&mp->pasids);
	mp->pasid = pasid;
	mp->share = share;

	if (auxshim_mockc_platform_devices()) {
		pd = platform_device_alloc(name, PLATFORM_DEVID_NONE);
		if (!pd) {
			ret = -ENOMEM;
			goto err_free;
		}
		dev = &pd->dev;
		ret = auxshim_mockc_fwspec(dev, mock_fwnode, pasid ? props : NULL);
		if (ret) {
			platform_device_put(pd);
			goto err_free;
		}
	} else {
		dev = kzalloc(sizeof(*dev), GFP_KERNEL);
		if (!dev) {
			ret = -ENOMEM;
			goto err_free;
		}
		device_initialize(dev);
		dev->bus = &mock_bus;
		dev->release = mock_plain_release;
		ret = dev_set_name(dev, "%s", name);
		if (ret) {
			put_device(dev);
			goto err_free;
		}
	}
	mp->dev = dev;
	mp->pdev = pd;

	mutex_lock(&mock_lock);
	list_add(&mp->node, &mock_pdevs);
	mutex_unlock(&mock_lock);

	ret = pd ? platform_device_add(pd) : device_add(dev);
	if (ret) {
		dev_err(dev, "adding mock device failed: %d\n", ret);
		goto err_unlist;
	}
	if (!dev->iommu_group) {
		dev_err(dev, "the IOMMU core did not probe the mock device\n");
		auxshim_mock_phys_remove(dev);
		return ERR_PTR(-ENODEV);
	}
	return dev;

err_unlist:
	mutex_lock(&mock_lock);
	list_del(&mp->node);
	mutex_unlock(&mock_lock);
	if (pd)
		platform_device_put(pd);
	else
		put_device(dev);
err_free:
	kfree(mp);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(auxshim_mock_phys_add);

/**
 * auxshim_mock_phys_remove() - remove a device added by auxshim_mock_phys_add()
 * @dev: the device
 *
 * An ordinary device removal: the bus notifiers (the shim's among them)
 * see BUS_NOTIFY_DEL_DEVICE, the IOMMU core releases the device.
 */
void auxshim_mock_phys_remove(struct device *dev)
{
	struct mock_pdev *mp;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	mutex_unlock(&mock_lock);
	if (WARN_ON(!mp))
		return;

	if (mp->pdev)
		platform_device_unregister(mp->pdev);
	else
		device_unregister(dev);

	mutex_lock(&mock_lock);
	list_del(&mp->node);
	mutex_unlock(&mock_lock);
	WARN_ON(!xa_empty(&mp->pasids));
	xa_destroy(&mp->pasids);
	kfree(mp);
}
EXPORT_SYMBOL_GPL(auxshim_mock_phys_remove);

static void mock_sub_release(struct device *dev)
{
	struct mock_sub *sub = container_of(dev, struct mock_sub, dev);

	put_device(sub->parent);
	kfree(sub);
}

/**
 * auxshim_mock_sub_add() - add an mdev-like sub-device backed by @parent
 * @name: unique device name
 * @parent: the device doing its DMA (auxshim_mock_sub_parent() returns it)
 * @group: the IOMMU-less group to join, or NULL for a new one
 *
 * Return: the device, or an ERR_PTR().
 */
struct device *auxshim_mock_sub_add(const char *name, struct device *parent,
				    struct iommu_group *group)
{
	struct iommu_group *own = NULL;
	struct mock_sub *sub;
	int ret;

	sub = kzalloc(sizeof(*sub), GFP_KERNEL);
	if (!sub)
		return ERR_PTR(-ENOMEM);
	device_initialize(&sub->dev);
	sub->dev.bus = &mock_sub_bus;
	sub->dev.release = mock_sub_release;
	sub->parent = get_device(parent);
	ret = dev_set_name(&sub->dev, "%s", name);
	if (ret)
		goto err_put;
	ret = device_add(&sub->dev);
	if (ret)
		goto err_put;

	if (!group) {
		own = iommu_group_alloc();
		if (IS_ERR(own)) {
			ret = PTR_ERR(own);
			goto err_del;
		}
		group = own;
	}
	ret = iommu_group_add_device(group, &sub->dev);
	if (own)
		iommu_group_put(own);
	if (ret)
		goto err_del;
	return &sub->dev;

err_del:
	device_del(&sub->dev);
err_put:
	put_device(&sub->dev);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(auxshim_mock_sub_add);

/* Remove a sub-device: device_unregister(), nothing else. */
void auxshim_mock_sub_remove(struct device *dev)
{
	device_unregister(dev);
}
EXPORT_SYMBOL_GPL(auxshim_mock_sub_remove);

/**
 * auxshim_mock_sub_parent() - the lookup callback for sub-devices
 * @dev: a device of a sub-device group
 *
 * Return: the physical device backing @dev, or NULL if it is none of ours.
 */
struct device *auxshim_mock_sub_parent(struct device *dev)
{
	if (!dev || dev->bus != &mock_sub_bus)
		return NULL;
	return container_of(dev, struct mock_sub, dev)->parent;
}
EXPORT_SYMBOL_GPL(auxshim_mock_sub_parent);

void auxshim_mock_get_counts(struct auxshim_mock_counts *c)
{
	struct mock_pdev *mp;
	unsigned long idx;
	void *entry;

	memset(c, 0, sizeof(*c));
	mutex_lock(&mock_lock);
	list_for_each_entry(mp, &mock_pdevs, node) {
		if (mp->domain)
			c->attached++;
		xa_for_each(&mp->pasids, idx, entry)
			c->pasids++;
	}
	c->pasid_ids = mock_pasid_ids;
	mutex_unlock(&mock_lock);
	c->domains = atomic_long_read(&mock_nr_domains);
	c->pages = atomic_long_read(&mock_nr_pages);
}
EXPORT_SYMBOL_GPL(auxshim_mock_get_counts);

/* The paging domain @dev (a mock device) is attached to as a whole, or NULL. */
struct iommu_domain *auxshim_mock_dev_domain(struct device *dev)
{
	struct iommu_domain *domain = NULL;
	struct mock_pdev *mp;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	if (mp)
		domain = mp->domain;
	mutex_unlock(&mock_lock);
	return domain;
}
EXPORT_SYMBOL_GPL(auxshim_mock_dev_domain);

/* The PASID under which @domain is attached to @dev, or -ENOENT. */
int auxshim_mock_dev_pasid(struct device *dev, struct iommu_domain *domain)
{
	struct mock_pdev *mp;
	unsigned long idx;
	int ret = -ENOENT;
	void *entry;

	mutex_lock(&mock_lock);
	mp = mock_pdev_find(dev);
	if (mp)
		xa_for_each(&mp->pasids, idx, entry)
			if (entry == domain) {
				ret = idx;
				break;
			}
	mutex_unlock(&mock_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(auxshim_mock_dev_pasid);

static int __init mock_init(void)
{
	int ret, refused;

	mock_ops_init();
	ret = bus_register(&mock_bus);
	if (ret)
		return ret;
	ret = bus_register(&mock_sub_bus);
	if (ret)
		goto err_bus;
	ret = bus_register_notifier(&mock_bus, &mock_bus_nb);
	if (ret)
		goto err_sub_bus;
	ret = bus_register_notifier(&mock_sub_bus, &mock_sub_bus_nb);
	if (ret)
		goto err_nb;

	mock_fwnode = fwnode_create_software_node(NULL, NULL);
	if (IS_ERR(mock_fwnode)) {
		ret = PTR_ERR(mock_fwnode);
		goto err_sub_nb;
	}
	ret = iommu_device_sysfs_add(&mock_iommu, NULL, NULL, "auxshim-mock");
	if (ret)
		goto err_fwnode;

	if (!mock_route_name) {
		snprintf(mock_why, sizeof(mock_why),
			 "no way to register a second IOMMU driver on this kernel");
	} else {
		ret = auxshim_mockc_register(&mock_iommu, &mock_ops, &mock_bus,
					     mock_fwnode, MOCK_MAX_PASIDS,
					     &refused);
		if (ret) {
			snprintf(mock_why, sizeof(mock_why),
				 "registering the mock IOMMU (%s) failed: %d",
				 mock_route_name, ret);
		} else {
			snprintf(mock_route_buf, sizeof(mock_route_buf), "%s",
				 mock_route_name);
			if (refused)
				snprintf(mock_route_buf, sizeof(mock_route_buf),
					 "%s (iommu_device_register() refused it: %d)",
					 mock_route_name, refused);
			mock_route = mock_route_buf;
		}
	}
	if (mock_route)
		pr_info("mock IOMMU registered: %s\n", mock_route);
	else
		pr_warn("%s\n", mock_why);
	return 0;

err_fwnode:
	fwnode_remove_software_node(mock_fwnode);
err_sub_nb:
	bus_unregister_notifier(&mock_sub_bus, &mock_sub_bus_nb);
err_nb:
	bus_unregister_notifier(&mock_bus, &mock_bus_nb);
err_sub_bus:
	bus_unregister(&mock_sub_bus);
err_bus:
	bus_unregister(&mock_bus);
	return ret;
}

static void __exit mock_exit(void)
{
	struct mock_pdev *mp;
	int i;

	/* The test module removes its devices; anything left is a bug there. */
	for (;;) {
		mutex_lock(&mock_lock);
		mp = list_first_entry_or_null(&mock_pdevs, struct mock_pdev, node);
		mutex_unlock(&mock_lock);
		if (!mp)
			break;
		WARN(1, "mock device %s left at unload\n", dev_name(mp->dev));
		auxshim_mock_phys_remove(mp->dev);
	}
	for (i = 0; i < MOCK_MAX_SHARE; i++)
		if (mock_shared[i])
			iommu_group_put(mock_shared[i]);
	if (mock_route)
		auxshim_mockc_unregister(&mock_iommu, &mock_bus);
	iommu_device_sysfs_remove(&mock_iommu);
	fwnode_remove_software_node(mock_fwnode);
	bus_unregister_notifier(&mock_sub_bus, &mock_sub_bus_nb);
	bus_unregister_notifier(&mock_bus, &mock_bus_nb);
	bus_unregister(&mock_sub_bus);
	bus_unregister(&mock_bus);
	WARN_ON(atomic_long_read(&mock_nr_domains));
	WARN_ON(atomic_long_read(&mock_nr_pages));
	ida_destroy(&mock_pasid_ida);
}

module_init(mock_init);
module_exit(mock_exit);
MODULE_DESCRIPTION("auxshim test IOMMU driver (loaded by the test suite only)");
MODULE_LICENSE("GPL");
