// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shim's state shared by its parts: the writers' lock, the count of
 * live objects (leak checks, fault injection), the module pin while
 * anything is attached, and the count of calls in flight that removals
 * must see.  Every other file of the core calls into this one; it calls
 * none of them (see internal.h for the order).
 */
#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "internal.h"

/*
 * auxshim_lock serializes every writer and protects the lookup table
 * (whose readers take no lock, auxshim.h), the writers' indexes auxshim_grps,
 * auxshim_recs and auxshim_atts, auxshim_auxdevs, auxshim_pending and all
 * the objects and counts hanging off them.  Lock order: auxshim_lock, then
 * the IOMMU core's group locks.  Never held across a lookup callback or a
 * bus notifier (un)registration.
 *
 * The indexes are the writers' own, keyed by pointer, so that an attach,
 * a detach and a removal touch only what concerns them: groups by group,
 * records by device, attachments by backing device.
 */
DEFINE_MUTEX(auxshim_lock);

/* Live objects the shim allocated; checked for leaks at exit and by tests. */
static atomic_long_t auxshim_allocs = ATOMIC_LONG_INIT(0);

#ifdef AUXSHIM_TEST_HOOKS
/* Set by test_hooks.c: fail the allocation it picks. */
bool (*auxshim_fail_hook)(void);
#endif

/*
 * Attachments and live group entries.  While there are any the module pins
 * itself, so that it never unloads with live records.  Written under
 * auxshim_lock, read locklessly by the removal notifiers.
 */
static unsigned int auxshim_live;

/*
 * Attaches between their snapshot and their publication, and aux enables
 * in progress (lock-free reads).  The full barrier after each increment
 * pairs with the one in auxshim_core_holds_anything(): either the removal
 * notifier sees the call in flight, or the call sees the device's removal
 * (it left its group; see auxshim_dev_leaving()).
 */
static atomic_t auxshim_inflight = ATOMIC_INIT(0);

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

long auxshim_core_allocs(void)
{
	return atomic_long_read(&auxshim_allocs);
}

void auxshim_live_get(void)
{
	lockdep_assert_held(&auxshim_lock);
	if (!auxshim_live)
		__module_get(THIS_MODULE);
	WRITE_ONCE(auxshim_live, auxshim_live + 1);
}

void auxshim_live_put(void)
{
	lockdep_assert_held(&auxshim_lock);
	WRITE_ONCE(auxshim_live, auxshim_live - 1);
	if (!auxshim_live)
		module_put(THIS_MODULE);
}

void auxshim_busy_get(void)
{
	atomic_inc(&auxshim_inflight);
	smp_mb__after_atomic(); /* pairs with auxshim_core_holds_anything() */
}

void auxshim_busy_put(void)
{
	atomic_dec(&auxshim_inflight);
}

/*
 * Has @dev left (or never joined) an IOMMU group?  The IOMMU core, or the
 * owner of an IOMMU-less group, takes a device out of its group during its
 * deletion, before the shim's late removal notifier runs.
 */
bool auxshim_dev_leaving(struct device *dev, struct iommu_group *group)
{
	struct iommu_group *now = READ_ONCE(dev->iommu_group);

	return group ? now != group : !now;
}

/* How many are in flight (attaches, aux enables) and live; for removals. */
bool auxshim_core_busy(void)
{
	return READ_ONCE(auxshim_live) || atomic_read(&auxshim_inflight);
}

/* Module exit: every object the shim allocated is gone by now. */
void auxshim_core_exit(void)
{
	WARN(auxshim_core_allocs(), "auxshim: %ld objects leaked\n",
	     auxshim_core_allocs());
}
