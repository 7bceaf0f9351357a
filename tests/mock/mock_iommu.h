/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * auxshim_mockiommu.ko: a test IOMMU driver with fake devices, for the
 * aux/PASID paths no emulated device reaches.  Used by auxshim_mocktest.ko.
 *
 * "Physical" devices sit behind the mock IOMMU, each in its own IOMMU
 * group or in a shared one; "sub-devices" (mdev-like) sit on a private bus
 * in groups without an IOMMU, their parent being the physical device that
 * does their DMA.  The mock counts what it holds so tests can prove that
 * nothing leaked, and can fail the Nth operation of chosen kinds.
 */
#ifndef AUXSHIM_MOCK_IOMMU_H
#define AUXSHIM_MOCK_IOMMU_H

#include <linux/types.h>

struct device;
struct iommu_domain;
struct iommu_group;

/* Kinds of operations fail_nth can hit. */
#define AUXSHIM_MOCK_FAIL_ATTACH BIT(0) /* whole-device attach */
#define AUXSHIM_MOCK_FAIL_PASID_ATTACH BIT(1) /* aux attach / set_dev_pasid */
#define AUXSHIM_MOCK_FAIL_PASID_ALLOC \
	BIT(2) /* the mock's own PASIDs (aux API) */
#define AUXSHIM_MOCK_FAIL_MAP BIT(3) /* map: page-table allocation */
#define AUXSHIM_MOCK_FAIL_ALL GENMASK(3, 0)

/**
 * struct auxshim_mock_counts - what the mock holds right now
 * @attached: devices attached to a (non-default) paging domain
 * @pasids: live (device, PASID) attachments
 * @pasid_ids: PASIDs the mock allocated itself (aux-domain API)
 * @domains: live paging domains
 * @pages: live page-table pages
 */
struct auxshim_mock_counts {
	unsigned int attached;
	unsigned int pasids;
	unsigned int pasid_ids;
	long domains;
	long pages;
};

/* NULL if the mock could not register on this kernel (see _why). */
const char *auxshim_mock_route(void);
const char *auxshim_mock_why(void);

struct device *auxshim_mock_phys_add(const char *name, bool pasid, int share);
void auxshim_mock_phys_remove(struct device *dev);
struct device *auxshim_mock_sub_add(const char *name, struct device *parent,
				    struct iommu_group *group);
void auxshim_mock_sub_remove(struct device *dev);
struct device *auxshim_mock_sub_parent(struct device *dev);

void auxshim_mock_get_counts(struct auxshim_mock_counts *c);
struct iommu_domain *auxshim_mock_dev_domain(struct device *dev);
int auxshim_mock_dev_pasid(struct device *dev, struct iommu_domain *domain);
bool auxshim_mock_domain_valid(struct iommu_domain *domain);
void auxshim_mock_fail_nth(unsigned int nth, unsigned int kinds);
bool auxshim_mock_fail_fired(void);

#endif /* AUXSHIM_MOCK_IOMMU_H */
