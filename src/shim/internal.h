/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The shim's core (core.c): its objects and the calls its other parts make.
 * Calls flow one way: main.c (the module face) calls watch.c and the core;
 * watch.c, debugfs.c and test_hooks.c call the core; the core calls none
 * of them.
 */
#ifndef AUXSHIM_INTERNAL_H
#define AUXSHIM_INTERNAL_H

#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

/* auxshim.h then declares the exported lookup instead of its inline. */
#define AUXSHIM_BUILDING_SHIM
#include "auxshim.h"
#include "compat.h"

struct iommu_domain *auxshim_get_domain_for_dev(struct device *dev);

/*
 * One kernel-level attachment of @domain through @backing, shared by every
 * device record that goes through it (@users) and by callers of
 * auxshim_aux_attach_device() (@ext_users).  It is undone when both reach 0.
 */
struct auxshim_att {
	struct hlist_node node; /* in auxshim_atts, by @backing */
	struct list_head recs; /* of struct auxshim_rec, by anode */
	struct device *backing; /* reference held */
	struct iommu_domain *domain;
	enum auxshim_mode mode; /* DIRECT or AUX */
	u32 pasid; /* AUX only */
	unsigned int users;
	unsigned int ext_users;
};

/*
 * One device of an attached group.  Readers see only its key in the
 * lookup table (auxshim_lut); the record itself is the writers'.
 */
struct auxshim_rec {
	struct list_head node; /* in auxshim_grp.recs */
	struct hlist_node dnode; /* in auxshim_recs, by @dev */
	struct list_head anode; /* in @att->recs, if @att */
	struct device *dev; /* reference held */
	struct auxshim_grp *grp; /* the group entry it is in */
	struct auxshim_att *att; /* NULL in GROUP mode */
};

/*
 * A group attached through the shim, found by writers by its iommu_group
 * pointer.  @group and @domain never change while it is in the table.  A
 * tombstone is what is left when the group's last device went away: no
 * records, no group reference, only the key that the owner's
 * auxshim_detach_group() names; it has no key in the lookup table.
 */
struct auxshim_grp {
	struct hlist_node hnode; /* in auxshim_grps */
	struct iommu_group *group; /* reference held unless @tombstone */
	struct iommu_domain *domain;
	bool whole; /* attached with iommu_attach_group() */
	bool tombstone;
	struct list_head recs; /* of struct auxshim_rec */
};

/* A device with aux enabled through the shim. */
struct auxshim_auxdev {
	struct list_head node; /* in auxshim_auxdevs */
	struct device *dev; /* reference held */
};

/*
 * One device of a group being attached, resolved before the attach takes
 * auxshim_lock: the lookup may sleep and take locks of its own.
 */
struct auxshim_slot {
	struct device *dev; /* reference held */
	struct device *backing; /* reference held; NULL until looked up */
	bool gone; /* removed meanwhile; auxshim_lock */
};

/* An attach in flight: removals mark its slots (see auxshim_forget_device). */
struct auxshim_snapshot {
	struct list_head node; /* in auxshim_pending, auxshim_lock */
	struct auxshim_slot *slots;
	unsigned int n, max;
	int err;
};

/* What debugfs and the test hooks see of the state, under auxshim_lock. */
struct auxshim_visitor {
	void (*grp)(struct auxshim_visitor *v, const struct auxshim_grp *grp);
	void (*rec)(struct auxshim_visitor *v, const struct auxshim_grp *grp,
		    const struct auxshim_rec *rec);
	void (*att)(struct auxshim_visitor *v, const struct auxshim_att *att);
	void (*auxdev)(struct auxshim_visitor *v,
		       const struct auxshim_auxdev *ad);
};

static inline const char *auxshim_mode_name(enum auxshim_mode mode)
{
	switch (mode) {
	case AUXSHIM_MODE_GROUP:
		return "group";
	case AUXSHIM_MODE_DIRECT:
		return "direct";
	case AUXSHIM_MODE_AUX:
		return "aux";
	}
	return "?";
}

/* core.c: attach and detach */
int auxshim_snapshot_take(struct iommu_group *group,
			  struct auxshim_snapshot *snap);
int auxshim_snapshot_resolve(struct auxshim_snapshot *snap,
			     auxshim_lookup_t lookup);
void auxshim_snapshot_release(struct auxshim_snapshot *snap);
int auxshim_core_check_free(struct iommu_group *group);
int auxshim_core_attach(struct iommu_domain *domain, struct iommu_group *group,
			struct auxshim_snapshot *snap, bool whole);
void auxshim_core_detach(struct iommu_domain *domain,
			 struct iommu_group *group);

/* core.c: queries (the lock-free lookup is auxshim_lut_domain(), auxshim.h) */
int auxshim_core_dev_info(struct iommu_domain *domain, struct device *dev,
			  enum auxshim_mode *mode, u32 *pasid);

/* core.c: the aux-device API */
int auxshim_core_enable_aux(struct device *dev);
int auxshim_core_disable_aux(struct device *dev);
bool auxshim_core_aux_enabled(struct device *dev);
int auxshim_core_aux_attach(struct iommu_domain *domain, struct device *dev);
bool auxshim_core_aux_detach(struct iommu_domain *domain, struct device *dev);
int auxshim_core_aux_get_pasid(struct iommu_domain *domain, struct device *dev);

/* core.c: removal, inspection, exit */
bool auxshim_core_holds_anything(void);
void auxshim_forget_device(struct device *dev, bool unbound);
void auxshim_core_visit(struct auxshim_visitor *v);
long auxshim_core_allocs(void);
unsigned long auxshim_core_removals(void);
void auxshim_core_exit(void);
size_t auxshim_core_lut_bytes(unsigned long *keys, unsigned long *slots);
int auxshim_core_lut_grow(void);

/*
 * Allocation failure injection: in a test build, test_hooks.c sets the
 * hook that picks which of the shim's allocations fail.
 */
#ifdef AUXSHIM_TEST_HOOKS
extern bool (*auxshim_fail_hook)(void);

static inline bool auxshim_should_fail(void)
{
	/* Set once, before the test that needs it, and never cleared. */
	return auxshim_fail_hook && auxshim_fail_hook();
}
#else
static inline bool auxshim_should_fail(void)
{
	return false;
}
#endif

#endif /* AUXSHIM_INTERNAL_H */
