// SPDX-License-Identifier: GPL-2.0-only
/*
 * auxshim_mocktest.ko: KTAP tests of the shim against the test IOMMU
 * (auxshim_mockiommu.ko): the aux/PASID paths, rollback under fail_nth,
 * concurrency, device removal and unload.  The tests run at load and print
 * KTAP; the module then stays loaded so that the guest script can hold an
 * attachment (parameter "hold") and try to unload things under it.
 */
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "auxshim.h"
#include "src/shim/test_hooks.h"
#include "mock_iommu.h"

static int stress_secs = 20;
module_param(stress_secs, int, 0444);
MODULE_PARM_DESC(stress_secs, "length of the concurrency stress, seconds");

static char *only;
module_param(only, charp, 0444);
MODULE_PARM_DESC(only, "run only the case of this name (debugging)");

#define MT_NR_PHYS 5 /* p0-p2 PASID-capable, p3-p4 not */
#define MT_NR_SHARED 3 /* q0-q2: one IOMMU group */
#define MT_FAIL_MAX 200

static struct device *mt_p[MT_NR_PHYS];
static struct device *mt_q[MT_NR_SHARED];
static bool mt_aux; /* the shim has an aux backend on this kernel */
static char mt_reason[160];
static atomic_t mt_seq = ATOMIC_INIT(0);

/*
 * Record why a case failed (the first reason wins).  Returns true, and sets
 * *ret, when @ok is false: the caller then jumps to its cleanup.
 */
static __printf(4, 5) bool mt_fail(int *ret, int line, bool ok, const char *fmt,
				   ...)
{
	va_list args;
	int n;

	if (ok)
		return false;
	*ret = -EINVAL;
	if (mt_reason[0])
		return true;
	n = snprintf(mt_reason, sizeof(mt_reason), "line %d: ", line);
	va_start(args, fmt);
	vsnprintf(mt_reason + n, sizeof(mt_reason) - n, fmt, args);
	va_end(args);
	return true;
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
static bool mt_fail_idle(int *ret, int line, const struct mt_snap *base)
{
	char why[sizeof(mt_reason) - 16];

	return mt_fail(ret, line, !mt_idle(base, why, sizeof(why)), "%s", why);
}

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
static int mt_translation(void)
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
	if (mt_fail(&ret, __LINE__, g0 && g1 && g0 != g1,
		    "p0/p1 not in distinct IOMMU groups"))
		goto out;
	for (i = 1; i < MT_NR_SHARED; i++) {
		gq = iommu_group_get(mt_q[i]);
		if (gq)
			iommu_group_put(gq);
		if (mt_fail(&ret, __LINE__, gq0 && gq == gq0,
			    "q%d not in q0's group", i))
			goto out;
	}
	if (mt_fail(&ret, __LINE__, auxshim_dev_has_aux(mt_p[0]) == mt_aux,
		    "has_aux(p0) %d, backend %s", auxshim_dev_has_aux(mt_p[0]),
		    auxshim_test_aux_backend()))
		goto out;
	if (mt_fail(&ret, __LINE__, !auxshim_dev_has_aux(mt_p[3]),
		    "has_aux(p3) without PASIDs"))
		goto out;

	d = mt_domain();
	if (mt_fail(&ret, __LINE__, d, "auxshim_domain_alloc(p0) failed"))
		goto out;
	if (mt_fail(&ret, __LINE__, auxshim_mock_domain_valid(d),
		    "domain is not a mock domain"))
		goto out;
	ret = auxshim_map(d, iova, phys, PAGE_SIZE, IOMMU_READ | IOMMU_WRITE);
	if (mt_fail(&ret, __LINE__, !ret, "map: %d", ret))
		goto out;
	got = iommu_iova_to_phys(d, iova + 0x18);
	if (mt_fail(&ret, __LINE__, got == phys + 0x18,
		    "iova_to_phys %pa, want %pa + 0x18", &got, &phys))
		goto out;
	if (mt_fail(&ret, __LINE__, !iommu_iova_to_phys(d, iova + PAGE_SIZE),
		    "unmapped iova translates"))
		goto out;
	mt_snapshot(&now);
	if (mt_fail(&ret, __LINE__, now.mock.pages == base.mock.pages + 1,
		    "page-table pages %ld, want %ld", now.mock.pages,
		    base.mock.pages + 1))
		goto out;

	/* An injected map failure maps nothing. */
	auxshim_mock_fail_nth(1, AUXSHIM_MOCK_FAIL_MAP);
	ret = auxshim_map(d, iova + PAGE_SIZE, phys, PAGE_SIZE, IOMMU_READ);
	if (mt_fail(&ret, __LINE__, ret && auxshim_mock_fail_fired(),
		    "injected map failure: %d", ret))
		goto out;
	if (mt_fail(&ret, __LINE__, !iommu_iova_to_phys(d, iova + PAGE_SIZE),
		    "failed map translates"))
		goto out;
	ret = 0;

	if (mt_fail(&ret, __LINE__,
		    iommu_unmap(d, iova, PAGE_SIZE) == PAGE_SIZE, "unmap size"))
		goto out;
	if (mt_fail(&ret, __LINE__, !iommu_iova_to_phys(d, iova),
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
static int mt_direct_when_not_aux(void)
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
		if (mt_fail(&ret, __LINE__, !ret, "making a group: %d", ret))
			goto out;
		if (mt_fail(&ret, __LINE__, !auxshim_dev_aux_enabled(backs[i]),
			    "aux enabled on %s", dev_name(backs[i])))
			goto out;
		ret = auxshim_attach_group(d, g.group, auxshim_mock_sub_parent);
		if (mt_fail(&ret, __LINE__, !ret, "attach through %s: %d",
			    dev_name(backs[i]), ret))
			goto out;
		if (mt_fail(&ret, __LINE__,
			    auxshim_mock_dev_domain(backs[i]) == d,
			    "mock saw no direct attach of %s",
			    dev_name(backs[i])))
			goto out;
		if (mt_fail(&ret, __LINE__,
			    auxshim_mock_dev_pasid(backs[i], d) < 0,
			    "mock saw a PASID attach of %s",
			    dev_name(backs[i])))
			goto out;
		if (mt_fail(&ret, __LINE__,
			    auxshim_get_domain_for_dev(g.subs[0]) == d,
			    "get_domain_for_dev(sub) wrong"))
			goto out;
		if (mt_fail(&ret, __LINE__,
			    auxshim_get_pasid(d, g.subs[0]) == -EINVAL,
			    "get_pasid of a direct attach: %d",
			    auxshim_get_pasid(d, g.subs[0])))
			goto out;
		auxshim_detach_group(d, g.group);
		if (mt_fail(&ret, __LINE__, !auxshim_mock_dev_domain(backs[i]),
			    "still attached after detach"))
			goto out;
		if (mt_fail(&ret, __LINE__,
			    !auxshim_get_domain_for_dev(g.subs[0]),
			    "get_domain_for_dev after detach"))
			goto out;
		if (mt_fail_idle(&ret, __LINE__, &base))
			goto out;
		mt_grp_free(&g);
	}
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

/* A backing device with aux enabled gets an aux/PASID attach. */
static int mt_aux_when_enabled(void)
{
	struct iommu_domain *d = NULL;
	struct mt_grp g = {};
	struct mt_snap base;
	int ret, pasid;

	ret = mt_need_aux();
	if (ret)
		return ret;
	d = mt_domain();
	if (!d)
		return -ENOMEM;
	mt_snapshot(&base);
	ret = auxshim_dev_enable_aux(mt_p[0]);
	if (mt_fail(&ret, __LINE__, !ret, "enable_aux(p0): %d", ret))
		goto out;
	if (mt_fail(&ret, __LINE__, auxshim_dev_aux_enabled(mt_p[0]),
		    "aux not enabled on p0"))
		goto out;
	ret = mt_grp_make(&g, &mt_p[0], 1);
	if (mt_fail(&ret, __LINE__, !ret, "making a group: %d", ret))
		goto out;
	ret = auxshim_attach_group(d, g.group, auxshim_mock_sub_parent);
	if (mt_fail(&ret, __LINE__, !ret, "attach: %d", ret))
		goto out;
	pasid = auxshim_mock_dev_pasid(mt_p[0], d);
	if (mt_fail(&ret, __LINE__, pasid > 0, "mock saw no PASID attach: %d",
		    pasid))
		goto out;
	if (mt_fail(&ret, __LINE__, !auxshim_mock_dev_domain(mt_p[0]),
		    "mock saw a direct attach"))
		goto out;
	if (mt_fail(&ret, __LINE__, auxshim_get_pasid(d, g.subs[0]) == pasid,
		    "get_pasid %d, mock saw %d",
		    auxshim_get_pasid(d, g.subs[0]), pasid))
		goto out;
	if (mt_fail(&ret, __LINE__, auxshim_get_domain_for_dev(g.subs[0]) == d,
		    "get_domain_for_dev"))
		goto out;
	auxshim_detach_group(d, g.group);
	if (mt_fail(&ret, __LINE__, auxshim_mock_dev_pasid(mt_p[0], d) < 0,
		    "PASID still attached"))
		goto out;
	if (mt_fail(&ret, __LINE__, auxshim_get_pasid(d, g.subs[0]) == -ENODEV,
		    "get_pasid after detach: %d",
		    auxshim_get_pasid(d, g.subs[0])))
		goto out;
	ret = auxshim_dev_disable_aux(mt_p[0]);
	if (mt_fail(&ret, __LINE__, !ret, "disable_aux(p0): %d", ret))
		goto out;
	if (mt_fail_idle(&ret, __LINE__, &base))
		goto out;
out:
	if (ret)
		auxshim_detach_group(d, g.group);
	mt_grp_free(&g);
	auxshim_dev_disable_aux(mt_p[0]);
	mt_domain_free(d);
	return ret;
}

/* One group, two aux backings and one direct. */
static int mt_mixed_group(void)
{
	struct device *backs[3] = { mt_p[0], mt_p[1], mt_p[3] };
	struct iommu_domain *d = NULL;
	struct mt_grp g = {};
	struct mt_snap base;
	int ret, i;

	ret = mt_need_aux();
	if (ret)
		return ret;
	d = mt_domain();
	if (!d)
		return -ENOMEM;
	mt_snapshot(&base);
	if (mt_fail(&ret, __LINE__,
		    !auxshim_dev_enable_aux(mt_p[0]) &&
			    !auxshim_dev_enable_aux(mt_p[1]),
		    "enable_aux"))
		goto out;
	ret = mt_grp_make(&g, backs, 3);
	if (mt_fail(&ret, __LINE__, !ret, "making a group: %d", ret))
		goto out;
	ret = auxshim_attach_group(d, g.group, auxshim_mock_sub_parent);
	if (mt_fail(&ret, __LINE__, !ret, "attach: %d", ret))
		goto out;
	for (i = 0; i < 2; i++) {
		if (mt_fail(&ret, __LINE__,
			    auxshim_mock_dev_pasid(backs[i], d) > 0 &&
				    !auxshim_mock_dev_domain(backs[i]),
			    "%s not aux-attached", dev_name(backs[i])))
			goto out;
		if (mt_fail(&ret, __LINE__,
			    auxshim_get_pasid(d, g.subs[i]) ==
				    auxshim_mock_dev_pasid(backs[i], d),
			    "PASID of sub %d", i))
			goto out;
	}
	if (mt_fail(&ret, __LINE__,
		    auxshim_mock_dev_domain(mt_p[3]) == d &&
			    auxshim_mock_dev_pasid(mt_p[3], d) < 0,
		    "p3 not directly attached"))
		goto out;
	for (i = 0; i < 3; i++)
		if (mt_fail(&ret, __LINE__,
			    auxshim_get_domain_for_dev(g.subs[i]) == d,
			    "get_domain_for_dev(sub %d)", i))
			goto out;
	auxshim_detach_group(d, g.group);
	auxshim_dev_disable_aux(mt_p[0]);
	auxshim_dev_disable_aux(mt_p[1]);
	if (mt_fail_idle(&ret, __LINE__, &base))
		goto out;
out:
	mt_grp_free(&g);
	auxshim_dev_disable_aux(mt_p[0]);
	auxshim_dev_disable_aux(mt_p[1]);
	mt_domain_free(d);
	return ret;
}

/* PASIDs are the ones the IOMMU saw, unique per domain, freed on detach. */
static int mt_pasids(void)
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
	if (mt_fail(&ret, __LINE__, d1 && d2, "domain alloc"))
		goto out;
	mt_snapshot(&base);
	if (mt_fail(&ret, __LINE__,
		    !auxshim_dev_enable_aux(mt_p[0]) &&
			    !auxshim_dev_enable_aux(mt_p[1]),
		    "enable_aux"))
		goto out;
	if (mt_fail(&ret, __LINE__,
		    !mt_grp_make(&g1, &mt_p[0], 1) &&
			    !mt_grp_make(&g2, &mt_p[0], 1) &&
			    !mt_grp_make(&g3, &mt_p[1], 1),
		    "making groups"))
		goto out;
	if (mt_fail(&ret, __LINE__,
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
	if (mt_fail(&ret, __LINE__,
		    p1 > 0 && p1 == auxshim_mock_dev_pasid(mt_p[0], d1),
		    "p0/d1 PASID %d, mock %d", p1,
		    auxshim_mock_dev_pasid(mt_p[0], d1)))
		goto out;
	if (mt_fail(&ret, __LINE__,
		    p2 > 0 && p2 == auxshim_mock_dev_pasid(mt_p[0], d2),
		    "p0/d2 PASID %d, mock %d", p2,
		    auxshim_mock_dev_pasid(mt_p[0], d2)))
		goto out;
	if (mt_fail(&ret, __LINE__,
		    p3 > 0 && p3 == auxshim_mock_dev_pasid(mt_p[1], d1),
		    "p1/d1 PASID %d, mock %d", p3,
		    auxshim_mock_dev_pasid(mt_p[1], d1)))
		goto out;
	if (mt_fail(&ret, __LINE__, p1 != p2 && p3 != p2,
		    "PASIDs not unique across domains: %d %d %d", p1, p2, p3))
		goto out;
	if (mt_fail(&ret, __LINE__,
		    auxshim_get_pasid(d2, g1.subs[0]) == -EINVAL,
		    "get_pasid with the wrong domain: %d",
		    auxshim_get_pasid(d2, g1.subs[0])))
		goto out;
	auxshim_detach_group(d1, g1.group);
	auxshim_detach_group(d2, g2.group);
	auxshim_detach_group(d1, g3.group);
	if (mt_fail(&ret, __LINE__,
		    auxshim_get_pasid(d1, g1.subs[0]) == -ENODEV,
		    "get_pasid after detach"))
		goto out;
	auxshim_dev_disable_aux(mt_p[0]);
	auxshim_dev_disable_aux(mt_p[1]);
	if (mt_fail_idle(&ret, __LINE__, &base))
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
static int mt_disable_busy(void)
{
	struct iommu_domain *d = NULL;
	struct mt_grp g = {};
	int ret;

	ret = mt_need_aux();
	if (ret)
		return ret;
	d = mt_domain();
	if (mt_fail(&ret, __LINE__, d, "domain alloc"))
		goto out;
	if (mt_fail(&ret, __LINE__, !auxshim_dev_enable_aux(mt_p[2]),
		    "enable_aux(p2)"))
		goto out;
	if (mt_fail(&ret, __LINE__, !mt_grp_make(&g, &mt_p[2], 1),
		    "making a group"))
		goto out;
	if (mt_fail(&ret, __LINE__,
		    !auxshim_attach_group(d, g.group, auxshim_mock_sub_parent),
		    "attach"))
		goto out;
	ret = auxshim_dev_disable_aux(mt_p[2]);
	if (mt_fail(&ret, __LINE__, ret == -EBUSY,
		    "disable_aux while attached: %d", ret))
		goto out;
	ret = 0;
	if (mt_fail(&ret, __LINE__, auxshim_dev_aux_enabled(mt_p[2]),
		    "aux off after a refused disable"))
		goto out;
	if (mt_fail(&ret, __LINE__, auxshim_mock_dev_pasid(mt_p[2], d) > 0,
		    "attachment lost"))
		goto out;
	auxshim_detach_group(d, g.group);
	ret = auxshim_dev_disable_aux(mt_p[2]);
	if (mt_fail(&ret, __LINE__, !ret, "disable_aux after detach: %d", ret))
		goto out;
	if (mt_fail(&ret, __LINE__, !auxshim_dev_aux_enabled(mt_p[2]),
		    "aux still enabled"))
		goto out;
out:
	if (ret)
		auxshim_detach_group(d, g.group);
	mt_grp_free(&g);
	auxshim_dev_disable_aux(mt_p[2]);
	mt_domain_free(d);
	return ret;
}

/* Enabling aux where it cannot be done fails cleanly. */
static int mt_enable_unsupported(void)
{
	struct mt_grp g = {};
	int ret;

	ret = mt_grp_make(&g, &mt_p[3], 1);
	if (mt_fail(&ret, __LINE__, !ret, "making a group: %d", ret))
		goto out;
	ret = auxshim_dev_enable_aux(mt_p[3]);
	if (mt_fail(&ret, __LINE__, ret == -EOPNOTSUPP || ret == -ENODEV,
		    "enable_aux(p3): %d", ret))
		goto out;
	if (mt_fail(&ret, __LINE__, !auxshim_dev_aux_enabled(mt_p[3]),
		    "aux enabled on p3"))
		goto out;
	ret = auxshim_dev_enable_aux(g.subs[0]);
	if (mt_fail(&ret, __LINE__, ret == -EOPNOTSUPP || ret == -ENODEV,
		    "enable_aux(sub): %d", ret))
		goto out;
	ret = auxshim_dev_enable_aux(NULL);
	if (mt_fail(&ret, __LINE__, ret == -EINVAL, "enable_aux(NULL): %d",
		    ret))
		goto out;
	ret = 0;
out:
	mt_grp_free(&g);
	return ret;
}

/* lookup == NULL attaches a multi-device IOMMU group as a whole. */
static int mt_whole_group(void)
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
	if (mt_fail(&ret, __LINE__, group, "q0 has no group"))
		goto out;
	ret = auxshim_attach_group(d, group, NULL);
	if (mt_fail(&ret, __LINE__, !ret, "attach: %d", ret))
		goto out;
	for (i = 0; i < MT_NR_SHARED; i++) {
		if (mt_fail(&ret, __LINE__,
			    auxshim_mock_dev_domain(mt_q[i]) == d,
			    "q%d not attached", i))
			goto out;
		if (mt_fail(&ret, __LINE__,
			    auxshim_get_domain_for_dev(mt_q[i]) == d,
			    "get_domain_for_dev(q%d)", i))
			goto out;
	}
	ret = auxshim_attach_group(d, group, NULL);
	if (mt_fail(&ret, __LINE__, ret == -EBUSY, "second attach: %d", ret))
		goto out;
	ret = 0;
	auxshim_detach_group(d, group);
	for (i = 0; i < MT_NR_SHARED; i++)
		if (mt_fail(&ret, __LINE__, !auxshim_mock_dev_domain(mt_q[i]),
			    "q%d still attached", i))
			goto out;
	if (mt_fail_idle(&ret, __LINE__, &base))
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
static int mt_fail_nth(bool shim, int *points)
{
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
	if (mt_fail(&ret, __LINE__, !ret, "making a group: %d", ret))
		goto out;
	if (mt_aux)
		if (mt_fail(&ret, __LINE__,
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
			if (mt_fail(&ret, __LINE__, !fired,
				    "N=%d: attach succeeded although the injected failure fired",
				    n))
				goto out;
			if (mt_fail(&ret, __LINE__,
				    auxshim_get_domain_for_dev(g.subs[2]) ==
						    d &&
					    auxshim_mock_dev_domain(mt_p[3]) ==
						    d,
				    "N=%d: attached wrongly", n))
				goto out;
			auxshim_detach_group(d, g.group);
			if (mt_fail_idle(&ret, __LINE__, &base))
				goto out;
			break;
		}
		if (mt_fail(&ret, __LINE__, fired,
			    "N=%d: attach failed (%d) with no injected failure",
			    n, err))
			goto out;
		(*points)++;
		if (mt_fail(&ret, __LINE__,
			    !auxshim_get_domain_for_dev(g.subs[0]),
			    "N=%d: a failed attach left a domain", n))
			goto out;
		if (mt_fail_idle(&ret, __LINE__, &base))
			goto out;
	}
	if (mt_fail(&ret, __LINE__, n <= MT_FAIL_MAX,
		    "attach never succeeded in %d tries", MT_FAIL_MAX))
		goto out;
	if (mt_fail(&ret, __LINE__, *points > 0,
		    "no injection point was reached"))
		goto out;
out:
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

static int mt_fail_points_shim, mt_fail_points_mock;

static int mt_fail_nth_shim(void)
{
	return mt_fail_nth(true, &mt_fail_points_shim);
}

static int mt_fail_nth_mock(void)
{
	return mt_fail_nth(false, &mt_fail_points_mock);
}

/* A detach naming the wrong domain changes nothing. */
static int mt_detach_wrong(void)
{
	struct iommu_domain *d1, *d2 = NULL;
	struct mt_snap before, after;
	struct mt_grp g = {};
	int ret = 0;

	d1 = mt_domain();
	d2 = mt_domain();
	if (mt_fail(&ret, __LINE__, d1 && d2, "domain alloc"))
		goto out;
	if (mt_fail(&ret, __LINE__, !mt_grp_make(&g, &mt_p[3], 1),
		    "making a group"))
		goto out;
	if (mt_fail(&ret, __LINE__,
		    !auxshim_attach_group(d1, g.group, auxshim_mock_sub_parent),
		    "attach"))
		goto out;
	mt_snapshot(&before);
	auxshim_detach_group(d2, g.group);
	auxshim_detach_group(d2, g.group);
	mt_snapshot(&after);
	if (mt_fail(&ret, __LINE__, !memcmp(&before, &after, sizeof(before)),
		    "counts changed"))
		goto out;
	if (mt_fail(&ret, __LINE__, auxshim_get_domain_for_dev(g.subs[0]) == d1,
		    "lookup changed"))
		goto out;
	if (mt_fail(&ret, __LINE__, auxshim_mock_dev_domain(mt_p[3]) == d1,
		    "mock attachment changed"))
		goto out;
	auxshim_detach_group(d1, g.group);
	if (mt_fail(&ret, __LINE__, !auxshim_mock_dev_domain(mt_p[3]),
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

#define MT_SG 12

struct mt_sgroup {
	struct mt_grp g;
	struct iommu_domain *domain; /* what this group attaches */
	atomic_t busy; /* a writer owns it */
	bool attached; /* under busy */
};

static struct mt_sgroup mt_sg[MT_SG];
static atomic_t mt_stress_errs;
static atomic_long_t mt_stress_ops[3]; /* attaches, detaches, lookups */
static unsigned long mt_stress_end;
static unsigned int mt_stress_ms;	/* how long it really ran */
static char mt_stress_err[120];

static void mt_stress_fail(const char *what, int i, long v)
{
	if (atomic_inc_return(&mt_stress_errs) == 1)
		snprintf(mt_stress_err, sizeof(mt_stress_err),
			 "%s (group %d, %ld)", what, i, v);
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
		struct iommu_domain *d;

		d = auxshim_get_domain_for_dev(mt_sg[i].g.subs[0]);
		if (d && d != mt_sg[i].domain)
			mt_stress_fail("lookup returned another domain", i, 0);
		else if (d && !(n % 16) && !auxshim_mock_domain_valid(d))
			mt_stress_fail("lookup returned a dead domain", i, 0);
		n++;
		if (!(n % 64))
			cond_resched();
	}
	atomic_long_add(n, &mt_stress_ops[2]);
	return 0;
}

static int mt_stress(void)
{
	struct iommu_domain *shared[3] = {};
	struct task_struct *t[4] = {};
	struct mt_snap base;
	unsigned long start;
	int ret = 0, i;

	if (mt_aux) {
		if (mt_fail(&ret, __LINE__,
			    !auxshim_dev_enable_aux(mt_p[0]) &&
				    !auxshim_dev_enable_aux(mt_p[1]),
			    "enable_aux"))
			goto out;
	}
	for (i = 0; i < 3; i++) {
		shared[i] = mt_domain();
		if (mt_fail(&ret, __LINE__, shared[i], "domain alloc"))
			goto out;
	}
	for (i = 0; i < MT_SG; i++) {
		/* 0-3 via p0, 4-7 via p1 (aux if possible), 8-11 direct via p3. */
		int b = i / 4;
		struct device *back = mt_p[b == 2 ? 3 : b];

		if (mt_fail(&ret, __LINE__, !mt_grp_make(&mt_sg[i].g, &back, 1),
			    "making group %d", i))
			goto out;
		if (mt_aux && b < 2) {
			mt_sg[i].domain = mt_domain();
			if (mt_fail(&ret, __LINE__, mt_sg[i].domain,
				    "domain alloc"))
				goto out;
		} else {
			mt_sg[i].domain = shared[b];
		}
	}
	mt_snapshot(&base);
	atomic_set(&mt_stress_errs, 0);
	start = jiffies;
	mt_stress_end = start + stress_secs * HZ;
	for (i = 0; i < 4; i++) {
		t[i] = kthread_run(i < 2 ? mt_stress_writer : mt_stress_reader,
				   NULL, "mt-stress%d", i);
		if (IS_ERR(t[i])) {
			ret = PTR_ERR(t[i]);
			t[i] = NULL;
			mt_stress_end = jiffies;
			break;
		}
		get_task_struct(t[i]);
	}
	/* The threads run until mt_stress_end: only then stop them. */
	while (!ret && time_before(jiffies, mt_stress_end))
		msleep(100);
	for (i = 0; i < 4; i++) {
		if (!t[i])
			continue;
		kthread_stop(t[i]);
		put_task_struct(t[i]);
	}
	mt_stress_ms = jiffies_to_msecs(jiffies - start);
	if (mt_fail(&ret, __LINE__, !ret, "starting threads: %d", ret))
		goto out;
	for (i = 0; i < MT_SG; i++)
		if (mt_sg[i].attached) {
			auxshim_detach_group(mt_sg[i].domain, mt_sg[i].g.group);
			mt_sg[i].attached = false;
		}
	if (mt_fail(&ret, __LINE__, !atomic_read(&mt_stress_errs),
		    "%d errors, first: %s", atomic_read(&mt_stress_errs),
		    mt_stress_err))
		goto out;
	if (mt_fail(&ret, __LINE__,
		    atomic_long_read(&mt_stress_ops[0]) > 0 &&
			    atomic_long_read(&mt_stress_ops[2]) > 0,
		    "no work done"))
		goto out;
	if (mt_fail_idle(&ret, __LINE__, &base))
		goto out;
out:
	for (i = 0; i < MT_SG; i++) {
		if (mt_sg[i].attached)
			auxshim_detach_group(mt_sg[i].domain, mt_sg[i].g.group);
		mt_grp_free(&mt_sg[i].g);
		if (mt_sg[i].domain && mt_sg[i].domain != shared[i / 4])
			mt_domain_free(mt_sg[i].domain);
		mt_sg[i].domain = NULL;
	}
	for (i = 0; i < 3; i++)
		mt_domain_free(shared[i]);
	auxshim_dev_disable_aux(mt_p[0]);
	auxshim_dev_disable_aux(mt_p[1]);
	return ret;
}

/*
 * Device removal: a sub-device leaves an attached group (device_unregister)
 * and a backing device goes away; their records go, the rest stays.
 */
static int mt_removal(void)
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
	if (mt_fail(&ret, __LINE__, !IS_ERR(p_gone), "adding a device: %ld",
		    PTR_ERR(p_gone)))
		goto out;
	backs[3] = p_gone;
	if (mt_aux)
		if (mt_fail(&ret, __LINE__,
			    !auxshim_dev_enable_aux(mt_p[0]) &&
				    !auxshim_dev_enable_aux(mt_p[1]),
			    "enable_aux"))
			goto out;
	mt_snapshot(&base);
	if (mt_fail(&ret, __LINE__, !mt_grp_make(&g, backs, 4),
		    "making a group"))
		goto out;
	if (mt_fail(&ret, __LINE__,
		    !auxshim_attach_group(d, g.group, auxshim_mock_sub_parent),
		    "attach"))
		goto out;
	auxshim_test_get_counts(&c);
	if (mt_fail(&ret, __LINE__, c.devs == 4, "%u device records, want 4",
		    c.devs))
		goto out;

	/* A sub-device goes: its record and p1's attachment go with it. */
	auxshim_mock_sub_remove(g.subs[1]);
	g.subs[1] = NULL;
	auxshim_test_get_counts(&c);
	if (mt_fail(&ret, __LINE__, c.devs == 3 && c.groups == 1,
		    "after sub removal: %u records, %u groups", c.devs,
		    c.groups))
		goto out;
	if (mt_fail(&ret, __LINE__,
		    !auxshim_mock_dev_domain(mt_p[1]) &&
			    auxshim_mock_dev_pasid(mt_p[1], d) < 0,
		    "p1 still attached"))
		goto out;
	if (mt_fail(&ret, __LINE__,
		    auxshim_get_domain_for_dev(g.subs[0]) == d &&
			    auxshim_get_domain_for_dev(g.subs[2]) == d,
		    "rest not attached"))
		goto out;
	if (mt_fail(&ret, __LINE__, auxshim_mock_dev_domain(mt_p[3]) == d,
		    "p3 lost its attachment"))
		goto out;

	/* A backing device goes: the record going through it goes. */
	auxshim_mock_phys_remove(p_gone);
	p_gone = NULL;
	auxshim_test_get_counts(&c);
	if (mt_fail(&ret, __LINE__, c.devs == 2 && c.groups == 1,
		    "after backing removal: %u records", c.devs))
		goto out;
	if (mt_fail(&ret, __LINE__, auxshim_get_domain_for_dev(g.subs[0]) == d,
		    "p0's sub lost its domain"))
		goto out;

	auxshim_detach_group(d, g.group);
	if (mt_fail(&ret, __LINE__, !auxshim_mock_dev_domain(mt_p[3]),
		    "p3 still attached after detach"))
		goto out;
	if (mt_fail_idle(&ret, __LINE__, &base))
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

static int mt_hold_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret;

	ret = kstrtobool(val, &on);
	if (ret)
		return ret;
	mutex_lock(&mt_hold_lock);
	if (!mt_ready) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	if (on && !mt_held) {
		ret = -ENOMEM;
		mt_hold_dom = mt_domain();
		if (!mt_hold_dom)
			goto out_unlock;
		if (mt_aux)
			auxshim_dev_enable_aux(mt_p[0]);
		ret = mt_grp_make(&mt_hold_grp, &mt_p[0], 1);
		if (!ret)
			ret = auxshim_attach_group(mt_hold_dom,
						   mt_hold_grp.group,
						   auxshim_mock_sub_parent);
		if (!ret)
			ret = mt_hold_check();
		mt_held = true;
		if (ret)
			mt_hold_release();
	} else if (!on && mt_held) {
		/* It must still be intact after whatever the script tried. */
		ret = mt_hold_check();
		mt_hold_release();
	}
out_unlock:
	mutex_unlock(&mt_hold_lock);
	return ret;
}

static int mt_hold_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", mt_held);
}

static const struct kernel_param_ops mt_hold_ops = {
	.set = mt_hold_set,
	.get = mt_hold_get,
};
module_param_cb(hold, &mt_hold_ops, NULL, 0644);
MODULE_PARM_DESC(hold, "1: attach a group and keep it; 0: check it and detach");

/* ---- runner ---- */

struct mt_case {
	const char *name;
	int (*fn)(void);
};

static const struct mt_case mt_cases[] = {
	{ "mock_translation", mt_translation },
	{ "direct_when_not_aux", mt_direct_when_not_aux },
	{ "aux_when_enabled", mt_aux_when_enabled },
	{ "mixed_group", mt_mixed_group },
	{ "pasids_seen_unique_freed", mt_pasids },
	{ "disable_aux_busy", mt_disable_busy },
	{ "enable_aux_unsupported", mt_enable_unsupported },
	{ "whole_group_attach", mt_whole_group },
	{ "fail_nth_shim_allocs", mt_fail_nth_shim },
	{ "fail_nth_mock_ops", mt_fail_nth_mock },
	{ "detach_wrong_domain", mt_detach_wrong },
	{ "concurrency_stress", mt_stress },
	{ "device_removal", mt_removal },
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
	int i, ret = 0;

	pr_info("KTAP version 1\n");
	pr_info("1..%zu\n", ARRAY_SIZE(mt_cases));
	pr_info("# aux backend %s; mock IOMMU: %s\n", auxshim_test_aux_backend(),
		route ? route : auxshim_mock_why());
	mt_aux = strcmp(auxshim_test_aux_backend(), "none") != 0;
	if (route)
		ret = mt_add_devices();

	for (i = 0; i < ARRAY_SIZE(mt_cases); i++) {
		int r;

		mt_reason[0] = '\0';
		if (!route) {
			pr_info("ok %d %s # SKIP no mock IOMMU: %s\n", i + 1,
				mt_cases[i].name, auxshim_mock_why());
			continue;
		}
		if (ret) {
			pr_info("not ok %d %s # creating the mock devices failed: %d\n",
				i + 1, mt_cases[i].name, ret);
			continue;
		}
		if (only && strcmp(only, mt_cases[i].name)) {
			pr_info("ok %d %s # SKIP not selected (only=%s)\n",
				i + 1, mt_cases[i].name, only);
			continue;
		}
		r = mt_cases[i].fn();
		if (!r)
			pr_info("ok %d %s\n", i + 1, mt_cases[i].name);
		else if (r == -EOPNOTSUPP)
			pr_info("ok %d %s # SKIP %s\n", i + 1, mt_cases[i].name,
				mt_reason);
		else
			pr_info("not ok %d %s # %d %s\n", i + 1,
				mt_cases[i].name, r, mt_reason);
	}
	pr_info("# fail_nth points: shim allocations %d, mock operations %d\n",
		mt_fail_points_shim, mt_fail_points_mock);
	pr_info("# stress: %ld attaches, %ld detaches, %ld lookups in %u ms\n",
		atomic_long_read(&mt_stress_ops[0]),
		atomic_long_read(&mt_stress_ops[1]),
		atomic_long_read(&mt_stress_ops[2]), mt_stress_ms);
	if (ret) {
		mt_remove_devices();
		return ret;
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
