// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shim's core: its state and the life of each of its objects, read top
 * to bottom.  An attachment (struct auxshim_att) is one kernel-level attach
 * through a backing device; a record (struct auxshim_rec) is one device of
 * an attached group and shares an attachment; a group entry (struct
 * auxshim_grp) holds the records and is what readers find under RCU.  The
 * core calls no other part of the shim (see internal.h).
 */
#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/hashtable.h>
#include <linux/iommu.h>
#include <linux/jump_label.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "internal.h"

/* ---- state ---------------------------------------------------------------- */

/*
 * auxshim_lock serializes every writer and protects the lookup table
 * (whose readers use RCU-sched), the writers' indexes auxshim_grps,
 * auxshim_recs and auxshim_atts, auxshim_auxdevs, auxshim_pending and all
 * the objects and counts hanging off them.  Lock order: auxshim_lock, then
 * the IOMMU core's group locks.  Never held across a lookup callback or a
 * bus notifier (un)registration.
 *
 * The indexes are the writers' own, keyed by pointer, so that an attach,
 * a detach and a removal touch only what concerns them: groups by group,
 * records by device, attachments by backing device.
 */
static DEFINE_MUTEX(auxshim_lock);

/*
 * auxshim_key_lock serializes turning auxshim_lut_used on and off, and an
 * attach holds it until its keys are published, so that the key cannot go
 * off under them.  Taken outside auxshim_lock: static_branch_enable() and
 * _disable() take cpu_hotplug_lock, which must not nest inside a lock that
 * device deletion takes (auxshim_lock, in the removal notifier).
 */
static DEFINE_MUTEX(auxshim_key_lock);
#define AUXSHIM_INDEX_BITS 10
static DEFINE_HASHTABLE(auxshim_grps, AUXSHIM_INDEX_BITS);
static DEFINE_HASHTABLE(auxshim_recs, AUXSHIM_INDEX_BITS);
static DEFINE_HASHTABLE(auxshim_atts, AUXSHIM_INDEX_BITS);
static LIST_HEAD(auxshim_auxdevs);
static LIST_HEAD(auxshim_pending);

/*
 * The readers' table (auxshim.h): allocated at the first attach and kept
 * to the end; auxshim_lut_used is on while it may hold keys.
 */
struct auxshim_lut __rcu *auxshim_lut;
EXPORT_SYMBOL_GPL(auxshim_lut);
DEFINE_STATIC_KEY_FALSE(auxshim_lut_used);
EXPORT_SYMBOL_GPL(auxshim_lut_used);
u8 auxshim_lut_filter[1 << AUXSHIM_LUT_FILTER_BITS];
EXPORT_SYMBOL_GPL(auxshim_lut_filter);

/*
 * Attachments and live group entries.  While there are any the module pins
 * itself, so that it never unloads with live records.  Written under
 * auxshim_lock, read locklessly by the removal notifiers.
 */
static unsigned int auxshim_live;

/* Devices with aux enabled; with the two above, what removals must see. */
static unsigned int auxshim_nr_auxdevs;

/*
 * Attaches between their snapshot and their publication, and aux enables
 * in progress (lock-free reads).  The full barrier after each increment
 * pairs with the one in auxshim_core_holds_anything(): either the removal
 * notifier sees the call in flight, or the call sees the device's removal
 * (it left its group; see auxshim_dev_leaving()).
 */
static atomic_t auxshim_inflight = ATOMIC_INIT(0);

/* Removals seen while attaches were in flight. */
static unsigned long auxshim_removal_gen;

/* Removals that reached the core (the watchers skip the rest); for tests. */
static unsigned long auxshim_removals;

/* Live objects the shim allocated; checked for leaks at exit and by tests. */
static atomic_long_t auxshim_allocs = ATOMIC_LONG_INIT(0);

#ifdef AUXSHIM_TEST_HOOKS
/* Set by test_hooks.c: fail the allocation it picks. */
bool (*auxshim_fail_hook)(void);
#endif

static void *auxshim_zalloc(size_t size)
{
	void *p;

	if (auxshim_should_fail())
		return NULL;
	p = kzalloc(size, GFP_KERNEL);
	if (p)
		atomic_long_inc(&auxshim_allocs);
	return p;
}

static void auxshim_free(const void *p)
{
	if (!p)
		return;
	kfree(p);
	atomic_long_dec(&auxshim_allocs);
}

long auxshim_core_allocs(void)
{
	return atomic_long_read(&auxshim_allocs);
}

unsigned long auxshim_core_removals(void)
{
	return READ_ONCE(auxshim_removals);
}

static void auxshim_live_get(void)
{
	lockdep_assert_held(&auxshim_lock);
	if (!auxshim_live)
		__module_get(THIS_MODULE);
	WRITE_ONCE(auxshim_live, auxshim_live + 1);
}

static void auxshim_live_put(void)
{
	lockdep_assert_held(&auxshim_lock);
	WRITE_ONCE(auxshim_live, auxshim_live - 1);
	if (!auxshim_live)
		module_put(THIS_MODULE);
}

static void auxshim_busy_get(void)
{
	atomic_inc(&auxshim_inflight);
	smp_mb__after_atomic(); /* pairs with auxshim_core_holds_anything() */
}

static void auxshim_busy_put(void)
{
	atomic_dec(&auxshim_inflight);
}

/*
 * Has @dev left (or never joined) an IOMMU group?  The IOMMU core, or the
 * owner of an IOMMU-less group, takes a device out of its group during its
 * deletion, before the shim's late removal notifier runs.
 */
static bool auxshim_dev_leaving(struct device *dev, struct iommu_group *group)
{
	struct iommu_group *now = READ_ONCE(dev->iommu_group);

	return group ? now != group : !now;
}

/* ---- the lookup table ----------------------------------------------------- */

#define AUXSHIM_LUT_MIN_BITS 4

static void auxshim_lut_off_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(auxshim_lut_off, auxshim_lut_off_fn);

static struct auxshim_lut *auxshim_lut_cur(void)
{
	return rcu_dereference_protected(auxshim_lut,
					 lockdep_is_held(&auxshim_lock));
}

/* Into a table no reader sees yet, or into a free slot of a live one. */
static void auxshim_lut_put_key(struct auxshim_lut *lut, unsigned long key,
				struct iommu_domain *domain)
{
	unsigned long i =
		auxshim_lut_index(auxshim_lut_hash((void *)key), lut->bits);

	while (lut->slot[i].key != AUXSHIM_LUT_FREE)
		i = (i + 1) & lut->mask;
	WRITE_ONCE(lut->slot[i].domain, domain);
	smp_wmb(); /* readers that see the key see the domain */
	WRITE_ONCE(lut->slot[i].key, key);
	lut->used++;
}

static void auxshim_lut_free_rcu(struct rcu_head *head)
{
	kvfree(container_of(head, struct auxshim_lut, rcu));
}

/*
 * Make room for @n more keys: replace the table by one of the right size
 * without the removed keys when live and removed keys with @n would fill
 * more than three quarters of it, or when live keys fill less than an
 * eighth.  Readers of the old table finish on it; it is freed after a
 * grace period.
 */
static int auxshim_lut_reserve(unsigned long n)
{
	struct auxshim_lut *old = auxshim_lut_cur(), *lut;
	unsigned long want, i, slots;
	unsigned int bits;

	lockdep_assert_held(&auxshim_lock);
	want = (old ? old->used : 0) + n;
	if (old && (old->used + old->gone + n) * 4 <= (old->mask + 1) * 3 &&
	    (old->bits == AUXSHIM_LUT_MIN_BITS || want * 8 >= old->mask + 1))
		return 0;
	bits = max_t(unsigned int, AUXSHIM_LUT_MIN_BITS,
		     order_base_2(want * 2 + 1));
	slots = 1UL << bits;
	lut = auxshim_should_fail() ?
		      NULL :
		      kvzalloc(struct_size(lut, slot, slots), GFP_KERNEL);
	if (!lut)
		return -ENOMEM;
	lut->bits = bits;
	lut->mask = slots - 1;
	if (old) {
		for (i = 0; i <= old->mask; i++)
			if (old->slot[i].key > AUXSHIM_LUT_GONE)
				auxshim_lut_put_key(lut, old->slot[i].key,
						    old->slot[i].domain);
	}
	rcu_assign_pointer(auxshim_lut, lut);
	if (old)
		call_rcu(&old->rcu, auxshim_lut_free_rcu);
	return 0;
}

/* A count of 255 stays: it may stand for more keys than it can count. */
static u8 *auxshim_lut_filter_of(const void *key)
{
	return &auxshim_lut_filter[auxshim_lut_index(auxshim_lut_hash(key),
						     AUXSHIM_LUT_FILTER_BITS)];
}

/* Publish @key; room was made by auxshim_lut_reserve(). */
static void auxshim_lut_add(const void *key, struct iommu_domain *domain)
{
	struct auxshim_lut *lut = auxshim_lut_cur();
	u8 *f = auxshim_lut_filter_of(key);

	lockdep_assert_held(&auxshim_lock);
	if (*f != U8_MAX)
		WRITE_ONCE(*f, *f + 1);
	smp_wmb(); /* a reader that finds the key passed the filter */
	auxshim_lut_put_key(lut, (unsigned long)key, domain);
	/* auxshim_lut_key_on() turned the key on; keep it so. */
	WARN_ON_ONCE(!static_key_enabled(&auxshim_lut_used));
	cancel_delayed_work(&auxshim_lut_off);
}

/*
 * Unpublish @key: a lookup that starts after this returned misses it (the
 * key is overwritten in place, and a table that replaces this one is built
 * from live keys only).  A lookup already past the key may still return
 * its domain; auxshim.h says what a caller does about that.
 */
static void auxshim_lut_del(const void *key)
{
	struct auxshim_lut *lut = auxshim_lut_cur();
	unsigned long i = auxshim_lut_index(auxshim_lut_hash(key), lut->bits);
	u8 *f = auxshim_lut_filter_of(key);

	lockdep_assert_held(&auxshim_lock);
	while (lut->slot[i].key != (unsigned long)key) {
		if (WARN_ON_ONCE(lut->slot[i].key == AUXSHIM_LUT_FREE))
			return;
		i = (i + 1) & lut->mask;
	}
	WRITE_ONCE(lut->slot[i].key, AUXSHIM_LUT_GONE);
	if (*f != U8_MAX)
		WRITE_ONCE(*f, *f - 1);
	lut->used--;
	lut->gone++;
	if (!lut->used)
		/* Not at once: a key flip costs far more than an attach. */
		schedule_delayed_work(&auxshim_lut_off, HZ);
	else if (lut->used * 8 < lut->mask + 1)
		auxshim_lut_reserve(0); /* shrink; on failure keep this one */
}

/*
 * Nothing reads the table while the key is off: an attach turns it on
 * before it publishes, and holds auxshim_key_lock until it has, so that
 * auxshim_lut_off_fn() cannot turn it off in between.
 */
static void auxshim_lut_key_on(void)
{
	mutex_lock(&auxshim_key_lock);
	if (!static_key_enabled(&auxshim_lut_used))
		static_branch_enable(&auxshim_lut_used);
}

static void auxshim_lut_key_done(void)
{
	struct auxshim_lut *lut;

	mutex_lock(&auxshim_lock);
	lut = auxshim_lut_cur();
	if (!lut || !lut->used) /* a failed attach: off again, later */
		schedule_delayed_work(&auxshim_lut_off, HZ);
	mutex_unlock(&auxshim_lock);
	mutex_unlock(&auxshim_key_lock);
}

static void auxshim_lut_off_fn(struct work_struct *work)
{
	struct auxshim_lut *lut;
	bool off;

	mutex_lock(&auxshim_key_lock);
	mutex_lock(&auxshim_lock);
	lut = auxshim_lut_cur();
	off = !lut || !lut->used;
	mutex_unlock(&auxshim_lock);
	if (off && static_key_enabled(&auxshim_lut_used))
		static_branch_disable(&auxshim_lut_used);
	mutex_unlock(&auxshim_key_lock);
}

/* The table's bytes and live keys, for the benchmarks. */
size_t auxshim_core_lut_bytes(unsigned long *keys, unsigned long *slots)
{
	struct auxshim_lut *lut;
	size_t bytes = 0;

	mutex_lock(&auxshim_lock);
	lut = auxshim_lut_cur();
	*keys = lut ? lut->used : 0;
	*slots = lut ? lut->mask + 1 : 0;
	if (lut)
		bytes = struct_size(lut, slot, lut->mask + 1);
	mutex_unlock(&auxshim_lock);
	return bytes;
}

/* Grow the table to twice its live keys' room; for the tests. */
int auxshim_core_lut_grow(void)
{
	struct auxshim_lut *lut;
	int ret;

	mutex_lock(&auxshim_lock);
	lut = auxshim_lut_cur();
	ret = auxshim_lut_reserve(lut ? lut->mask + 1 : 1UL << AUXSHIM_LUT_MIN_BITS);
	mutex_unlock(&auxshim_lock);
	return ret;
}

/* ---- attachments: find, get, put ------------------------------------------ */

static struct auxshim_att *auxshim_att_find(struct iommu_domain *domain,
					    struct device *backing,
					    enum auxshim_mode mode)
{
	struct auxshim_att *att;

	lockdep_assert_held(&auxshim_lock);
	hash_for_each_possible(auxshim_atts, att, node, (unsigned long)backing)
		if (att->backing == backing && att->mode == mode &&
		    (!domain || att->domain == domain))
			return att;
	return NULL;
}

static struct auxshim_auxdev *auxshim_auxdev_find(struct device *dev);

/*
 * Find or make the attachment of @domain through @backing: an aux one where
 * aux is enabled on @backing, a whole-device one otherwise.  The caller
 * takes its reference (users or ext_users).
 */
static struct auxshim_att *auxshim_att_get(struct iommu_domain *domain,
					   struct device *backing)
{
	enum auxshim_mode mode = auxshim_auxdev_find(backing) ?
					 AUXSHIM_MODE_AUX :
					 AUXSHIM_MODE_DIRECT;
	struct auxshim_att *att;
	int ret;

	lockdep_assert_held(&auxshim_lock);
	att = auxshim_att_find(mode == AUXSHIM_MODE_AUX ? domain : NULL,
			       backing, mode);
	if (att && att->domain != domain) {
		dev_err(backing,
			"already attached to another domain through auxshim\n");
		return ERR_PTR(-EBUSY);
	}
	if (att)
		return att;

	att = auxshim_zalloc(sizeof(*att));
	if (!att)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&att->recs);
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
	hash_add(auxshim_atts, &att->node, (unsigned long)backing);
	auxshim_live_get();
	return att;
}

/* Undo the kernel attachment once its last user is gone. */
static void auxshim_att_put(struct auxshim_att *att)
{
	lockdep_assert_held(&auxshim_lock);
	if (att->users + att->ext_users)
		return;

	/*
	 * A backing device the IOMMU core has released (deleted while it was
	 * being attached) has no IOMMU state left to undo.
	 */
	if (auxshim_dev_leaving(att->backing, NULL))
		;
	else if (att->mode == AUXSHIM_MODE_AUX)
		auxshim_compat_aux_detach(att->domain, att->backing,
					  att->pasid);
	else
		iommu_detach_device(att->domain, att->backing);
	hash_del(&att->node);
	put_device(att->backing);
	auxshim_free(att);
	auxshim_live_put();
}

/* ---- aux-enabled devices: find, add, drop --------------------------------- */

static struct auxshim_auxdev *auxshim_auxdev_find(struct device *dev)
{
	struct auxshim_auxdev *ad;

	lockdep_assert_held(&auxshim_lock);
	list_for_each_entry(ad, &auxshim_auxdevs, node)
		if (ad->dev == dev)
			return ad;
	return NULL;
}

static void auxshim_auxdev_drop(struct auxshim_auxdev *ad)
{
	lockdep_assert_held(&auxshim_lock);
	list_del(&ad->node);
	WRITE_ONCE(auxshim_nr_auxdevs, auxshim_nr_auxdevs - 1);
	if (!auxshim_dev_leaving(ad->dev, NULL)) /* else released already */
		auxshim_compat_disable_aux(ad->dev);
	put_device(ad->dev);
	auxshim_free(ad);
}

int auxshim_core_enable_aux(struct device *dev)
{
	struct auxshim_auxdev *ad;
	int ret = 0;

	auxshim_busy_get();
	mutex_lock(&auxshim_lock);
	if (auxshim_auxdev_find(dev))
		goto out_unlock;
	/* Deleted meanwhile: its removal notifiers are past (or skipped us). */
	if (!device_is_registered(dev) || auxshim_dev_leaving(dev, NULL)) {
		dev_err(dev, "enabling aux domains refused: device removed\n");
		ret = -ENODEV;
		goto out_unlock;
	}
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
	WRITE_ONCE(auxshim_nr_auxdevs, auxshim_nr_auxdevs + 1);
out_unlock:
	mutex_unlock(&auxshim_lock);
	auxshim_busy_put();
	return ret;
}

int auxshim_core_disable_aux(struct device *dev)
{
	struct auxshim_auxdev *ad;
	int ret = 0;

	mutex_lock(&auxshim_lock);
	ad = auxshim_auxdev_find(dev);
	if (ad && auxshim_att_find(NULL, dev, AUXSHIM_MODE_AUX)) {
		dev_err(dev,
			"cannot disable aux domains while aux attachments exist\n");
		ret = -EBUSY;
	} else if (ad) {
		auxshim_auxdev_drop(ad);
	}
	mutex_unlock(&auxshim_lock);
	return ret;
}

bool auxshim_core_aux_enabled(struct device *dev)
{
	bool ret;

	mutex_lock(&auxshim_lock);
	ret = auxshim_auxdev_find(dev);
	mutex_unlock(&auxshim_lock);
	return ret;
}

int auxshim_core_aux_attach(struct iommu_domain *domain, struct device *dev)
{
	struct auxshim_att *att;
	int ret = 0;

	mutex_lock(&auxshim_lock);
	if (!auxshim_auxdev_find(dev)) {
		dev_err(dev,
			"aux attach refused: aux domains are not enabled\n");
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

/* False if @domain was not aux-attached to @dev by the aux API. */
bool auxshim_core_aux_detach(struct iommu_domain *domain, struct device *dev)
{
	struct auxshim_att *att;
	bool found;

	mutex_lock(&auxshim_lock);
	att = auxshim_att_find(domain, dev, AUXSHIM_MODE_AUX);
	found = att && att->ext_users;
	if (found) {
		att->ext_users--;
		auxshim_att_put(att);
	}
	mutex_unlock(&auxshim_lock);
	return found;
}

int auxshim_core_aux_get_pasid(struct iommu_domain *domain, struct device *dev)
{
	struct auxshim_att *att;
	int ret;

	mutex_lock(&auxshim_lock);
	att = auxshim_att_find(domain, dev, AUXSHIM_MODE_AUX);
	ret = att ? (int)att->pasid : -ENODEV;
	mutex_unlock(&auxshim_lock);
	return ret;
}

/* ---- records: add, drop --------------------------------------------------- */

/* @published: @rec's key is in the lookup table. */
static void auxshim_rec_drop(struct auxshim_rec *rec, bool published)
{
	lockdep_assert_held(&auxshim_lock);
	if (published)
		auxshim_lut_del(rec->dev);
	list_del(&rec->node);
	hash_del(&rec->dnode);
	if (rec->att) {
		list_del(&rec->anode);
		rec->att->users--;
		auxshim_att_put(rec->att);
	}
	put_device(rec->dev);
	auxshim_free(rec);
}

/* ---- group entries: find, fill, publish, unpublish, tombstone ------------- */

static struct auxshim_grp *auxshim_grp_find(struct iommu_group *group)
{
	struct auxshim_grp *grp;

	lockdep_assert_held(&auxshim_lock);
	hash_for_each_possible(auxshim_grps, grp, hnode, (unsigned long)group)
		if (grp->group == group)
			return grp;
	return NULL;
}

/* Undo a group entry's records, then its attach and group reference. */
static void auxshim_grp_teardown(struct auxshim_grp *grp, bool published)
{
	struct auxshim_rec *rec, *n;

	lockdep_assert_held(&auxshim_lock);
	list_for_each_entry_safe_reverse(rec, n, &grp->recs, node)
		auxshim_rec_drop(rec, published);
	if (grp->whole)
		iommu_detach_group(grp->domain, grp->group);
	iommu_group_put(grp->group);
}

static struct auxshim_rec *auxshim_rec_find(struct device *dev,
					    struct auxshim_grp **grpp);

static int auxshim_grp_fill(struct auxshim_grp *grp,
			    struct auxshim_snapshot *snap)
{
	struct auxshim_slot *slot;
	struct auxshim_rec *rec;
	struct auxshim_att *att;
	struct auxshim_grp *other;
	unsigned int i;

	for (i = 0; i < snap->n; i++) {
		slot = &snap->slots[i];
		/* One key per device: a second would shadow or outlive it. */
		if (auxshim_rec_find(slot->dev, &other)) {
			dev_err(slot->dev,
				"already attached through auxshim in group %d; detach that first\n",
				iommu_group_id(other->group));
			return -EBUSY;
		}
		rec = auxshim_zalloc(sizeof(*rec));
		if (!rec)
			return -ENOMEM;
		if (!grp->whole) {
			att = auxshim_att_get(grp->domain, slot->backing);
			if (IS_ERR(att)) {
				auxshim_free(rec);
				return PTR_ERR(att);
			}
			att->users++;
			rec->att = att;
			list_add_tail(&rec->anode, &att->recs);
		}
		rec->dev = get_device(slot->dev);
		rec->grp = grp;
		list_add_tail(&rec->node, &grp->recs);
		hash_add(auxshim_recs, &rec->dnode, (unsigned long)rec->dev);
	}
	return 0;
}

/* Put a filled @grp's keys in the lookup table (room was reserved). */
static void auxshim_grp_publish(struct auxshim_grp *grp)
{
	struct auxshim_rec *rec;

	lockdep_assert_held(&auxshim_lock);
	/*
	 * A whole group needs no key of its own: for a device that joins it
	 * later, the kernel's call answers with the same domain.
	 */
	list_for_each_entry(rec, &grp->recs, node)
		auxshim_lut_add(rec->dev, grp->domain);
	hash_add(auxshim_grps, &grp->hnode, (unsigned long)grp->group);
	auxshim_live_get();
}

/*
 * Take a live @grp out of the table and undo it; a lookup racing this may
 * still return its domain, none that starts after it.
 */
static void auxshim_grp_unpublish(struct auxshim_grp *grp)
{
	lockdep_assert_held(&auxshim_lock);
	hash_del(&grp->hnode);
	auxshim_grp_teardown(grp, true);
	auxshim_live_put();
	auxshim_free(grp);
}

/*
 * The last device of @grp is going away: undo it now, group reference and
 * all, while the device still holds the group (a group that outlives its
 * last device crashes 5.10's intel-iommu when released), and keep the
 * entry, marked, for the owner's auxshim_detach_group() to reap: nothing
 * to allocate, so nothing can fail here.  Under the contract the owner
 * holds its own group reference until then, so the key cannot be reused
 * by another group meanwhile.
 */
static void auxshim_grp_tombstone(struct auxshim_grp *grp)
{
	lockdep_assert_held(&auxshim_lock);
	auxshim_grp_teardown(grp, true);
	grp->tombstone = true;
	auxshim_live_put();
}

static int auxshim_count_other(struct device *dev, void *data)
{
	struct device **leaving = data;

	return dev != *leaving; /* stops at the first other device */
}

/*
 * Is @grp left with no device once @leaving is gone?  An attach through a
 * lookup lasts while it has records; a whole-group attach while the group
 * has any device, recorded or joined later (the IOMMU core attached those).
 */
static bool auxshim_grp_orphaned(struct auxshim_grp *grp,
				 struct device *leaving)
{
	lockdep_assert_held(&auxshim_lock);
	if (!grp->whole)
		return list_empty(&grp->recs);
	return !iommu_group_for_each_dev(grp->group, &leaving,
					 auxshim_count_other);
}

static void auxshim_grp_reap(struct auxshim_grp *tomb)
{
	lockdep_assert_held(&auxshim_lock);
	hash_del(&tomb->hnode);
	auxshim_free(tomb);
}

/* ---- attach and detach ---------------------------------------------------- */

static int auxshim_snapshot_one(struct device *dev, void *data)
{
	struct auxshim_snapshot *snap = data;

	if (snap->n == snap->max) {
		snap->err = -EAGAIN; /* the group grew under us */
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

static void auxshim_snapshot_put(struct auxshim_snapshot *snap)
{
	unsigned int i;

	for (i = 0; i < snap->n; i++) {
		put_device(snap->slots[i].backing);
		put_device(snap->slots[i].dev);
	}
	auxshim_free(snap->slots);
	snap->slots = NULL;
	snap->n = 0;
}

/*
 * Take a reference on every device of @group and make the attach pending,
 * so that from now on removals mark its slots.  A removal between the
 * snapshot and that point shows in the generation: take it again.
 */
int auxshim_snapshot_take(struct iommu_group *group,
			  struct auxshim_snapshot *snap)
{
	unsigned int count;
	unsigned long gen;
	int tries;

	memset(snap, 0, sizeof(*snap));
	INIT_LIST_HEAD(&snap->node);
	auxshim_busy_get();
	for (tries = 0; tries < 3; tries++) {
		gen = READ_ONCE(auxshim_removal_gen);
		count = 0;
		iommu_group_for_each_dev(group, &count, auxshim_count_one);
		if (!count)
			goto err_nodev;
		snap->err = 0;
		snap->max = count + 4;
		snap->slots = auxshim_zalloc(snap->max * sizeof(*snap->slots));
		if (!snap->slots) {
			auxshim_busy_put();
			return -ENOMEM;
		}
		iommu_group_for_each_dev(group, snap, auxshim_snapshot_one);
		mutex_lock(&auxshim_lock);
		if (!snap->err && snap->n && gen == auxshim_removal_gen) {
			list_add(&snap->node, &auxshim_pending);
			mutex_unlock(&auxshim_lock);
			return 0;
		}
		mutex_unlock(&auxshim_lock);
		auxshim_snapshot_put(snap);
	}
	auxshim_busy_put();
	return -EAGAIN;
err_nodev:
	auxshim_busy_put();
	return -ENODEV;
}

/* Call the lookup once per device, without auxshim_lock. */
int auxshim_snapshot_resolve(struct auxshim_snapshot *snap,
			     auxshim_lookup_t lookup)
{
	struct auxshim_slot *slot;
	struct device *backing;
	unsigned int i;

	for (i = 0; i < snap->n; i++) {
		slot = &snap->slots[i];
		backing = lookup ? lookup(slot->dev) : slot->dev;
		if (IS_ERR(backing)) {
			dev_err(slot->dev,
				"lookup of its backing device failed: %ld\n",
				PTR_ERR(backing));
			return PTR_ERR(backing);
		}
		if (!backing) {
			dev_err(slot->dev, "lookup found no backing device\n");
			return -ENODEV;
		}
		if (auxshim_dev_leaving(backing, NULL)) {
			dev_err(slot->dev,
				"lookup returned %s, which has no IOMMU group\n",
				dev_name(backing));
			return -ENODEV;
		}
		get_device(backing);
		mutex_lock(&auxshim_lock); /* removals read it */
		slot->backing = backing;
		mutex_unlock(&auxshim_lock);
	}
	return 0;
}

void auxshim_snapshot_release(struct auxshim_snapshot *snap)
{
	mutex_lock(&auxshim_lock);
	list_del_init(&snap->node);
	mutex_unlock(&auxshim_lock);
	auxshim_snapshot_put(snap);
	auxshim_busy_put();
}

/*
 * Was a device of @snap removed while the attach was in flight?  A removal
 * that the notifiers saw marked its slot; one they skipped (it passed them
 * before this attach was in flight) took the device out of @group, or the
 * backing device out of its own, before the late notifier (watch.c).
 */
static struct device *auxshim_snapshot_gone(struct auxshim_snapshot *snap,
					     struct iommu_group *group)
{
	struct auxshim_slot *slot;
	unsigned int i;

	lockdep_assert_held(&auxshim_lock);
	for (i = 0; i < snap->n; i++) {
		slot = &snap->slots[i];
		if (slot->gone || !device_is_registered(slot->dev) ||
		    auxshim_dev_leaving(slot->dev, group))
			return slot->dev;
		if (!device_is_registered(slot->backing) ||
		    auxshim_dev_leaving(slot->backing, NULL))
			return slot->backing;
	}
	return NULL;
}

/* -EBUSY if @group has a domain through the shim, or had one not detached. */
static int auxshim_grp_check_free(struct iommu_group *group)
{
	struct auxshim_grp *old;

	lockdep_assert_held(&auxshim_lock);
	old = auxshim_grp_find(group);
	if (!old)
		return 0;
	pr_err("group %d already %s through auxshim; detach it first\n",
	       iommu_group_id(group),
	       old->tombstone ? "was attached (its devices went away)" :
				"has a domain");
	return -EBUSY;
}

/* Refuse a double attach before the snapshot and the lookups. */
int auxshim_core_check_free(struct iommu_group *group)
{
	int ret;

	mutex_lock(&auxshim_lock);
	ret = auxshim_grp_check_free(group);
	mutex_unlock(&auxshim_lock);
	return ret;
}

int auxshim_core_attach(struct iommu_domain *domain, struct iommu_group *group,
			struct auxshim_snapshot *snap, bool whole)
{
	struct auxshim_grp *grp;
	struct device *gone;
	int ret;

	grp = auxshim_zalloc(sizeof(*grp));
	if (!grp)
		return -ENOMEM;
	INIT_LIST_HEAD(&grp->recs);
	grp->group = group;
	grp->domain = domain;
	grp->whole = whole;

	auxshim_lut_key_on();
	mutex_lock(&auxshim_lock);
	ret = auxshim_grp_check_free(group);
	if (ret)
		goto err_unlock;
	gone = auxshim_snapshot_gone(snap, group);
	if (gone) {
		dev_err(gone, "removed while its group was being attached\n");
		ret = -ENODEV;
		goto err_unlock;
	}
	if (whole) {
		ret = iommu_attach_group(domain, group);
		if (ret) {
			pr_err("attach of group %d failed: %d\n",
			       iommu_group_id(group), ret);
			goto err_unlock;
		}
	}
	iommu_group_ref_get(group);
	/* Room for every key first: publishing cannot fail. */
	ret = auxshim_lut_reserve(snap->n);
	if (!ret)
		ret = auxshim_grp_fill(grp, snap);
	if (ret) {
		auxshim_grp_teardown(grp, false);
		goto err_unlock;
	}
	auxshim_grp_publish(grp);
	mutex_unlock(&auxshim_lock);
	auxshim_lut_key_done();
	return 0;

err_unlock:
	mutex_unlock(&auxshim_lock);
	auxshim_lut_key_done();
	auxshim_free(grp); /* never published: no reader saw it */
	return ret;
}

void auxshim_core_detach(struct iommu_domain *domain, struct iommu_group *group)
{
	struct auxshim_grp *grp;

	mutex_lock(&auxshim_lock);
	grp = auxshim_grp_find(group);
	if (grp && grp->domain == domain && grp->tombstone) {
		auxshim_grp_reap(grp);
	} else if (grp && grp->domain == domain) {
		auxshim_grp_unpublish(grp);
	} else {
		/* %p, not the id: the caller's @group may be stale. */
		/* A whole message, over 80 columns: see scripts/lint.sh. */
		/* clang-format off */
		pr_warn_once("detach of group %p from a domain it is not attached to through auxshim; ignored\n",
			     group);
		/* clang-format on */
	}
	mutex_unlock(&auxshim_lock);
}

/* ---- queries ------------------------------------------------------------- */

/*
 * Find @dev's record by the device itself, not by dev->iommu_group: a
 * device may already have left its group (an mdev on 5.10 does so before
 * its parent's remove() runs).
 */
static struct auxshim_rec *auxshim_rec_find(struct device *dev,
					    struct auxshim_grp **grpp)
{
	struct auxshim_rec *rec;

	lockdep_assert_held(&auxshim_lock);
	hash_for_each_possible(auxshim_recs, rec, dnode, (unsigned long)dev)
		if (rec->dev == dev) {
			*grpp = rec->grp;
			return rec;
		}
	return NULL;
}

/* -ENODEV if the shim knows nothing of @dev, -EINVAL for another domain. */
int auxshim_core_dev_info(struct iommu_domain *domain, struct device *dev,
			  enum auxshim_mode *mode, u32 *pasid)
{
	struct auxshim_grp *grp;
	struct auxshim_rec *rec;
	int ret = 0;

	mutex_lock(&auxshim_lock);
	rec = auxshim_rec_find(dev, &grp);
	if (!rec) {
		ret = -ENODEV;
	} else if (grp->domain != domain) {
		ret = -EINVAL;
	} else {
		*mode = rec->att ? rec->att->mode : AUXSHIM_MODE_GROUP;
		*pasid = rec->att ? rec->att->pasid : 0;
	}
	mutex_unlock(&auxshim_lock);
	return ret;
}

/* ---- forgetting a removed device ------------------------------------------ */

/*
 * Lock-free: may a removal concern the shim at all?  The barrier orders
 * the removal's own steps so far (the device left its group) before the
 * reads, and pairs with auxshim_busy_get(): an attach or aux enable that
 * this misses sees the device gone.
 */
bool auxshim_core_holds_anything(void)
{
	smp_mb();
	return READ_ONCE(auxshim_live) || READ_ONCE(auxshim_nr_auxdevs) ||
	       atomic_read(&auxshim_inflight);
}

/* Mark @dev in every attach in flight, which then fails with -ENODEV. */
static void auxshim_pending_mark(struct device *dev)
{
	struct auxshim_snapshot *snap;
	unsigned int i;

	lockdep_assert_held(&auxshim_lock);
	auxshim_removal_gen++;
	list_for_each_entry(snap, &auxshim_pending, node)
		for (i = 0; i < snap->n; i++)
			if (snap->slots[i].dev == dev ||
			    snap->slots[i].backing == dev)
				snap->slots[i].gone = true;
}

/*
 * A device is going away: drop every record, attachment and aux state that
 * refers to it, so that nothing dangles.  A group entry stays while it has
 * other devices; a group left without devices becomes a tombstone.
 *
 * Two calls per removal.  At deletion (@unbound false, the driver still
 * bound) only what the IOMMU attached to @dev itself goes: it is a backing
 * device, or a device of a whole-group attach.  Once its driver is unbound
 * (@unbound true) the rest goes: @dev as a device attached through another
 * backing device (an mdev), whose owner's remove() has now run.
 */
static void auxshim_forget_rec(struct auxshim_rec *rec,
			       struct auxshim_grp **last)
{
	struct auxshim_grp *grp = rec->grp;
	struct device *dev = rec->dev;

	lockdep_assert_held(&auxshim_lock);
	/* Before the drop: its reference may be the last one on @dev. */
	if (grp != *last)
		dev_info(dev, "removed while attached to group %d; detached\n",
			 iommu_group_id(grp->group));
	*last = grp;
	auxshim_rec_drop(rec, true);
	/* @dev is compared, never dereferenced, from here on. */
	if (auxshim_grp_orphaned(grp, dev)) {
		auxshim_grp_tombstone(grp);
		*last = NULL;
	}
}

/*
 * @dev, unrecorded, leaves a whole-attached group (it joined after the
 * attach): the attach goes with the group's last device.
 */
static void auxshim_forget_member(struct device *dev)
{
	struct iommu_group *group = READ_ONCE(dev->iommu_group);
	struct auxshim_grp *grp;

	lockdep_assert_held(&auxshim_lock);
	grp = group ? auxshim_grp_find(group) : NULL;
	if (grp && grp->whole && !grp->tombstone &&
	    auxshim_grp_orphaned(grp, dev))
		auxshim_grp_tombstone(grp);
}

/*
 * The work is proportional to what refers to @dev: its own records (by
 * auxshim_recs), and the attachments through it (by auxshim_atts) with
 * their records.
 */
void auxshim_forget_device(struct device *dev, bool unbound)
{
	struct auxshim_grp *last = NULL;
	struct auxshim_rec *rec, *nrec;
	struct auxshim_auxdev *ad;
	struct auxshim_att *att;
	struct hlist_node *n;

	mutex_lock(&auxshim_lock);
	auxshim_removals++;
	auxshim_pending_mark(dev);
	/* @dev itself: its IOMMU attachment is its own in GROUP mode. */
	hash_for_each_possible_safe(auxshim_recs, rec, n, dnode,
				    (unsigned long)dev)
		if (rec->dev == dev &&
		    (!rec->att || unbound || rec->att->backing == dev))
			auxshim_forget_rec(rec, &last);
	auxshim_forget_member(dev);

	/* What goes through @dev; a user reference keeps @att meanwhile. */
	hash_for_each_possible_safe(auxshim_atts, att, n, node,
				    (unsigned long)dev) {
		if (att->backing != dev)
			continue;
		att->users++;
		list_for_each_entry_safe(rec, nrec, &att->recs, anode)
			auxshim_forget_rec(rec, &last);
		/* A whole message, over 80 columns: see scripts/lint.sh. */
		/* clang-format off */
		if (att->ext_users)
			dev_warn(dev, "removed with %u aux attachment reference(s) held; detached\n",
				 att->ext_users);
		/* clang-format on */
		att->ext_users = 0;
		att->users--;
		auxshim_att_put(att);
	}

	ad = auxshim_auxdev_find(dev);
	if (ad)
		auxshim_auxdev_drop(ad);
	mutex_unlock(&auxshim_lock);
}

/* ---- inspection and exit -------------------------------------------------- */

void auxshim_core_visit(struct auxshim_visitor *v)
{
	struct auxshim_auxdev *ad;
	struct auxshim_grp *grp;
	struct auxshim_rec *rec;
	struct auxshim_att *att;
	int bkt;

	mutex_lock(&auxshim_lock);
	hash_for_each(auxshim_grps, bkt, grp, hnode) {
		if (v->grp)
			v->grp(v, grp);
		if (v->rec)
			list_for_each_entry(rec, &grp->recs, node)
				v->rec(v, grp, rec);
	}
	if (v->att)
		hash_for_each(auxshim_atts, bkt, att, node)
			v->att(v, att);
	if (v->auxdev)
		list_for_each_entry(ad, &auxshim_auxdevs, node)
			v->auxdev(v, ad);
	mutex_unlock(&auxshim_lock);
}

/*
 * Module exit.  The module pins itself while attachments exist: only aux
 * state and tombstones can be left.
 */
void auxshim_core_exit(void)
{
	struct auxshim_auxdev *ad, *n;
	struct auxshim_grp *grp;
	struct hlist_node *ngrp;
	int bkt;

	cancel_delayed_work_sync(&auxshim_lut_off);
	mutex_lock(&auxshim_lock);
	list_for_each_entry_safe(ad, n, &auxshim_auxdevs, node)
		auxshim_auxdev_drop(ad);
	hash_for_each_safe(auxshim_grps, bkt, ngrp, grp, hnode)
		if (!WARN_ON(!grp->tombstone))
			auxshim_grp_reap(grp);
	mutex_unlock(&auxshim_lock);
	rcu_barrier();
	/* No reader is left: every user of the lookup is unloaded. */
	kvfree(rcu_dereference_protected(auxshim_lut, true));
	WARN(auxshim_core_allocs(), "auxshim: %ld objects leaked\n",
	     auxshim_core_allocs());
}
