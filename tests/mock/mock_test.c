// SPDX-License-Identifier: GPL-2.0-only
/*
 * auxshim_mocktest.ko: the shim's tests against the test IOMMU
 * (auxshim_mockiommu.ko), for the paths edu cannot reach: aux/PASID,
 * rollback under the mock's fail_nth, concurrency, device removal.  The
 * suites run at load, as KUnit's do, and print one KTAP document (KUnit
 * layout, tests/ktap.h); their names are those of tests/auxshim_test.c's
 * suites where they test the same unit:
 *
 *   mock_rig             the mock IOMMU itself: topology, translation
 *   auxshim_attach       direct vs aux attach, mixed and whole groups
 *   auxshim_detach       a wrong-domain detach
 *   auxshim_pasid        PASIDs, enable/disable aux
 *   auxshim_rollback     fail_nth of the shim's allocations and the mock's ops
 *   auxshim_concurrency  attach/detach/free against lock-free lookups
 *   auxshim_removal      device removal
 *   auxshim_removal_contract  removal races, tombstones, partial removal,
 *                        the owner's remove() (tests/removal_test.c)
 *
 * The module then stays loaded so that the guest script can hold an
 * attachment (/sys/module/auxshim_mocktest/parameters/hold, as
 * auxshim_test's) and try to unload things under it.
 */
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "auxshim.h"
#include "src/shim/test_hooks.h"
#include "tests/bench.h"
#include "mock_iommu.h"
#include "mock_suites.h"

static int bench_rounds;
module_param(bench_rounds, int, 0444);
MODULE_PARM_DESC(bench_rounds,
		 "run only the attach benchmark, with this many rounds (make bench)");

static bool run_suites = true;
module_param(run_suites, bool, 0444);
MODULE_PARM_DESC(run_suites,
		 "run the KTAP suites at load (0: only the hold knob, for failslab.test.sh)");

static int stress_secs = 20;
module_param(stress_secs, int, 0444);
MODULE_PARM_DESC(stress_secs, "length of the concurrency stress, seconds");

#define MT_NR_PHYS 5 /* p0-p2 PASID-capable, p3-p4 not */
#define MT_NR_SHARED 3 /* q0-q2: one IOMMU group */
#define MT_FAIL_MAX 200

static struct device *mt_p[MT_NR_PHYS];
static struct device *mt_q[MT_NR_SHARED];
static bool mt_aux; /* the shim has an aux backend on this kernel */
static char mt_reason[160];
static atomic_t mt_seq = ATOMIC_INIT(0);

/*
 * mt_fail(t, &ret, ok, fmt, ...): a KT_EXPECT that also sets *ret on a
 * failure, and is true then: the caller jumps to its cleanup.
 */
#define mt_fail(t, ret, ok, fmt, ...)					\
	(!KT_EXPECT_TRUE_MSG(t, ok, fmt, ##__VA_ARGS__) && (*(ret) = -EINVAL, true))

/*
 * The cases are int functions: 0 passed, -EOPNOTSUPP skipped (mt_reason
 * says why), anything else failed.  MT_CASE(name) makes the KTAP case
 * "name" of mt_name().
 */
static void mt_result(struct kt_test *t, int ret)
{
	if (t->failed)
		return;
	if (ret == -EOPNOTSUPP)
		kt_skip(t, mt_reason);
	else if (ret)
		kt_check(t, false, __LINE__, "returned %d %s", ret, mt_reason);
}

#define MT_CASE(name)							\
	static void name(struct kt_test *t)				\
	{								\
		mt_result(t, mt_##name(t));				\
	}

/* ---- helpers ---- */

struct mt_snap {
	struct auxshim_test_counts shim;
	struct auxshim_mock_counts mock;
};

static void mt_snapshot(struct mt_snap *s)
{
	auxshim_test_get_counts(&s->shim);
	auxshim_mock_get_counts(&s->mock);
}

/*
 * Nothing held beyond @base: no shim groups, records or attachments, no
 * live shim objects beyond @base's, no mock attachments or PASIDs, and the
 * mock's domains and page-table pages as in @base.
 */
static int mt_idle(const struct mt_snap *base, char *why, size_t len)
{
	struct mt_snap now;

	mt_snapshot(&now);
	if (now.shim.groups || now.shim.devs || now.shim.attachments ||
	    now.shim.allocs != base->shim.allocs || now.mock.attached ||
	    now.mock.pasids || now.mock.pasid_ids ||
	    now.mock.domains != base->mock.domains ||
	    now.mock.pages != base->mock.pages) {
		snprintf(why, len,
			 "not idle: shim groups %u devs %u atts %u allocs %ld (base %ld); mock attached %u pasids %u ids %u domains %ld (base %ld) pages %ld (base %ld)",
			 now.shim.groups, now.shim.devs, now.shim.attachments,
			 now.shim.allocs, base->shim.allocs, now.mock.attached,
			 now.mock.pasids, now.mock.pasid_ids, now.mock.domains,
			 base->mock.domains, now.mock.pages, base->mock.pages);
		return -EINVAL;
	}
	return 0;
}

/* mt_fail() unless nothing is held beyond @base. */
#define mt_fail_idle(t, ret, base) ({					\
	char __why[sizeof(mt_reason)];					\
	mt_fail(t, ret, !mt_idle(base, __why, sizeof(__why)), "%s", __why); })

/* A group of sub-devices, the i-th backed by backs[i]. */
struct mt_grp {
	struct iommu_group *group; /* reference held */
	struct device *subs[4];
	int n;
};

static int mt_grp_make(struct mt_grp *g, struct device **backs, int n)
{
	char name[32];
	int i;

	memset(g, 0, sizeof(*g));
	g->group = iommu_group_alloc();
	if (IS_ERR(g->group)) {
		int ret = PTR_ERR(g->group);

		g->group = NULL;
		return ret;
	}
	for (i = 0; i < n; i++) {
		struct device *sub;

		snprintf(name, sizeof(name), "mt-sub%d",
			 atomic_inc_return(&mt_seq));
		sub = auxshim_mock_sub_add(name, backs[i], g->group);
		if (IS_ERR(sub))
			return PTR_ERR(sub);
		g->subs[g->n++] = sub;
	}
	return 0;
}

static void mt_grp_free(struct mt_grp *g)
{
	int i;

	for (i = 0; i < g->n; i++)
		if (g->subs[i])
			auxshim_mock_sub_remove(g->subs[i]);
	g->n = 0;
	if (g->group)
		iommu_group_put(g->group);
	g->group = NULL;
}

static struct iommu_domain *mt_domain(void)
{
	struct iommu_domain *d = auxshim_domain_alloc(mt_p[0]);

	return IS_ERR(d) ? NULL : d;
}

static void mt_domain_free(struct iommu_domain *d)
{
	if (d)
		iommu_domain_free(d);
}

/* ---- test cases ---- */

/* The fake topology is what the tests assume, and domains translate. */
static int mt_mock_translation(struct kt_test *t)
{
	struct iommu_group *g0, *g1, *gq0 = NULL, *gq;
	struct iommu_domain *d = NULL;
	unsigned long iova = 0x10200000;
	struct page *page;
	phys_addr_t phys, got;
	struct mt_snap base, now;
	int ret = 0, i;

	page = alloc_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	phys = page_to_phys(page);
	mt_snapshot(&base);

	g0 = iommu_group_get(mt_p[0]);
	g1 = iommu_group_get(mt_p[1]);
	gq0 = iommu_group_get(mt_q[0]);
	if (mt_fail(t, &ret, g0 && g1 && g0 != g1,
		    "p0/p1 not in distinct IOMMU groups"))
		goto out;
	for (i = 1; i < MT_NR_SHARED; i++) {
		gq = iommu_group_get(mt_q[i]);
		if (gq)
			iommu_group_put(gq);
		if (mt_fail(t, &ret, gq0 && gq == gq0,
			    "q%d not in q0's group", i))
			goto out;
	}
	if (mt_fail(t, &ret, auxshim_dev_has_aux(mt_p[0]) == mt_aux,
		    "has_aux(p0) %d, backend %s", auxshim_dev_has_aux(mt_p[0]),
		    auxshim_test_aux_backend()))
		goto out;
	if (mt_fail(t, &ret, !auxshim_dev_has_aux(mt_p[3]),
		    "has_aux(p3) without PASIDs"))
		goto out;

	d = mt_domain();
	if (mt_fail(t, &ret, d, "auxshim_domain_alloc(p0) failed"))
		goto out;
	if (mt_fail(t, &ret, auxshim_mock_domain_valid(d),
		    "domain is not a mock domain"))
		goto out;
	ret = auxshim_map(d, iova, phys, PAGE_SIZE, IOMMU_READ | IOMMU_WRITE);
	if (mt_fail(t, &ret, !ret, "map: %d", ret))
		goto out;
	got = iommu_iova_to_phys(d, iova + 0x18);
	if (mt_fail(t, &ret, got == phys + 0x18,
		    "iova_to_phys %pa, want %pa + 0x18", &got, &phys))
		goto out;
	if (mt_fail(t, &ret, !iommu_iova_to_phys(d, iova + PAGE_SIZE),
		    "unmapped iova translates"))
		goto out;
	mt_snapshot(&now);
	if (mt_fail(t, &ret, now.mock.pages == base.mock.pages + 1,
		    "page-table pages %ld, want %ld", now.mock.pages,
		    base.mock.pages + 1))
		goto out;

	/* An injected map failure maps nothing. */
	auxshim_mock_fail_nth(1, AUXSHIM_MOCK_FAIL_MAP);
	ret = auxshim_map(d, iova + PAGE_SIZE, phys, PAGE_SIZE, IOMMU_READ);
	if (mt_fail(t, &ret, ret && auxshim_mock_fail_fired(),
		    "injected map failure: %d", ret))
		goto out;
	if (mt_fail(t, &ret, !iommu_iova_to_phys(d, iova + PAGE_SIZE),
		    "failed map translates"))
		goto out;
	ret = 0;

	if (mt_fail(t, &ret,
		    iommu_unmap(d, iova, PAGE_SIZE) == PAGE_SIZE, "unmap size"))
		goto out;
	if (mt_fail(t, &ret, !iommu_iova_to_phys(d, iova),
		    "unmapped iova still translates"))
		goto out;
out:
	auxshim_mock_fail_nth(0, 0);
	mt_domain_free(d);
	if (!ret) {
		mt_snapshot(&now);
		if (now.mock.domains != base.mock.domains ||
		    now.mock.pages != base.mock.pages) {
			snprintf(mt_reason, sizeof(mt_reason),
				 "domain free leaked: domains %ld pages %ld",
				 now.mock.domains, now.mock.pages);
			ret = -EINVAL;
		}
	}
	if (g0)
		iommu_group_put(g0);
	if (g1)
		iommu_group_put(g1);
	if (gq0)
		iommu_group_put(gq0);
	__free_page(page);
	return ret;
}

/* A backing device without aux enabled gets a whole-device attach. */
static int mt_direct_when_not_aux(struct kt_test *t)
{
	struct device *backs[2] = { mt_p[3], mt_p[0] };
	struct iommu_domain *d;
	struct mt_grp g = {};
	struct mt_snap base;
	int ret, i;

	d = mt_domain();
	if (!d)
		return -ENOMEM;
	mt_snapshot(&base);
	for (i = 0; i < 2; i++) {
		/* p3 cannot do aux; p0 can but does not have it enabled. */
		ret = mt_grp_make(&g, &backs[i], 1);
		if (mt_fail(t, &ret, !ret, "making a group: %d", ret))
			goto out;
		if (mt_fail(t, &ret, !auxshim_dev_aux_enabled(backs[i]),
			    "aux enabled on %s", dev_name(backs[i])))
			goto out;
		ret = auxshim_attach_group(d, g.group, auxshim_mock_sub_parent);
		if (mt_fail(t, &ret, !ret, "attach through %s: %d",
			    dev_name(backs[i]), ret))
			goto out;
		if (mt_fail(t, &ret,
			    auxshim_mock_dev_domain(backs[i]) == d,
			    "mock saw no direct attach of %s",
			    dev_name(backs[i])))
			goto out;
		if (mt_fail(t, &ret,
			    auxshim_mock_dev_pasid(backs[i], d) < 0,
			    "mock saw a PASID attach of %s",
			    dev_name(backs[i])))
			goto out;
		if (mt_fail(t, &ret,
			    auxshim_get_domain_for_dev(g.subs[0]) == d,
			    "get_domain_for_dev(sub) wrong"))
			goto out;
		if (mt_fail(t, &ret,
			    auxshim_get_pasid(d, g.subs[0]) == -EINVAL,
			    "get_pasid of a direct attach: %d",
			    auxshim_get_pasid(d, g.subs[0])))
			goto out;
		auxshim_detach_group(d, g.group);
		if (mt_fail(t, &ret, !auxshim_mock_dev_domain(backs[i]),
			    "still attached after detach"))
			goto out;
		if (mt_fail(t, &ret,
			    !auxshim_get_domain_for_dev(g.subs[0]),
			    "get_domain_for_dev after detach"))
			goto out;
		if (mt_fail_idle(t, &ret, &base))
			goto out;
		mt_grp_free(&g);
	}
out:
	mt_grp_free(&g);
	mt_domain_free(d);
	return ret;
}

/*
 * A whole-device attach takes the backing device itself off its default
 * domain for as long as it lasts: what its own driver maps with the DMA
 * API is in the default domain, which no longer translates its DMA.  An
 * aux attach leaves the backing device's own DMA alone.  (The shim claims
 * no DMA ownership: see auxshim_attach_group()'s kernel-doc.)
 */
static int mt_direct_takes_parent_dma(struct kt_test *t)
{
	struct device *backs[1] = { mt_p[3] };
	struct iommu_domain *d, *def;
	struct mt_grp g = {};
	int ret;

	d = mt_domain();
	if (!d)
		return -ENOMEM;
	def = iommu_get_domain_for_dev(mt_p[3]);
	ret = mt_grp_make(&g, backs, 1);
	if (mt_fail(t, &ret, !ret, "making a group: %d", ret))
		goto out;
	ret = auxshim_attach_group(d, g.group, auxshim_mock_sub_parent);
	if (mt_fail(t, &ret, !ret, "attach: %d", ret))
		goto out;
	mt_fail(t, &ret, iommu_get_domain_for_dev(mt_p[3]) == d,
		"the parent's own DMA is still on %p, not the attached %p",
		iommu_get_domain_for_dev(mt_p[3]), d);
	auxshim_detach_group(d, g.group);
	mt_fail(t, &ret, iommu_get_domain_for_dev(mt_p[3]) == def,
		"after the detach the parent's DMA is on %p, not its default %p",
		iommu_get_domain_for_dev(mt_p[3]), def);
	mt_grp_free(&g);
	if (ret || !mt_aux)
		goto out;

	/* Aux: the parent keeps its own domain. */
	backs[0] = mt_p[0];
	def = iommu_get_domain_for_dev(mt_p[0]);
	ret = auxshim_dev_enable_aux(mt_p[0]);
	if (mt_fail(t, &ret, !ret, "enable_aux: %d", ret))
		goto out;
	ret = mt_grp_make(&g, backs, 1);
	if (!mt_fail(t, &ret, !ret, "making a group: %d", ret)) {
		ret = auxshim_attach_group(d, g.group, auxshim_mock_sub_parent);
		if (!mt_fail(t, &ret, !ret, "aux attach: %d", ret)) {
			mt_fail(t, &ret,
				iommu_get_domain_for_dev(mt_p[0]) == def,
				"an aux attach moved the parent's own DMA");
			auxshim_detach_group(d, g.group);
		}
	}
	auxshim_dev_disable_aux(mt_p[0]);
out:
	mt_grp_free(&g);
	mt_domain_free(d);
	return ret;
}

static int mt_need_aux(void)
{
	if (mt_aux)
		return 0;
	snprintf(mt_reason, sizeof(mt_reason),
		 "no aux/PASID attach on this kernel (aux backend %s)",
		 auxshim_test_aux_backend());
	return -EOPNOTSUPP;
}

/*
 * The end of a one-group aux case, whatever it left: the attachment if it
 * failed half way, the group, aux on @aux, the domain.
 */
static int mt_aux_end(int ret, struct iommu_domain *d, struct mt_grp *g,
		      struct device *aux)
{
	if (ret)
		auxshim_detach_group(d, g->group);
	mt_grp_free(g);
	auxshim_dev_disable_aux(aux);
	mt_domain_free(d);
	return ret;
}

/*
 * The start of an aux case with one domain: the kernel has aux/PASID
 * attach, a domain, and the state the case must come back to.
 */
static int mt_aux_begin(struct iommu_domain **d, struct mt_snap *base)
{
	int ret = mt_need_aux();

	if (ret)
		return ret;
	*d = mt_domain();
	if (!*d)
		return -ENOMEM;
	mt_snapshot(base);
	return 0;
}

/* A backing device with aux enabled gets an aux/PASID attach. */
static int mt_aux_when_enabled(struct kt_test *t)
{
	struct iommu_domain *d = NULL;
	struct mt_grp g = {};
	struct mt_snap base;
	int ret, pasid;

	ret = mt_aux_begin(&d, &base);
	if (ret)
		return ret;
	ret = auxshim_dev_enable_aux(mt_p[0]);
	if (mt_fail(t, &ret, !ret, "enable_aux(p0): %d", ret))
		goto out;
	if (mt_fail(t, &ret, auxshim_dev_aux_enabled(mt_p[0]),
		    "aux not enabled on p0"))
		goto out;
	ret = mt_grp_make(&g, &mt_p[0], 1);
	if (mt_fail(t, &ret, !ret, "making a group: %d", ret))
		goto out;
	ret = auxshim_attach_group(d, g.group, auxshim_mock_sub_parent);
	if (mt_fail(t, &ret, !ret, "attach: %d", ret))
		goto out;
	pasid = auxshim_mock_dev_pasid(mt_p[0], d);
	if (mt_fail(t, &ret, pasid > 0, "mock saw no PASID attach: %d",
		    pasid))
		goto out;
	if (mt_fail(t, &ret, !auxshim_mock_dev_domain(mt_p[0]),
		    "mock saw a direct attach"))
		goto out;
	if (mt_fail(t, &ret, auxshim_get_pasid(d, g.subs[0]) == pasid,
		    "get_pasid %d, mock saw %d",
		    auxshim_get_pasid(d, g.subs[0]), pasid))
		goto out;
	if (mt_fail(t, &ret, auxshim_get_domain_for_dev(g.subs[0]) == d,
		    "get_domain_for_dev"))
		goto out;
	auxshim_detach_group(d, g.group);
	if (mt_fail(t, &ret, auxshim_mock_dev_pasid(mt_p[0], d) < 0,
		    "PASID still attached"))
		goto out;
	if (mt_fail(t, &ret, auxshim_get_pasid(d, g.subs[0]) == -ENODEV,
		    "get_pasid after detach: %d",
		    auxshim_get_pasid(d, g.subs[0])))
		goto out;
	ret = auxshim_dev_disable_aux(mt_p[0]);
	if (mt_fail(t, &ret, !ret, "disable_aux(p0): %d", ret))
		goto out;
	if (mt_fail_idle(t, &ret, &base))
		goto out;
out:
	return mt_aux_end(ret, d, &g, mt_p[0]);
}

/* One group, two aux backings and one direct. */
static int mt_mixed_group(struct kt_test *t)
{
	struct device *backs[3] = { mt_p[0], mt_p[1], mt_p[3] };
	struct iommu_domain *d = NULL;
	struct mt_grp g = {};
	struct mt_snap base;
	int ret, i;

	ret = mt_aux_begin(&d, &base);
	if (ret)
		return ret;
	if (mt_fail(t, &ret,
		    !auxshim_dev_enable_aux(mt_p[0]) &&
			    !auxshim_dev_enable_aux(mt_p[1]),
		    "enable_aux"))
		goto out;
	ret = mt_grp_make(&g, backs, 3);
	if (mt_fail(t, &ret, !ret, "making a group: %d", ret))
		goto out;
	ret = auxshim_attach_group(d, g.group, auxshim_mock_sub_parent);
	if (mt_fail(t, &ret, !ret, "attach: %d", ret))
		goto out;
	for (i = 0; i < 2; i++) {
		if (mt_fail(t, &ret,
			    auxshim_mock_dev_pasid(backs[i], d) > 0 &&
				    !auxshim_mock_dev_domain(backs[i]),
			    "%s not aux-attached", dev_name(backs[i])))
			goto out;
		if (mt_fail(t, &ret,
			    auxshim_get_pasid(d, g.subs[i]) ==
				    auxshim_mock_dev_pasid(backs[i], d),
			    "PASID of sub %d", i))
			goto out;
	}
	if (mt_fail(t, &ret,
		    auxshim_mock_dev_domain(mt_p[3]) == d &&
			    auxshim_mock_dev_pasid(mt_p[3], d) < 0,
		    "p3 not directly attached"))
		goto out;
	for (i = 0; i < 3; i++)
		if (mt_fail(t, &ret,
			    auxshim_get_domain_for_dev(g.subs[i]) == d,
			    "get_domain_for_dev(sub %d)", i))
			goto out;
	auxshim_detach_group(d, g.group);
	auxshim_dev_disable_aux(mt_p[0]);
	auxshim_dev_disable_aux(mt_p[1]);
	if (mt_fail_idle(t, &ret, &base))
		goto out;
out:
	mt_grp_free(&g);
	auxshim_dev_disable_aux(mt_p[0]);
	auxshim_dev_disable_aux(mt_p[1]);
	mt_domain_free(d);
	return ret;
}

/* PASIDs are the ones the IOMMU saw, unique per domain, freed on detach. */
static int mt_pasids_seen_unique_freed(struct kt_test *t)
{
	struct iommu_domain *d1 = NULL, *d2 = NULL;
	struct mt_grp g1 = {}, g2 = {}, g3 = {};
	int ret, p1, p2, p3;
	struct mt_snap base;

	ret = mt_need_aux();
	if (ret)
		return ret;
	d1 = mt_domain();
	d2 = mt_domain();
	if (mt_fail(t, &ret, d1 && d2, "domain alloc"))
		goto out;
	mt_snapshot(&base);
	if (mt_fail(t, &ret,
		    !auxshim_dev_enable_aux(mt_p[0]) &&
			    !auxshim_dev_enable_aux(mt_p[1]),
		    "enable_aux"))
		goto out;
	if (mt_fail(t, &ret,
		    !mt_grp_make(&g1, &mt_p[0], 1) &&
			    !mt_grp_make(&g2, &mt_p[0], 1) &&
			    !mt_grp_make(&g3, &mt_p[1], 1),
		    "making groups"))
		goto out;
	if (mt_fail(t, &ret,
		    !auxshim_attach_group(d1, g1.group,
					  auxshim_mock_sub_parent) &&
			    !auxshim_attach_group(d2, g2.group,
						  auxshim_mock_sub_parent) &&
			    !auxshim_attach_group(d1, g3.group,
						  auxshim_mock_sub_parent),
		    "attach"))
		goto out;
	p1 = auxshim_get_pasid(d1, g1.subs[0]);
	p2 = auxshim_get_pasid(d2, g2.subs[0]);
	p3 = auxshim_get_pasid(d1, g3.subs[0]);
	if (mt_fail(t, &ret,
		    p1 > 0 && p1 == auxshim_mock_dev_pasid(mt_p[0], d1),
		    "p0/d1 PASID %d, mock %d", p1,
		    auxshim_mock_dev_pasid(mt_p[0], d1)))
		goto out;
	if (mt_fail(t, &ret,
		    p2 > 0 && p2 == auxshim_mock_dev_pasid(mt_p[0], d2),
		    "p0/d2 PASID %d, mock %d", p2,
		    auxshim_mock_dev_pasid(mt_p[0], d2)))
		goto out;
	if (mt_fail(t, &ret,
		    p3 > 0 && p3 == auxshim_mock_dev_pasid(mt_p[1], d1),
		    "p1/d1 PASID %d, mock %d", p3,
		    auxshim_mock_dev_pasid(mt_p[1], d1)))
		goto out;
	if (mt_fail(t, &ret, p1 != p2 && p3 != p2,
		    "PASIDs not unique across domains: %d %d %d", p1, p2, p3))
		goto out;
	if (mt_fail(t, &ret,
		    auxshim_get_pasid(d2, g1.subs[0]) == -EINVAL,
		    "get_pasid with the wrong domain: %d",
		    auxshim_get_pasid(d2, g1.subs[0])))
		goto out;
	auxshim_detach_group(d1, g1.group);
	auxshim_detach_group(d2, g2.group);
	auxshim_detach_group(d1, g3.group);
	if (mt_fail(t, &ret,
		    auxshim_get_pasid(d1, g1.subs[0]) == -ENODEV,
		    "get_pasid after detach"))
		goto out;
	auxshim_dev_disable_aux(mt_p[0]);
	auxshim_dev_disable_aux(mt_p[1]);
	if (mt_fail_idle(t, &ret, &base))
		goto out;
out:
	mt_grp_free(&g1);
	mt_grp_free(&g2);
	mt_grp_free(&g3);
	auxshim_dev_disable_aux(mt_p[0]);
	auxshim_dev_disable_aux(mt_p[1]);
	mt_domain_free(d1);
	mt_domain_free(d2);
	return ret;
}

/* Disabling aux is refused while aux attachments exist. */
static int mt_disable_aux_busy(struct kt_test *t)
{
	struct iommu_domain *d = NULL;
	struct mt_grp g = {};
	int ret;

	ret = mt_need_aux();
	if (ret)
		return ret;
	d = mt_domain();
	if (mt_fail(t, &ret, d, "domain alloc"))
		goto out;
	if (mt_fail(t, &ret, !auxshim_dev_enable_aux(mt_p[2]),
		    "enable_aux(p2)"))
		goto out;
	if (mt_fail(t, &ret, !mt_grp_make(&g, &mt_p[2], 1),
		    "making a group"))
		goto out;
	if (mt_fail(t, &ret,
		    !auxshim_attach_group(d, g.group, auxshim_mock_sub_parent),
		    "attach"))
		goto out;
	ret = auxshim_dev_disable_aux(mt_p[2]);
	if (mt_fail(t, &ret, ret == -EBUSY,
		    "disable_aux while attached: %d", ret))
		goto out;
	ret = 0;
	if (mt_fail(t, &ret, auxshim_dev_aux_enabled(mt_p[2]),
		    "aux off after a refused disable"))
		goto out;
	if (mt_fail(t, &ret, auxshim_mock_dev_pasid(mt_p[2], d) > 0,
		    "attachment lost"))
		goto out;
	auxshim_detach_group(d, g.group);
	ret = auxshim_dev_disable_aux(mt_p[2]);
	if (mt_fail(t, &ret, !ret, "disable_aux after detach: %d", ret))
		goto out;
	if (mt_fail(t, &ret, !auxshim_dev_aux_enabled(mt_p[2]),
		    "aux still enabled"))
		goto out;
out:
	return mt_aux_end(ret, d, &g, mt_p[2]);
}

/* Enabling aux where it cannot be done fails cleanly. */
static int mt_enable_aux_unsupported(struct kt_test *t)
{
	struct mt_grp g = {};
	int ret;

	ret = mt_grp_make(&g, &mt_p[3], 1);
	if (mt_fail(t, &ret, !ret, "making a group: %d", ret))
		goto out;
	ret = auxshim_dev_enable_aux(mt_p[3]);
	if (mt_fail(t, &ret, ret == -EOPNOTSUPP || ret == -ENODEV,
		    "enable_aux(p3): %d", ret))
		goto out;
	if (mt_fail(t, &ret, !auxshim_dev_aux_enabled(mt_p[3]),
		    "aux enabled on p3"))
		goto out;
	ret = auxshim_dev_enable_aux(g.subs[0]);
	if (mt_fail(t, &ret, ret == -EOPNOTSUPP || ret == -ENODEV,
		    "enable_aux(sub): %d", ret))
		goto out;
	ret = auxshim_dev_enable_aux(NULL);
	if (mt_fail(t, &ret, ret == -EINVAL, "enable_aux(NULL): %d",
		    ret))
		goto out;
	ret = 0;
out:
	mt_grp_free(&g);
	return ret;
}

/* lookup == NULL attaches a multi-device IOMMU group as a whole. */
static int mt_whole_group_attach(struct kt_test *t)
{
	struct iommu_group *group;
	struct iommu_domain *d;
	struct mt_snap base;
	int ret, i;

	d = mt_domain();
	if (!d)
		return -ENOMEM;
	mt_snapshot(&base);
	group = iommu_group_get(mt_q[0]);
	if (mt_fail(t, &ret, group, "q0 has no group"))
		goto out;
	ret = auxshim_attach_group(d, group, NULL);
	if (mt_fail(t, &ret, !ret, "attach: %d", ret))
		goto out;
	for (i = 0; i < MT_NR_SHARED; i++) {
		if (mt_fail(t, &ret,
			    auxshim_mock_dev_domain(mt_q[i]) == d,
			    "q%d not attached", i))
			goto out;
		if (mt_fail(t, &ret,
			    auxshim_get_domain_for_dev(mt_q[i]) == d,
			    "get_domain_for_dev(q%d)", i))
			goto out;
	}
	ret = auxshim_attach_group(d, group, NULL);
	if (mt_fail(t, &ret, ret == -EBUSY, "second attach: %d", ret))
		goto out;
	ret = 0;
	auxshim_detach_group(d, group);
	for (i = 0; i < MT_NR_SHARED; i++)
		if (mt_fail(t, &ret, !auxshim_mock_dev_domain(mt_q[i]),
			    "q%d still attached", i))
			goto out;
	if (mt_fail_idle(t, &ret, &base))
		goto out;
out:
	if (ret && group)
		auxshim_detach_group(d, group);
	if (group)
		iommu_group_put(group);
	mt_domain_free(d);
	return ret;
}

/*
 * fail_nth: the scenario is a mixed group (aux where the kernel has it) of
 * three sub-devices; for N = 1, 2, ... fail the Nth operation until an
 * attach runs without the injection firing.  After every failure, nothing
 * may be left behind.
 */
struct mt_fail_target {
	const char *name;
	bool shim;	/* the shim's allocations, else the mock's operations */
	int points;	/* injection points reached */
};

static struct mt_fail_target mt_fail_targets[] = {
	{ "shim_allocs", true },
	{ "mock_ops", false },
};

static void mt_fail_target_desc(const struct mt_fail_target *f, char *desc)
{
	strscpy(desc, f->name, KT_PARAM_DESC_SIZE);
}

KT_ARRAY_PARAM(mt_fail_target, mt_fail_targets, mt_fail_target_desc);

static int mt_fail_nth(struct kt_test *t)
{
	struct mt_fail_target *target = (struct mt_fail_target *)t->param_value;
	bool shim = target->shim;
	int *points = &target->points;
	struct device *backs[3] = { mt_p[0], mt_p[1], mt_p[3] };
	const unsigned int kinds = AUXSHIM_MOCK_FAIL_ATTACH |
				   AUXSHIM_MOCK_FAIL_PASID_ATTACH |
				   AUXSHIM_MOCK_FAIL_PASID_ALLOC;
	struct iommu_domain *d;
	struct mt_grp g = {};
	struct mt_snap base;
	int ret, n, err;
	bool fired;

	*points = 0;
	d = mt_domain();
	if (!d)
		return -ENOMEM;
	if (!mt_aux)
		backs[1] = mt_p[0]; /* direct, shared by two devices */
	ret = mt_grp_make(&g, backs, 3);
	if (mt_fail(t, &ret, !ret, "making a group: %d", ret))
		goto out;
	if (mt_aux)
		if (mt_fail(t, &ret,
			    !auxshim_dev_enable_aux(mt_p[0]) &&
				    !auxshim_dev_enable_aux(mt_p[1]),
			    "enable_aux"))
			goto out;
	mt_snapshot(&base);

	for (n = 1; n <= MT_FAIL_MAX; n++) {
		if (shim)
			auxshim_test_fail_nth(n);
		else
			auxshim_mock_fail_nth(n, kinds);
		err = auxshim_attach_group(d, g.group, auxshim_mock_sub_parent);
		fired = shim ? auxshim_test_fail_fired() :
			       auxshim_mock_fail_fired();
		if (shim)
			auxshim_test_fail_nth(0);
		else
			auxshim_mock_fail_nth(0, 0);

		if (!err) {
			if (mt_fail(t, &ret, !fired,
				    "N=%d: attach succeeded although the injected failure fired",
				    n))
				goto out;
			if (mt_fail(t, &ret,
				    auxshim_get_domain_for_dev(g.subs[2]) ==
						    d &&
					    auxshim_mock_dev_domain(mt_p[3]) ==
						    d,
				    "N=%d: attached wrongly", n))
				goto out;
			auxshim_detach_group(d, g.group);
			if (mt_fail_idle(t, &ret, &base))
				goto out;
			break;
		}
		if (mt_fail(t, &ret, fired,
			    "N=%d: attach failed (%d) with no injected failure",
			    n, err))
			goto out;
		(*points)++;
		if (mt_fail(t, &ret,
			    !auxshim_get_domain_for_dev(g.subs[0]),
			    "N=%d: a failed attach left a domain", n))
			goto out;
		if (mt_fail_idle(t, &ret, &base))
			goto out;
	}
	if (mt_fail(t, &ret, n <= MT_FAIL_MAX,
		    "attach never succeeded in %d tries", MT_FAIL_MAX))
		goto out;
	if (mt_fail(t, &ret, *points > 0,
		    "no injection point was reached"))
		goto out;
out:
	kt_info(t, "%d injection points reached", *points);
	auxshim_test_fail_nth(0);
	auxshim_mock_fail_nth(0, 0);
	if (ret)
		auxshim_detach_group(d, g.group);
	mt_grp_free(&g);
	auxshim_dev_disable_aux(mt_p[0]);
	auxshim_dev_disable_aux(mt_p[1]);
	mt_domain_free(d);
	return ret;
}

/* A detach naming the wrong domain changes nothing. */
static int mt_detach_wrong_domain(struct kt_test *t)
{
	struct iommu_domain *d1, *d2 = NULL;
	struct mt_snap before, after;
	struct mt_grp g = {};
	int ret = 0;

	d1 = mt_domain();
	d2 = mt_domain();
	if (mt_fail(t, &ret, d1 && d2, "domain alloc"))
		goto out;
	if (mt_fail(t, &ret, !mt_grp_make(&g, &mt_p[3], 1),
		    "making a group"))
		goto out;
	if (mt_fail(t, &ret,
		    !auxshim_attach_group(d1, g.group, auxshim_mock_sub_parent),
		    "attach"))
		goto out;
	mt_snapshot(&before);
	auxshim_detach_group(d2, g.group);
	auxshim_detach_group(d2, g.group);
	mt_snapshot(&after);
	if (mt_fail(t, &ret, !memcmp(&before, &after, sizeof(before)),
		    "counts changed"))
		goto out;
	if (mt_fail(t, &ret, auxshim_get_domain_for_dev(g.subs[0]) == d1,
		    "lookup changed"))
		goto out;
	if (mt_fail(t, &ret, auxshim_mock_dev_domain(mt_p[3]) == d1,
		    "mock attachment changed"))
		goto out;
	auxshim_detach_group(d1, g.group);
	if (mt_fail(t, &ret, !auxshim_mock_dev_domain(mt_p[3]),
		    "real detach did not detach"))
		goto out;
out:
	if (ret)
		auxshim_detach_group(d1, g.group);
	mt_grp_free(&g);
	mt_domain_free(d1);
	mt_domain_free(d2);
	return ret;
}

/* ---- concurrency ---- */

/*
 * Two writers attach, detach and free groups' domains while two readers
 * look them up.  Groups 0-7 each own their domain (aux through p0/p1 where
 * the kernel has aux, else direct through a backing device of their own):
 * after each detach the writer allocates a new domain for the group and
 * frees the old one, so a lookup that returns a detached domain returns a
 * freed one (auxshim_mock_domain_valid() fails) or one that is not the
 * group's.  Groups 8-11 share one domain directly through p3 (refcounted
 * whole-device attaches).  @free_lock keeps a reader's check and a free
 * apart: a domain the reader legitimately saw is not freed under it.
 */
#define MT_SG 12
#define MT_SG_OWN 8

struct mt_sgroup {
	struct mt_grp g;
	struct device *back;	/* own backing device, or NULL */
	struct iommu_domain *domain; /* what this group attaches */
	struct rw_semaphore free_lock; /* @domain changes and frees */
	atomic_t busy; /* a writer owns it */
	bool attached; /* under busy */
	bool own; /* @domain is this group's alone */
};

static struct mt_sgroup mt_sg[MT_SG];
static atomic_t mt_stress_errs;
static atomic_long_t mt_stress_ops[4]; /* attaches, detaches, lookups, frees */
static unsigned long mt_stress_end;
static unsigned int mt_stress_ms;	/* how long it really ran */
static char mt_stress_err[120];

static void mt_stress_fail(const char *what, int i, long v)
{
	if (atomic_inc_return(&mt_stress_errs) == 1)
		snprintf(mt_stress_err, sizeof(mt_stress_err),
			 "%s (group %d, %ld)", what, i, v);
}

/* A detached group that owns its domain gets a new one; the old is freed. */
static void mt_stress_renew(struct mt_sgroup *s, int i)
{
	struct iommu_domain *old, *new = mt_domain();

	if (!new) {
		mt_stress_fail("domain alloc failed", i, 0);
		return;
	}
	down_write(&s->free_lock);
	old = s->domain;
	s->domain = new;
	mt_domain_free(old);
	up_write(&s->free_lock);
	atomic_long_inc(&mt_stress_ops[3]);
}

static int mt_stress_writer(void *unused)
{
	while (time_before(jiffies, mt_stress_end) && !kthread_should_stop()) {
		int i = get_random_u32() % MT_SG;
		struct mt_sgroup *s = &mt_sg[i];
		int err;

		if (atomic_cmpxchg(&s->busy, 0, 1))
			continue;
		if (!s->attached) {
			err = auxshim_attach_group(s->domain, s->g.group,
						   auxshim_mock_sub_parent);
			if (err)
				mt_stress_fail("attach failed", i, err);
			else if (auxshim_get_domain_for_dev(s->g.subs[0]) !=
				 s->domain)
				mt_stress_fail("wrong domain after attach", i,
					       0);
			s->attached = !err;
			atomic_long_inc(&mt_stress_ops[0]);
		} else {
			auxshim_detach_group(s->domain, s->g.group);
			if (auxshim_get_domain_for_dev(s->g.subs[0]))
				mt_stress_fail("domain after detach", i, 0);
			s->attached = false;
			atomic_long_inc(&mt_stress_ops[1]);
			if (s->own)
				mt_stress_renew(s, i);
		}
		atomic_set(&s->busy, 0);
		cond_resched();
	}
	return 0;
}

static int mt_stress_reader(void *unused)
{
	unsigned long n = 0;

	while (time_before(jiffies, mt_stress_end) && !kthread_should_stop()) {
		int i = get_random_u32() % MT_SG;
		struct mt_sgroup *s = &mt_sg[i];
		struct iommu_domain *d;

		down_read(&s->free_lock);
		d = auxshim_get_domain_for_dev(s->g.subs[0]);
		if (d && d != s->domain)
			mt_stress_fail("lookup returned another domain", i, 0);
		else if (d && !auxshim_mock_domain_valid(d))
			mt_stress_fail("lookup returned a dead domain", i, 0);
		up_read(&s->free_lock);
		n++;
		if (!(n % 64))
			cond_resched();
	}
	atomic_long_add(n, &mt_stress_ops[2]);
	return 0;
}

static int mt_concurrency_stress(struct kt_test *t)
{
	struct iommu_domain *shared = NULL;
	struct task_struct *th[4] = {};
	struct mt_snap base;
	unsigned long start;
	char name[32];
	int ret = 0, i;

	if (mt_aux) {
		if (mt_fail(t, &ret,
			    !auxshim_dev_enable_aux(mt_p[0]) &&
				    !auxshim_dev_enable_aux(mt_p[1]),
			    "enable_aux"))
			goto out;
	}
	shared = mt_domain();
	if (mt_fail(t, &ret, shared, "domain alloc"))
		goto out;
	for (i = 0; i < MT_SG; i++) {
		struct mt_sgroup *s = &mt_sg[i];
		struct device *back = mt_p[3];

		init_rwsem(&s->free_lock);
		s->own = i < MT_SG_OWN;
		if (s->own && mt_aux) {
			back = mt_p[i / 4];
		} else if (s->own) {
			snprintf(name, sizeof(name), "auxshim-mock-s%d", i);
			s->back = auxshim_mock_phys_add(name, false, 0);
			if (mt_fail(t, &ret, !IS_ERR(s->back),
				    "adding a device: %ld", PTR_ERR(s->back))) {
				s->back = NULL;
				goto out;
			}
			back = s->back;
		}
		if (mt_fail(t, &ret, !mt_grp_make(&s->g, &back, 1),
			    "making group %d", i))
			goto out;
		s->domain = s->own ? mt_domain() : shared;
		if (mt_fail(t, &ret, s->domain, "domain alloc"))
			goto out;
	}
	mt_snapshot(&base);
	atomic_set(&mt_stress_errs, 0);
	start = jiffies;
	mt_stress_end = start + stress_secs * HZ;
	for (i = 0; i < 4; i++) {
		th[i] = kthread_run(i < 2 ? mt_stress_writer : mt_stress_reader,
				    NULL, "mt-stress%d", i);
		if (IS_ERR(th[i])) {
			ret = PTR_ERR(th[i]);
			th[i] = NULL;
			mt_stress_end = jiffies;
			break;
		}
		get_task_struct(th[i]);
	}
	/* The threads run until mt_stress_end: only then stop them. */
	while (!ret && time_before(jiffies, mt_stress_end))
		msleep(100);
	for (i = 0; i < 4; i++) {
		if (!th[i])
			continue;
		kthread_stop(th[i]);
		put_task_struct(th[i]);
	}
	mt_stress_ms = jiffies_to_msecs(jiffies - start);
	if (mt_fail(t, &ret, !ret, "starting threads: %d", ret))
		goto out;
	for (i = 0; i < MT_SG; i++)
		if (mt_sg[i].attached) {
			auxshim_detach_group(mt_sg[i].domain, mt_sg[i].g.group);
			mt_sg[i].attached = false;
		}
	if (mt_fail(t, &ret, !atomic_read(&mt_stress_errs),
		    "%d errors, first: %s", atomic_read(&mt_stress_errs),
		    mt_stress_err))
		goto out;
	if (mt_fail(t, &ret,
		    atomic_long_read(&mt_stress_ops[0]) > 0 &&
			    atomic_long_read(&mt_stress_ops[2]) > 0 &&
			    atomic_long_read(&mt_stress_ops[3]) > 0,
		    "no work done: %ld attaches, %ld lookups, %ld frees",
		    atomic_long_read(&mt_stress_ops[0]),
		    atomic_long_read(&mt_stress_ops[2]),
		    atomic_long_read(&mt_stress_ops[3])))
		goto out;
	if (mt_fail_idle(t, &ret, &base))
		goto out;
out:
	kt_info(t, "stress: %ld attaches, %ld detaches, %ld lookups, %ld domain frees in %u ms",
		atomic_long_read(&mt_stress_ops[0]),
		atomic_long_read(&mt_stress_ops[1]),
		atomic_long_read(&mt_stress_ops[2]),
		atomic_long_read(&mt_stress_ops[3]), mt_stress_ms);
	for (i = 0; i < MT_SG; i++) {
		struct mt_sgroup *s = &mt_sg[i];

		if (s->attached)
			auxshim_detach_group(s->domain, s->g.group);
		s->attached = false;
		mt_grp_free(&s->g);
		if (s->own)
			mt_domain_free(s->domain);
		s->domain = NULL;
		if (s->back)
			auxshim_mock_phys_remove(s->back);
		s->back = NULL;
	}
	mt_domain_free(shared);
	auxshim_dev_disable_aux(mt_p[0]);
	auxshim_dev_disable_aux(mt_p[1]);
	return ret;
}

/*
 * No stale answer once auxshim_detach_group() has returned.  A writer
 * thread attaches and detaches one group in a loop, alternating two
 * domains, and bumps a state after each attach (odd) and each detach
 * (even) has returned; a reader thread on the other CPU reads the state,
 * looks the device up and reads the state again.  The two threads are
 * bound to different CPUs, so that the reader runs while the writer does.
 *
 * In the plain case a lookup that started at state 2i + 2 (the detach of
 * attach i, domain dom[i & 1], had returned) and ended before 2i + 4 (the
 * next attach of that domain) must not return dom[i & 1]: detach does not
 * wait for lookups, so the case proves only that none starts stale.  In
 * the RCU case the writer calls synchronize_rcu() after each detach, as
 * auxshim.h tells a caller that uses the domain under rcu_read_lock() to
 * do, and the reader keeps the domain it got inside its own RCU-sched
 * section a while: no detach-and-synchronize may return meanwhile.
 *
 * The race is made to happen, not hoped for: after each attach the writer
 * waits (a bounded while) until the reader has found that attach's domain,
 * and only then detaches, so the detach runs while the reader is looking
 * up or, in the RCU case, holding the domain.  A window of a fixed length
 * alone is not enough under TCG on a busy host: there the reader's vCPU
 * is often not running during it (0 hits in 106 rounds were seen).  The
 * writer goes on past MT_STALE_SECS until MT_STALE_MIN_RACED rounds have
 * raced, for at most MT_STALE_MAX_SECS; fewer fail the case.
 */
/* In atomic context (inside the reader's section): a busy wait, in us. */
#define MT_STALE_HOLD_US 50
#define MT_STALE_ATTACHED_US 100
/* How long the writer waits for the reader to see an attach, at most. */
#define MT_STALE_WAIT_MS 50
#define MT_STALE_SECS 3
#define MT_STALE_MAX_SECS 20
#define MT_STALE_MIN_RACED 20

struct mt_stale {
	atomic_t state;
	atomic_t hit_state;	/* the state of the reader's last hit */
	atomic_long_t hits;	/* lookups that found the attached domain */
	atomic_long_t checks;	/* lookups that started after a detach */
	atomic_long_t seen;	/* stale answers */
	struct device *dev;
	struct iommu_group *group;
	struct iommu_domain *dom[2];
	unsigned long end, loops;
	unsigned long raced;	/* rounds detached after the reader's hit */
	bool rcu, done;
	int err;
};

static int mt_stale_reader(void *data)
{
	struct mt_stale *st = data;
	unsigned long n = 0;

	while (!READ_ONCE(st->done) && !kthread_should_stop()) {
		struct iommu_domain *d;
		int s0, s1;

		rcu_read_lock_sched();
		s0 = atomic_read_acquire(&st->state);
		d = auxshim_get_domain_for_dev(st->dev);
		if ((s0 & 1) && d == st->dom[(s0 / 2) & 1]) {
			/* Found attach s0 / 2's domain, while it was attached. */
			atomic_long_inc(&st->hits);
			atomic_set_release(&st->hit_state, s0);
			if (st->rcu) {
				udelay(MT_STALE_HOLD_US);
				s1 = atomic_read(&st->state);
				if (s1 == s0 + 1 || s1 == s0 + 2)
					atomic_long_inc(&st->seen);
			}
		} else if (!st->rcu && s0 && !(s0 & 1)) {
			/* Started after the detach of attach s0 / 2 - 1. */
			smp_rmb();	/* the lookup, then the state */
			s1 = atomic_read(&st->state);
			if (s1 < s0 + 2) {
				atomic_long_inc(&st->checks);
				if (d == st->dom[(s0 / 2 - 1) & 1])
					atomic_long_inc(&st->seen);
			}
		}
		rcu_read_unlock_sched();
		if (!(++n % 16))
			cond_resched();
	}
	return 0;
}

static int mt_stale_writer(void *data)
{
	struct mt_stale *st = data;
	unsigned long max = st->end + (MT_STALE_MAX_SECS - MT_STALE_SECS) * HZ;

	while (time_before(jiffies, max) && !kthread_should_stop() &&
	       (time_before(jiffies, st->end) || st->raced < MT_STALE_MIN_RACED)) {
		struct iommu_domain *dd = st->dom[st->loops & 1];
		unsigned long wait;
		int s;

		st->err = auxshim_attach_group(dd, st->group,
					       auxshim_mock_sub_parent);
		if (st->err)
			break;
		smp_mb__before_atomic(); /* the reader sees the state after the attach */
		s = atomic_inc_return(&st->state);	/* odd: attached */
		udelay(MT_STALE_ATTACHED_US);
		wait = jiffies + msecs_to_jiffies(MT_STALE_WAIT_MS);
		while (atomic_read_acquire(&st->hit_state) != s &&
		       time_before(jiffies, wait))
			udelay(5);
		if (atomic_read(&st->hit_state) == s)
			st->raced++;
		auxshim_detach_group(dd, st->group);
		if (st->rcu)
			synchronize_rcu();
		smp_mb__before_atomic(); /* the reader sees the state after the detach */
		atomic_inc(&st->state);	/* even: detach returned */
		st->loops++;
		cond_resched();
	}
	WRITE_ONCE(st->done, true);
	return 0;
}

/* Start @fn bound to @cpu; NULL (and @t failed) if it could not be. */
static struct task_struct *mt_stale_thread(struct kt_test *t, int *ret,
					   int (*fn)(void *), struct mt_stale *st,
					   unsigned int cpu, const char *name)
{
	struct task_struct *th = kthread_create(fn, st, "%s/%u", name, cpu);

	if (mt_fail(t, ret, !IS_ERR(th), "thread %s: %ld", name, PTR_ERR(th)))
		return NULL;
	kthread_bind(th, cpu);
	get_task_struct(th);
	wake_up_process(th);
	return th;
}

static int mt_stale_run(struct kt_test *t, bool rcu)
{
	struct task_struct *rd = NULL, *wr = NULL;
	struct mt_stale *st;
	unsigned int c0, c1;
	struct mt_snap base;
	struct mt_grp g;
	int ret = 0;

	if (num_online_cpus() < 2) {
		snprintf(mt_reason, sizeof(mt_reason),
			 "needs 2 CPUs, has %u", num_online_cpus());
		return -EOPNOTSUPP;
	}
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (mt_fail(t, &ret, st, "no memory"))
		return ret;
	st->dom[0] = mt_domain();
	st->dom[1] = mt_domain();
	if (mt_fail(t, &ret, st->dom[0] && st->dom[1], "domain alloc"))
		goto out_dom;
	if (mt_fail(t, &ret, !mt_grp_make(&g, &mt_p[3], 1), "making a group"))
		goto out_dom;
	mt_snapshot(&base);
	st->dev = g.subs[0];
	st->group = g.group;
	st->rcu = rcu;
	st->end = jiffies + MT_STALE_SECS * HZ;
	c0 = cpumask_first(cpu_online_mask);
	c1 = cpumask_next(c0, cpu_online_mask);
	rd = mt_stale_thread(t, &ret, mt_stale_reader, st, c1, "mt-stale-rd");
	if (rd)
		wr = mt_stale_thread(t, &ret, mt_stale_writer, st, c0,
				     "mt-stale-wr");
	while (wr && !READ_ONCE(st->done))
		msleep(20);
	if (wr) {
		kthread_stop(wr);
		put_task_struct(wr);
	}
	if (rd) {
		kthread_stop(rd);
		put_task_struct(rd);
	}
	if (!wr)
		goto out;
	kt_info(t, "%lu attach/detach rounds, %lu detached after the reader found the domain; %ld lookups found the attached domain, %ld started after a detach; %ld stale",
		st->loops, st->raced, atomic_long_read(&st->hits),
		atomic_long_read(&st->checks), atomic_long_read(&st->seen));
	if (mt_fail(t, &ret, !st->err, "attach: %d", st->err))
		goto out;
	if (mt_fail(t, &ret, !atomic_long_read(&st->seen),
		    rcu ? "%ld lookups' domains outlived detach and synchronize_rcu()"
			: "%ld lookups that started after a detach returned its domain",
		    atomic_long_read(&st->seen)))
		goto out;
	if (mt_fail(t, &ret,
		    st->raced >= MT_STALE_MIN_RACED &&
		    (rcu || atomic_long_read(&st->checks) > 0),
		    "the race did not run (%lu of %lu rounds raced, %d needed; %ld hits, %ld checks)",
		    st->raced, st->loops, MT_STALE_MIN_RACED,
		    atomic_long_read(&st->hits), atomic_long_read(&st->checks)))
		goto out;
	mt_fail_idle(t, &ret, &base);
out:
	mt_grp_free(&g);
out_dom:
	mt_domain_free(st->dom[0]);
	mt_domain_free(st->dom[1]);
	kfree(st);
	return ret;
}

static int mt_no_stale_after_detach(struct kt_test *t)
{
	return mt_stale_run(t, false);
}

static int mt_no_rcu_user_after_detach_sync(struct kt_test *t)
{
	return mt_stale_run(t, true);
}

/*
 * Lookups while the table grows, shrinks and moves keys: a steady group of
 * four devices stays attached while a writer attaches and detaches up to
 * MT_RS_GROUPS others, which replaces the table several times and moves
 * keys with their hash groups in it (auxshim.h).  Every lookup of a steady
 * device gets its domain, of a device never attached NULL, and after each
 * attach every attached device its domain.
 */
#define MT_RS_GROUPS 96
#define MT_RS_STEADY 4
static struct mt_grp mt_rs[MT_RS_GROUPS];
static bool mt_rs_on[MT_RS_GROUPS];
static atomic_long_t mt_rs_bad, mt_rs_lookups;
static struct device *mt_rs_dev[MT_RS_STEADY], *mt_rs_none;
static struct iommu_domain *mt_rs_dom;
static bool mt_rs_stop;

static int mt_rs_reader(void *unused)
{
	unsigned long n = 0;

	while (!READ_ONCE(mt_rs_stop) && !kthread_should_stop()) {
		if (auxshim_get_domain_for_dev(mt_rs_dev[n % MT_RS_STEADY]) !=
		    mt_rs_dom)
			atomic_long_inc(&mt_rs_bad);
		if (auxshim_get_domain_for_dev(mt_rs_none))
			atomic_long_inc(&mt_rs_bad);
		if (!(++n % 256))
			cond_resched();
	}
	atomic_long_add(n, &mt_rs_lookups);
	return 0;
}

static int mt_lookup_races_resize(struct kt_test *t)
{
	struct iommu_domain *steady = NULL, *other = NULL;
	struct auxshim_test_sizes sz;
	struct task_struct *th = NULL;
	unsigned long slots_max = 0, slots_min = ULONG_MAX, swaps = 0, prev = 0;
	struct device *sb[MT_RS_STEADY];
	struct mt_grp sg = {}, none = {};
	unsigned long moved0, lost = 0;
	struct mt_snap base;
	int ret = 0, i, j, round, err;

	memset(mt_rs, 0, sizeof(mt_rs));
	memset(mt_rs_on, 0, sizeof(mt_rs_on));
	steady = mt_domain();
	other = mt_domain();
	if (mt_fail(t, &ret, steady && other, "domain alloc"))
		goto out;
	for (i = 0; i < MT_RS_STEADY; i++)
		sb[i] = mt_p[4];
	if (mt_fail(t, &ret, !mt_grp_make(&sg, sb, MT_RS_STEADY) &&
		    !mt_grp_make(&none, &mt_p[4], 1), "making groups"))
		goto out;
	for (i = 0; i < MT_RS_GROUPS; i++)
		if (mt_fail(t, &ret, !mt_grp_make(&mt_rs[i], &mt_p[3], 1),
			    "making group %d", i))
			goto out;
	mt_snapshot(&base);
	err = auxshim_attach_group(steady, sg.group, auxshim_mock_sub_parent);
	if (mt_fail(t, &ret, !err, "attach of the steady group: %d", err))
		goto out;
	for (i = 0; i < MT_RS_STEADY; i++)
		mt_rs_dev[i] = sg.subs[i];
	mt_rs_none = none.subs[0];
	auxshim_test_get_sizes(&sz);
	moved0 = sz.lut_moved;
	mt_rs_dom = steady;
	mt_rs_stop = false;
	atomic_long_set(&mt_rs_bad, 0);
	atomic_long_set(&mt_rs_lookups, 0);
	th = kthread_run(mt_rs_reader, NULL, "mt-resize");
	if (mt_fail(t, &ret, !IS_ERR(th), "thread: %ld", PTR_ERR(th))) {
		th = NULL;
		goto out_steady;
	}
	get_task_struct(th);
	for (round = 0; round < 4 && !ret; round++) {
		for (i = 0; i < MT_RS_GROUPS * 2 && !ret; i++) {
			int k = i < MT_RS_GROUPS ? i : 2 * MT_RS_GROUPS - 1 - i;

			err = 0;
			if (i < MT_RS_GROUPS)
				err = auxshim_attach_group(other, mt_rs[k].group,
							   auxshim_mock_sub_parent);
			else
				auxshim_detach_group(other, mt_rs[k].group);
			if (mt_fail(t, &ret, !err, "attach %d: %d", k, err))
				break;
			mt_rs_on[k] = i < MT_RS_GROUPS;
			for (j = 0; j < MT_RS_GROUPS; j++)
				if (mt_rs_on[j] &&
				    auxshim_get_domain_for_dev(mt_rs[j].subs[0]) != other)
					lost++;
			auxshim_test_get_sizes(&sz);
			slots_max = max(slots_max, sz.lut_slots);
			slots_min = min(slots_min, sz.lut_slots);
			if (sz.lut_slots != prev)
				swaps++;
			prev = sz.lut_slots;
		}
	}
	WRITE_ONCE(mt_rs_stop, true);
	kthread_stop(th);
	put_task_struct(th);
	for (i = 0; i < MT_RS_GROUPS; i++)
		if (mt_rs_on[i])
			auxshim_detach_group(other, mt_rs[i].group);
	kt_info(t, "%ld lookups; table between %lu and %lu slots, resized %lu times, %lu keys moved",
		atomic_long_read(&mt_rs_lookups), slots_min, slots_max, swaps,
		sz.lut_moved - moved0);
	if (ret)
		goto out_steady;
	if (mt_fail(t, &ret, !lost, "%lu lookups of attached devices missed",
		    lost))
		goto out_steady;
	if (mt_fail(t, &ret, sz.lut_moved > moved0,
		    "no key was moved: the moves went untested"))
		goto out_steady;
	if (mt_fail(t, &ret, !atomic_long_read(&mt_rs_bad),
		    "%ld wrong answers", atomic_long_read(&mt_rs_bad)))
		goto out_steady;
	mt_fail(t, &ret, swaps >= 4 && slots_max >= 4 * slots_min,
		"the table was not resized (%lu to %lu slots, %lu times)",
		slots_min, slots_max, swaps);
out_steady:
	auxshim_detach_group(steady, sg.group);
	if (!ret)
		mt_fail_idle(t, &ret, &base);
out:
	for (i = 0; i < MT_RS_GROUPS; i++)
		mt_grp_free(&mt_rs[i]);
	mt_grp_free(&sg);
	mt_grp_free(&none);
	mt_domain_free(steady);
	mt_domain_free(other);
	return ret;
}

/*
 * Lookups of a key while its hash group moves: one device stays attached
 * while the test moves its group from displacement to displacement as fast
 * as it can (auxshim_test_lut_move()) and a reader on the other CPU looks
 * it up.  A reader that read the old displacement and reaches the old slot
 * after it was retired finds the key only by re-reading the displacement
 * (auxshim.h): without that retry this case fails.
 */
#define MT_MOVE_SECS 3
static struct device *mt_mv_dev;
static struct iommu_domain *mt_mv_dom;
static atomic_long_t mt_mv_bad, mt_mv_lookups;
static bool mt_mv_stop;

static int mt_mv_reader(void *unused)
{
	unsigned long n = 0, bad = 0;

	while (!READ_ONCE(mt_mv_stop) && !kthread_should_stop()) {
		if (auxshim_get_domain_for_dev(mt_mv_dev) != mt_mv_dom)
			bad++;
		if (!(++n % 4096))
			cond_resched();
	}
	atomic_long_add(n, &mt_mv_lookups);
	atomic_long_add(bad, &mt_mv_bad);
	return 0;
}

static int mt_lookup_races_move(struct kt_test *t)
{
	unsigned long moves = 0, end;
	struct task_struct *th = NULL;
	unsigned int c0, c1;
	struct mt_grp g = {};
	struct mt_snap base;
	int ret = 0, err = 0;

	if (num_online_cpus() < 2) {
		snprintf(mt_reason, sizeof(mt_reason),
			 "needs 2 CPUs, has %u", num_online_cpus());
		return -EOPNOTSUPP;
	}
	mt_mv_dom = mt_domain();
	if (mt_fail(t, &ret, mt_mv_dom, "domain alloc"))
		return ret;
	if (mt_fail(t, &ret, !mt_grp_make(&g, &mt_p[4], 1), "making a group"))
		goto out;
	mt_snapshot(&base);
	err = auxshim_attach_group(mt_mv_dom, g.group, auxshim_mock_sub_parent);
	if (mt_fail(t, &ret, !err, "attach: %d", err))
		goto out;
	mt_mv_dev = g.subs[0];
	if (mt_fail(t, &ret, iommu_get_domain_for_dev(mt_mv_dev) != mt_mv_dom,
		    "the kernel's own call knows the domain: a miss would go unseen"))
		goto out_detach;
	mt_mv_stop = false;
	atomic_long_set(&mt_mv_bad, 0);
	atomic_long_set(&mt_mv_lookups, 0);
	c0 = cpumask_first(cpu_online_mask);
	c1 = cpumask_next(c0, cpu_online_mask);
	th = kthread_create(mt_mv_reader, NULL, "mt-move/%u", c1);
	if (mt_fail(t, &ret, !IS_ERR(th), "thread: %ld", PTR_ERR(th))) {
		th = NULL;
		goto out_detach;
	}
	kthread_bind(th, c1);
	get_task_struct(th);
	wake_up_process(th);
	set_cpus_allowed_ptr(current, cpumask_of(c0));
	end = jiffies + MT_MOVE_SECS * HZ;
	while (time_before(jiffies, end)) {
		err = auxshim_test_lut_move(mt_mv_dev);
		if (err)
			break;
		if (!(++moves % 64))
			cond_resched();
	}
	set_cpus_allowed_ptr(current, cpu_online_mask);
	WRITE_ONCE(mt_mv_stop, true);
	kthread_stop(th);
	put_task_struct(th);
	kt_info(t, "%lu moves, %ld lookups, %ld wrong", moves,
		atomic_long_read(&mt_mv_lookups), atomic_long_read(&mt_mv_bad));
	if (mt_fail(t, &ret, !err, "move %lu: %d", moves, err))
		goto out_detach;
	if (mt_fail(t, &ret, moves >= 1000 &&
		    atomic_long_read(&mt_mv_lookups) >= 1000,
		    "the race did not run (%lu moves, %ld lookups)", moves,
		    atomic_long_read(&mt_mv_lookups)))
		goto out_detach;
	mt_fail(t, &ret, !atomic_long_read(&mt_mv_bad),
		"%ld lookups missed a key while its group moved",
		atomic_long_read(&mt_mv_bad));
out_detach:
	auxshim_detach_group(mt_mv_dom, g.group);
	if (!ret)
		mt_fail_idle(t, &ret, &base);
out:
	mt_grp_free(&g);
	mt_domain_free(mt_mv_dom);
	return ret;
}

/*
 * A replaced table outlives every lookup still reading it, marked or not
 * (AUXSHIM_LUT_MARKED in auxshim.h): a reader on the other CPU takes the
 * table as auxshim_get_domain_for_dev() does and, before its probe, spins
 * without ever switching of its own accord (as a lookup preempted between
 * its loads); the table is replaced meanwhile.  It must not be freed while
 * the reader holds it, the reader's probe must still find the key, and it
 * must be freed once the reader is done.  A table freed after an RCU grace
 * period alone (call_rcu() for call_rcu_tasks()) fails here on a kernel
 * with a preemption count: RCU takes a tick that finds the count zero for a
 * quiescent state, so the spinning reader is no RCU reader.  The info line
 * says which reader and which grace periods the kernel under test has.
 */
#define MT_KEEP_HOLD_MS 2000
#define MT_KEEP_WAIT_SECS 30
static struct device *mt_kp_dev;
static struct iommu_domain *mt_kp_answer;
static bool mt_kp_have, mt_kp_release, mt_kp_done;

static int mt_kp_reader(void *unused)
{
	unsigned long end = jiffies + 4 * msecs_to_jiffies(MT_KEEP_HOLD_MS);
	const struct auxshim_lut *lut = auxshim_lut_read_begin();

	WRITE_ONCE(mt_kp_have, true);
	while (!READ_ONCE(mt_kp_release) && time_before(jiffies, end))
		cpu_relax();
	mt_kp_answer = auxshim_lut_probe(lut, (unsigned long)mt_kp_dev);
	auxshim_lut_read_end();
	smp_store_release(&mt_kp_done, true); /* after mt_kp_answer */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/* Wait up to MT_KEEP_WAIT_SECS for every replaced table to be freed. */
static bool mt_kp_all_freed(long *retired, long *freed)
{
	unsigned long end = jiffies + MT_KEEP_WAIT_SECS * HZ;

	for (;;) {
		auxshim_test_lut_frees(retired, freed);
		if (*freed == *retired || !time_before(jiffies, end))
			return *freed == *retired;
		msleep(20);
	}
}

static int mt_replaced_table_outlives_reader(struct kt_test *t)
{
	struct task_struct *th = NULL;
	long retired, freed, r0, f0;
	struct iommu_domain *d;
	unsigned long end, t0, held;
	unsigned int c0, c1;
	struct mt_grp g = {};
	struct mt_snap base;
	int ret = 0, err;

	if (num_online_cpus() < 2) {
		snprintf(mt_reason, sizeof(mt_reason),
			 "needs 2 CPUs, has %u", num_online_cpus());
		return -EOPNOTSUPP;
	}
	d = mt_domain();
	if (mt_fail(t, &ret, d, "domain alloc"))
		return ret;
	if (mt_fail(t, &ret, !mt_grp_make(&g, &mt_p[4], 1), "making a group"))
		goto out;
	mt_snapshot(&base);
	err = auxshim_attach_group(d, g.group, auxshim_mock_sub_parent);
	if (mt_fail(t, &ret, !err, "attach: %d", err))
		goto out;
	mt_kp_dev = g.subs[0];
	if (mt_fail(t, &ret, mt_kp_all_freed(&r0, &f0),
		    "%ld of %ld replaced tables still not freed after %d s",
		    r0 - f0, r0, MT_KEEP_WAIT_SECS))
		goto out_detach;
	mt_kp_answer = NULL;
	mt_kp_have = false;
	mt_kp_release = false;
	mt_kp_done = false;
	c0 = cpumask_first(cpu_online_mask);
	c1 = cpumask_next(c0, cpu_online_mask);
	th = kthread_create(mt_kp_reader, NULL, "mt-keep/%u", c1);
	if (mt_fail(t, &ret, !IS_ERR(th), "thread: %ld", PTR_ERR(th))) {
		th = NULL;
		goto out_detach;
	}
	kthread_bind(th, c1);
	get_task_struct(th);
	wake_up_process(th);
	end = jiffies + MT_KEEP_WAIT_SECS * HZ;
	while (!READ_ONCE(mt_kp_have) && time_before(jiffies, end))
		msleep(20);
	if (mt_fail(t, &ret, READ_ONCE(mt_kp_have), "the reader never ran"))
		goto out_stop;
	err = auxshim_test_lut_rehash();
	if (mt_fail(t, &ret, !err, "rehash: %d", err))
		goto out_stop;
	/* The reader holds the replaced table: it must stay. */
	t0 = jiffies;
	end = t0 + msecs_to_jiffies(MT_KEEP_HOLD_MS);
	do {
		msleep(20);
		auxshim_test_lut_frees(&retired, &freed);
	} while (freed == f0 && time_before(jiffies, end));
	held = jiffies;
	WRITE_ONCE(mt_kp_release, true);
	if (mt_fail(t, &ret, retired == r0 + 1,
		    "the rehash replaced %ld tables, not 1", retired - r0))
		goto out_stop;
	if (mt_fail(t, &ret, freed == f0,
		    "the replaced table was freed while a lookup held it (within %u ms of the rehash)",
		    jiffies_to_msecs(held - t0)))
		goto out_stop;
	end = jiffies + MT_KEEP_WAIT_SECS * HZ;
	/* mt_kp_answer is read after mt_kp_done */
	while (!smp_load_acquire(&mt_kp_done) && time_before(jiffies, end))
		msleep(20);
	if (mt_fail(t, &ret, READ_ONCE(mt_kp_done) && mt_kp_answer == d,
		    "the held table's probe: %p, not the domain %p",
		    mt_kp_answer, d))
		goto out_stop;
	t0 = jiffies;
	if (mt_fail(t, &ret, mt_kp_all_freed(&retired, &freed),
		    "the replaced table was not freed %d s after its reader left",
		    MT_KEEP_WAIT_SECS))
		goto out_stop;
	kt_info(t, "replaced table kept while its reader held it (%d ms), freed %u ms after it left (reader %s; %s)",
		MT_KEEP_HOLD_MS, jiffies_to_msecs(jiffies - t0),
		AUXSHIM_LUT_MARKED ? "RCU-sched" : "unmarked",
		IS_ENABLED(CONFIG_TASKS_RCU) ? "RCU Tasks, then RCU" : "RCU");
out_stop:
	WRITE_ONCE(mt_kp_release, true);
	kthread_stop(th);
	put_task_struct(th);
out_detach:
	auxshim_detach_group(d, g.group);
	if (!ret)
		mt_fail_idle(t, &ret, &base);
out:
	mt_grp_free(&g);
	mt_domain_free(d);
	return ret;
}

/*
 * Device removal: a sub-device leaves an attached group (device_unregister)
 * and a backing device goes away; their records go, the rest stays.
 */
static int mt_device_removal(struct kt_test *t)
{
	struct device *backs[4] = { mt_p[0], mt_p[1], mt_p[3], NULL };
	struct iommu_domain *d;
	struct auxshim_test_counts c;
	struct device *p_gone;
	struct mt_grp g = {};
	struct mt_snap base;
	int ret = 0;

	d = mt_domain();
	if (!d)
		return -ENOMEM;
	p_gone = auxshim_mock_phys_add("auxshim-mock-gone", false, 0);
	if (mt_fail(t, &ret, !IS_ERR(p_gone), "adding a device: %ld",
		    PTR_ERR(p_gone)))
		goto out;
	backs[3] = p_gone;
	if (mt_aux)
		if (mt_fail(t, &ret,
			    !auxshim_dev_enable_aux(mt_p[0]) &&
				    !auxshim_dev_enable_aux(mt_p[1]),
			    "enable_aux"))
			goto out;
	mt_snapshot(&base);
	if (mt_fail(t, &ret, !mt_grp_make(&g, backs, 4),
		    "making a group"))
		goto out;
	if (mt_fail(t, &ret,
		    !auxshim_attach_group(d, g.group, auxshim_mock_sub_parent),
		    "attach"))
		goto out;
	auxshim_test_get_counts(&c);
	if (mt_fail(t, &ret, c.devs == 4, "%u device records, want 4",
		    c.devs))
		goto out;

	/* A sub-device goes: its record and p1's attachment go with it. */
	auxshim_mock_sub_remove(g.subs[1]);
	g.subs[1] = NULL;
	auxshim_test_get_counts(&c);
	if (mt_fail(t, &ret, c.devs == 3 && c.groups == 1,
		    "after sub removal: %u records, %u groups", c.devs,
		    c.groups))
		goto out;
	if (mt_fail(t, &ret,
		    !auxshim_mock_dev_domain(mt_p[1]) &&
			    auxshim_mock_dev_pasid(mt_p[1], d) < 0,
		    "p1 still attached"))
		goto out;
	if (mt_fail(t, &ret,
		    auxshim_get_domain_for_dev(g.subs[0]) == d &&
			    auxshim_get_domain_for_dev(g.subs[2]) == d,
		    "rest not attached"))
		goto out;
	if (mt_fail(t, &ret, auxshim_mock_dev_domain(mt_p[3]) == d,
		    "p3 lost its attachment"))
		goto out;

	/* A backing device goes: the record going through it goes. */
	auxshim_mock_phys_remove(p_gone);
	p_gone = NULL;
	auxshim_test_get_counts(&c);
	if (mt_fail(t, &ret, c.devs == 2 && c.groups == 1,
		    "after backing removal: %u records", c.devs))
		goto out;
	if (mt_fail(t, &ret, auxshim_get_domain_for_dev(g.subs[0]) == d,
		    "p0's sub lost its domain"))
		goto out;

	auxshim_detach_group(d, g.group);
	if (mt_fail(t, &ret, !auxshim_mock_dev_domain(mt_p[3]),
		    "p3 still attached after detach"))
		goto out;
	if (mt_fail_idle(t, &ret, &base))
		goto out;
out:
	if (ret)
		auxshim_detach_group(d, g.group);
	mt_grp_free(&g);
	if (!IS_ERR_OR_NULL(p_gone))
		auxshim_mock_phys_remove(p_gone);
	auxshim_dev_disable_aux(mt_p[0]);
	auxshim_dev_disable_aux(mt_p[1]);
	mt_domain_free(d);
	return ret;
}

/* ---- hold: an attachment the guest script unloads things under ---- */

static struct mt_grp mt_hold_grp;
static struct iommu_domain *mt_hold_dom;
static bool mt_held;
static bool mt_ready; /* devices exist: hold may be set */
static DEFINE_MUTEX(mt_hold_lock); /* protects mt_hold_* and mt_held */

static int mt_hold_check(void)
{
	if (auxshim_get_domain_for_dev(mt_hold_grp.subs[0]) != mt_hold_dom)
		return -EIO;
	if (mt_aux ? auxshim_mock_dev_pasid(mt_p[0], mt_hold_dom) <= 0 :
		     auxshim_mock_dev_domain(mt_p[0]) != mt_hold_dom)
		return -EIO;
	return 0;
}

static void mt_hold_release(void)
{
	auxshim_detach_group(mt_hold_dom, mt_hold_grp.group);
	mt_grp_free(&mt_hold_grp);
	mt_domain_free(mt_hold_dom);
	mt_hold_dom = NULL;
	auxshim_dev_disable_aux(mt_p[0]);
	mt_held = false;
}

/* "hold": write "lookup" to attach a group (p0's sub-device) and keep it, 0 to detach. */
static int mt_hold_set(const char *val, const struct kernel_param *kp)
{
	bool on = sysfs_streq(val, "lookup");
	int ret = 0;

	if (!on && !sysfs_streq(val, "0"))
		return -EINVAL;
	mutex_lock(&mt_hold_lock);
	if (!mt_ready) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	if (on && mt_held) {
		ret = -EBUSY;
	} else if (on) {
		ret = -ENOMEM;
		mt_hold_dom = mt_domain();
		if (!mt_hold_dom)
			goto out_unlock;
		if (mt_aux)
			auxshim_dev_enable_aux(mt_p[0]);
		ret = mt_grp_make(&mt_hold_grp, &mt_p[0], 1);
		if (!ret) {
			ret = auxshim_attach_group(mt_hold_dom,
						   mt_hold_grp.group,
						   auxshim_mock_sub_parent);
			if (ret)
				pr_info("hold: auxshim_attach_group() failed: %d\n",
					ret);
		}
		if (!ret)
			ret = mt_hold_check();
		mt_held = true;
		if (ret)
			mt_hold_release();
	} else if (mt_held) {
		mt_hold_release();
	}
out_unlock:
	mutex_unlock(&mt_hold_lock);
	return ret;
}

/*
 * Read: "none", or what is held and whether it is intact by the shim's and
 * the mock's views: "mode lookup group G domain D dev NAME ok|fail: why".
 */
static int mt_hold_get(char *buf, const struct kernel_param *kp)
{
	int n;

	mutex_lock(&mt_hold_lock);
	if (!mt_held) {
		n = sysfs_emit(buf, "none\n");
	} else {
		n = sysfs_emit(buf, "mode lookup group %d domain %p dev %s ",
			       iommu_group_id(mt_hold_grp.group), mt_hold_dom,
			       dev_name(mt_hold_grp.subs[0]));
		n += sysfs_emit_at(buf, n, "%s\n", mt_hold_check() ?
				   "fail: not attached as held" : "ok");
	}
	mutex_unlock(&mt_hold_lock);
	return n;
}

static const struct kernel_param_ops mt_hold_ops = {
	.set = mt_hold_set,
	.get = mt_hold_get,
};
module_param_cb(hold, &mt_hold_ops, NULL, 0644);
MODULE_PARM_DESC(hold, "lookup: attach a group and keep it; 0: detach");

/* ---- the suites ---- */

MT_CASE(mock_translation)
MT_CASE(direct_when_not_aux)
MT_CASE(aux_when_enabled)
MT_CASE(mixed_group)
MT_CASE(whole_group_attach)
MT_CASE(direct_takes_parent_dma)
MT_CASE(detach_wrong_domain)
MT_CASE(pasids_seen_unique_freed)
MT_CASE(disable_aux_busy)
MT_CASE(enable_aux_unsupported)
MT_CASE(fail_nth)
MT_CASE(concurrency_stress)
MT_CASE(device_removal)
MT_CASE(no_stale_after_detach)
MT_CASE(no_rcu_user_after_detach_sync)
MT_CASE(lookup_races_resize)
MT_CASE(lookup_races_move)
MT_CASE(replaced_table_outlives_reader)

static int mt_devices_ret;	/* creating the mock devices failed: why */
static char mt_no_route[96];	/* the skip reason without a mock IOMMU */

/* Every suite runs on the mock devices mocktest_init() made. */
static int mt_suite_init(struct kt_test *t)
{
	mt_reason[0] = '\0';
	if (!auxshim_mock_route()) {
		kt_skip(t, mt_no_route);
		return 0;
	}
	return mt_devices_ret;
}

#define MT_SUITE(var, sname, ...)					\
	static struct kt_case var##_cases[] = { __VA_ARGS__, {} };	\
	static struct kt_suite var = {					\
		.name = sname,						\
		.init = mt_suite_init,			\
		.cases = var##_cases,					\
	}

MT_SUITE(mock_rig_suite, "mock_rig",
	 KT_CASE(mock_translation));
MT_SUITE(mock_attach_suite, "auxshim_attach",
	 KT_CASE(direct_when_not_aux),
	 KT_CASE(aux_when_enabled),
	 KT_CASE(mixed_group),
	 KT_CASE(whole_group_attach),
	 KT_CASE(direct_takes_parent_dma));
MT_SUITE(mock_detach_suite, "auxshim_detach",
	 KT_CASE(detach_wrong_domain));
MT_SUITE(mock_pasid_suite, "auxshim_pasid",
	 KT_CASE(pasids_seen_unique_freed),
	 KT_CASE(disable_aux_busy),
	 KT_CASE(enable_aux_unsupported));
MT_SUITE(mock_rollback_suite, "auxshim_rollback",
	 KT_CASE_PARAM(fail_nth, mt_fail_target_gen_params));
MT_SUITE(mock_concurrency_suite, "auxshim_concurrency",
	 KT_CASE(concurrency_stress),
	 KT_CASE(no_stale_after_detach),
	 KT_CASE(no_rcu_user_after_detach_sync),
	 KT_CASE(lookup_races_resize),
	 KT_CASE(lookup_races_move),
	 KT_CASE(replaced_table_outlives_reader));
MT_SUITE(mock_removal_suite, "auxshim_removal",
	 KT_CASE(device_removal));

/*
 * The attach benchmark ("make bench" only): auxshim_attach_group() and
 * auxshim_detach_group() of a group of 1, 8 and 64 devices, each backed by
 * a mock device of its own (aux-enabled where the shim has aux), against
 * the kernel calls the shim makes underneath for those backing devices
 * (auxshim_test_raw_attach/_detach), in alternating order, per device.
 */
#define MT_BENCH_MAX 64
static const unsigned int mt_bench_sizes[] = { 1, 8, MT_BENCH_MAX };

static u64 mt_bench_shim(struct iommu_domain *d, struct iommu_group *group,
			 int *err)
{
	u64 t0 = ktime_get_ns();

	*err = auxshim_attach_group(d, group, auxshim_mock_sub_parent);
	if (!*err)
		auxshim_detach_group(d, group);
	return ktime_get_ns() - t0;
}

static u64 mt_bench_raw(struct iommu_domain *d, struct device **phys,
			unsigned int n, u32 *pasid, int *err)
{
	u64 t0 = ktime_get_ns();
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		*err = auxshim_test_raw_attach(d, phys[i], &pasid[i]);
		if (*err)
			break;
	}
	for (k = 0; k < i; k++)
		auxshim_test_raw_detach(d, phys[k], pasid[k]);
	return ktime_get_ns() - t0;
}

static int mt_attach_bench(struct kt_test *t)
{
	unsigned int rounds = clamp(bench_rounds, 1, 1001), n, s, r, i;
	struct device *phys[MT_BENCH_MAX] = { }, *subs[MT_BENCH_MAX];
	u32 pasid[MT_BENCH_MAX];
	struct iommu_group *group;
	struct iommu_domain *d;
	u64 *v;
	int ret = 0, err = 0;
	char name[32];

	d = mt_domain();
	v = kcalloc(3 * rounds, sizeof(*v), GFP_KERNEL);
	if (mt_fail(t, &ret, d && v, "domain and memory"))
		goto out;
	for (i = 0; i < MT_BENCH_MAX; i++) {
		snprintf(name, sizeof(name), "auxshim-mock-b%u", i);
		phys[i] = auxshim_mock_phys_add(name, true, 0);
		if (mt_fail(t, &ret, !IS_ERR(phys[i]), "%s: %ld", name,
			    PTR_ERR(phys[i]))) {
			phys[i] = NULL;
			goto out;
		}
		if (mt_aux && mt_fail(t, &ret, !auxshim_dev_enable_aux(phys[i]),
				      "aux on %s", name))
			goto out;
	}
	pr_info("        # bench: attach-detach mode %s\n",
		mt_aux ? auxshim_test_aux_backend() : "direct");
	for (s = 0; s < ARRAY_SIZE(mt_bench_sizes) && !ret; s++) {
		u64 *shim = v, *raw = v + rounds, *ratio = v + 2 * rounds;

		n = mt_bench_sizes[s];
		group = iommu_group_alloc();
		if (mt_fail(t, &ret, !IS_ERR(group), "group: %ld", PTR_ERR(group)))
			break;
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "mt-sub%d",
				 atomic_inc_return(&mt_seq));
			subs[i] = auxshim_mock_sub_add(name, phys[i], group);
			if (IS_ERR(subs[i]))
				break;
		}
		if (!mt_fail(t, &ret, i == n, "sub device %u", i)) {
			for (r = 0; r < rounds && !err; r++) {
				if (r % 2) {
					raw[r] = mt_bench_raw(d, phys, n, pasid, &err);
					shim[r] = mt_bench_shim(d, group, &err);
				} else {
					shim[r] = mt_bench_shim(d, group, &err);
					raw[r] = mt_bench_raw(d, phys, n, pasid, &err);
				}
				ratio[r] = div64_u64(shim[r] * BENCH_FIX, raw[r] ?: 1);
				cond_resched();
			}
			if (!mt_fail(t, &ret, !err, "attach at %u devices: %d", n, err))
				bench_print_row("attach-detach", n,
						div64_u64(bench_median(shim, rounds) *
							  BENCH_FIX, n),
						div64_u64(bench_median(raw, rounds) *
							  BENCH_FIX, n),
						bench_median(ratio, rounds));
		}
		while (i-- > 0)
			auxshim_mock_sub_remove(subs[i]);
		iommu_group_put(group);
	}
out:
	for (i = 0; i < MT_BENCH_MAX; i++) {
		if (!phys[i])
			continue;
		if (mt_aux)
			auxshim_dev_disable_aux(phys[i]);
		auxshim_mock_phys_remove(phys[i]);
	}
	kfree(v);
	mt_domain_free(d);
	return ret;
}

MT_CASE(attach_bench)

MT_SUITE(mock_bench_suite, "auxshim_attach_bench",
	 KT_CASE(attach_bench));

static struct kt_suite *mt_bench_suites[] = {
	&mock_bench_suite,
	NULL
};

/* In run order.  Suites of other files are declared in mock_suites.h. */
static struct kt_suite *mt_suites[] = {
	&mock_rig_suite,
	&mock_attach_suite,
	&mock_detach_suite,
	&mock_pasid_suite,
	&mock_rollback_suite,
	&mock_concurrency_suite,
	&mock_removal_suite,
	&auxshim_removal_suite,
	NULL
};

static void mt_remove_devices(void)
{
	int i;

	for (i = 0; i < MT_NR_PHYS; i++)
		if (!IS_ERR_OR_NULL(mt_p[i]))
			auxshim_mock_phys_remove(mt_p[i]);
	for (i = 0; i < MT_NR_SHARED; i++)
		if (!IS_ERR_OR_NULL(mt_q[i]))
			auxshim_mock_phys_remove(mt_q[i]);
}

static int mt_add_devices(void)
{
	char name[32];
	int i;

	for (i = 0; i < MT_NR_PHYS; i++) {
		snprintf(name, sizeof(name), "auxshim-mock-p%d", i);
		mt_p[i] = auxshim_mock_phys_add(name, i < 3, 0);
		if (IS_ERR(mt_p[i]))
			return PTR_ERR(mt_p[i]);
	}
	for (i = 0; i < MT_NR_SHARED; i++) {
		snprintf(name, sizeof(name), "auxshim-mock-q%d", i);
		mt_q[i] = auxshim_mock_phys_add(name, false, 1);
		if (IS_ERR(mt_q[i]))
			return PTR_ERR(mt_q[i]);
	}
	return 0;
}

static int __init mocktest_init(void)
{
	const char *route = auxshim_mock_route();

	pr_info("# aux backend %s; mock IOMMU: %s\n", auxshim_test_aux_backend(),
		route ? route : auxshim_mock_why());
	snprintf(mt_no_route, sizeof(mt_no_route), "no mock IOMMU: %s",
		 auxshim_mock_why());
	mt_aux = strcmp(auxshim_test_aux_backend(), "none") != 0;
	if (route)
		mt_devices_ret = mt_add_devices();
	if (run_suites)
		kt_run_suites(bench_rounds ? mt_bench_suites : mt_suites);
	if (mt_devices_ret) {
		mt_remove_devices();
		return mt_devices_ret;
	}
	mutex_lock(&mt_hold_lock);
	mt_ready = true;
	mutex_unlock(&mt_hold_lock);
	return 0;
}

static void __exit mocktest_exit(void)
{
	mutex_lock(&mt_hold_lock);
	if (mt_held)
		mt_hold_release();
	mutex_unlock(&mt_hold_lock);
	mt_remove_devices();
}

module_init(mocktest_init);
module_exit(mocktest_exit);
MODULE_DESCRIPTION("auxshim tests against the test IOMMU driver");
MODULE_LICENSE("GPL");
