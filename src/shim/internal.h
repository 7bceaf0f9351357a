/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * auxshim internals, shared by auxshim_main.c (the API) and
 * auxshim_table.c (records, removal notifiers, debugfs).
 */
#ifndef AUXSHIM_PRIV_H
#define AUXSHIM_PRIV_H

#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "auxshim.h"
#include "compat.h"

/*
 * One kernel-level attachment of @domain through @backing, shared by every
 * device record that goes through it (@users) and by callers of
 * auxshim_aux_attach_device() (@ext_users).  It is undone when both reach 0.
 */
struct auxshim_att {
	struct list_head node;		/* in auxshim_atts */
	struct device *backing;		/* reference held */
	struct iommu_domain *domain;
	enum auxshim_mode mode;		/* DIRECT or AUX */
	u32 pasid;			/* AUX only */
	unsigned int users;
	unsigned int ext_users;
};

/* One device of an attached group. */
struct auxshim_rec {
	struct list_head node;		/* in auxshim_grp.recs */
	struct device *dev;		/* reference held */
	struct auxshim_att *att;	/* NULL in GROUP mode */
};

/*
 * A group attached through the shim.  Readers find it under RCU by its
 * iommu_group pointer and read only @group and @domain, which never change
 * while it is in the table.  It stays until auxshim_detach_group(), or
 * until its last device goes away.
 */
struct auxshim_grp {
	struct hlist_node hnode;	/* in auxshim_table, RCU */
	struct iommu_group *group;	/* reference held */
	struct iommu_domain *domain;
	bool whole;			/* attached with iommu_attach_group() */
	struct list_head recs;		/* of struct auxshim_rec */
	struct rcu_head rcu;
};

/* A device with aux enabled through the shim. */
struct auxshim_auxdev {
	struct list_head node;		/* in auxshim_auxdevs */
	struct device *dev;		/* reference held */
};

/*
 * auxshim_lock serializes every writer and protects auxshim_table (whose
 * readers use RCU), auxshim_atts, auxshim_auxdevs and all the records and
 * counts hanging off them.  Lock order: auxshim_lock, then the IOMMU core's
 * group locks.  Never held across a lookup callback or a bus notifier
 * (un)registration.
 */
extern struct mutex auxshim_lock;
#define AUXSHIM_HASH_BITS 7
extern DECLARE_HASHTABLE(auxshim_table, AUXSHIM_HASH_BITS);
extern struct list_head auxshim_atts;
extern struct list_head auxshim_auxdevs;

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

/* auxshim_table.c */
struct auxshim_grp *auxshim_grp_find(struct iommu_group *group);
struct auxshim_grp *auxshim_grp_find_rcu(struct iommu_group *group);
struct auxshim_rec *auxshim_rec_find(struct device *dev,
				     struct auxshim_grp **grpp);
struct auxshim_att *auxshim_att_find(struct iommu_domain *domain,
				     struct device *backing,
				     enum auxshim_mode mode);
struct auxshim_auxdev *auxshim_auxdev_find(struct device *dev);
void auxshim_att_put(struct auxshim_att *att);
void auxshim_rec_drop(struct auxshim_rec *rec);
void auxshim_auxdev_drop(struct auxshim_auxdev *ad);
int auxshim_watch(struct device *dev);
int auxshim_watch_init(void);
void auxshim_watch_exit(void);
void auxshim_debugfs_init(void);
void auxshim_debugfs_exit(void);

/* auxshim_main.c: allocation accounting and the pin on the module */
#ifdef AUXSHIM_TEST_HOOKS
bool auxshim_should_fail(void);
#else
static inline bool auxshim_should_fail(void)
{
	return false;
}
#endif

void *auxshim_zalloc(size_t size);
void auxshim_free(const void *p);
void auxshim_grp_orphan(struct auxshim_grp *grp);
void auxshim_live_get(void);
void auxshim_live_put(void);

#endif /* AUXSHIM_PRIV_H */
