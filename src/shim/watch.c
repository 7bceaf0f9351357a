// SPDX-License-Identifier: GPL-2.0-only
/*
 * The removal watchers: one bus notifier per bus that a device the shim
 * ever held sits on, telling the core when such a device is deleted.
 *
 * They stay registered until module exit: unregistering one when its last
 * user goes would mostly happen inside that very chain (deadlock), and a
 * deferred unregistration races with the unload of the module that owns
 * the bus (mdev.ko, say), after which the bus is gone (on 5.10 and 6.1
 * bus_unregister_notifier() then dereferences freed memory).  Instead, when
 * a module goes, the notifiers on buses inside it are forgotten: its exit()
 * has already unregistered the bus, and with it the chain.
 */
#include <linux/device.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/slab.h>

#include "internal.h"
#include "watch.h"

struct auxshim_bus {
	struct list_head node; /* in auxshim_buses */
	auxshim_bus_t bus;
	struct notifier_block nb; /* ahead of the IOMMU core */
	struct notifier_block nb_late; /* after everyone */
};

/*
 * auxshim_bus_lock protects auxshim_buses; never taken inside the core's
 * lock (the removal notifier runs under the bus's chain lock and the core
 * takes its lock there).
 */
static DEFINE_MUTEX(auxshim_bus_lock);
static LIST_HEAD(auxshim_buses);

/*
 * Deletion comes in two steps for the shim.  At BUS_NOTIFY_DEL_DEVICE the
 * device's driver is still bound: what the IOMMU attached to the device
 * itself goes now (5.10's intel-iommu can no longer detach it later).  At
 * BUS_NOTIFY_REMOVED_DEVICE the driver has been unbound: a device attached
 * through another backing device (an mdev) goes only now, so that its
 * owner's remove() still has the attachment and DMA in flight cannot fall
 * through to the backing device's default domain.  Our priority puts us
 * ahead of the IOMMU core's own notifier (priority 0), so the device still
 * holds its group either time.
 */
#define AUXSHIM_BUS_NB_PRIORITY 1

/*
 * A third look, after every other notifier of BUS_NOTIFY_REMOVED_DEVICE:
 * by then the IOMMU core (or the owner of an IOMMU-less group) has taken
 * the device out of its group.  A removal that the first two skipped
 * because the shim held nothing can meet an attach or aux enable that
 * started since; either this one sees that call in flight and forgets
 * what it recorded, or the call sees the device out of its group and
 * refuses it (see auxshim_core_holds_anything()).
 */
#define AUXSHIM_BUS_NB_LATE_PRIORITY INT_MIN

static int auxshim_bus_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	if (action != BUS_NOTIFY_DEL_DEVICE &&
	    action != BUS_NOTIFY_REMOVED_DEVICE)
		return NOTIFY_DONE;
	/* Most deletions on a watched bus are of devices the shim never saw. */
	if (!auxshim_core_holds_anything())
		return NOTIFY_DONE;
	auxshim_forget_device(data, action == BUS_NOTIFY_REMOVED_DEVICE);
	return NOTIFY_OK;
}

static int auxshim_bus_notify_late(struct notifier_block *nb,
				   unsigned long action, void *data)
{
	if (action != BUS_NOTIFY_REMOVED_DEVICE ||
	    !auxshim_core_holds_anything())
		return NOTIFY_DONE;
	auxshim_forget_device(data, true);
	return NOTIFY_OK;
}

/* Make sure removals of devices on @dev's bus reach the shim. */
int auxshim_watch(struct device *dev)
{
	struct auxshim_bus *b;
	int ret = 0;

	if (!dev->bus)
		return 0; /* nothing can remove it through a bus */

	mutex_lock(&auxshim_bus_lock);
	list_for_each_entry(b, &auxshim_buses, node)
		if (b->bus == dev->bus)
			goto out_unlock;

	/*
	 * Not counted with the attachment state: a watch outlives every
	 * attachment, until exit or its bus's module goes.
	 */
	b = auxshim_should_fail() ? NULL : kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	b->bus = dev->bus;
	b->nb.notifier_call = auxshim_bus_notify;
	b->nb.priority = AUXSHIM_BUS_NB_PRIORITY;
	b->nb_late.notifier_call = auxshim_bus_notify_late;
	b->nb_late.priority = AUXSHIM_BUS_NB_LATE_PRIORITY;
	ret = bus_register_notifier(b->bus, &b->nb_late);
	if (!ret) {
		ret = bus_register_notifier(b->bus, &b->nb);
		if (ret)
			bus_unregister_notifier(b->bus, &b->nb_late);
	}
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
		bus_unregister_notifier(b->bus, &b->nb_late);
		list_del(&b->node);
		kfree(b);
	}
	mutex_unlock(&auxshim_bus_lock);
}
