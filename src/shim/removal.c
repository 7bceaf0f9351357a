// SPDX-License-Identifier: GPL-2.0-only
/*
 * Forgetting a removed device: the removal watchers (watch.c) call in here
 * for every deletion on a watched bus while the shim holds anything; the
 * records, attachments and aux state that refer to the device go, and a
 * group left without devices becomes a tombstone.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/mutex.h>

#include "internal.h"

/* Removals that reached the core (the watchers skip the rest); for tests. */
static unsigned long auxshim_removals;

unsigned long auxshim_core_removals(void)
{
	return READ_ONCE(auxshim_removals);
}

/*
 * Lock-free: may a removal concern the shim at all?  The barrier orders
 * the removal's own steps so far (the device left its group) before the
 * reads, and pairs with auxshim_busy_get(): an attach or aux enable that
 * this misses sees the device gone.
 */
bool auxshim_core_holds_anything(void)
{
	smp_mb(); /* pairs with auxshim_busy_get() */
	return auxshim_core_busy() || auxshim_att_has_auxdevs();
}

/* Drop @rec of a removed device; its group may be left without devices. */
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
 * A device is going away: drop every record, attachment and aux state that
 * refers to it, so that nothing dangles.  A group entry stays while it has
 * other devices; a group left without devices becomes a tombstone.
 *
 * Three calls per removal (watch.c).  At deletion (@unbound false, the
 * driver still bound) only what the IOMMU attached to @dev itself goes: it
 * is a backing device, or a device of a whole-group attach.  Once its
 * driver is unbound (@unbound true) the rest goes: @dev as a device
 * attached through another backing device (an mdev), whose owner's
 * remove() has now run.  The last call, after the IOMMU core and the bus
 * owner, finds only what an attach or aux enable recorded in between.
 *
 * The work is proportional to what refers to @dev: its record, and the
 * attachments through it with their records.
 */
void auxshim_forget_device(struct device *dev, bool unbound)
{
	struct auxshim_grp *last = NULL, *grp;
	struct auxshim_rec *rec, *nrec;
	struct auxshim_att *att;

	mutex_lock(&auxshim_lock);
	auxshim_removals++;
	auxshim_pending_mark(dev);
	/* @dev itself: its IOMMU attachment is its own in GROUP mode. */
	rec = auxshim_rec_find(dev, &grp);
	if (rec && (!rec->att || unbound || rec->att->backing == dev))
		auxshim_forget_rec(rec, &last);
	auxshim_forget_member(dev);

	/* What goes through @dev; a user reference keeps @att meanwhile. */
	while ((att = auxshim_att_through(dev))) {
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
		auxshim_att_put(att); /* the last user: gone */
	}
	auxshim_att_forget_auxdev(dev);
	mutex_unlock(&auxshim_lock);
}
