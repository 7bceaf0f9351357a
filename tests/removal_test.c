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
#include <linux/kernel.h>

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
	/* Once at deletion, once after the unbind. */
	KT_EXPECT_EQ(t, c1.removals - c0.removals, 2);
	KT_EXPECT_EQ(t, c1.devs, 1);
	auxshim_detach_group(f->domain, f->group);
}

static struct kt_case rm_cases[] = {
	KT_CASE(removed_during_attach_refused),
	KT_CASE(reattach_over_tombstone_refused),
	KT_CASE(partial_removal),
	KT_CASE(owner_remove_still_attached),
	KT_CASE(idle_removal_skips_core),
	{}
};

struct kt_suite auxshim_removal_suite = {
	.name = "auxshim_removal_contract",
	.init = rm_init,
	.exit = rm_exit,
	.cases = rm_cases,
};
