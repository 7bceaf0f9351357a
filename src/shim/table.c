// SPDX-License-Identifier: GPL-2.0-only
/*
 * auxshim's bookkeeping: the group table and its records, the attachments
 * they share, the removal notifiers that drop what a removed device leaves
 * behind, and the debugfs view.
 */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/seq_file.h>

#include "internal.h"

/* Serializes every writer; see its declaration in auxshim_priv.h. */
DEFINE_MUTEX(auxshim_lock);
DEFINE_HASHTABLE(auxshim_table, AUXSHIM_HASH_BITS);
LIST_HEAD(auxshim_atts);
LIST_HEAD(auxshim_auxdevs);

struct auxshim_grp *auxshim_grp_find_rcu(struct iommu_group *group)
{
	struct auxshim_grp *grp;

	hash_for_each_possible_rcu(auxshim_table, grp, hnode, (unsigned long)group)
		if (grp->group == group)
			return grp;
	return NULL;
}

struct auxshim_grp *auxshim_grp_find(struct iommu_group *group)
{
	struct auxshim_grp *grp;

	lockdep_assert_held(&auxshim_lock);
	hash_for_each_possible(auxshim_table, grp, hnode, (unsigned long)group)
		if (grp->group == group)
			return grp;
	return NULL;
}

/*
 * Find @dev's record by the device itself, not by dev->iommu_group: a
 * device may already have left its group (an mdev on 5.10 does so before
 * its parent's remove() runs).
 */
struct auxshim_rec *auxshim_rec_find(struct device *dev,
				     struct auxshim_grp **grpp)
{
	struct auxshim_grp *grp;
	struct auxshim_rec *rec;
	int bkt;

	lockdep_assert_held(&auxshim_lock);
	hash_for_each(auxshim_table, bkt, grp, hnode)
		list_for_each_entry(rec, &grp->recs, node)
			if (rec->dev == dev) {
				if (grpp)
					*grpp = grp;
				return rec;
			}
	return NULL;
}

struct auxshim_att *auxshim_att_find(struct iommu_domain *domain,
				     struct device *backing,
				     enum auxshim_mode mode)
{
	struct auxshim_att *att;

	lockdep_assert_held(&auxshim_lock);
	list_for_each_entry(att, &auxshim_atts, node)
		if (att->backing == backing && att->mode == mode &&
		    (!domain || att->domain == domain))
			return att;
	return NULL;
}

struct auxshim_auxdev *auxshim_auxdev_find(struct device *dev)
{
	struct auxshim_auxdev *ad;

	lockdep_assert_held(&auxshim_lock);
	list_for_each_entry(ad, &auxshim_auxdevs, node)
		if (ad->dev == dev)
			return ad;
	return NULL;
}

/* Undo the kernel attachment once its last user is gone. */
void auxshim_att_put(struct auxshim_att *att)
{
	lockdep_assert_held(&auxshim_lock);
	if (att->users + att->ext_users)
		return;

	if (att->mode == AUXSHIM_MODE_AUX)
		auxshim_compat_aux_detach(att->domain, att->backing, att->pasid);
	else
		iommu_detach_device(att->domain, att->backing);
	list_del(&att->node);
	put_device(att->backing);
	auxshim_free(att);
	auxshim_live_put();
}

void auxshim_rec_drop(struct auxshim_rec *rec)
{
	lockdep_assert_held(&auxshim_lock);
	list_del(&rec->node);
	if (rec->att) {
		rec->att->users--;
		auxshim_att_put(rec->att);
	}
	put_device(rec->dev);
	auxshim_free(rec);
}

void auxshim_auxdev_drop(struct auxshim_auxdev *ad)
{
	lockdep_assert_held(&auxshim_lock);
	list_del(&ad->node);
	auxshim_compat_disable_aux(ad->dev);
	put_device(ad->dev);
	auxshim_free(ad);
}

/*
 * A device is going away: drop every record, attachment and aux state that
 * refers to it, so that nothing dangles.  A group entry stays while it has
 * other devices; the owner's detach undoes the rest.
 */
static void auxshim_forget_device(struct device *dev)
{
	struct auxshim_att *att, *natt;
	struct auxshim_rec *rec, *nrec;
	struct auxshim_auxdev *ad;
	struct auxshim_grp *grp;
	struct hlist_node *ngrp;
	int bkt;

	mutex_lock(&auxshim_lock);
	hash_for_each_safe(auxshim_table, bkt, ngrp, grp, hnode) {
		bool hit = false;

		list_for_each_entry_safe(rec, nrec, &grp->recs, node)
			if (rec->dev == dev ||
			    (rec->att && rec->att->backing == dev)) {
				auxshim_rec_drop(rec);
				hit = true;
			}
		if (!hit)
			continue;
		dev_info(dev, "removed while attached to group %d; detached\n",
			 iommu_group_id(grp->group));
		/*
		 * A group left without devices goes now, group reference and
		 * all, while @dev still holds the group: a group that outlives
		 * its last device crashes 5.10's intel-iommu when released.
		 */
		if (list_empty(&grp->recs))
			auxshim_grp_orphan(grp);
	}

	list_for_each_entry_safe(att, natt, &auxshim_atts, node)
		if (att->backing == dev) {
			dev_warn(dev, "removed with %u aux attachment reference(s) held; detached\n",
				 att->ext_users);
			att->ext_users = 0;
			auxshim_att_put(att);
		}

	ad = auxshim_auxdev_find(dev);
	if (ad)
		auxshim_auxdev_drop(ad);
	mutex_unlock(&auxshim_lock);
}

/*
 * Removal notifiers, one per bus that a device the shim ever held sits on.
 * They stay registered until module exit: unregistering one when its last
 * user goes would mostly happen inside that very chain (deadlock), and a
 * deferred unregistration races with the unload of the module that owns
 * the bus (mdev.ko, say), after which the bus is gone (on 5.10 and 6.1
 * bus_unregister_notifier() then dereferences freed memory).  Instead, when
 * a module goes, the notifiers on buses inside it are forgotten: its exit()
 * has already unregistered the bus, and with it the chain.
 */
struct auxshim_bus {
	struct list_head node;		/* in auxshim_buses */
	auxshim_bus_t bus;
	struct notifier_block nb;
};

/*
 * auxshim_bus_lock protects auxshim_buses; taken before, never inside,
 * auxshim_lock (the removal notifier runs under the bus's chain lock and
 * takes auxshim_lock).
 */
static DEFINE_MUTEX(auxshim_bus_lock);
static LIST_HEAD(auxshim_buses);

static int auxshim_bus_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	if (action != BUS_NOTIFY_DEL_DEVICE)
		return NOTIFY_DONE;
	auxshim_forget_device(data);
	return NOTIFY_OK;
}

/* Make sure removals of devices on @dev's bus reach the shim. */
int auxshim_watch(struct device *dev)
{
	struct auxshim_bus *b;
	int ret = 0;

	if (!dev->bus)
		return 0;	/* nothing can remove it through a bus */

	mutex_lock(&auxshim_bus_lock);
	list_for_each_entry(b, &auxshim_buses, node)
		if (b->bus == dev->bus)
			goto out_unlock;

	/*
	 * Not counted with the attachment state (auxshim_zalloc): a watch
	 * outlives every attachment, until exit or its bus's module goes.
	 */
	b = auxshim_should_fail() ? NULL : kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	b->bus = dev->bus;
	b->nb.notifier_call = auxshim_bus_notify;
	ret = bus_register_notifier(b->bus, &b->nb);
	if (ret) {
		dev_err(dev, "cannot watch bus %s for removals: %d\n",
			b->bus->name, ret);
		kfree(b);
		goto out_unlock;
	}
	list_add(&b->node, &auxshim_buses);
out_unlock:
	mutex_unlock(&auxshim_bus_lock);
	return ret;
}

/*
 * MODULE_STATE_GOING comes after the module's exit() and before its memory
 * is freed, on every kernel we support: a bus_type inside it is
 * unregistered by now, so forget (don't unregister) our notifier on it.
 */
static int auxshim_module_notify(struct notifier_block *nb,
				 unsigned long action, void *data)
{
	struct module *mod = data;
	struct auxshim_bus *b, *n;

	if (action != MODULE_STATE_GOING)
		return NOTIFY_DONE;

	mutex_lock(&auxshim_bus_lock);
	list_for_each_entry_safe(b, n, &auxshim_buses, node)
		if (within_module((unsigned long)b->bus, mod)) {
			list_del(&b->node);
			kfree(b);
		}
	mutex_unlock(&auxshim_bus_lock);
	return NOTIFY_OK;
}

static struct notifier_block auxshim_module_nb = {
	.notifier_call = auxshim_module_notify,
};

int auxshim_watch_init(void)
{
	return register_module_notifier(&auxshim_module_nb);
}

/* Module exit: nothing is attached any more; stop watching. */
void auxshim_watch_exit(void)
{
	struct auxshim_bus *b, *n;

	unregister_module_notifier(&auxshim_module_nb);
	mutex_lock(&auxshim_bus_lock);
	list_for_each_entry_safe(b, n, &auxshim_buses, node) {
		bus_unregister_notifier(b->bus, &b->nb);
		list_del(&b->node);
		kfree(b);
	}
	mutex_unlock(&auxshim_bus_lock);
}

/* debugfs: auxshim/groups, a read-only view of the table for root. */
static struct dentry *auxshim_debugfs;

static int auxshim_groups_show(struct seq_file *s, void *unused)
{
	struct auxshim_auxdev *ad;
	struct auxshim_grp *grp;
	struct auxshim_rec *rec;
	int bkt;

	mutex_lock(&auxshim_lock);
	seq_printf(s, "# aux backend: %s\n", AUXSHIM_AUX_BACKEND);
	hash_for_each(auxshim_table, bkt, grp, hnode) {
		seq_printf(s, "group %d domain %p\n",
			   iommu_group_id(grp->group), grp->domain);
		list_for_each_entry(rec, &grp->recs, node) {
			enum auxshim_mode mode = rec->att ? rec->att->mode :
							    AUXSHIM_MODE_GROUP;
			struct device *backing = rec->att ? rec->att->backing :
							    rec->dev;

			seq_printf(s, "  dev %s backing %s mode %s pasid %d\n",
				   dev_name(rec->dev), dev_name(backing),
				   auxshim_mode_name(mode),
				   mode == AUXSHIM_MODE_AUX ? (int)rec->att->pasid : -1);
		}
	}
	list_for_each_entry(ad, &auxshim_auxdevs, node)
		seq_printf(s, "aux-enabled %s\n", dev_name(ad->dev));
	mutex_unlock(&auxshim_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(auxshim_groups);

/* Like all debugfs users, carry on without it if it fails. */
void auxshim_debugfs_init(void)
{
	auxshim_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("groups", 0400, auxshim_debugfs, NULL,
			    &auxshim_groups_fops);
}

void auxshim_debugfs_exit(void)
{
	debugfs_remove_recursive(auxshim_debugfs);
}
