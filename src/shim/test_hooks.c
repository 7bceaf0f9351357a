// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only entry points of auxshim.ko (see test_hooks.h), built only in a
 * test build (make AUXSHIM_TEST=1): the module users load exports none.
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"
#include "test_hooks.h"

struct auxshim_counter {
	struct auxshim_visitor v;
	struct auxshim_test_counts *c;
};

static struct auxshim_test_counts *auxshim_counts_of(struct auxshim_visitor *v)
{
	return container_of(v, struct auxshim_counter, v)->c;
}

static void auxshim_count_grp(struct auxshim_visitor *v,
			      const struct auxshim_grp *grp)
{
	struct auxshim_test_counts *c = auxshim_counts_of(v);

	if (grp->tombstone) {
		c->tombstones++;
		return;
	}
	c->groups++;
	if (grp->whole)
		c->attachments++;
}

static void auxshim_count_rec(struct auxshim_visitor *v,
			      const struct auxshim_grp *grp,
			      const struct auxshim_rec *rec)
{
	auxshim_counts_of(v)->devs++;
}

static void auxshim_count_att(struct auxshim_visitor *v,
			      const struct auxshim_att *att)
{
	auxshim_counts_of(v)->attachments++;
}

static void auxshim_count_auxdev(struct auxshim_visitor *v,
				 const struct auxshim_auxdev *ad)
{
	auxshim_counts_of(v)->aux_devs++;
}

void auxshim_test_get_counts(struct auxshim_test_counts *c)
{
	struct auxshim_counter counter = {
		.v.grp = auxshim_count_grp,
		.v.rec = auxshim_count_rec,
		.v.att = auxshim_count_att,
		.v.auxdev = auxshim_count_auxdev,
		.c = c,
	};

	memset(c, 0, sizeof(*c));
	auxshim_core_visit(&counter.v);
	/* Replaced lookup tables are freed after a grace period: wait for them. */
	rcu_barrier();
	c->allocs = auxshim_core_allocs();
	c->removals = auxshim_core_removals();
}
EXPORT_SYMBOL_GPL(auxshim_test_get_counts);

static size_t auxshim_slab_size(size_t size)
{
	void *p = kmalloc(size, GFP_KERNEL);
	size_t n = p ? ksize(p) : 0;

	kfree(p);
	return n;
}

void auxshim_test_get_sizes(struct auxshim_test_sizes *s)
{
	memset(s, 0, sizeof(*s));
	s->lut_bytes = auxshim_core_lut_bytes(&s->lut_keys, &s->lut_slots);
	s->lut_moved = auxshim_core_lut_moved();
	s->rec = auxshim_slab_size(sizeof(struct auxshim_rec));
	s->grp = auxshim_slab_size(sizeof(struct auxshim_grp));
	s->att = auxshim_slab_size(sizeof(struct auxshim_att));
}
EXPORT_SYMBOL_GPL(auxshim_test_get_sizes);

static atomic_t auxshim_fail_countdown = ATOMIC_INIT(0);
static atomic_t auxshim_fail_fired = ATOMIC_INIT(0);

/* Count down to the nth call; only the call that reaches 0 fails. */
static bool auxshim_fail_countdown_hook(void)
{
	int old = atomic_read(&auxshim_fail_countdown);

	while (old > 0) {
		int seen =
			atomic_cmpxchg(&auxshim_fail_countdown, old, old - 1);

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
	atomic_set(&auxshim_fail_countdown, nth);
	WRITE_ONCE(auxshim_fail_hook, auxshim_fail_countdown_hook);
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

/*
 * The kernel calls an attach makes for one backing device, without the
 * shim's bookkeeping: the benchmarks' yardstick.  Aux where aux is enabled
 * on @backing through the shim, a whole-device attach otherwise, as
 * auxshim_attach_group() chooses.
 */
int auxshim_test_raw_attach(struct iommu_domain *domain, struct device *backing,
			    u32 *pasid)
{
	if (auxshim_core_aux_enabled(backing))
		return auxshim_compat_aux_attach(domain, backing, pasid);
	*pasid = 0;
	return iommu_attach_device(domain, backing);
}
EXPORT_SYMBOL_GPL(auxshim_test_raw_attach);

void auxshim_test_raw_detach(struct iommu_domain *domain,
			     struct device *backing, u32 pasid)
{
	if (auxshim_core_aux_enabled(backing))
		auxshim_compat_aux_detach(domain, backing, pasid);
	else
		iommu_detach_device(domain, backing);
}
EXPORT_SYMBOL_GPL(auxshim_test_raw_detach);

/* What the removal watchers do for a device going away, both calls. */
void auxshim_test_forget(struct device *dev)
{
	auxshim_forget_device(dev, false);
	auxshim_forget_device(dev, true);
}
EXPORT_SYMBOL_GPL(auxshim_test_forget);

int auxshim_test_lut_grow(void)
{
	return auxshim_core_lut_grow();
}
EXPORT_SYMBOL_GPL(auxshim_test_lut_grow);

int auxshim_test_lut_rehash(void)
{
	return auxshim_core_lut_rehash();
}
EXPORT_SYMBOL_GPL(auxshim_test_lut_rehash);

void auxshim_test_lut_frees(long *retired, long *freed)
{
	auxshim_core_lut_frees(retired, freed);
}
EXPORT_SYMBOL_GPL(auxshim_test_lut_frees);

int auxshim_test_lut_move(const void *key)
{
	return auxshim_core_lut_move(key);
}
EXPORT_SYMBOL_GPL(auxshim_test_lut_move);
