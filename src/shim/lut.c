// SPDX-License-Identifier: GPL-2.0-only
/*
 * The readers' lookup table (its layout and its lock-free reader are in
 * auxshim.h): device keys to domains, open-addressed, replaced whole to
 * grow, shrink or sweep; the per-hash filter in front of it; the static
 * key that keeps the reader off while it is empty.  Written under
 * auxshim_lock by the group entries (group.c) and the attach (attach.c).
 */
#include <linux/jump_label.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "internal.h"

/*
 * auxshim_key_lock serializes turning auxshim_lut_used on and off, and an
 * attach holds it until its keys are published, so that the key cannot go
 * off under them.  Taken outside auxshim_lock: static_branch_enable() and
 * _disable() take cpu_hotplug_lock, which must not nest inside a lock that
 * device deletion takes (auxshim_lock, in the removal notifier).
 */
static DEFINE_MUTEX(auxshim_key_lock);

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

/*
 * Make room for @n more keys: replace the table by one of the right size
 * without the removed keys when live and removed keys with @n would fill
 * more than three quarters of it, or when live keys fill less than an
 * eighth.  Readers of the old table finish on it; it is freed after a
 * grace period.
 */
int auxshim_lut_reserve(unsigned long n)
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
		kvfree_rcu(old, rcu);
	return 0;
}

/* A count of 255 stays: it may stand for more keys than it can count. */
static u8 *auxshim_lut_filter_of(const void *key)
{
	return &auxshim_lut_filter[auxshim_lut_index(auxshim_lut_hash(key),
						     AUXSHIM_LUT_FILTER_BITS)];
}

/* Publish @key; room was made by auxshim_lut_reserve(). */
void auxshim_lut_add(const void *key, struct iommu_domain *domain)
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
void auxshim_lut_del(const void *key)
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
void auxshim_lut_key_on(void)
{
	mutex_lock(&auxshim_key_lock);
	if (!static_key_enabled(&auxshim_lut_used))
		static_branch_enable(&auxshim_lut_used);
}

void auxshim_lut_key_done(void)
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
	ret = auxshim_lut_reserve(lut ? lut->mask + 1 :
					1UL << AUXSHIM_LUT_MIN_BITS);
	mutex_unlock(&auxshim_lock);
	return ret;
}

/* Module exit: no reader is left (every user of the lookup is unloaded). */
void auxshim_lut_exit(void)
{
	cancel_delayed_work_sync(&auxshim_lut_off);
	/* Replaced tables go by kvfree_rcu(): no callback of ours is left. */
	kvfree(rcu_dereference_protected(auxshim_lut, true));
}
