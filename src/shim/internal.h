/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The shim's core: its objects and the calls its parts make to each other.
 * Calls flow one way: main.c (the module face) calls watch.c and the core;
 * watch.c, debugfs.c and test_hooks.c call the core; the core calls none
 * of them, and within it each file calls only those listed before it
 * below.
 */
#ifndef AUXSHIM_INTERNAL_H
#define AUXSHIM_INTERNAL_H

#include <linux/list.h>
#include <linux/mutex.h>
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

/*
 * The parts of the core, bottom up: each calls only those above it in
 * this list (and main.c, watch.c, debugfs.c and test_hooks.c call them).
 */

/* core.c: the writers' lock, object counts, the module pin, calls in flight */
extern struct mutex auxshim_lock;
#define AUXSHIM_INDEX_BITS 10 /* the writers' hash indexes */
void *auxshim_zalloc(size_t size);
void auxshim_free(const void *p);
long auxshim_core_allocs(void);
void auxshim_live_get(void);
void auxshim_live_put(void);
void auxshim_busy_get(void);
void auxshim_busy_put(void);
bool auxshim_core_busy(void);
bool auxshim_dev_leaving(struct device *dev, struct iommu_group *group);
void auxshim_core_exit(void);

/* lut.c: the readers' lookup table */
int auxshim_lut_reserve(unsigned long n);
int auxshim_lut_claim(const void *key);
void auxshim_lut_unclaim(const void *key);
void auxshim_lut_add(const void *key, struct iommu_domain *domain);
void auxshim_lut_del(const void *key);
void auxshim_lut_key_on(void);
void auxshim_lut_key_done(void);
size_t auxshim_core_lut_bytes(unsigned long *keys, unsigned long *slots);
unsigned long auxshim_core_lut_moved(void);
int auxshim_core_lut_grow(void);
int auxshim_core_lut_rehash(void);
void auxshim_core_lut_frees(long *retired, long *freed);
int auxshim_core_lut_move(const void *key);
void auxshim_lut_exit(void);

/* att.c: attachments and aux-enabled devices, and the aux-device API */
struct auxshim_att *auxshim_att_get(struct iommu_domain *domain,
				    struct device *backing);
void auxshim_att_put(struct auxshim_att *att);
struct auxshim_att *auxshim_att_through(struct device *backing);
bool auxshim_att_has_auxdevs(void);
void auxshim_att_forget_auxdev(struct device *dev);
void auxshim_att_visit(struct auxshim_visitor *v);
void auxshim_att_exit(void);
int auxshim_core_enable_aux(struct device *dev);
int auxshim_core_disable_aux(struct device *dev);
bool auxshim_core_aux_enabled(struct device *dev);
int auxshim_core_aux_attach(struct iommu_domain *domain, struct device *dev);
bool auxshim_core_aux_detach(struct iommu_domain *domain, struct device *dev);
int auxshim_core_aux_get_pasid(struct iommu_domain *domain, struct device *dev);

/* group.c: group entries and their records */
struct auxshim_rec *auxshim_rec_find(struct device *dev,
				     struct auxshim_grp **grpp);
void auxshim_rec_drop(struct auxshim_rec *rec, bool published);
struct auxshim_grp *auxshim_grp_find(struct iommu_group *group);
int auxshim_grp_check_free(struct iommu_group *group);
int auxshim_grp_fill(struct auxshim_grp *grp, struct auxshim_snapshot *snap);
void auxshim_grp_teardown(struct auxshim_grp *grp, bool published);
void auxshim_grp_publish(struct auxshim_grp *grp);
void auxshim_grp_unpublish(struct auxshim_grp *grp);
bool auxshim_grp_orphaned(struct auxshim_grp *grp, struct device *leaving);
void auxshim_grp_tombstone(struct auxshim_grp *grp);
void auxshim_grp_reap(struct auxshim_grp *tomb);
int auxshim_core_check_free(struct iommu_group *group);
int auxshim_core_dev_info(struct iommu_domain *domain, struct device *dev,
			  enum auxshim_mode *mode, u32 *pasid);
void auxshim_core_visit(struct auxshim_visitor *v);
void auxshim_grp_exit(void);

/* attach.c: the attach protocol */
int auxshim_snapshot_take(struct iommu_group *group,
			  struct auxshim_snapshot *snap);
int auxshim_snapshot_resolve(struct auxshim_snapshot *snap,
			     auxshim_lookup_t lookup);
void auxshim_snapshot_release(struct auxshim_snapshot *snap);
int auxshim_core_attach(struct iommu_domain *domain, struct iommu_group *group,
			struct auxshim_snapshot *snap, bool whole);
void auxshim_core_detach(struct iommu_domain *domain,
			 struct iommu_group *group);
void auxshim_pending_mark(struct device *dev);

/* removal.c: forgetting a removed device */
bool auxshim_core_holds_anything(void);
void auxshim_forget_device(struct device *dev, bool unbound);
unsigned long auxshim_core_removals(void);

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
