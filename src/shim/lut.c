// SPDX-License-Identifier: GPL-2.0-only
/*
 * The readers' lookup table (its layout and its lock-free reader are in
 * auxshim.h): device keys to domains, one probe per key (hash and
 * displace), replaced whole to grow, shrink or sweep; the static key that
 * keeps the reader off while it is empty.  Written under
 * auxshim_lock by the group entries (group.c) and the attach (attach.c).
 */
#include <linux/jump_label.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
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

#define AUXSHIM_LUT_MIN_BITS 4
/* Draws of the multiplier before a size up; keys a group may have. */
#define AUXSHIM_LUT_TRIES 8
#define AUXSHIM_LUT_GROUP_MAX 32

static void auxshim_lut_off_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(auxshim_lut_off, auxshim_lut_off_fn);

/*
 * Slots claimed for the keys of an attach in flight (auxshim_lut_claim())
 * and not yet filled: a claim is the key with its low bit set, which no
 * reader ever matches (keys are struct device pointers).
 */
static unsigned long auxshim_lut_claims;

/* Live keys moved with their group in a published table, for the tests. */
static unsigned long auxshim_lut_moved;

static struct auxshim_lut *auxshim_lut_cur(void)
{
	return rcu_dereference_protected(auxshim_lut,
					 lockdep_is_held(&auxshim_lock));
}

static unsigned long auxshim_lut_mask(const struct auxshim_lut *lut)
{
	return ~0UL >> auxshim_lut_gshift(lut->hash);
}

static unsigned long auxshim_lut_size(const struct auxshim_lut *lut)
{
	return auxshim_lut_mask(lut) + 1;
}

static unsigned int auxshim_lut_bits(const struct auxshim_lut *lut)
{
	return BITS_PER_LONG - auxshim_lut_gshift(lut->hash);
}

static u8 *auxshim_lut_disps(struct auxshim_lut *lut)
{
	return auxshim_lut_disp(lut, auxshim_lut_mask(lut));
}

/* The table, then the displacements, then the writer's group lists. */
static size_t auxshim_lut_lists_at(unsigned int bits)
{
	return ALIGN(struct_size((struct auxshim_lut *)NULL, slot,
				 1UL << bits) +
			     (1UL << bits),
		     sizeof(u32));
}

static size_t auxshim_lut_bytes(unsigned int bits)
{
	return auxshim_lut_lists_at(bits) + 2 * sizeof(u32) * (1UL << bits);
}

/*
 * The writer's lists of each group's slots: head[group] and next[slot],
 * each a slot index + 1, 0 ending the list.
 */
static u32 *auxshim_lut_head(struct auxshim_lut *lut)
{
	return (void *)lut + auxshim_lut_lists_at(auxshim_lut_bits(lut));
}

static u32 *auxshim_lut_next(struct auxshim_lut *lut)
{
	return auxshim_lut_head(lut) + auxshim_lut_size(lut);
}

/* A slot's key or claim: its key, or 0 if it holds neither. */
static unsigned long auxshim_lut_owner(unsigned long v)
{
	return v > AUXSHIM_LUT_GONE ? v & ~1UL : 0;
}

/* As the reader in auxshim.h finds them: @key's group, and its slot. */
static unsigned long auxshim_lut_group_of(struct auxshim_lut *lut,
					  unsigned long key)
{
	return (key * (lut->hash | 1)) >> auxshim_lut_gshift(lut->hash);
}

static unsigned long auxshim_lut_home(struct auxshim_lut *lut,
				      unsigned long key, u8 disp)
{
	return (((key * (lut->hash | 1)) >> auxshim_lut_hshift(lut->hash)) +
		disp) &
	       auxshim_lut_mask(lut);
}

/* The slot that holds @v (a key or a claim) for @key, or -1. */
static long auxshim_lut_find(struct auxshim_lut *lut, unsigned long key,
			     unsigned long v)
{
	u8 disp = auxshim_lut_disps(lut)[auxshim_lut_group_of(lut, key)];
	unsigned long i;

	if (!disp)
		return -1;
	i = auxshim_lut_home(lut, key, disp);
	return lut->slot[i].key == v ? i : -1;
}

static void auxshim_lut_list_del(struct auxshim_lut *lut, unsigned long g,
				 unsigned long i)
{
	u32 *p = &auxshim_lut_head(lut)[g], *next = auxshim_lut_next(lut);

	while (*p != i + 1)
		p = &next[*p - 1];
	*p = next[i];
	next[i] = 0;
	if (!auxshim_lut_head(lut)[g]) /* empty: readers skip the group */
		WRITE_ONCE(auxshim_lut_disps(lut)[g], 0);
}

static void auxshim_lut_list_add(struct auxshim_lut *lut, unsigned long g,
				 unsigned long i)
{
	u32 *head = auxshim_lut_head(lut);

	auxshim_lut_next(lut)[i] = head[g];
	head[g] = i + 1;
}

/*
 * Move group @g, with @v (a key or a claim, 0 for none) added to it, to a
 * displacement that gives each of its keys a free slot of its own.  Each
 * key is copied to its new slot first, the new displacement published
 * next, the old slots retired last (removed keys become gone, claims
 * free): a reader finds every key throughout (auxshim.h).  False if no
 * displacement fits.
 */
static bool auxshim_lut_move(struct auxshim_lut *lut, unsigned long g,
			     unsigned long v, struct iommu_domain *domain)
{
	u8 *disp = &auxshim_lut_disps(lut)[g];
	u32 old[AUXSHIM_LUT_GROUP_MAX], new[AUXSHIM_LUT_GROUP_MAX + 1];
	u32 *head = auxshim_lut_head(lut), *next = auxshim_lut_next(lut);
	unsigned int n = 0, m, p, t, start = get_random_u32();
	bool ok = false;
	u32 j;
	u8 d;

	for (j = head[g]; j; j = next[j - 1]) {
		if (n == AUXSHIM_LUT_GROUP_MAX)
			return false;
		old[n++] = j - 1;
	}
	for (t = 0; t < U8_MAX && !ok; t++) {
		d = 1 + (start + t) % U8_MAX;
		ok = d != *disp;
		for (m = 0; m < n + !!v && ok; m++) {
			unsigned long w = m < n ? lut->slot[old[m]].key : v;

			new[m] = auxshim_lut_home(lut, auxshim_lut_owner(w), d);
			ok = lut->slot[new[m]].key == AUXSHIM_LUT_FREE;
			for (p = 0; p < m && ok; p++)
				ok = new[p] != new[m];
		}
	}
	if (!ok)
		return false;
	for (m = 0; m < n + !!v; m++) {
		struct auxshim_lut_slot *s = &lut->slot[new[m]];

		WRITE_ONCE(s->domain,
			   m < n ? lut->slot[old[m]].domain : domain);
		smp_wmb(); /* readers that see the key see the domain */
		WRITE_ONCE(s->key, m < n ? lut->slot[old[m]].key : v);
	}
	smp_wmb(); /* the keys in their new slots before the displacement */
	WRITE_ONCE(*disp, d);
	smp_wmb(); /* the displacement before the old slots go */
	head[g] = 0;
	for (m = 0; m < n; m++) {
		struct auxshim_lut_slot *s = &lut->slot[old[m]];

		if (s->key & 1) {
			WRITE_ONCE(s->key,
				   AUXSHIM_LUT_FREE); /* never matched */
		} else {
			WRITE_ONCE(s->key, AUXSHIM_LUT_GONE);
			lut->gone++;
			if (lut == rcu_access_pointer(auxshim_lut))
				auxshim_lut_moved++;
		}
		next[old[m]] = 0;
	}
	for (m = 0; m < n + !!v; m++)
		auxshim_lut_list_add(lut, g, new[m]);
	return true;
}

/* Put @v (a key or a claim) at its group's displacement, moving it if taken. */
static bool auxshim_lut_put(struct auxshim_lut *lut, unsigned long v,
			    struct iommu_domain *domain)
{
	unsigned long key = auxshim_lut_owner(v), g, i;
	u8 disp;

	g = auxshim_lut_group_of(lut, key);
	disp = auxshim_lut_disps(lut)[g];
	if (!disp)
		return auxshim_lut_move(lut, g, v, domain);
	i = auxshim_lut_home(lut, key, disp);
	if (lut->slot[i].key != AUXSHIM_LUT_FREE)
		return auxshim_lut_move(lut, g, v, domain);
	WRITE_ONCE(lut->slot[i].domain, domain);
	smp_wmb(); /* readers that see the key see the domain */
	WRITE_ONCE(lut->slot[i].key, v);
	auxshim_lut_list_add(lut, g, i);
	return true;
}

/*
 * A table of 2^@bits slots, not yet published, with @old's live keys and
 * claims and, if @claim is not 0, that claim too; the multiplier drawn
 * afresh until every group fits, the size doubled after AUXSHIM_LUT_TRIES
 * draws (at the loads kept here, up to three quarters, a draw fails about
 * never).
 */
static struct auxshim_lut *auxshim_lut_build(unsigned int bits,
					     struct auxshim_lut *old,
					     unsigned long claim)
{
	struct auxshim_lut *lut;
	unsigned int try;
	unsigned long i;
	bool ok;

	for (;; bits++) {
		lut = auxshim_should_fail() ?
			      NULL :
			      kvmalloc(auxshim_lut_bytes(bits), GFP_KERNEL);
		if (!lut)
			return NULL;
		for (try = 0; try < AUXSHIM_LUT_TRIES; try++) {
			memset(lut, 0, auxshim_lut_bytes(bits));
			lut->hash = (get_random_long() & ~0xfffUL) |
				    (BITS_PER_LONG - 2 * bits) << 6 |
				    (BITS_PER_LONG - bits);
			ok = !claim || auxshim_lut_put(lut, claim, NULL);
			for (i = 0; ok && old && i < auxshim_lut_size(old);
			     i++) {
				unsigned long v = old->slot[i].key;

				if (!auxshim_lut_owner(v))
					continue;
				ok = auxshim_lut_put(lut, v,
						     old->slot[i].domain);
				if (!(v & 1))
					lut->used++;
			}
			if (ok)
				return lut;
		}
		kvfree(lut);
	}
}

/* Tables replaced and freed since load, for the tests. */
static atomic_long_t auxshim_lut_retired = ATOMIC_LONG_INIT(0);
static atomic_long_t auxshim_lut_freed = ATOMIC_LONG_INIT(0);

static void auxshim_lut_free_rcu(struct rcu_head *rcu)
{
	kvfree(container_of(rcu, struct auxshim_lut, rcu));
	atomic_long_inc(&auxshim_lut_freed);
}

static void auxshim_lut_free_tasks(struct rcu_head *rcu)
{
	call_rcu(rcu, auxshim_lut_free_rcu);
}

/*
 * Readers of @old finish on it; it is freed when none can be left
 * (AUXSHIM_LUT_MARKED in auxshim.h): after an RCU Tasks grace period and
 * an RCU one; without RCU Tasks, after an RCU one (the reader is then
 * marked, or the kernel has no preemption count).
 */
static void auxshim_lut_replace(struct auxshim_lut *old,
				struct auxshim_lut *lut)
{
	rcu_assign_pointer(auxshim_lut, lut);
	if (!old)
		return;
	atomic_long_inc(&auxshim_lut_retired);
	if (IS_ENABLED(CONFIG_TASKS_RCU))
		call_rcu_tasks(&old->rcu, auxshim_lut_free_tasks);
	else
		call_rcu(&old->rcu, auxshim_lut_free_rcu);
}

void auxshim_core_lut_frees(long *retired, long *freed)
{
	*freed = atomic_long_read(&auxshim_lut_freed);
	*retired = atomic_long_read(&auxshim_lut_retired);
}

/*
 * Make room for @n more keys: replace the table by one of the right size
 * without the removed keys when live and removed keys and claims with @n
 * would fill more than three quarters of it, or when live keys fill less
 * than an eighth.  Each key then claims its slot: auxshim_lut_claim().
 */
int auxshim_lut_reserve(unsigned long n)
{
	struct auxshim_lut *old = auxshim_lut_cur(), *lut;
	unsigned long want, size;

	lockdep_assert_held(&auxshim_lock);
	want = (old ? old->used : 0) + auxshim_lut_claims + n;
	size = old ? auxshim_lut_size(old) : 0;
	if (old &&
	    (old->used + old->gone + auxshim_lut_claims + n) * 4 <= size * 3 &&
	    (size == 1UL << AUXSHIM_LUT_MIN_BITS || want * 8 >= size))
		return 0;
	lut = auxshim_lut_build(max_t(unsigned int, AUXSHIM_LUT_MIN_BITS,
				      order_base_2(want * 2 + 1)),
				old, 0);
	if (!lut)
		return -ENOMEM;
	auxshim_lut_replace(old, lut);
	return 0;
}

/*
 * A slot for @key, filled by auxshim_lut_add(): at its group's
 * displacement, the group moved if that slot is taken, the table built
 * anew if no displacement fits.  A claim is no key to readers.  Room was
 * made by auxshim_lut_reserve().
 */
/*
 * Replace @old by a table of its size built anew (a fresh multiplier),
 * with @extra in it too unless 0: 0 or -ENOMEM (@old kept).
 */
static int auxshim_lut_rebuild(struct auxshim_lut *old, unsigned long extra)
{
	struct auxshim_lut *lut;

	lockdep_assert_held(&auxshim_lock);
	lut = auxshim_lut_build(auxshim_lut_bits(old), old, extra);
	if (!lut)
		return -ENOMEM;
	auxshim_lut_replace(old, lut);
	return 0;
}

int auxshim_lut_claim(const void *key)
{
	struct auxshim_lut *old = auxshim_lut_cur();
	unsigned long claim = (unsigned long)key | 1;

	lockdep_assert_held(&auxshim_lock);
	if (!auxshim_lut_put(old, claim, NULL) &&
	    auxshim_lut_rebuild(old, claim))
		return -ENOMEM;
	auxshim_lut_claims++;
	return 0;
}

/* Give back @key's claim, if it has one (an attach that failed). */
void auxshim_lut_unclaim(const void *key)
{
	struct auxshim_lut *lut = auxshim_lut_cur();
	long i;

	lockdep_assert_held(&auxshim_lock);
	i = auxshim_lut_find(lut, (unsigned long)key, (unsigned long)key | 1);
	if (i < 0)
		return;
	WRITE_ONCE(lut->slot[i].key, AUXSHIM_LUT_FREE); /* never matched */
	auxshim_lut_list_del(lut, auxshim_lut_group_of(lut, (unsigned long)key),
			     i);
	auxshim_lut_claims--;
}

/* Publish @key in the slot auxshim_lut_claim() took for it. */
void auxshim_lut_add(const void *key, struct iommu_domain *domain)
{
	struct auxshim_lut *lut = auxshim_lut_cur();
	long i;

	lockdep_assert_held(&auxshim_lock);
	i = auxshim_lut_find(lut, (unsigned long)key, (unsigned long)key | 1);
	if (WARN_ON_ONCE(i < 0))
		return;
	WRITE_ONCE(lut->slot[i].domain, domain);
	smp_wmb(); /* readers that see the key see the domain */
	WRITE_ONCE(lut->slot[i].key, (unsigned long)key);
	auxshim_lut_claims--;
	lut->used++;
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
	long i;

	lockdep_assert_held(&auxshim_lock);
	i = auxshim_lut_find(lut, (unsigned long)key, (unsigned long)key);
	if (WARN_ON_ONCE(i < 0))
		return;
	WRITE_ONCE(lut->slot[i].key, AUXSHIM_LUT_GONE);
	auxshim_lut_list_del(lut, auxshim_lut_group_of(lut, (unsigned long)key),
			     i);
	lut->used--;
	lut->gone++;
	if (!lut->used && !auxshim_lut_claims)
		/* Not at once: a key flip costs far more than an attach. */
		schedule_delayed_work(&auxshim_lut_off, HZ);
	else if (lut->used * 8 < auxshim_lut_size(lut))
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
	*slots = lut ? auxshim_lut_size(lut) : 0;
	if (lut)
		bytes = auxshim_lut_bytes(auxshim_lut_bits(lut));
	mutex_unlock(&auxshim_lock);
	return bytes;
}

/* Live keys moved so far with their groups, for the tests. */
unsigned long auxshim_core_lut_moved(void)
{
	unsigned long n;

	mutex_lock(&auxshim_lock);
	n = auxshim_lut_moved;
	mutex_unlock(&auxshim_lock);
	return n;
}

/* Grow the table to twice its live keys' room; for the tests. */
int auxshim_core_lut_grow(void)
{
	struct auxshim_lut *lut;
	int ret;

	mutex_lock(&auxshim_lock);
	lut = auxshim_lut_cur();
	ret = auxshim_lut_reserve(lut ? auxshim_lut_size(lut) :
					1UL << AUXSHIM_LUT_MIN_BITS);
	mutex_unlock(&auxshim_lock);
	return ret;
}

/* Replace the table by one of its size with a fresh multiplier; for the tests. */
int auxshim_core_lut_rehash(void)
{
	struct auxshim_lut *old;
	int ret = 0;

	mutex_lock(&auxshim_lock);
	old = auxshim_lut_cur();
	if (old)
		ret = auxshim_lut_rebuild(old, 0);
	mutex_unlock(&auxshim_lock);
	return ret;
}

/*
 * Move @key's group to another displacement, as an attach does when a new
 * key needs a taken slot (the table swept first when gone slots fill it);
 * the table built anew if no displacement fits; for the tests: 0, -ENOENT
 * if @key is not in the table, -ENOMEM.
 */
int auxshim_core_lut_move(const void *key)
{
	unsigned long k = (unsigned long)key;
	struct auxshim_lut *lut;
	int ret;

	mutex_lock(&auxshim_lock);
	ret = auxshim_lut_reserve(0);
	lut = auxshim_lut_cur();
	if (!ret && (!lut || auxshim_lut_find(lut, k, k) < 0))
		ret = -ENOENT;
	/* No displacement fits: built anew, as auxshim_lut_claim() does. */
	if (!ret &&
	    !auxshim_lut_move(lut, auxshim_lut_group_of(lut, k), 0, NULL))
		ret = auxshim_lut_rebuild(lut, 0);
	mutex_unlock(&auxshim_lock);
	return ret;
}

/* Module exit: no reader is left (every user of the lookup is unloaded). */
void auxshim_lut_exit(void)
{
	cancel_delayed_work_sync(&auxshim_lut_off);
	/* Replaced tables: no callback of ours may be left. */
	if (IS_ENABLED(CONFIG_TASKS_RCU))
		rcu_barrier_tasks();
	rcu_barrier();
	kvfree(rcu_dereference_protected(auxshim_lut, true));
}
