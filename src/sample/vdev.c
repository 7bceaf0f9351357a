// SPDX-License-Identifier: GPL-2.0-only
/*
 * Each mdev as a VFIO device: a mediated edu (the ABI is DESIGN.md's "The
 * sample's VFIO ABI").  Config space and BAR0 are emulated here; DMA is
 * real DMA by the parent edu, translated by the IOMMU through the mdev's
 * own domain, which follows the VFIO open and close:
 *
 * - open attaches the mdev's group through auxshim (attach.c) and clears
 *   edu's buffer;
 * - a DMA command pins the client's pages with vfio_pin_pages() and maps
 *   them at the same IOVAs in the domain (kept until the client unmaps
 *   them: dma_unmap drops them before it returns), then runs edu;
 * - close drops every pin and mapping, then detaches.
 *
 * edu has one DMA engine and no PASID, so one mdev per edu can be open.
 */
#include <linux/iommu.h>
#include <linux/moduleparam.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "auxshim.h"
#include "edu.h"
#include "sample.h"

/* Region offsets, as vfio-pci lays them out. */
#define SAMPLE_OFFSET_SHIFT 40
#define SAMPLE_OFFSET(index) ((u64)(index) << SAMPLE_OFFSET_SHIFT)
#define SAMPLE_OFFSET_MASK (SAMPLE_OFFSET(1) - 1)

#define SAMPLE_CFG_SIZE 256
#define SAMPLE_BAR0_SIZE 0x100000

/* The one register only the mediated edu has: errno of the last DMA command. */
#define SAMPLE_REG_DMA_ERROR 0xa0
/* edu's reach: bus addresses are masked to 28 bits. */
#define SAMPLE_IOVA_LIMIT BIT_ULL(28)
/* The MSI capability, the only one. */
#define SAMPLE_CAP_MSI 0x40

static atomic_long_t sample_pinned = ATOMIC_LONG_INIT(0);

static int sample_pinned_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&sample_pinned));
}

static const struct kernel_param_ops sample_pinned_ops = {
	.get = sample_pinned_get,
};
module_param_cb(pinned_pages, &sample_pinned_ops, NULL, 0444);
MODULE_PARM_DESC(pinned_pages,
		 "client pages pinned by all mediated edus (read-only)");

/*
 * A test knob: how long a client's DMA command waits for edu.  The vfio_dma
 * suite sets it below edu's ~100 ms to make commands time out while edu
 * still runs them.
 */
static unsigned int dma_timeout_ms = 5000;
module_param(dma_timeout_ms, uint, 0644);
MODULE_PARM_DESC(dma_timeout_ms,
		 "how long a DMA command waits for edu, ms (a test knob)");

static struct sample_mdev *to_sm(struct auxshim_sample_vfio_device *vdev)
{
	return container_of(vdev, struct sample_mdev, vdev);
}

/* ---- config space --------------------------------------------------------- */

/* Bits a client may change, per byte of config space. */
static u8 sample_cfg_wmask(unsigned int off)
{
	switch (off) {
	case PCI_COMMAND:
		return PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	case PCI_BASE_ADDRESS_0 + 2:
		return 0xf0; /* 1 MiB: bits 31:20 */
	case PCI_BASE_ADDRESS_0 + 3:
		return 0xff;
	case SAMPLE_CAP_MSI + PCI_MSI_FLAGS:
		return PCI_MSI_FLAGS_ENABLE;
	case SAMPLE_CAP_MSI + PCI_MSI_ADDRESS_LO:
		return 0xfc;
	case SAMPLE_CAP_MSI + PCI_MSI_ADDRESS_LO + 1 ... SAMPLE_CAP_MSI +
		PCI_MSI_DATA_64 + 1:
		return 0xff;
	default:
		return 0;
	}
}

static void sample_cfg_put16(u8 *cfg, unsigned int off, u16 val)
{
	cfg[off] = val & 0xff;
	cfg[off + 1] = val >> 8;
}

static void sample_cfg_power_on(u8 *cfg)
{
	memset(cfg, 0, SAMPLE_CFG_SIZE);
	sample_cfg_put16(cfg, PCI_VENDOR_ID, EDU_VENDOR);
	sample_cfg_put16(cfg, PCI_DEVICE_ID, EDU_DEVICE);
	sample_cfg_put16(cfg, PCI_STATUS, PCI_STATUS_CAP_LIST);
	cfg[PCI_REVISION_ID] = 0x10;
	sample_cfg_put16(cfg, PCI_CLASS_DEVICE, PCI_CLASS_OTHERS << 8);
	/* BAR0: 32-bit, non-prefetchable memory: its low 4 bits are 0. */
	cfg[PCI_CAPABILITY_LIST] = SAMPLE_CAP_MSI;
	cfg[PCI_INTERRUPT_PIN] = 0; /* no INTx */
	cfg[SAMPLE_CAP_MSI + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSI;
	cfg[SAMPLE_CAP_MSI + PCI_CAP_LIST_NEXT] = 0;
	sample_cfg_put16(cfg, SAMPLE_CAP_MSI + PCI_MSI_FLAGS,
			 PCI_MSI_FLAGS_64BIT);
}

/* Read-only bits keep their value; the write is not refused. */
static void sample_cfg_write(struct sample_mdev *sm, unsigned int off,
			     const u8 *val, size_t count)
{
	size_t i;
	u8 m;

	lockdep_assert_held(&sm->regs_lock);
	for (i = 0; i < count; i++) {
		m = sample_cfg_wmask(off + i);
		sm->cfg[off + i] = (sm->cfg[off + i] & ~m) | (val[i] & m);
	}
}

/* ---- BAR0: edu's registers ----------------------------------------------- */

static void sample_regs_power_on(struct sample_mdev *sm)
{
	lockdep_assert_held(&sm->regs_lock);
	memset(&sm->regs, 0, sizeof(sm->regs));
}

static void sample_signal(struct sample_mdev *sm, u32 irq)
{
	lockdep_assert_held(&sm->regs_lock);
	sm->regs.irq_status |= irq;
	if (sm->trigger)
		auxshim_sample_eventfd_signal(sm->trigger);
}

/* n! mod 2^32: 0 from 34! on (it has 32 factors of two). */
static u32 sample_factorial(u32 n)
{
	u32 f = 1;

	if (n >= 34)
		return 0;
	while (n > 1)
		f *= n--;
	return f;
}

static bool sample_bar0_access_ok(u64 off, size_t count)
{
	if (off >= SAMPLE_BAR0_SIZE)
		return false;
	if (count == 4)
		return IS_ALIGNED(off, 4);
	/* 8 bytes only on the 8-byte DMA registers. */
	return count == 8 && IS_ALIGNED(off, 8) && off >= EDU_REG_SRC &&
	       off <= EDU_REG_CMD;
}

static u64 sample_bar0_read(struct sample_mdev *sm, u64 off, size_t count)
{
	struct sample_edu_regs *r = &sm->regs;
	u64 reg;

	lockdep_assert_held(&sm->regs_lock);
	if (off >= EDU_REG_SRC && off < EDU_REG_CMD + 8) {
		reg = r->dma[(off - EDU_REG_SRC) / 8];
		return count == 8 ? reg : (u32)(reg >> (off & 4 ? 32 : 0));
	}
	switch (off) {
	case EDU_REG_ID:
		return EDU_ID;
	case EDU_REG_LIVE:
		return r->live;
	case EDU_REG_FACT:
		return r->fact;
	case EDU_REG_STATUS:
		return r->status;
	case EDU_REG_IRQ_STATUS:
		return r->irq_status;
	case SAMPLE_REG_DMA_ERROR:
		return r->error;
	case EDU_REG_IRQ_RAISE:
	case EDU_REG_IRQ_ACK:
		return 0; /* write-only */
	default:
		return U32_MAX; /* nothing there, as on edu */
	}
}

/*
 * A DMA command's checks, all made when it starts: the device side inside
 * the 4095 bytes of edu's buffer that QEMU lets a transfer touch (edu.h),
 * the client side below edu's reach.  Whether the client mapped it is seen
 * when its pages are pinned.  @job is the caller's copy: a refused
 * command's values must never reach the worker.
 */
static int sample_dma_check(const struct sample_edu_regs *r,
			    struct sample_dma_job *job)
{
	u64 cmd = r->dma[3];

	job->count = r->dma[2];
	job->to_client = cmd & EDU_CMD_TO_RAM;
	job->irq = cmd & EDU_CMD_IRQ;
	job->iova = job->to_client ? r->dma[1] : r->dma[0];
	job->devaddr = job->to_client ? r->dma[0] : r->dma[1];
	if (!r->dma[2] || r->dma[2] > EDU_XFER_MAX)
		return -EINVAL;
	/* (Written so that no sum can wrap.) */
	if (job->devaddr < EDU_BUF ||
	    job->devaddr > EDU_BUF + EDU_XFER_MAX - job->count)
		return -EINVAL;
	if (job->iova >= SAMPLE_IOVA_LIMIT ||
	    job->count > SAMPLE_IOVA_LIMIT - job->iova)
		return -EINVAL;
	return 0;
}

/*
 * A write of 0x98.  A command that passes its checks is queued, and *@seq
 * says which: the caller waits (sample_wait_started()) until its pages are
 * pinned or it ended, so that a command refused for an unmapped IOVA has
 * completed when the write returns, as DESIGN.md says a refusal does.
 */
static int sample_dma_start(struct sample_mdev *sm, u64 cmd, u64 *seq)
{
	struct sample_edu_regs *r = &sm->regs;
	struct sample_dma_job job;
	int ret;

	lockdep_assert_held(&sm->regs_lock);
	/* One command at a time, and none while a reset is under way. */
	if ((r->dma[3] & EDU_CMD_RUN) || sm->resetting)
		return -EBUSY;
	r->dma[3] = cmd & (EDU_CMD_RUN | EDU_CMD_TO_RAM | EDU_CMD_IRQ);
	if (!(cmd & EDU_CMD_RUN))
		return 0;
	ret = sample_dma_check(r, &job);
	if (ret) {
		/* Refused: completes at once, having moved nothing. */
		r->dma[3] &= ~EDU_CMD_RUN;
		r->error = -ret;
		if (job.irq)
			sample_signal(sm, EDU_IRQ_DMA);
		return 0;
	}
	job.seq = ++sm->cmd_seq;
	sm->job = job;
	*seq = job.seq;
	queue_work(system_unbound_wq, &sm->dma_work);
	return 0;
}

/* Record that command @seq has its pages, or ended: its writer returns. */
static void sample_cmd_started(struct sample_mdev *sm, u64 seq)
{
	lockdep_assert_held(&sm->regs_lock);
	WRITE_ONCE(sm->cmd_started, seq);
	wake_up_all(&sm->cmd_wq);
}

/*
 * Wait for sample_cmd_started(@seq).  Killable: the command itself goes
 * on, and the write has taken effect whatever this returns.
 */
static void sample_wait_started(struct sample_mdev *sm, u64 seq)
{
	wait_event_killable(sm->cmd_wq, READ_ONCE(sm->cmd_started) >= seq);
}

static int sample_bar0_write(struct sample_mdev *sm, u64 off, u64 val,
			     size_t count, u64 *seq)
{
	struct sample_edu_regs *r = &sm->regs;
	u64 *reg;

	lockdep_assert_held(&sm->regs_lock);
	if (off >= EDU_REG_SRC && off < EDU_REG_CMD) {
		reg = &r->dma[(off - EDU_REG_SRC) / 8];
		if (count == 8)
			*reg = val;
		else if (off & 4)
			*reg = (*reg & U32_MAX) | val << 32;
		else
			*reg = (*reg & ~(u64)U32_MAX) | (u32)val;
		return 0;
	}
	switch (off) {
	case EDU_REG_CMD:
		return sample_dma_start(sm, val, seq);
	case EDU_REG_LIVE:
		r->live = ~(u32)val;
		break;
	case EDU_REG_FACT:
		/* Computed at once: the busy bit never shows. */
		r->fact = sample_factorial(val);
		if (r->status & EDU_STATUS_IRQFACT)
			sample_signal(sm, EDU_IRQ_FACT);
		break;
	case EDU_REG_STATUS:
		r->status = val & EDU_STATUS_IRQFACT;
		break;
	case EDU_REG_IRQ_RAISE:
		sample_signal(sm, val);
		break;
	case EDU_REG_IRQ_ACK:
		r->irq_status &= ~(u32)val;
		break;
	default:
		break; /* read-only, or nothing there */
	}
	return 0;
}

/* ---- DMA: the client's pages, pinned and mapped in the domain ------------ */

/*
 * Lock order: vfio_pin_pages() and vfio_unpin_pages() take type1's
 * iommu->lock, and type1 calls .dma_unmap with its device_list_lock held,
 * which it takes under iommu->lock: so neither is ever called with dma_lock
 * held.  Pins are made before dma_lock is taken and dropped after it is
 * released; under dma_lock they are only recorded, mapped and collected.
 *
 * Nor does .dma_unmap itself unpin, or wait without a bound for anything
 * that needs iommu->lock: on v6.1+ a second unmap can hold iommu->lock
 * while it waits for the device_list_lock the first one holds over
 * .dma_unmap (type1's vfio_notify_dma_unmap()).  .dma_unmap hands its pins
 * to unpin_work and waits for every loose pin (sm->loose) to be gone, for
 * at most SAMPLE_UNMAP_WAIT; a pin still there then makes type1 call it
 * again, after the other unmap got through.  Type1 does that at most ten
 * times per mapping, then BUGs: so no command starts a pin while a
 * .dma_unmap runs, nor for SAMPLE_UNMAP_GRACE after (type1 rechecks its
 * mapping then), lest each round find a fresh pin (at most
 * SAMPLE_PIN_HOLDOFF, so that a client that keeps unmapping still gets its
 * commands run).
 */
#define SAMPLE_UNMAP_WAIT (HZ / 2)
#define SAMPLE_UNMAP_GRACE (HZ / 10)
#define SAMPLE_PIN_HOLDOFF (2 * HZ)

struct sample_pin {
	struct list_head node; /* on a list of pins to drop */
	unsigned long pfn;
	struct page *page;
};

/* Unpin and free a list of pins, no longer in sm->pins nor in the domain. */
static void sample_unpin_list(struct sample_mdev *sm, struct list_head *list)
{
	struct sample_pin *pin, *next;

	list_for_each_entry_safe(pin, next, list, node) {
		auxshim_sample_vfio_unpin_pages(&sm->vdev,
						pin->pfn << PAGE_SHIFT, 1);
		atomic_long_dec(&sample_pinned);
		kfree(pin);
		if (atomic_dec_and_test(&sm->loose))
			wake_up_all(&sm->loose_wq);
	}
	INIT_LIST_HEAD(list);
}

static void sample_unpin_work(struct work_struct *work)
{
	struct sample_mdev *sm =
		container_of(work, struct sample_mdev, unpin_work);
	LIST_HEAD(list);

	spin_lock(&sm->unpin_lock);
	list_splice_init(&sm->unpin_list, &list);
	spin_unlock(&sm->unpin_lock);
	sample_unpin_list(sm, &list);
}

/* Have unpin_work drop a list of pins (from where unpinning may deadlock). */
static void sample_unpin_later(struct sample_mdev *sm, struct list_head *list)
{
	spin_lock(&sm->unpin_lock);
	list_splice_tail_init(list, &sm->unpin_list);
	spin_unlock(&sm->unpin_lock);
	queue_work(system_unbound_wq, &sm->unpin_work);
}

/*
 * Take the range's pins out of sm->pins and the domain, onto @list.  A
 * command that timed out may have left edu running on them: wait for it.
 */
static void sample_collect_range(struct sample_mdev *sm, unsigned long first,
				 unsigned long last, struct list_head *list)
{
	struct sample_parent *sp = sm->sp;
	struct sample_pin *pin;
	unsigned long pfn = first;

	lockdep_assert_held(&sm->dma_lock);
	if (!xa_find(&sm->pins, &pfn, last, XA_PRESENT))
		return;
	mutex_lock(&sp->lock);
	edu_wait_idle(&sp->pdev->dev, sp->bar, EDU_IDLE_WAIT);
	mutex_unlock(&sp->lock);
	xa_for_each_range(&sm->pins, pfn, pin, first, last) {
		iommu_unmap(sm->domain, pfn << PAGE_SHIFT, PAGE_SIZE);
		xa_erase(&sm->pins, pfn);
		atomic_inc(&sm->loose);
		list_add_tail(&pin->node, list);
	}
}

/*
 * Drop every pin and mapping; returns with dma_lock held and none left (a
 * command that raced in meanwhile had its pins dropped on the next turn).
 */
static void sample_unpin_all_lock(struct sample_mdev *sm)
{
	LIST_HEAD(drop);

	for (;;) {
		mutex_lock(&sm->dma_lock);
		sample_collect_range(sm, 0, ULONG_MAX, &drop);
		if (list_empty(&drop))
			return;
		mutex_unlock(&sm->dma_lock);
		sample_unpin_list(sm, &drop);
	}
}

/* Before a pin: wait while an unmap drops pins (see struct sample_pin). */
static void sample_pin_holdoff(struct sample_mdev *sm)
{
	unsigned long until = jiffies + SAMPLE_PIN_HOLDOFF;

	while ((atomic_read(&sm->unmapping) ||
		time_before(jiffies, READ_ONCE(sm->unmap_quiet))) &&
	       time_before(jiffies, until))
		usleep_range(2000, 4000);
}

/*
 * Pin the command's pages onto @list, dma_lock not held; -EFAULT unless
 * the client mapped every page of the range.  Pages already pinned are
 * pinned again: the duplicates are dropped when the pins are recorded.
 */
static int sample_pin_range(struct sample_mdev *sm, u64 iova, u32 count,
			    struct list_head *list)
{
	unsigned long pfn, last = (iova + count - 1) >> PAGE_SHIFT;
	struct sample_pin *pin;
	int ret;

	for (pfn = iova >> PAGE_SHIFT; pfn <= last; pfn++) {
		pin = kzalloc(sizeof(*pin), GFP_KERNEL);
		if (!pin)
			return -ENOMEM;
		pin->pfn = pfn;
		sample_pin_holdoff(sm);
		ret = auxshim_sample_vfio_pin_pages(&sm->vdev,
						    pfn << PAGE_SHIFT, 1,
						    IOMMU_READ | IOMMU_WRITE,
						    &pin->page);
		if (ret != 1) {
			kfree(pin);
			dev_dbg(sm->dev,
				"IOVA %#lx not mapped by the client: %d\n",
				pfn << PAGE_SHIFT, ret);
			return -EFAULT;
		}
		atomic_long_inc(&sample_pinned);
		atomic_inc(&sm->loose);
		list_add_tail(&pin->node, list);
	}
	return 0;
}

/*
 * Under dma_lock: record the pins of @list in sm->pins and map them at
 * their IOVAs.  What cannot be kept (a page already recorded, or a
 * mapping refused) stays on @list, to be unpinned after dma_lock.
 */
static int sample_record_pins(struct sample_mdev *sm, struct list_head *list)
{
	struct sample_pin *pin, *next;
	unsigned long iova;
	int ret = 0, err;

	lockdep_assert_held(&sm->dma_lock);
	list_for_each_entry_safe(pin, next, list, node) {
		if (xa_load(&sm->pins, pin->pfn) || ret)
			continue; /* a duplicate, or after a failure */
		iova = pin->pfn << PAGE_SHIFT;
		err = auxshim_map(sm->domain, iova, page_to_phys(pin->page),
				  PAGE_SIZE, IOMMU_READ | IOMMU_WRITE);
		if (!err)
			err = xa_insert(&sm->pins, pin->pfn, pin, GFP_KERNEL);
		if (err) {
			iommu_unmap(sm->domain, iova, PAGE_SIZE);
			dev_err(sm->dev, "cannot map IOVA %#lx: %d\n", iova,
				err);
			ret = err;
			continue;
		}
		list_del(&pin->node);
		if (atomic_dec_and_test(&sm->loose))
			wake_up_all(&sm->loose_wq);
	}
	return ret;
}

static void sample_dma_work(struct work_struct *work)
{
	struct sample_mdev *sm =
		container_of(work, struct sample_mdev, dma_work);
	struct sample_parent *sp = sm->sp;
	struct sample_dma_job job;
	unsigned long timeout;
	LIST_HEAD(pinned);
	int ret;

	mutex_lock(&sm->regs_lock);
	job = sm->job;
	mutex_unlock(&sm->regs_lock);

	/*
	 * Pin without dma_lock; the pins are loose until recorded: an unmap
	 * of the range that comes meanwhile waits for them (bounded), then
	 * drops them.
	 */
	ret = sample_pin_range(sm, job.iova, job.count, &pinned);

	mutex_lock(&sm->dma_lock);
	/* Recorded even after a failure, for an unmap or close to drop. */
	if (!ret)
		ret = sample_record_pins(sm, &pinned);
	else
		sample_record_pins(sm, &pinned);
	if (!ret) {
		mutex_lock(&sp->lock);
		/* After a command that timed out, edu may still be busy. */
		edu_wait_idle(&sp->pdev->dev, sp->bar, EDU_IDLE_WAIT);
		mutex_lock(&sm->regs_lock);
		sample_cmd_started(sm, job.seq);
		mutex_unlock(&sm->regs_lock);
		timeout = msecs_to_jiffies(READ_ONCE(dma_timeout_ms));
		if (job.to_client)
			ret = edu_dma_timeout(&sp->pdev->dev, sp->bar,
					      job.devaddr, job.iova, job.count,
					      true, timeout);
		else
			ret = edu_dma_timeout(&sp->pdev->dev, sp->bar, job.iova,
					      job.devaddr, job.count, false,
					      timeout);
		mutex_unlock(&sp->lock);
	}
	mutex_unlock(&sm->dma_lock);
	sample_unpin_list(sm, &pinned);

	mutex_lock(&sm->regs_lock);
	sm->regs.error = -ret;
	sm->regs.dma[3] &= ~EDU_CMD_RUN;
	if (job.irq)
		sample_signal(sm, EDU_IRQ_DMA);
	sample_cmd_started(sm, job.seq);
	mutex_unlock(&sm->regs_lock);
}

/*
 * edu's buffer reads as zeros for a new user: copy a zero page into it,
 * mapped at IOVA 0 for the time of the copy.  Nothing else is mapped then.
 */
static int sample_clear_buffer(struct sample_mdev *sm)
{
	struct sample_parent *sp = sm->sp;
	int ret;

	lockdep_assert_held(&sm->dma_lock);
	lockdep_assert_held(&sp->lock);
	if (WARN_ON(!xa_empty(&sm->pins)))
		return -EINVAL;
	edu_wait_idle(&sp->pdev->dev, sp->bar, EDU_IDLE_WAIT);
	ret = auxshim_map(sm->domain, 0, page_to_phys(sp->zero), PAGE_SIZE,
			  IOMMU_READ);
	if (ret)
		return ret;
	ret = edu_dma(&sp->pdev->dev, sp->bar, 0, EDU_BUF, EDU_XFER_MAX, false);
	iommu_unmap(sm->domain, 0, PAGE_SIZE);
	return ret;
}

/* Replace the MSI vector's eventfd (NULL: none). */
static void sample_set_trigger(struct sample_mdev *sm, struct eventfd_ctx *ctx)
{
	mutex_lock(&sm->regs_lock);
	if (sm->trigger)
		eventfd_ctx_put(sm->trigger);
	sm->trigger = ctx;
	mutex_unlock(&sm->regs_lock);
}

/* Replace the REQ eventfd (NULL: none). */
static void sample_set_req_trigger(struct sample_mdev *sm,
				   struct eventfd_ctx *ctx)
{
	mutex_lock(&sm->regs_lock);
	if (sm->req_trigger)
		eventfd_ctx_put(sm->req_trigger);
	sm->req_trigger = ctx;
	mutex_unlock(&sm->regs_lock);
}

static void sample_power_on(struct sample_mdev *sm)
{
	mutex_lock(&sm->regs_lock);
	sample_cfg_power_on(sm->cfg);
	sample_regs_power_on(sm);
	mutex_unlock(&sm->regs_lock);
}

/* ---- vfio_device_ops --------------------------------------------------- */

static int sample_vfio_open(struct auxshim_sample_vfio_device *vdev)
{
	struct sample_mdev *sm = to_sm(vdev);
	struct sample_parent *sp = sm->sp;
	int ret;

	mutex_lock(&sm->dma_lock);
	mutex_lock(&sp->lock);
	if (sp->vfio_user) {
		ret = -EBUSY;
		dev_err(sm->dev,
			"%s has one DMA engine and no PASID, and mdev %s has it open: %d\n",
			pci_name(sp->pdev), dev_name(sp->vfio_user->dev), ret);
		goto out_unlock;
	}
	/* A test build's auxshim/attach knob (test_harness.c) attaches too. */
	if (sm->domain) {
		ret = -EBUSY;
		dev_err(sm->dev,
			"attached through auxshim/attach: write 0 there before opening: %d\n",
			ret);
		goto out_unlock;
	}
	ret = sample_attach(sm);
	if (ret)
		goto out_unlock;
	ret = sample_clear_buffer(sm);
	if (ret) {
		dev_err(sm->dev, "cannot clear edu's buffer: %d\n", ret);
		sample_detach(sm);
		goto out_unlock;
	}
	sp->vfio_user = sm;
	sample_power_on(sm);
	/* .request runs in the remover's context: name the opener there. */
	mutex_lock(&sm->regs_lock);
	sm->opener_pid = task_tgid_nr(current);
	get_task_comm(sm->opener_comm, current);
	mutex_unlock(&sm->regs_lock);
	dev_info(sm->dev, "opened: DMA through its own domain on %s\n",
		 pci_name(sp->pdev));
out_unlock:
	mutex_unlock(&sp->lock);
	mutex_unlock(&sm->dma_lock);
	return ret;
}

static void sample_vfio_close(struct auxshim_sample_vfio_device *vdev)
{
	struct sample_mdev *sm = to_sm(vdev);
	struct sample_parent *sp = sm->sp;

	/* No more commands come: the last file is closed. */
	flush_work(&sm->dma_work);
	flush_work(&sm->unpin_work);
	sample_unpin_all_lock(sm);
	mutex_lock(&sp->lock);
	/* Never detach under a transfer that timed out but still runs. */
	edu_wait_idle(&sp->pdev->dev, sp->bar, EDU_IDLE_WAIT);
	sample_detach(sm);
	sp->vfio_user = NULL;
	mutex_unlock(&sp->lock);
	mutex_unlock(&sm->dma_lock);

	sample_set_trigger(sm, NULL);
	sample_set_req_trigger(sm, NULL);
	dev_info(sm->dev, "closed\n");
}

/*
 * The client unmapped [iova, iova + length): drop our pins and mappings
 * there before returning.  Called with type1's device_list_lock held: the
 * unpins, which take type1's iommu->lock, are unpin_work's, and the waits
 * for them and for a command's pins are bounded (see struct sample_pin).
 */
static void sample_vfio_dma_unmap(struct auxshim_sample_vfio_device *vdev,
				  u64 iova, u64 length)
{
	struct sample_mdev *sm = to_sm(vdev);
	unsigned long first = iova >> PAGE_SHIFT;
	unsigned long last = (iova + length - 1) >> PAGE_SHIFT;
	unsigned long deadline = jiffies + SAMPLE_UNMAP_WAIT;
	unsigned long pfn;
	LIST_HEAD(drop);
	bool left;

	if (!length)
		return;
	atomic_inc(&sm->unmapping);
	for (;;) {
		mutex_lock(&sm->dma_lock);
		sample_collect_range(sm, first, last, &drop);
		mutex_unlock(&sm->dma_lock);
		if (!list_empty(&drop))
			sample_unpin_later(sm, &drop);
		if (!wait_event_timeout(sm->loose_wq, !atomic_read(&sm->loose),
					max_t(long, deadline - jiffies, 0)))
			break; /* type1 calls again if a pin is left */
		/* Pins a command made meanwhile are recorded now. */
		mutex_lock(&sm->dma_lock);
		pfn = first;
		left = xa_find(&sm->pins, &pfn, last, XA_PRESENT);
		mutex_unlock(&sm->dma_lock);
		if (!left)
			break;
	}
	WRITE_ONCE(sm->unmap_quiet, jiffies + SAMPLE_UNMAP_GRACE);
	atomic_dec(&sm->unmapping);
}

static ssize_t sample_vfio_rw(struct auxshim_sample_vfio_device *vdev,
			      char __user *ubuf, size_t count, loff_t *ppos,
			      bool write)
{
	struct sample_mdev *sm = to_sm(vdev);
	unsigned int index = *ppos >> SAMPLE_OFFSET_SHIFT;
	u64 off = *ppos & SAMPLE_OFFSET_MASK;
	u8 buf[SAMPLE_CFG_SIZE];
	__le64 le = 0;
	u64 seq = 0;
	int ret = 0;

	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		if (off >= SAMPLE_CFG_SIZE || !count ||
		    count > SAMPLE_CFG_SIZE - off ||
		    (write && count != 1 && count != 2 && count != 4))
			return -EINVAL;
		if (write && copy_from_user(buf, ubuf, count))
			return -EFAULT;
		mutex_lock(&sm->regs_lock);
		if (write)
			sample_cfg_write(sm, off, buf, count);
		else
			memcpy(buf, sm->cfg + off, count);
		mutex_unlock(&sm->regs_lock);
		if (!write && copy_to_user(ubuf, buf, count))
			return -EFAULT;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		if (!sample_bar0_access_ok(off, count))
			return -EINVAL;
		if (write && copy_from_user(&le, ubuf, count))
			return -EFAULT;
		mutex_lock(&sm->regs_lock);
		if (write)
			ret = sample_bar0_write(sm, off, le64_to_cpu(le), count,
						&seq);
		else
			le = cpu_to_le64(sample_bar0_read(sm, off, count));
		mutex_unlock(&sm->regs_lock);
		if (ret)
			return ret;
		if (seq)
			sample_wait_started(sm, seq);
		if (!write && copy_to_user(ubuf, &le, count))
			return -EFAULT;
		break;
	default:
		return -EINVAL; /* the regions of size 0 */
	}
	*ppos += count;
	return count;
}

static ssize_t sample_vfio_read(struct auxshim_sample_vfio_device *vdev,
				char __user *buf, size_t count, loff_t *ppos)
{
	return sample_vfio_rw(vdev, buf, count, ppos, false);
}

static ssize_t sample_vfio_write(struct auxshim_sample_vfio_device *vdev,
				 const char __user *buf, size_t count,
				 loff_t *ppos)
{
	return sample_vfio_rw(vdev, (char __user *)buf, count, ppos, true);
}

static int sample_region_info(struct auxshim_sample_vfio_device *vdev,
			      struct vfio_region_info *info,
			      struct vfio_info_cap *caps)
{
	if (info->index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	info->offset = SAMPLE_OFFSET(info->index);
	info->size = 0;
	info->flags = 0;
	switch (info->index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info->size = SAMPLE_CFG_SIZE;
		info->flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		info->size = SAMPLE_BAR0_SIZE;
		info->flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE;
		break;
	}
	return 0;
}

static long sample_get_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long sample_get_irq_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	info.flags = 0;
	info.count = 0; /* no INTx, no MSI-X, no err */
	if (info.index == VFIO_PCI_MSI_IRQ_INDEX ||
	    info.index == VFIO_PCI_REQ_IRQ_INDEX) {
		info.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
		info.count = 1;
	}
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/* The eventfd a client passed: NULL for a negative fd, else ERR_PTR or it. */
static struct eventfd_ctx *sample_eventfd_of(s32 fd)
{
	return fd >= 0 ? eventfd_ctx_fdget(fd) : NULL;
}

/*
 * REQ, as vfio-pci has it (vfio_pci_set_ctx_trigger_single()): DATA_EVENTFD
 * sets the eventfd (-1: none), DATA_NONE with count 1 and DATA_BOOL with a
 * true byte fire it (a client's loopback test), DATA_NONE with count 0
 * clears it.  DATA_NONE without an eventfd and a count of 0 with data are
 * refused.
 */
static long sample_set_req(struct sample_mdev *sm,
			   const struct vfio_irq_set *hdr, unsigned long data)
{
	struct eventfd_ctx *ctx;
	s32 fd;
	u8 fire;
	int ret = 0;

	switch (hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_EVENTFD:
		if (!hdr->count)
			return -EINVAL;
		if (copy_from_user(&fd, (void __user *)data, sizeof(fd)))
			return -EFAULT;
		if (fd < -1)
			return 0; /* vfio-pci: neither a file nor -1: no change */
		ctx = sample_eventfd_of(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		sample_set_req_trigger(sm, ctx);
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		if (!hdr->count)
			return -EINVAL;
		if (copy_from_user(&fire, (void __user *)data, 1))
			return -EFAULT;
		break;
	default: /* DATA_NONE */
		fire = hdr->count;
		break;
	}
	mutex_lock(&sm->regs_lock);
	if ((hdr->flags & VFIO_IRQ_SET_DATA_NONE) && !sm->req_trigger) {
		ret = -EINVAL;
	} else if ((hdr->flags & VFIO_IRQ_SET_DATA_NONE) && !fire) {
		eventfd_ctx_put(sm->req_trigger);
		sm->req_trigger = NULL;
	} else if (fire && sm->req_trigger) {
		auxshim_sample_eventfd_signal(sm->req_trigger);
	}
	mutex_unlock(&sm->regs_lock);
	return ret;
}

/*
 * MSI, one vector, and REQ; ACTION_TRIGGER only: set, clear or fire the
 * index's eventfd.
 */
static long sample_set_irqs(struct sample_mdev *sm, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct eventfd_ctx *ctx = NULL;
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	s32 fd = -1;
	u8 fire = 0;
	int nvec, ret;

	if (copy_from_user(&hdr, (void __user *)arg, minsz))
		return -EFAULT;
	nvec = hdr.index == VFIO_PCI_MSI_IRQ_INDEX ||
	       hdr.index == VFIO_PCI_REQ_IRQ_INDEX;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, nvec, VFIO_PCI_NUM_IRQS,
						 &data_size);
	if (ret)
		return ret;
	if ((hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) !=
	    VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	if (hdr.index == VFIO_PCI_REQ_IRQ_INDEX)
		return sample_set_req(sm, &hdr, arg + minsz);
	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_EVENTFD:
		if (data_size &&
		    copy_from_user(&fd, (void __user *)(arg + minsz),
				   sizeof(fd)))
			return -EFAULT;
		ctx = sample_eventfd_of(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		sample_set_trigger(sm, ctx);
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		if (data_size &&
		    copy_from_user(&fire, (void __user *)(arg + minsz), 1))
			return -EFAULT;
		break;
	default: /* DATA_NONE */
		fire = hdr.count;
		if (!fire) {
			sample_set_trigger(sm, NULL);
			return 0;
		}
		break;
	}
	mutex_lock(&sm->regs_lock);
	if (fire && sm->trigger)
		auxshim_sample_eventfd_signal(sm->trigger);
	mutex_unlock(&sm->regs_lock);
	return 0;
}

/*
 * Registers and buffer to power-on; the client's mappings are re-pinned on
 * use.  No command starts until the reset is done: one queued meanwhile
 * would run after it.
 */
static long sample_reset(struct sample_mdev *sm)
{
	struct sample_parent *sp = sm->sp;
	int ret;

	mutex_lock(&sm->regs_lock);
	sm->resetting++;
	mutex_unlock(&sm->regs_lock);
	flush_work(&sm->dma_work);
	sample_unpin_all_lock(sm);
	mutex_lock(&sp->lock);
	ret = sample_clear_buffer(sm);
	mutex_unlock(&sp->lock);
	mutex_unlock(&sm->dma_lock);

	mutex_lock(&sm->regs_lock);
	if (!ret) {
		sample_cfg_power_on(sm->cfg);
		sample_regs_power_on(sm);
	}
	sm->resetting--;
	mutex_unlock(&sm->regs_lock);
	return ret;
}

static long sample_vfio_ioctl(struct auxshim_sample_vfio_device *vdev,
			      unsigned int cmd, unsigned long arg)
{
	struct sample_mdev *sm = to_sm(vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return sample_get_info(arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return auxshim_sample_region_info_ioctl(vdev, arg,
							sample_region_info);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return sample_get_irq_info(arg);
	case VFIO_DEVICE_SET_IRQS:
		return sample_set_irqs(sm, arg);
	case VFIO_DEVICE_RESET:
		return sample_reset(sm);
	default:
		return -ENOTTY;
	}
}

/*
 * The mdev is being removed, or edu unbound, while a client has it open:
 * the vfio core waits for the close and calls this at once and again every
 * 10 s with a count (v5.10: compat.h does, from the mdev's removal).  As
 * vfio-pci: signal the client's REQ eventfd; say so the first time and
 * every SAMPLE_REQ_LOG_EVERY-th.  This runs in the remover's context: the
 * holder is named as the process that opened the device.
 */
#define SAMPLE_REQ_LOG_EVERY 10

static void sample_req_log(struct sample_mdev *sm, const char *what,
			   unsigned int count)
{
	/* A whole message, over 80 columns: see scripts/lint.sh. */
	/* clang-format off */
	dev_notice(sm->dev,
		   "still in use by pid %d (%s), which opened it%s (count %u)\n",
		   sm->opener_pid, sm->opener_comm, what, count);
	/* clang-format on */
}

static void sample_vfio_request(struct auxshim_sample_vfio_device *vdev,
				unsigned int count)
{
	struct sample_mdev *sm = to_sm(vdev);
	bool log = !(count % SAMPLE_REQ_LOG_EVERY);

	mutex_lock(&sm->regs_lock);
	if (sm->req_trigger) {
		if (log)
			sample_req_log(sm, "; requesting release", count);
		auxshim_sample_eventfd_signal(sm->req_trigger);
	} else if (log) {
		/* clang-format off */
		sample_req_log(sm,
			       " and set no REQ eventfd; blocked until it closes",
			       count);
		/* clang-format on */
	}
	mutex_unlock(&sm->regs_lock);
}

/* v6.1 frees the device here; later kernels free it after .release. */
static void sample_vfio_release(struct auxshim_sample_vfio_device *vdev)
{
	auxshim_sample_vfio_free_device(vdev);
}

const struct auxshim_sample_vfio_device_ops sample_vfio_ops = {
	.name = KBUILD_MODNAME,
	.release = sample_vfio_release,
	.open_device = sample_vfio_open,
	.close_device = sample_vfio_close,
	.read = sample_vfio_read,
	.write = sample_vfio_write,
	.ioctl = sample_vfio_ioctl,
	.dma_unmap = sample_vfio_dma_unmap,
	.request = sample_vfio_request,
	AUXSHIM_VFIO_REGION_INFO_OPS(sample_region_info)
		AUXSHIM_VFIO_IOMMUFD_EMULATED_OPS
};

/* At probe, before the mdev is registered with vfio. */
void sample_vdev_init(struct sample_mdev *sm)
{
	mutex_init(&sm->regs_lock);
	mutex_init(&sm->dma_lock);
	xa_init(&sm->pins);
	init_waitqueue_head(&sm->cmd_wq);
	atomic_set(&sm->loose, 0);
	init_waitqueue_head(&sm->loose_wq);
	spin_lock_init(&sm->unpin_lock);
	INIT_LIST_HEAD(&sm->unpin_list);
	INIT_WORK(&sm->unpin_work, sample_unpin_work);
	atomic_set(&sm->unmapping, 0);
	sm->unmap_quiet = jiffies;
	INIT_WORK(&sm->dma_work, sample_dma_work);
	sample_cfg_power_on(sm->cfg);
}
