/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * auxshim_test.ko internals shared by its files: the edu device (QEMU's
 * teaching PCI device, our DMA witness) and the benchmark case.
 */
#ifndef AUXSHIM_TEST_H
#define AUXSHIM_TEST_H

#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/types.h>

#include "src/sample/edu.h"
#include "kt.h"

struct iommu_domain;
struct iommu_group;

/* The bound edu device.  Valid while auxshim_test_lock is held. */
struct edu {
	struct pci_dev *pdev;
	void __iomem *bar;
	struct iommu_group *group; /* reference held */
	struct iommu_domain *def_domain; /* kernel's domain at probe */
};

/*
 * auxshim_test_lock serializes everything the module does to edu and to the
 * shim: probe/remove, the suites, the held attachment, the benchmark.  It
 * protects auxshim_test_edu.
 */
extern struct mutex auxshim_test_lock;
extern struct edu *auxshim_test_edu;

/* benchmark (auxshim_test_bench.c) */
void auxshim_test_bench(struct kt_test *t, struct edu *e, unsigned long iters,
			unsigned int rounds);

#endif /* AUXSHIM_TEST_H */
