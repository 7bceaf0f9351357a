// SPDX-License-Identifier: GPL-2.0-only
/*
 * Group entries and their records.  A group entry (struct auxshim_grp) is
 * a group attached through the shim, found by writers by its iommu_group;
 * a record (struct auxshim_rec) is one device of it, whose key readers find
 * in the lookup table (lut.c) and which shares an attachment (att.c).  A
 * tombstone is an entry whose last device went away, kept for its owner's
 * detach.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/hashtable.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>

#include "internal.h"

static DEFINE_HASHTABLE(auxshim_grps, AUXSHIM_INDEX_BITS);
static DEFINE_HASHTABLE(auxshim_recs, AUXSHIM_INDEX_BITS);

/* ---- records: find, drop ------------------------------------------------ */

/*
 * Find @dev's record (a device has at most one) by the device itself, not by dev->iommu_group: a
 * device may already have left its group (an mdev on 5.10 does so before
 * its parent's remove() runs).
 */
struct auxshim_rec *auxshim_rec_find(struct device *dev,
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

/* @published: @rec's key is in the lookup table, else it may hold a claim. */
void auxshim_rec_drop(struct auxshim_rec *rec, bool published)
{
	lockdep_assert_held(&auxshim_lock);
	if (published)
		auxshim_lut_del(rec->dev);
	else
		auxshim_lut_unclaim(rec->dev);
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

/* ---- group entries: find, fill, publish, unpublish, tombstone, reap ------ */

struct auxshim_grp *auxshim_grp_find(struct iommu_group *group)
{
	struct auxshim_grp *grp;

	lockdep_assert_held(&auxshim_lock);
	hash_for_each_possible(auxshim_grps, grp, hnode, (unsigned long)group)
		if (grp->group == group)
			return grp;
	return NULL;
}

/* Undo a group entry's records, then its attach and group reference. */
void auxshim_grp_teardown(struct auxshim_grp *grp, bool published)
{
	struct auxshim_rec *rec, *n;

	lockdep_assert_held(&auxshim_lock);
	list_for_each_entry_safe_reverse(rec, n, &grp->recs, node)
		auxshim_rec_drop(rec, published);
	if (grp->whole)
		iommu_detach_group(grp->domain, grp->group);
	iommu_group_put(grp->group);
}

int auxshim_grp_fill(struct auxshim_grp *grp, struct auxshim_snapshot *snap)
{
	struct auxshim_slot *slot;
	struct auxshim_rec *rec;
	struct auxshim_att *att;
	struct auxshim_grp *other;
	unsigned int i;
	int ret;

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
		/* Its slot in the lookup table: publishing cannot fail. */
		ret = auxshim_lut_claim(rec->dev);
		if (ret)
			return ret;
	}
	return 0;
}

/* Put a filled @grp's keys in the lookup table, in the slots it claimed. */
void auxshim_grp_publish(struct auxshim_grp *grp)
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
void auxshim_grp_unpublish(struct auxshim_grp *grp)
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
void auxshim_grp_tombstone(struct auxshim_grp *grp)
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
bool auxshim_grp_orphaned(struct auxshim_grp *grp, struct device *leaving)
{
	lockdep_assert_held(&auxshim_lock);
	if (!grp->whole)
		return list_empty(&grp->recs);
	return !iommu_group_for_each_dev(grp->group, &leaving,
					 auxshim_count_other);
}

void auxshim_grp_reap(struct auxshim_grp *tomb)
{
	lockdep_assert_held(&auxshim_lock);
	hash_del(&tomb->hnode);
	auxshim_free(tomb);
}

/* -EBUSY if @group has a domain through the shim, or had one not detached. */
int auxshim_grp_check_free(struct iommu_group *group)
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

/* auxshim_grp_check_free(), for a group that has no device to snapshot. */
int auxshim_core_check_free(struct iommu_group *group)
{
	int ret;

	mutex_lock(&auxshim_lock);
	ret = auxshim_grp_check_free(group);
	mutex_unlock(&auxshim_lock);
	return ret;
}

/* ---- queries ------------------------------------------------------------ */

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

/* ---- inspection and exit ------------------------------------------------ */

/* What debugfs and the test hooks see, under auxshim_lock. */
void auxshim_core_visit(struct auxshim_visitor *v)
{
	struct auxshim_grp *grp;
	struct auxshim_rec *rec;
	int bkt;

	mutex_lock(&auxshim_lock);
	hash_for_each(auxshim_grps, bkt, grp, hnode) {
		if (v->grp)
			v->grp(v, grp);
		if (v->rec)
			list_for_each_entry(rec, &grp->recs, node)
				v->rec(v, grp, rec);
	}
	auxshim_att_visit(v);
	mutex_unlock(&auxshim_lock);
}

/*
 * Module exit.  The module pins itself while group entries are live: only
 * tombstones can be left.
 */
void auxshim_grp_exit(void)
{
	struct auxshim_grp *grp;
	struct hlist_node *n;
	int bkt;

	mutex_lock(&auxshim_lock);
	hash_for_each_safe(auxshim_grps, bkt, n, grp, hnode)
		if (!WARN_ON(!grp->tombstone))
			auxshim_grp_reap(grp);
	mutex_unlock(&auxshim_lock);
}
