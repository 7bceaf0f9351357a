/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QEMU's edu device (hw/misc/edu.c), the project's DMA witness: its
 * registers and one DMA transfer.  Shared by the sample driver and the
 * in-guest tests, so that edu's quirks are known in one place.
 */
#ifndef AUXSHIM_EDU_H
#define AUXSHIM_EDU_H

#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/io.h>
#include <linux/jiffies.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_REG_ID 0x00
#define EDU_REG_LIVE 0x04 /* reads back the complement of what was written */
#define EDU_REG_FACT 0x08 /* write n, read n! */
#define EDU_REG_STATUS 0x20
#define EDU_STATUS_IRQFACT BIT(7) /* raise EDU_IRQ_FACT when n! is done */
#define EDU_REG_IRQ_STATUS 0x24
#define EDU_REG_IRQ_RAISE 0x60
#define EDU_REG_IRQ_ACK 0x64
#define EDU_IRQ_FACT 0x1
#define EDU_IRQ_DMA 0x100
#define EDU_REG_SRC 0x80
#define EDU_REG_DST 0x88
#define EDU_REG_CNT 0x90
#define EDU_REG_CMD 0x98
#define EDU_CMD_RUN BIT(0)
#define EDU_CMD_TO_RAM BIT(1)
#define EDU_CMD_IRQ BIT(2) /* raise EDU_IRQ_DMA when done */
#define EDU_ID 0x010000ed

/* edu's own buffer; QEMU 7.2 aborts unless a transfer ENDS below its end. */
#define EDU_BUF 0x40000
#define EDU_BUF_SIZE 4096
#define EDU_XFER_MAX (EDU_BUF_SIZE - 1)

/* Generous for edu, whose transfers take ~100 ms. */
#define EDU_IDLE_WAIT (10 * HZ)

static inline bool edu_dma_busy(void __iomem *bar)
{
	return readl(bar + EDU_REG_CMD) & EDU_CMD_RUN;
}

/**
 * edu_wait_idle() - wait until edu runs no transfer
 * @dev: edu's device, for messages
 * @bar: edu's BAR0
 * @timeout: jiffies
 *
 * A transfer that timed out (edu_dma_timeout()) may still be running on
 * the pages and mappings its caller set up: wait for it before taking them
 * away, and before starting another.
 *
 * Context: process context, sleeps; the caller serializes use of edu.
 * Return: 0, or -ETIMEDOUT if edu is still busy after @timeout.
 */
static inline int edu_wait_idle(struct device *dev, void __iomem *bar,
				unsigned long timeout)
{
	timeout += jiffies;
	while (edu_dma_busy(bar)) {
		if (time_after(jiffies, timeout)) {
			dev_err(dev, "DMA engine still busy: %d\n", -ETIMEDOUT);
			return -ETIMEDOUT;
		}
		usleep_range(1000, 2000);
	}
	return 0;
}

/**
 * edu_dma_timeout() - one DMA transfer by edu, waited for at most @timeout
 * @dev: edu's device, for messages
 * @bar: edu's BAR0
 * @src: source address (bus address, or edu's buffer when @to_ram)
 * @dst: destination address (edu's buffer, or bus address when @to_ram)
 * @cnt: bytes, at most EDU_XFER_MAX
 * @to_ram: direction: edu's buffer to RAM
 * @timeout: jiffies to wait for edu
 *
 * The device side must lie inside edu's buffer and end below its end, or
 * QEMU 7.2 aborts the whole guest: checked here.  A translation fault does
 * not show as an error: callers compare bytes.
 *
 * Context: process context, sleeps (a transfer takes ~100 ms virtual time);
 * the caller serializes use of edu's one DMA engine.
 * Return: 0, -EINVAL for a bad range, -EBUSY if edu still runs an earlier
 * transfer (edu_wait_idle()), -ETIMEDOUT if edu did not finish in time (it
 * may still be running the transfer).
 */
static inline int edu_dma_timeout(struct device *dev, void __iomem *bar,
				  u64 src, u64 dst, u32 cnt, bool to_ram,
				  unsigned long timeout)
{
	u64 devside = to_ram ? src : dst;

	if (!cnt || cnt > EDU_XFER_MAX || devside < EDU_BUF ||
	    devside > EDU_BUF + EDU_XFER_MAX - cnt)
		return -EINVAL;
	if (edu_dma_busy(bar))
		return -EBUSY;

	writeq(src, bar + EDU_REG_SRC);
	writeq(dst, bar + EDU_REG_DST);
	writel(cnt, bar + EDU_REG_CNT);
	/* The source bytes must reach memory before edu starts. */
	wmb();
	writel(EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0), bar + EDU_REG_CMD);

	timeout += jiffies;
	while (readl(bar + EDU_REG_CMD) & EDU_CMD_RUN) {
		if (time_after(jiffies, timeout)) {
			dev_err(dev, "DMA did not complete: %d\n", -ETIMEDOUT);
			return -ETIMEDOUT;
		}
		usleep_range(1000, 2000);
	}
	/* Read what edu wrote only after it said it was done. */
	rmb();
	return 0;
}

/**
 * edu_dma() - edu_dma_timeout() with 5 s, far beyond edu's ~100 ms
 * @dev: edu's device, for messages
 * @bar: edu's BAR0
 * @src: source address
 * @dst: destination address
 * @cnt: bytes, at most EDU_XFER_MAX
 * @to_ram: direction: edu's buffer to RAM
 *
 * Context: as edu_dma_timeout().
 * Return: as edu_dma_timeout().
 */
static inline int edu_dma(struct device *dev, void __iomem *bar, u64 src,
			  u64 dst, u32 cnt, bool to_ram)
{
	return edu_dma_timeout(dev, bar, src, dst, cnt, to_ram, 5 * HZ);
}

#endif /* AUXSHIM_EDU_H */
