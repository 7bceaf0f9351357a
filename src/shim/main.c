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
 */
#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "internal.h"

#ifdef AUXSHIM_TEST_HOOKS
#include "test_hooks.h"
#endif

/* Live objects the shim allocated; checked for leaks at exit and by tests. */
static atomic_long_t auxshim_allocs = ATOMIC_LONG_INIT(0);

/*
 * Kernel attachments and group entries the shim holds.  While there are
 * any, the module pins itself so that it is never unloaded with live
 * records.  Protected by auxshim_lock.
 */
static unsigned int auxshim_live;

/* Groups in the table, so that lookups skip an empty one; auxshim_lock. */
static unsigned int auxshim_nr_groups;

#ifdef AUXSHIM_TEST_HOOKS
/* fail_nth for the shim's allocations; the module users load has none. */
static atomic_t auxshim_fail_nth = ATOMIC_INIT(0);
static atomic_t auxshim_fail_fired = ATOMIC_INIT(0);

bool auxshim_should_fail(void)
{
	int old = atomic_read(&auxshim_fail_nth);

	/* Count down to the nth call; only the call that reaches 0 fails. */
	while (old > 0) {
		int seen = atomic_cmpxchg(&auxshim_fail_nth, old, old - 1);

		if (seen == old) {
			if (old != 1)
				return false;
			atomic_set(&auxshim_fail_fired, 1);
			return true;
		}
		old = seen;
	}
	return false;
}

void auxshim_test_fail_nth(unsigned int nth)
{
	atomic_set(&auxshim_fail_fired, 0);
	atomic_set(&auxshim_fail_nth, nth);
}
EXPORT_SYMBOL_GPL(auxshim_test_fail_nth);

bool auxshim_test_fail_fired(void)
{
	return atomic_read(&auxshim_fail_fired);
}
EXPORT_SYMBOL_GPL(auxshim_test_fail_fired);

const char *auxshim_test_aux_backend(void)
{
	return AUXSHIM_AUX_BACKEND;
}
EXPORT_SYMBOL_GPL(auxshim_test_aux_backend);

void auxshim_test_get_counts(struct auxshim_test_counts *c)
{
	struct auxshim_grp *grp;
	struct auxshim_rec *rec;
	struct auxshim_att *att;
	struct auxshim_auxdev *ad;
	int bkt;

	memset(c, 0, sizeof(*c));
	mutex_lock(&auxshim_lock);
	hash_for_each(auxshim_table, bkt, grp, hnode) {
		c->groups++;
		if (grp->whole)
			c->attachments++;
		list_for_each_entry(rec, &grp->recs, node)
			c->devs++;
	}
	list_for_each_entry(att, &auxshim_atts, node)
		c->attachments++;
	list_for_each_entry(ad, &auxshim_auxdevs, node)
		c->aux_devs++;
	mutex_unlock(&auxshim_lock);
	/* Groups are freed after an RCU grace period: wait for those too. */
	rcu_barrier();
	c->allocs = atomic_long_read(&auxshim_allocs);
}
EXPORT_SYMBOL_GPL(auxshim_test_get_counts);
#endif

void *auxshim_zalloc(size_t size)
{
	void *p;

	if (auxshim_should_fail())
		return NULL;
	p = kzalloc(size, GFP_KERNEL);
	if (p)
		atomic_long_inc(&auxshim_allocs);
	return p;
}

void auxshim_free(const void *p)
{
	if (!p)
		return;
	kfree(p);
	atomic_long_dec(&auxshim_allocs);
}

static void auxshim_grp_free_rcu(struct rcu_head *head)
{
	auxshim_free(container_of(head, struct auxshim_grp, rcu));
}

void auxshim_live_get(void)
{
	lockdep_assert_held(&auxshim_lock);
	if (!auxshim_live++)
		__module_get(THIS_MODULE);
}

void auxshim_live_put(void)
{
	lockdep_assert_held(&auxshim_lock);
	if (!--auxshim_live)
		module_put(THIS_MODULE);
}

/*
 * One device of the group being attached, resolved before auxshim_lock is
 * taken: the lookup may sleep and may take locks of its own, and the
 * removal notifiers must be registered outside auxshim_lock.
 */
struct auxshim_slot {
	struct device *dev;		/* reference held */
	struct device *backing;		/* reference held, NULL until looked up */
};

struct auxshim_snapshot {
	struct auxshim_slot *slots;
	unsigned int n, max;
	int err;
};

static int auxshim_snapshot_one(struct device *dev, void *data)
{
	struct auxshim_snapshot *snap = data;

	if (snap->n == snap->max) {
		snap->err = -EAGAIN;	/* the group grew under us */
		return snap->err;
	}
	snap->slots[snap->n++].dev = get_device(dev);
	return 0;
}

static int auxshim_count_one(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

static void auxshim_snapshot_release(struct auxshim_snapshot *snap)
{
	unsigned int i;

	for (i = 0; i < snap->n; i++) {
		put_device(snap->slots[i].backing);
		put_device(snap->slots[i].dev);
	}
	auxshim_free(snap->slots);
}

/* Take a reference on every device of @group, with room to spare. */
static int auxshim_snapshot_take(struct iommu_group *group,
				 struct auxshim_snapshot *snap)
{
	unsigned int count;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		count = 0;
		iommu_group_for_each_dev(group, &count, auxshim_count_one);
		if (!count)
			return -ENODEV;

		memset(snap, 0, sizeof(*snap));
		snap->max = count + 4;
		snap->slots = auxshim_zalloc(snap->max * sizeof(*snap->slots));
		if (!snap->slots)
			return -ENOMEM;
		iommu_group_for_each_dev(group, snap, auxshim_snapshot_one);
		if (!snap->err && snap->n)
			return 0;
		auxshim_snapshot_release(snap);
	}
	return -EAGAIN;
}

/* Call the lookup once per device, and watch every device for removal. */
static int auxshim_snapshot_resolve(struct auxshim_snapshot *snap,
				    auxshim_lookup_t lookup)
{
	struct auxshim_slot *slot;
	struct device *backing;
	unsigned int i;
	int ret;

	for (i = 0; i < snap->n; i++) {
		slot = &snap->slots[i];
		backing = lookup ? lookup(slot->dev) : slot->dev;
		if (IS_ERR(backing)) {
			dev_err(slot->dev, "lookup of its backing device failed: %ld\n",
				PTR_ERR(backing));
			return PTR_ERR(backing);
		}
		if (!backing) {
			dev_err(slot->dev, "lookup found no backing device\n");
			return -ENODEV;
		}
		slot->backing = get_device(backing);

		ret = auxshim_watch(slot->dev);
		if (!ret)
			ret = auxshim_watch(backing);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Find or make the attachment of @domain through @backing for one more
 * device record: an aux attachment where aux is enabled on @backing, a
 * whole-device one otherwise.
 */
static struct auxshim_att *auxshim_att_get(struct iommu_domain *domain,
					   struct device *backing)
{
	enum auxshim_mode mode = auxshim_auxdev_find(backing) ?
				 AUXSHIM_MODE_AUX : AUXSHIM_MODE_DIRECT;
	struct auxshim_att *att;
	int ret;

	lockdep_assert_held(&auxshim_lock);
	att = auxshim_att_find(mode == AUXSHIM_MODE_AUX ? domain : NULL,
			       backing, mode);
	if (att && att->domain != domain) {
		dev_err(backing, "already attached to another domain through auxshim\n");
		return ERR_PTR(-EBUSY);
	}
	if (att)
		return att;

	att = auxshim_zalloc(sizeof(*att));
	if (!att)
		return ERR_PTR(-ENOMEM);
	att->backing = backing;
	att->domain = domain;
	att->mode = mode;
	if (mode == AUXSHIM_MODE_AUX)
		ret = auxshim_compat_aux_attach(domain, backing, &att->pasid);
	else
		ret = iommu_attach_device(domain, backing);
	if (ret) {
		dev_err(backing, "%s attach failed: %d\n",
			auxshim_mode_name(mode), ret);
		auxshim_free(att);
		return ERR_PTR(ret);
	}
	get_device(backing);
	list_add(&att->node, &auxshim_atts);
	auxshim_live_get();
	return att;
}

/* Undo a half-made group entry: records in reverse, then the entry. */
static void auxshim_grp_teardown(struct auxshim_grp *grp)
{
	struct auxshim_rec *rec, *n;

	lockdep_assert_held(&auxshim_lock);
	list_for_each_entry_safe_reverse(rec, n, &grp->recs, node)
		auxshim_rec_drop(rec);
	if (grp->whole)
		iommu_detach_group(grp->domain, grp->group);
	iommu_group_put(grp->group);
}

/* Take @grp out of the table and undo it; readers may still see it. */
static void auxshim_grp_unpublish(struct auxshim_grp *grp)
{
	lockdep_assert_held(&auxshim_lock);
	hash_del_rcu(&grp->hnode);
	WRITE_ONCE(auxshim_nr_groups, auxshim_nr_groups - 1);
	auxshim_grp_teardown(grp);
	auxshim_live_put();
	call_rcu(&grp->rcu, auxshim_grp_free_rcu);
}

/*
 * What is left of a group whose last device went away: only the key that
 * its owner's auxshim_detach_group() will name, so that the detach is quiet.
 * No reference: @group is never dereferenced, only compared.
 */
struct auxshim_orphan {
	struct list_head node;		/* in auxshim_orphans */
	struct iommu_group *group;
	struct iommu_domain *domain;
};

/* Protected by auxshim_lock. */
static LIST_HEAD(auxshim_orphans);

void auxshim_grp_orphan(struct auxshim_grp *grp)
{
	struct auxshim_orphan *o;

	lockdep_assert_held(&auxshim_lock);
	/* Without a tombstone the owner's detach merely warns. */
	o = auxshim_zalloc(sizeof(*o));
	if (o) {
		o->group = grp->group;
		o->domain = grp->domain;
		list_add(&o->node, &auxshim_orphans);
	}
	auxshim_grp_unpublish(grp);
}

static bool auxshim_orphan_reap(struct iommu_domain *domain,
				struct iommu_group *group)
{
	struct auxshim_orphan *o;

	lockdep_assert_held(&auxshim_lock);
	list_for_each_entry(o, &auxshim_orphans, node)
		if (o->group == group && o->domain == domain) {
			list_del(&o->node);
			auxshim_free(o);
			return true;
		}
	return false;
}

static int auxshim_grp_fill(struct auxshim_grp *grp,
			    struct auxshim_snapshot *snap)
{
	struct auxshim_slot *slot;
	struct auxshim_rec *rec;
	struct auxshim_att *att;
	unsigned int i;
	int ret;

	for (i = 0; i < snap->n; i++) {
		slot = &snap->slots[i];
		rec = auxshim_zalloc(sizeof(*rec));
		if (!rec)
			return -ENOMEM;
		if (!grp->whole) {
			att = auxshim_att_get(grp->domain, slot->backing);
			if (IS_ERR(att)) {
				ret = PTR_ERR(att);
				auxshim_free(rec);
				return ret;
			}
			att->users++;
			rec->att = att;
		}
		rec->dev = get_device(slot->dev);
		list_add_tail(&rec->node, &grp->recs);
	}
	return 0;
}

int auxshim_attach_group(struct iommu_domain *domain,
			 struct iommu_group *group,
			 auxshim_lookup_t lookup)
{
	struct auxshim_snapshot snap;
	struct auxshim_grp *grp;
	int ret;

	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(group))
		return -EINVAL;

	ret = auxshim_snapshot_take(group, &snap);
	if (ret)
		return ret;
	ret = auxshim_snapshot_resolve(&snap, lookup);
	if (ret)
		goto err_snapshot;

	grp = auxshim_zalloc(sizeof(*grp));
	if (!grp) {
		ret = -ENOMEM;
		goto err_snapshot;
	}
	INIT_LIST_HEAD(&grp->recs);
	grp->group = group;
	grp->domain = domain;
	grp->whole = !lookup;

	mutex_lock(&auxshim_lock);
	if (auxshim_grp_find(group)) {
		ret = -EBUSY;
		goto err_unlock;
	}
	if (grp->whole) {
		ret = iommu_attach_group(domain, group);
		if (ret) {
			pr_err("attach of group %d failed: %d\n",
			       iommu_group_id(group), ret);
			goto err_unlock;
		}
	}
	iommu_group_ref_get(group);
	ret = auxshim_grp_fill(grp, &snap);
	if (ret) {
		auxshim_grp_teardown(grp);
		goto err_unlock;
	}
	hash_add_rcu(auxshim_table, &grp->hnode, (unsigned long)group);
	WRITE_ONCE(auxshim_nr_groups, auxshim_nr_groups + 1);
	auxshim_live_get();
	mutex_unlock(&auxshim_lock);

	auxshim_snapshot_release(&snap);
	return 0;

err_unlock:
	mutex_unlock(&auxshim_lock);
	auxshim_free(grp);
err_snapshot:
	auxshim_snapshot_release(&snap);
	return ret;
}
EXPORT_SYMBOL_GPL(auxshim_attach_group);

void auxshim_detach_group(struct iommu_domain *domain,
			  struct iommu_group *group)
{
	struct auxshim_grp *grp;

	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(group)) {
		pr_warn_once("detach with a NULL or error domain/group ignored\n");
		return;
	}

	mutex_lock(&auxshim_lock);
	grp = auxshim_grp_find(group);
	if (grp && grp->domain == domain) {
		auxshim_grp_unpublish(grp);
	} else if (grp || !auxshim_orphan_reap(domain, group)) {
		/* %p, not the id: a stale @group must not be dereferenced. */
		pr_warn_once("detach of group %p from a domain it is not attached to through auxshim; ignored\n",
			     group);
	}
	mutex_unlock(&auxshim_lock);
}
EXPORT_SYMBOL_GPL(auxshim_detach_group);

struct iommu_domain *auxshim_get_domain_for_dev(struct device *dev)
{
	struct iommu_domain *domain = NULL;
	struct iommu_group *group;
	struct auxshim_grp *grp;

	if (IS_ERR_OR_NULL(dev))
		return NULL;

	group = READ_ONCE(dev->iommu_group);
	if (group && READ_ONCE(auxshim_nr_groups)) {
		/*
		 * The sched flavour is inline (rcu_read_lock() is a call under
		 * PREEMPT_RCU) and, since RCU flavours were consolidated in
		 * v5.0, call_rcu() waits for these readers too.
		 */
		rcu_read_lock_sched();
		grp = auxshim_grp_find_rcu(group);
		if (grp)
			domain = grp->domain;
		rcu_read_unlock_sched();
		if (domain)
			return domain;
	}
	return iommu_get_domain_for_dev(dev);
}
EXPORT_SYMBOL_GPL(auxshim_get_domain_for_dev);

int auxshim_get_pasid(struct iommu_domain *domain, struct device *dev)
{
	struct auxshim_grp *grp;
	struct auxshim_rec *rec;
	int ret;

	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(dev))
		return -EINVAL;

	mutex_lock(&auxshim_lock);
	rec = auxshim_rec_find(dev, &grp);
	if (!rec)
		ret = -ENODEV;
	else if (grp->domain != domain || !rec->att ||
		 rec->att->mode != AUXSHIM_MODE_AUX)
		ret = -EINVAL;
	else
		ret = rec->att->pasid;
	mutex_unlock(&auxshim_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(auxshim_get_pasid);

int auxshim_get_mode(struct iommu_domain *domain, struct device *dev)
{
	struct auxshim_grp *grp;
	struct auxshim_rec *rec;
	int ret;

	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(dev))
		return -EINVAL;

	mutex_lock(&auxshim_lock);
	rec = auxshim_rec_find(dev, &grp);
	if (!rec)
		ret = -ENODEV;
	else if (grp->domain != domain)
		ret = -EINVAL;
	else
		ret = rec->att ? rec->att->mode : AUXSHIM_MODE_GROUP;
	mutex_unlock(&auxshim_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(auxshim_get_mode);

bool auxshim_dev_has_aux(struct device *dev)
{
	return !IS_ERR_OR_NULL(dev) && auxshim_compat_dev_has_aux(dev);
}
EXPORT_SYMBOL_GPL(auxshim_dev_has_aux);

int auxshim_dev_enable_aux(struct device *dev)
{
	struct auxshim_auxdev *ad;
	int ret;

	if (IS_ERR_OR_NULL(dev))
		return -EINVAL;
	if (!auxshim_compat_aux_supported())
		return -EOPNOTSUPP;
	if (!auxshim_compat_dev_has_aux(dev))
		return -ENODEV;

	ret = auxshim_watch(dev);
	if (ret)
		return ret;

	mutex_lock(&auxshim_lock);
	ret = 0;
	if (auxshim_auxdev_find(dev))
		goto out_unlock;
	ad = auxshim_zalloc(sizeof(*ad));
	if (!ad) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ret = auxshim_compat_enable_aux(dev);
	if (ret) {
		dev_err(dev, "enabling aux domains failed: %d\n", ret);
		auxshim_free(ad);
		goto out_unlock;
	}
	ad->dev = get_device(dev);
	list_add(&ad->node, &auxshim_auxdevs);
out_unlock:
	mutex_unlock(&auxshim_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(auxshim_dev_enable_aux);

int auxshim_dev_disable_aux(struct device *dev)
{
	struct auxshim_auxdev *ad;
	int ret = 0;

	if (IS_ERR_OR_NULL(dev))
		return -EINVAL;
	if (!auxshim_compat_aux_supported())
		return -EOPNOTSUPP;

	mutex_lock(&auxshim_lock);
	ad = auxshim_auxdev_find(dev);
	if (ad && auxshim_att_find(NULL, dev, AUXSHIM_MODE_AUX)) {
		dev_err(dev, "cannot disable aux domains while aux attachments exist\n");
		ret = -EBUSY;
	} else if (ad) {
		auxshim_auxdev_drop(ad);
	}
	mutex_unlock(&auxshim_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(auxshim_dev_disable_aux);

bool auxshim_dev_aux_enabled(struct device *dev)
{
	bool ret;

	if (IS_ERR_OR_NULL(dev))
		return false;
	mutex_lock(&auxshim_lock);
	ret = auxshim_auxdev_find(dev);
	mutex_unlock(&auxshim_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(auxshim_dev_aux_enabled);

int auxshim_aux_attach_device(struct iommu_domain *domain, struct device *dev)
{
	struct auxshim_att *att;
	int ret;

	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(dev))
		return -EINVAL;
	if (!auxshim_compat_aux_supported())
		return -EOPNOTSUPP;

	ret = auxshim_watch(dev);
	if (ret)
		return ret;

	mutex_lock(&auxshim_lock);
	if (!auxshim_auxdev_find(dev)) {
		dev_err(dev, "aux attach refused: aux domains are not enabled\n");
		ret = -EINVAL;
		goto out_unlock;
	}
	att = auxshim_att_get(domain, dev);
	if (IS_ERR(att)) {
		ret = PTR_ERR(att);
		goto out_unlock;
	}
	att->ext_users++;
out_unlock:
	mutex_unlock(&auxshim_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(auxshim_aux_attach_device);

void auxshim_aux_detach_device(struct iommu_domain *domain, struct device *dev)
{
	struct auxshim_att *att;

	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(dev)) {
		pr_warn_once("aux detach with a NULL or error domain/device ignored\n");
		return;
	}

	mutex_lock(&auxshim_lock);
	att = auxshim_att_find(domain, dev, AUXSHIM_MODE_AUX);
	if (att && att->ext_users) {
		att->ext_users--;
		auxshim_att_put(att);
		att = NULL;
	} else {
		att = ERR_PTR(-ENOENT);
	}
	mutex_unlock(&auxshim_lock);
	if (att)
		dev_warn_once(dev, "aux detach of a domain not aux-attached to it; ignored\n");
}
EXPORT_SYMBOL_GPL(auxshim_aux_detach_device);

int auxshim_aux_get_pasid(struct iommu_domain *domain, struct device *dev)
{
	struct auxshim_att *att;
	int ret;

	if (IS_ERR_OR_NULL(domain) || IS_ERR_OR_NULL(dev))
		return -EINVAL;

	mutex_lock(&auxshim_lock);
	att = auxshim_att_find(domain, dev, AUXSHIM_MODE_AUX);
	ret = att ? (int)att->pasid : -ENODEV;
	mutex_unlock(&auxshim_lock);
	return ret;
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
	struct auxshim_auxdev *ad, *n;
	struct auxshim_orphan *o, *no;

	/*
	 * The module pins itself while attachments exist: only aux state and
	 * the keys of orphaned groups can be left.
	 */
	mutex_lock(&auxshim_lock);
	list_for_each_entry_safe(ad, n, &auxshim_auxdevs, node)
		auxshim_auxdev_drop(ad);
	list_for_each_entry_safe(o, no, &auxshim_orphans, node) {
		list_del(&o->node);
		auxshim_free(o);
	}
	mutex_unlock(&auxshim_lock);

	auxshim_watch_exit();
	auxshim_debugfs_exit();
	rcu_barrier();
	WARN(atomic_long_read(&auxshim_allocs),
	     "auxshim: %ld objects leaked\n", atomic_long_read(&auxshim_allocs));
}

module_init(auxshim_init);
module_exit(auxshim_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Attach IOMMU domains to groups of mediated devices through their backing devices");
MODULE_AUTHOR("auxshim developers");
MODULE_VERSION(AUXSHIM_VERSION);
