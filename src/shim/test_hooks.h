/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test-only entry points of auxshim.ko.  They exist only in a test build
 * (make AUXSHIM_TEST=1, which defines AUXSHIM_TEST_HOOKS); the module users
 * load exports none of them.  Used by the in-guest test modules.
 */
#ifndef AUXSHIM_TESTHOOKS_H
#define AUXSHIM_TESTHOOKS_H

#ifndef AUXSHIM_TEST_HOOKS
#error "auxshim_testhooks.h is for test builds only (make AUXSHIM_TEST=1)"
#endif

/**
 * struct auxshim_test_counts - what the shim holds right now
 * @groups: groups in the table
 * @devs: device records (one per device of an attached group)
 * @attachments: kernel-level attachments (direct, aux or whole group)
 * @aux_devs: devices with aux enabled through the shim
 * @allocs: live objects the shim allocated (must reach 0 when idle)
 * @tombstones: groups whose last device went away, awaiting their owner's
 *	detach (each is one of @allocs)
 * @removals: device removals that reached the shim's core since load; the
 *	removal watchers let through only those that can concern it
 */
struct auxshim_test_counts {
	unsigned int groups;
	unsigned int devs;
	unsigned int attachments;
	unsigned int aux_devs;
	long allocs;
	unsigned int tombstones;
	unsigned long removals;
};

void auxshim_test_get_counts(struct auxshim_test_counts *c);

/**
 * struct auxshim_test_sizes - what the lookup costs in memory
 * @lut_bytes: the lookup table's allocation (kvmalloc'd: its requested size)
 * @lut_slots: its slots
 * @lut_keys: its live keys
 * @lut_moved: live keys the shim has moved with their groups (since load)
 * @rec: slab object size (ksize()) of one device record
 * @grp: slab object size of one group entry
 * @att: slab object size of one attachment
 */
struct auxshim_test_sizes {
	size_t lut_bytes;
	unsigned long lut_slots, lut_keys, lut_moved;
	size_t rec, grp, att;
};

void auxshim_test_get_sizes(struct auxshim_test_sizes *s);

/**
 * auxshim_test_fail_nth() - make the shim's @nth allocation from now fail
 * @nth: 1-based; 0 turns injection off
 *
 * Every kmalloc-family allocation in the shim counts.  Once the @nth one
 * has been failed, injection turns itself off.
 */
void auxshim_test_fail_nth(unsigned int nth);

/* Has the injected failure fired since the last auxshim_test_fail_nth()? */
bool auxshim_test_fail_fired(void);

/*
 * How this build of the shim does "aux": "aux-domain", "pasid" or "none"
 * (then every aux call returns -EOPNOTSUPP).
 */
const char *auxshim_test_aux_backend(void);

struct device;
struct iommu_domain;

/*
 * The kernel calls auxshim_attach_group() makes for one backing device (aux
 * where aux is enabled on it, else whole-device), and their undoing: the
 * attach benchmarks' yardstick.
 */
int auxshim_test_raw_attach(struct iommu_domain *domain, struct device *backing,
			    u32 *pasid);
void auxshim_test_raw_detach(struct iommu_domain *domain,
			     struct device *backing, u32 pasid);

/*
 * Replace the lookup table by one twice its size (the allocation an attach
 * makes when the table fills up): 0 or -ENOMEM.
 */
int auxshim_test_lut_grow(void);

/*
 * Replace the lookup table by one of the same size built with a fresh
 * multiplier (every key in a new place): 0 or -ENOMEM.
 */
int auxshim_test_lut_rehash(void);

/*
 * Lookup tables replaced since load, and of them those freed: a table is
 * freed only when no lookup can still be reading it, even one preempted in
 * the middle.  @freed is read first: it never exceeds @retired.
 */
void auxshim_test_lut_frees(long *retired, long *freed);

/*
 * Move the hash group of @key (a device the shim holds) to another
 * displacement, as an attach does to make room (the table built anew when
 * none fits): 0, -ENOENT (not held) or -ENOMEM.
 */
int auxshim_test_lut_move(const void *key);

/* The removal watchers' work for @dev (as if it were deleted and unbound). */
void auxshim_test_forget(struct device *dev);

#endif /* AUXSHIM_TESTHOOKS_H */
