/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * auxshim_sample's objects, shared by its three units:
 *
 *   sample.c  the module: edu's PCI driver, the mdev parent and driver;
 *             calls attach.c and vdev.c (and, in a test build, the harness)
 *   vdev.c    each mdev as a VFIO device: a mediated edu; calls attach.c
 *   attach.c  an mdev's domain, attached through auxshim; calls nothing of ours
 *
 * and, in a test build only, test_harness.c (the auxshim/ sysfs knobs; not
 * part of the template), which calls attach.c.
 *
 * compat.h renames no kernel identifier: the structs below use its
 * auxshim_sample_* names for what v5.10 lacks or has with another meaning.
 */
#ifndef AUXSHIM_SAMPLE_H
#define AUXSHIM_SAMPLE_H

#include <linux/eventfd.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/vfio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "compat.h"

/* What one VFIO user sees of edu: its registers (see DESIGN.md). */
struct sample_edu_regs {
	u32 live; /* 0x04: the complement of the last write */
	u32 fact; /* 0x08 */
	u32 status; /* 0x20 */
	u32 irq_status; /* 0x24 */
	u64 dma[4]; /* 0x80 source, 0x88 destination, 0x90 count, 0x98 command */
	u32 error; /* 0xa0: errno of the last DMA command */
};

/* One DMA command, taken from the registers when it starts. */
struct sample_dma_job {
	u64 seq; /* counts the commands that passed their checks */
	u64 iova; /* the client's side */
	u64 devaddr; /* edu's buffer side */
	u32 count;
	bool to_client;
	bool irq;
};

struct sample_parent {
	struct auxshim_sample_mdev_parent parent; /* the mdev core's view */
	struct auxshim_sample_mdev_type type;
	struct auxshim_sample_mdev_type *types[1];
	struct pci_dev *pdev;
	void __iomem *bar;
	bool aux; /* aux enabled on edu */
	struct page *zero; /* clears edu's buffer for a new user */
	/*
	 * lock: protects nr_mdevs, vfio_user, every mdev's attachment and
	 * edu's DMA engine.  Taken after a sample_mdev's dma_lock, before its
	 * regs_lock.
	 */
	struct mutex lock;
	unsigned int nr_mdevs;
	struct sample_mdev *vfio_user; /* the mdev a VFIO user has open */
};

struct sample_mdev {
	struct auxshim_sample_vfio_device
		vdev; /* first: auxshim_sample_vfio_alloc_device() wants it */
	struct sample_parent *sp;
	struct device *dev; /* the mdev */
	/* under sp->lock: */
	struct iommu_domain *domain; /* NULL while detached */
	struct iommu_group *group; /* held from attach to detach */
	struct sample_test *test; /* test_harness.c's, in a test build */

	/* The mediated edu (vdev.c), while a VFIO user has the mdev open. */
	struct mutex regs_lock; /* cfg, regs, job, triggers, opener, four below */
	u8 cfg[256]; /* PCI config space */
	struct sample_edu_regs regs;
	struct sample_dma_job job; /* the last command that passed its checks */
	unsigned int resetting; /* resets under way: commands refused */
	u64 cmd_seq; /* job.seq of the last command queued */
	/* The last command whose pages are pinned and mapped, or that ended. */
	u64 cmd_started;
	wait_queue_head_t cmd_wq; /* woken when cmd_started moves */
	struct eventfd_ctx *trigger; /* the MSI vector's eventfd */
	struct eventfd_ctx *req_trigger; /* the REQ eventfd: give it back */
	pid_t opener_pid; /* who opened it: named when it is requested */
	char opener_comm[TASK_COMM_LEN];
	struct work_struct dma_work;
	/*
	 * dma_lock: the pinned client pages and their mappings in the
	 * domain; held across a transfer, so that an unmap waits for it.
	 * Never held over vfio_pin_pages() or vfio_unpin_pages(): they take
	 * type1's iommu->lock, which type1 takes before the device_list_lock
	 * it holds over .dma_unmap, which takes dma_lock.
	 */
	struct mutex dma_lock;
	struct xarray pins; /* IOVA pfn -> struct sample_pin */
	/*
	 * Pins of ours not in pins: being made by a command, pinned twice,
	 * or taken out of pins and not unpinned yet (vdev.c).
	 */
	atomic_t loose;
	wait_queue_head_t loose_wq; /* woken when loose drops to 0 */
	spinlock_t unpin_lock; /* unpin_list */
	struct list_head unpin_list; /* pins for unpin_work to drop */
	struct work_struct unpin_work;
	/* .dma_unmap calls under way, and when the last one ended + grace */
	atomic_t unmapping;
	unsigned long unmap_quiet; /* jiffies, READ_ONCE/WRITE_ONCE */
};

/* attach.c */
int sample_attach(struct sample_mdev *sm);
void sample_detach(struct sample_mdev *sm);

/* vdev.c */
extern const struct auxshim_sample_vfio_device_ops sample_vfio_ops;
void sample_vdev_init(struct sample_mdev *sm);

#endif /* AUXSHIM_SAMPLE_H */
