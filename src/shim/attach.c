// SPDX-License-Identifier: GPL-2.0-only
/*
 * The attach protocol.  An attach takes a snapshot of the group's devices
 * (a reference on each) and makes itself pending, so that removals from
 * then on mark its slots; calls the lookup for each device with no lock
 * held; then, under auxshim_lock, checks that no device went away, fills
 * a group entry and publishes it.  A removal between the snapshot and the
 * pending list shows in the removal generation: the snapshot is retaken.
 */
#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>

#include "internal.h"

static LIST_HEAD(auxshim_pending);

/* Removals seen while attaches were in flight. */
static unsigned long auxshim_removal_gen;

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
			goto err_empty;
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
err_empty:
	auxshim_busy_put();
	/* An emptied group still attached (a tombstone) is a double attach. */
	return auxshim_core_check_free(group) ?: -ENODEV;
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
	/* Room for the keys; grp_fill claims each its slot: publishing cannot fail. */
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

/* Mark @dev in every attach in flight, which then fails with -ENODEV. */
void auxshim_pending_mark(struct device *dev)
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
