// SPDX-License-Identifier: GPL-2.0-only
/*
 * The removal unit: what the shim does when devices of an attached group,
 * or of a group being attached, go away.  Runs in auxshim_mocktest.ko on
 * the test IOMMU's fake devices, which can be removed at will: a physical
 * device P behind the mock IOMMU backs mdev-like sub-devices S in groups of
 * their own.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/completion.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/notifier.h>
#include <linux/string.h>

#include "auxshim.h"
#include "src/shim/test_hooks.h"
#include "tests/ktap.h"
#include "tests/mock/mock_iommu.h"
#include "tests/mock/mock_suites.h"

#define RM_SUBS 3

/* The fixture: one physical device, a group, a domain. */
struct rm_fix {
	struct device *phys;
	struct iommu_group *group;	/* our reference: the contract's */
	struct iommu_domain *domain;
	struct device *subs[RM_SUBS];
	struct auxshim_test_counts base;
};

static struct rm_fix rm_fix;
static atomic_t rm_seq = ATOMIC_INIT(0);

static struct device *rm_sub_add(struct rm_fix *f, int i)
{
	char name[32];

	snprintf(name, sizeof(name), "rm-sub%d", atomic_inc_return(&rm_seq));
	f->subs[i] = auxshim_mock_sub_add(name, f->phys, f->group);
	if (IS_ERR(f->subs[i])) {
		struct device *err = f->subs[i];

		f->subs[i] = NULL;
		return err;
	}
	return f->subs[i];
}

static void rm_sub_remove(struct rm_fix *f, int i)
{
	if (f->subs[i])
		auxshim_mock_sub_remove(f->subs[i]);
	f->subs[i] = NULL;
}

static int rm_init(struct kt_test *t)
{
	struct rm_fix *f = &rm_fix;
	char name[32];

	memset(f, 0, sizeof(*f));
	t->priv = f;
	if (!auxshim_mock_route()) {
		kt_skip(t, "the test IOMMU could not register on this kernel");
		return 0;
	}
	snprintf(name, sizeof(name), "rm-phys%d", atomic_inc_return(&rm_seq));
	f->phys = auxshim_mock_phys_add(name, false, 0);
	if (IS_ERR(f->phys)) {
		int ret = PTR_ERR(f->phys);

		f->phys = NULL;
		return ret;
	}
	f->group = iommu_group_alloc();
	if (IS_ERR(f->group)) {
		int ret = PTR_ERR(f->group);

		f->group = NULL;
		return ret;
	}
	f->domain = auxshim_domain_alloc(f->phys);
	if (IS_ERR(f->domain)) {
		int ret = PTR_ERR(f->domain);

		f->domain = NULL;
		return ret;
	}
	auxshim_test_get_counts(&f->base);
	return 0;
}

static void rm_exit(struct kt_test *t)
{
	struct rm_fix *f = &rm_fix;
	struct auxshim_test_counts c;
	int i;

	/* Each case detaches what it attached; only devices are left. */
	for (i = 0; i < RM_SUBS; i++)
		rm_sub_remove(f, i);
	if (f->domain)
		iommu_domain_free(f->domain);
	if (f->group)
		iommu_group_put(f->group);
	if (f->phys)
		auxshim_mock_phys_remove(f->phys);
	if (t->skip)
		return;
	auxshim_test_get_counts(&c);
	KT_EXPECT_TRUE_MSG(t, !c.groups && !c.devs && !c.attachments &&
			   !c.tombstones && c.allocs == f->base.allocs,
			   "shim not idle after the case: groups %u devs %u attachments %u tombstones %u allocs %ld (base %ld)",
			   c.groups, c.devs, c.attachments, c.tombstones,
			   c.allocs, f->base.allocs);
}

/* ---- hole 1: a device removed while its group is being attached -------- */

static struct device *rm_victim;

/* A lookup that removes rm_victim before it answers, as a racing unplug. */
static struct device *rm_lookup_removing(struct device *dev)
{
	struct device *parent = auxshim_mock_sub_parent(dev);

	if (dev == rm_victim) {
		rm_victim = NULL;
		auxshim_mock_sub_remove(dev);	/* the snapshot keeps it alive */
	}
	return parent;
}

static void rm_find_victim(struct rm_fix *f, int i)
{
	rm_victim = f->subs[i];
	f->subs[i] = NULL;	/* removed by the lookup */
}

static void removed_during_attach_refused(struct kt_test *t)
{
	struct rm_fix *f = t->priv;
	struct auxshim_test_counts c;
	struct auxshim_mock_counts m;
	int ret;

	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_sub_add(f, 0));
	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_sub_add(f, 1));
	/* A first attach makes the shim watch the sub-devices' bus. */
	KT_ASSERT_EQ(t, auxshim_attach_group(f->domain, f->group,
					     auxshim_mock_sub_parent), 0);
	auxshim_detach_group(f->domain, f->group);

	rm_find_victim(f, 1);
	ret = auxshim_attach_group(f->domain, f->group, rm_lookup_removing);
	KT_EXPECT_EQ(t, ret, -ENODEV);
	KT_EXPECT_TRUE(t, !rm_victim);	/* the lookup really ran for it */
	auxshim_test_get_counts(&c);
	KT_EXPECT_TRUE_MSG(t, !c.groups && !c.devs && !c.attachments,
			   "a refused attach left groups %u devs %u attachments %u",
			   c.groups, c.devs, c.attachments);
	auxshim_mock_get_counts(&m);
	KT_EXPECT_EQ(t, m.attached, 0);
	KT_EXPECT_TRUE(t, auxshim_get_domain_for_dev(f->subs[0]) != f->domain);
	if (!ret)	/* what the old code did: undo it for the next cases */
		auxshim_detach_group(f->domain, f->group);
}

/* ---- hole 2: tombstones and the owner's group reference ---------------- */

static void reattach_over_tombstone_refused(struct kt_test *t)
{
	struct rm_fix *f = t->priv;
	struct auxshim_test_counts c;
	int ret;

	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_sub_add(f, 0));
	KT_ASSERT_EQ(t, auxshim_attach_group(f->domain, f->group,
					     auxshim_mock_sub_parent), 0);
	rm_sub_remove(f, 0);
	auxshim_test_get_counts(&c);
	KT_EXPECT_EQ(t, c.groups, 0);
	KT_EXPECT_EQ(t, c.tombstones, 1);
	KT_EXPECT_EQ(t, c.attachments, 0);

	/*
	 * The owner still holds the group and attaches it again before its
	 * detach: that is a double attach, refused, so that its late detach
	 * can never tear down a newer attachment.
	 */
	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_sub_add(f, 1));
	ret = auxshim_attach_group(f->domain, f->group, auxshim_mock_sub_parent);
	KT_EXPECT_EQ(t, ret, -EBUSY);
	if (!ret)
		auxshim_detach_group(f->domain, f->group);

	auxshim_detach_group(f->domain, f->group);	/* reaps the tombstone */
	auxshim_test_get_counts(&c);
	KT_EXPECT_EQ(t, c.tombstones, 0);
	KT_EXPECT_EQ(t, auxshim_attach_group(f->domain, f->group,
					     auxshim_mock_sub_parent), 0);
	KT_EXPECT_PTR_EQ(t, auxshim_get_domain_for_dev(f->subs[1]), f->domain);
	auxshim_detach_group(f->domain, f->group);
	KT_EXPECT_TRUE(t, auxshim_get_domain_for_dev(f->subs[1]) != f->domain);
}

/* ---- hole 3: one device of a multi-device group goes away -------------- */

static void partial_removal(struct kt_test *t)
{
	struct rm_fix *f = t->priv;
	struct auxshim_test_counts c;

	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_sub_add(f, 0));
	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_sub_add(f, 1));
	KT_ASSERT_EQ(t, auxshim_attach_group(f->domain, f->group,
					     auxshim_mock_sub_parent), 0);
	rm_sub_remove(f, 0);

	/* The device left keeps its domain, mode and backing attachment. */
	KT_EXPECT_PTR_EQ(t, auxshim_get_domain_for_dev(f->subs[1]), f->domain);
	KT_EXPECT_EQ(t, auxshim_get_mode(f->domain, f->subs[1]),
		     AUXSHIM_MODE_DIRECT);
	KT_EXPECT_PTR_EQ(t, auxshim_mock_dev_domain(f->phys), f->domain);
	auxshim_test_get_counts(&c);
	KT_EXPECT_EQ(t, c.groups, 1);
	KT_EXPECT_EQ(t, c.devs, 1);

	/* A device that joins later was never attached: not reported. */
	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_sub_add(f, 2));
	KT_EXPECT_TRUE(t, auxshim_get_domain_for_dev(f->subs[2]) != f->domain);
	KT_EXPECT_EQ(t, auxshim_get_mode(f->domain, f->subs[2]), -ENODEV);
	KT_EXPECT_EQ(t, auxshim_get_pasid(f->domain, f->subs[2]), -ENODEV);

	auxshim_detach_group(f->domain, f->group);
	KT_EXPECT_TRUE(t, !auxshim_mock_dev_domain(f->phys));
}

/* ---- hole 4: the owner's remove() still sees its attachment ----------- */

static struct rm_fix *rm_owner_fix;
static struct iommu_domain *rm_seen_dev, *rm_seen_phys;
static unsigned int rm_owner_removes;

static int rm_owner_probe(struct device *dev)
{
	return 0;
}

/* What an owner's DMA in flight would go through while it is torn down. */
static int rm_owner_remove(struct device *dev)
{
	rm_owner_removes++;
	rm_seen_dev = auxshim_get_domain_for_dev(dev);
	rm_seen_phys = auxshim_mock_dev_domain(rm_owner_fix->phys);
	return 0;
}

static struct device_driver rm_owner_driver = {
	.name = "auxshim_rm_owner",
	.probe = rm_owner_probe,
	.remove = rm_owner_remove,
};

static void owner_remove_still_attached(struct kt_test *t)
{
	struct rm_fix *f = t->priv;
	struct auxshim_test_counts c;
	struct device *sub;
	int ret;

	sub = rm_sub_add(f, 0);
	KT_ASSERT_NOT_ERR_OR_NULL(t, sub);
	/* An owner bound to the sub-device, as an mdev driver is. */
	rm_owner_fix = f;
	rm_owner_removes = 0;
	rm_seen_dev = NULL;
	rm_seen_phys = NULL;
	rm_owner_driver.bus = sub->bus;
	ret = driver_register(&rm_owner_driver);
	KT_ASSERT_EQ(t, ret, 0);
	KT_EXPECT_PTR_EQ(t, sub->driver, &rm_owner_driver);
	KT_EXPECT_EQ(t, auxshim_attach_group(f->domain, f->group,
					     auxshim_mock_sub_parent), 0);

	rm_sub_remove(f, 0);
	KT_EXPECT_EQ(t, rm_owner_removes, 1);
	KT_EXPECT_PTR_EQ(t, rm_seen_dev, f->domain);
	KT_EXPECT_PTR_EQ(t, rm_seen_phys, f->domain);
	/* Once its driver is gone, the shim forgot the device. */
	KT_EXPECT_TRUE(t, !auxshim_mock_dev_domain(f->phys));
	auxshim_test_get_counts(&c);
	KT_EXPECT_EQ(t, c.tombstones, 1);
	auxshim_detach_group(f->domain, f->group);
	driver_unregister(&rm_owner_driver);
}

/* ---- hole 5: removals the shim has nothing to do with ------------------ */

static void idle_removal_skips_core(struct kt_test *t)
{
	struct rm_fix *f = t->priv;
	struct auxshim_test_counts c0, c1;

	/* Make sure the bus is watched, then leave the shim holding nothing. */
	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_sub_add(f, 0));
	KT_ASSERT_EQ(t, auxshim_attach_group(f->domain, f->group,
					     auxshim_mock_sub_parent), 0);
	auxshim_detach_group(f->domain, f->group);

	auxshim_test_get_counts(&c0);
	rm_sub_remove(f, 0);
	auxshim_test_get_counts(&c1);
	KT_EXPECT_EQ(t, c1.removals - c0.removals, 0);

	/* While it holds something, the same removal does reach the core. */
	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_sub_add(f, 0));
	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_sub_add(f, 1));
	KT_ASSERT_EQ(t, auxshim_attach_group(f->domain, f->group,
					     auxshim_mock_sub_parent), 0);
	auxshim_test_get_counts(&c0);
	rm_sub_remove(f, 1);
	auxshim_test_get_counts(&c1);
	/*
	 * Once at deletion, once after the unbind, once after the bus owner
	 * and the IOMMU core (watch.c).
	 */
	KT_EXPECT_EQ(t, c1.removals - c0.removals, 3);
	KT_EXPECT_EQ(t, c1.devs, 1);
	auxshim_detach_group(f->domain, f->group);
}

/* ---- issue 18: holes found by review (each case failed on ee14a0a) ---- */

/*
 * Item 1: a whole-group attach lasts while the group has any device, not
 * only while it has one the attach recorded.  w0 is attached whole; w1
 * joins later (the IOMMU core attaches it); w0 goes: w1 stays attached.
 */
#define RM_WHOLE_SHARE 2	/* mock shared group index of this case only */

static void whole_group_outlives_recorded_device(struct kt_test *t)
{
	struct rm_fix *f = t->priv;
	struct device *w0, *w1 = NULL;
	struct iommu_group *group;
	struct auxshim_test_counts c;
	int ret;

	w0 = auxshim_mock_phys_add("rm-whole0", false, RM_WHOLE_SHARE);
	KT_ASSERT_NOT_ERR_OR_NULL(t, w0);
	group = iommu_group_get(w0);
	if (!KT_EXPECT_TRUE(t, group))
		goto out_w0;
	ret = auxshim_attach_group(f->domain, group, NULL);
	if (!KT_EXPECT_EQ(t, ret, 0))
		goto out_group;
	w1 = auxshim_mock_phys_add("rm-whole1", false, RM_WHOLE_SHARE);
	if (!KT_EXPECT_NOT_ERR_OR_NULL(t, w1)) {
		w1 = NULL;
		goto out_detach;
	}
	/* The newcomer joined an attached group: the core attached it. */
	KT_EXPECT_PTR_EQ(t, auxshim_mock_dev_domain(w1), f->domain);

	auxshim_mock_phys_remove(w0);
	w0 = NULL;
	KT_EXPECT_PTR_EQ(t, auxshim_mock_dev_domain(w1), f->domain);
	KT_EXPECT_PTR_EQ(t, auxshim_get_domain_for_dev(w1), f->domain);
	auxshim_test_get_counts(&c);
	KT_EXPECT_EQ(t, c.groups, 1);
	KT_EXPECT_EQ(t, c.tombstones, 0);

	/* The group's last device goes: now the attach is undone. */
	auxshim_mock_phys_remove(w1);
	w1 = NULL;
	auxshim_test_get_counts(&c);
	KT_EXPECT_EQ(t, c.groups, 0);
	KT_EXPECT_EQ(t, c.tombstones, 1);
	KT_EXPECT_EQ(t, c.attachments, 0);
out_detach:
	auxshim_detach_group(f->domain, group);
out_group:
	iommu_group_put(group);
out_w0:
	if (w1)
		auxshim_mock_phys_remove(w1);
	if (w0)
		auxshim_mock_phys_remove(w0);
}

/*
 * Items 2 and 3: a device whose deletion is under way, past the shim's
 * removal watch but not yet out of its group, while the shim held nothing.
 * rm_blocker parks the deletion there (after the shim's first notifier,
 * before the bus owner's and the IOMMU core's) until the case lets it go.
 */
struct rm_block {
	struct notifier_block nb;
	struct device *victim;
	struct completion reached, release, done;
	void (*remove)(struct device *dev);
};

static int rm_block_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	struct rm_block *b = container_of(nb, struct rm_block, nb);

	if (action == BUS_NOTIFY_REMOVED_DEVICE && data == b->victim) {
		complete(&b->reached);
		wait_for_completion(&b->release);
	}
	return NOTIFY_DONE;
}

static int rm_block_thread(void *data)
{
	struct rm_block *b = data;

	b->remove(b->victim);
	complete(&b->done);
	return 0;
}

/* Start deleting @victim and wait until it is parked; 0 or an errno. */
static int rm_block_start(struct rm_block *b, struct device *victim,
			  void (*remove)(struct device *dev))
{
	struct task_struct *task;
	int ret;

	memset(b, 0, sizeof(*b));
	init_completion(&b->reached);
	init_completion(&b->release);
	init_completion(&b->done);
	b->victim = victim;
	b->remove = remove;
	b->nb.notifier_call = rm_block_notify;
	/* After the shim's watch (1, registered earlier), before the rest. */
	b->nb.priority = 1;
	ret = bus_register_notifier(victim->bus, &b->nb);
	if (ret)
		return ret;
	task = kthread_run(rm_block_thread, b, "rm-block");
	if (IS_ERR(task)) {
		bus_unregister_notifier(victim->bus, &b->nb);
		return PTR_ERR(task);
	}
	if (!wait_for_completion_timeout(&b->reached, 10 * HZ)) {
		complete(&b->release);
		wait_for_completion(&b->done);
		bus_unregister_notifier(victim->bus, &b->nb);
		return -ETIMEDOUT;
	}
	return 0;
}

static void rm_block_finish(struct rm_block *b, const struct bus_type *bus)
{
	complete(&b->release);
	wait_for_completion(&b->done);
	bus_unregister_notifier((struct bus_type *)bus, &b->nb);
}

static void removed_mid_notification_no_record(struct kt_test *t)
{
	struct rm_fix *f = t->priv;
	struct auxshim_test_counts c;
	const struct bus_type *bus;
	struct rm_block b;
	struct device *sub;
	int ret;

	sub = rm_sub_add(f, 0);
	KT_ASSERT_NOT_ERR_OR_NULL(t, sub);
	/* The bus is watched; then the shim holds nothing. */
	KT_ASSERT_EQ(t, auxshim_attach_group(f->domain, f->group,
					     auxshim_mock_sub_parent), 0);
	auxshim_detach_group(f->domain, f->group);

	bus = sub->bus;
	f->subs[0] = NULL;	/* deleted by the blocker's thread */
	ret = rm_block_start(&b, sub, auxshim_mock_sub_remove);
	KT_ASSERT_EQ(t, ret, 0);
	/* The device is still in the group and still registered. */
	ret = auxshim_attach_group(f->domain, f->group, auxshim_mock_sub_parent);
	rm_block_finish(&b, bus);

	/* Whatever the attach said, nothing may outlive the device. */
	auxshim_test_get_counts(&c);
	KT_EXPECT_TRUE_MSG(t, !c.devs && !c.attachments && !c.groups,
			   "after the deletion (attach said %d): groups %u devs %u attachments %u",
			   ret, c.groups, c.devs, c.attachments);
	KT_EXPECT_TRUE(t, !auxshim_mock_dev_domain(f->phys));
	if (!ret || c.tombstones)
		auxshim_detach_group(f->domain, f->group);
}

static void enable_aux_mid_removal_forgotten(struct kt_test *t)
{
	struct auxshim_test_counts c;
	const struct bus_type *bus;
	struct rm_block b;
	struct device *p;
	int ret;

	if (!strcmp(auxshim_test_aux_backend(), "none")) {
		kt_skip(t, "no aux backend on this kernel");
		return;
	}
	p = auxshim_mock_phys_add("rm-auxvictim", true, 0);
	KT_ASSERT_NOT_ERR_OR_NULL(t, p);
	/* Its bus is watched: enable and disable aux once. */
	ret = auxshim_dev_enable_aux(p);
	if (!KT_EXPECT_EQ(t, ret, 0)) {
		auxshim_mock_phys_remove(p);
		return;
	}
	auxshim_dev_disable_aux(p);

	bus = p->bus;
	ret = rm_block_start(&b, p, auxshim_mock_phys_remove);
	KT_ASSERT_EQ(t, ret, 0);
	ret = auxshim_dev_enable_aux(p);
	rm_block_finish(&b, bus);

	auxshim_test_get_counts(&c);
	KT_EXPECT_TRUE_MSG(t, !c.aux_devs,
			   "a device enabled while being deleted (enable said %d) is still held: %u aux devices",
			   ret, c.aux_devs);
}

/*
 * Item 5: a tombstone is the group entry itself, marked: no allocation can
 * fail on the removal path, and a re-attach before the owner's detach is
 * -EBUSY whether the group has devices again or none.
 */
static void tombstone_needs_no_allocation(struct kt_test *t)
{
	struct rm_fix *f = t->priv;
	int ret;

	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_sub_add(f, 0));
	KT_ASSERT_EQ(t, auxshim_attach_group(f->domain, f->group,
					     auxshim_mock_sub_parent), 0);
	/* Fail the shim's next allocation, wherever the removal makes one. */
	auxshim_test_fail_nth(1);
	rm_sub_remove(f, 0);
	KT_EXPECT_FALSE(t, auxshim_test_fail_fired());
	auxshim_test_fail_nth(0);

	/* An emptied group: the documented -EBUSY, not -ENODEV. */
	ret = auxshim_attach_group(f->domain, f->group, auxshim_mock_sub_parent);
	KT_EXPECT_EQ(t, ret, -EBUSY);
	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_sub_add(f, 1));
	ret = auxshim_attach_group(f->domain, f->group, auxshim_mock_sub_parent);
	KT_EXPECT_EQ(t, ret, -EBUSY);
	if (!ret)
		auxshim_detach_group(f->domain, f->group);
	auxshim_detach_group(f->domain, f->group);	/* reaps the tombstone */
	KT_EXPECT_EQ(t, auxshim_attach_group(f->domain, f->group,
					     auxshim_mock_sub_parent), 0);
	auxshim_detach_group(f->domain, f->group);
}

/*
 * Item 6: one record per device.  A device that moves to another group
 * while its first group is attached (an mdev rebound on 5.10 gets a new
 * group) cannot be attached a second time through the new group.
 */
static struct device *rm_other_phys;

/* The same sub-devices, backed by another physical device. */
static struct device *rm_lookup_other(struct device *dev)
{
	return rm_other_phys;
}

static void one_record_per_device(struct kt_test *t)
{
	struct rm_fix *f = t->priv;
	struct iommu_domain *d2 = NULL;
	struct iommu_group *g2 = NULL;
	struct device *sub;
	int ret;

	sub = rm_sub_add(f, 0);
	KT_ASSERT_NOT_ERR_OR_NULL(t, sub);
	rm_other_phys = auxshim_mock_phys_add("rm-other", false, 0);
	KT_ASSERT_NOT_ERR_OR_NULL(t, rm_other_phys);
	d2 = auxshim_domain_alloc(rm_other_phys);
	if (!KT_EXPECT_NOT_ERR_OR_NULL(t, d2)) {
		d2 = NULL;
		goto out;
	}
	g2 = iommu_group_alloc();
	if (!KT_EXPECT_NOT_ERR_OR_NULL(t, g2)) {
		g2 = NULL;
		goto out;
	}
	if (!KT_EXPECT_EQ(t, auxshim_attach_group(f->domain, f->group,
						  auxshim_mock_sub_parent), 0))
		goto out;
	iommu_group_remove_device(sub);
	ret = iommu_group_add_device(g2, sub);
	if (!KT_EXPECT_EQ(t, ret, 0))
		goto out_detach;
	ret = auxshim_attach_group(d2, g2, rm_lookup_other);
	KT_EXPECT_EQ(t, ret, -EBUSY);
	if (!ret) {
		/* What main did: two keys; the reader then saw the stale one. */
		auxshim_detach_group(d2, g2);
		KT_EXPECT_TRUE(t, auxshim_get_domain_for_dev(sub) != d2);
	} else {
		KT_EXPECT_PTR_EQ(t, auxshim_get_domain_for_dev(sub), f->domain);
	}
	iommu_group_remove_device(sub);
	KT_EXPECT_EQ(t, iommu_group_add_device(f->group, sub), 0);
out_detach:
	auxshim_detach_group(f->domain, f->group);
	KT_EXPECT_TRUE(t, auxshim_get_domain_for_dev(sub) != f->domain);
	KT_EXPECT_TRUE(t, auxshim_get_domain_for_dev(sub) != d2);
out:
	if (g2)
		iommu_group_put(g2);
	if (d2)
		iommu_domain_free(d2);
	auxshim_mock_phys_remove(rm_other_phys);
}

/*
 * Item 7: the lookup table's allocation goes through the fault injection
 * like every other allocation of the shim, and a failed one keeps the old
 * table.
 */
static void table_alloc_injectable(struct kt_test *t)
{
	int ret;

	auxshim_test_fail_nth(1);
	ret = auxshim_test_lut_grow();
	KT_EXPECT_EQ(t, ret, -ENOMEM);
	KT_EXPECT_TRUE(t, auxshim_test_fail_fired());
	auxshim_test_fail_nth(0);
	KT_EXPECT_EQ(t, auxshim_test_lut_grow(), 0);
}

static struct kt_case rm_cases[] = {
	KT_CASE(removed_during_attach_refused),
	KT_CASE(reattach_over_tombstone_refused),
	KT_CASE(partial_removal),
	KT_CASE(owner_remove_still_attached),
	KT_CASE(idle_removal_skips_core),
	KT_CASE(whole_group_outlives_recorded_device),
	KT_CASE(removed_mid_notification_no_record),
	KT_CASE(enable_aux_mid_removal_forgotten),
	KT_CASE(tombstone_needs_no_allocation),
	KT_CASE(one_record_per_device),
	KT_CASE(table_alloc_injectable),
	{}
};

struct kt_suite auxshim_removal_suite = {
	.name = "auxshim_removal_contract",
	.init = rm_init,
	.exit = rm_exit,
	.cases = rm_cases,
};
