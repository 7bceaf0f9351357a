// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_client: a userspace VFIO client of the sample's mediated edu,
 * written from DESIGN.md's "The sample's VFIO ABI" alone.  It opens an mdev
 * through the standard group and container path (type1), and drives it
 * through its regions, its DMA registers and its MSI eventfd.
 *
 *   vfio_client abi UUID_A UUID_B    the whole ABI, as one KTAP document
 *   vfio_client cycles UUID N        N open/map/DMA/close cycles (KTAP)
 *   vfio_client race UUID N          N commands each raced by an unmap (KTAP)
 *   vfio_client unmaps UUID SECS     commands raced by two unmapping threads
 *   vfio_client resetrace UUID SECS  commands and refused ones raced by resets
 *   vfio_client timeout UUID         commands that time out, then close/unmap
 *   vfio_client refusals UUID        refused commands complete at once
 *                                    (these four: every call bounded, KTAP;
 *                                    exit status 3 if one is stuck for good)
 *   vfio_client hold UUID FILE       open, DMA, create FILE, wait for a signal
 *   vfio_client copy UUID TEXT       the demo: edu copies TEXT for us
 *
 * Built static for the test guest (tests/vfio/Makefile).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

/* ---- the ABI (DESIGN.md) ------------------------------------------------- */

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_ID 0x010000ed
#define R_ID 0x00
#define R_LIVE 0x04
#define R_FACT 0x08
#define R_STATUS 0x20
#define R_IRQ_STATUS 0x24
#define R_IRQ_RAISE 0x60
#define R_IRQ_ACK 0x64
#define R_SRC 0x80
#define R_DST 0x88
#define R_CNT 0x90
#define R_CMD 0x98
#define R_ERROR 0xa0
#define CMD_START 0x1
#define CMD_TO_CLIENT 0x2
#define CMD_IRQ 0x4
#define IRQ_DMA 0x100
#define DEV_BUF 0x40000ULL
#define DEV_BUF_LEN 4095
#define BAR0_SIZE 0x100000ULL

/* The client's memory: MEM_LEN bytes at IOVA MEM_IOVA. */
#define MEM_IOVA 0x100000ULL
#define MEM_LEN (2ULL << 20)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct medu {
	int container, group, device;
	uint64_t cfg, bar0; /* region offsets */
	uint8_t *mem; /* mapped at MEM_IOVA */
	const char *step; /* where medu_open() failed */
};

/* ---- KTAP ------------------------------------------------------------------ */

/* The document so far; shared with the child of run_bounded(). */
struct ktap_doc {
	char buf[1 << 16];
	size_t len;
	int n, failed;
};

static struct ktap_doc ktap_own, *kt = &ktap_own;
#define ktap_buf (kt->buf)
#define ktap_len (kt->len)
#define ktap_n (kt->n)
#define ktap_failed (kt->failed)

static void ktap_add(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_len += vsnprintf(ktap_buf + ktap_len, sizeof(ktap_buf) - ktap_len,
			      fmt, ap);
	va_end(ap);
	if (ktap_len >= sizeof(ktap_buf))
		ktap_len = sizeof(ktap_buf) - 1;
}

#define diag(...)                      \
	do {                           \
		ktap_add("# ");        \
		ktap_add(__VA_ARGS__); \
		ktap_add("\n");        \
	} while (0)

/* One result; a failure says why (printf-style). */
static bool result(bool ok, const char *name, const char *fmt, ...)
{
	char why[256] = "";
	va_list ap;

	if (!ok && fmt) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		diag("%s: %s", name, why);
	}
	ktap_add("%s %d %s\n", ok ? "ok" : "not ok", ++ktap_n, name);
	ktap_failed += !ok;
	return ok;
}

static void skip(const char *name, const char *why)
{
	ktap_add("ok %d %s # SKIP %s\n", ++ktap_n, name, why);
}

static int ktap_end(void)
{
	printf("KTAP version 1\n1..%d\n%s", ktap_n, ktap_buf);
	fflush(stdout);
	return ktap_failed ? 1 : 0;
}

/* ---- the device ------------------------------------------------------------ */

static int group_of(const char *uuid)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group",
		 uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	slash = strrchr(link, '/');
	return atoi(slash ? slash + 1 : link);
}

static int region_info(int device, unsigned int index,
		       struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(device, VFIO_DEVICE_GET_REGION_INFO, ri) ? -errno : 0;
}

/* Where medu_open() stands: @r, or -errno if the call behind it failed. */
static int at(struct medu *m, const char *step, int r)
{
	m->step = step;
	return r < 0 ? -errno : r;
}

static void medu_close(struct medu *m);

/* 0 or -errno; m->step names the step that failed. */
static int medu_open(struct medu *m, const char *uuid, bool map_mem)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_region_info ri;
	char path[64];
	int grp, ret;

	memset(m, 0, sizeof(*m));
	m->container = -1;
	m->group = -1;
	m->device = -1;
	grp = at(m, "iommu_group link", group_of(uuid));
	if (grp < 0)
		return grp;
	ret = at(m, "open /dev/vfio/vfio", open("/dev/vfio/vfio", O_RDWR));
	if (ret < 0)
		goto err;
	m->container = ret;
	ret = at(m, "VFIO_GET_API_VERSION",
		 ioctl(m->container, VFIO_GET_API_VERSION));
	if (ret != VFIO_API_VERSION) {
		ret = ret < 0 ? ret : -EINVAL;
		goto err;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	ret = at(m, "open the group", open(path, O_RDWR));
	if (ret < 0)
		goto err;
	m->group = ret;
	ret = at(m, "VFIO_GROUP_GET_STATUS",
		 ioctl(m->group, VFIO_GROUP_GET_STATUS, &status));
	if (!ret && !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		ret = at(m, "group viable", -EINVAL);
	if (!ret)
		ret = at(m, "VFIO_GROUP_SET_CONTAINER",
			 ioctl(m->group, VFIO_GROUP_SET_CONTAINER,
			       &m->container));
	if (!ret)
		ret = at(m, "VFIO_SET_IOMMU",
			 ioctl(m->container, VFIO_SET_IOMMU,
			       VFIO_TYPE1v2_IOMMU));
	if (ret < 0)
		goto err;
	if (map_mem) {
		m->mem = mmap(NULL, MEM_LEN, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m->mem == MAP_FAILED) {
			m->mem = NULL;
			ret = at(m, "mmap", -1);
			goto err;
		}
		memset(m->mem, 0, MEM_LEN);
		map.vaddr = (uintptr_t)m->mem;
		map.iova = MEM_IOVA;
		map.size = MEM_LEN;
		map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
		ret = at(m, "VFIO_IOMMU_MAP_DMA",
			 ioctl(m->container, VFIO_IOMMU_MAP_DMA, &map));
		if (ret < 0)
			goto err;
	}
	ret = at(m, "VFIO_GROUP_GET_DEVICE_FD",
		 ioctl(m->group, VFIO_GROUP_GET_DEVICE_FD, uuid));
	if (ret < 0)
		goto err;
	m->device = ret;
	ret = at(m, "region info (config)",
		 region_info(m->device, VFIO_PCI_CONFIG_REGION_INDEX, &ri));
	m->cfg = ri.offset;
	if (!ret)
		ret = at(m, "region info (BAR0)",
			 region_info(m->device, VFIO_PCI_BAR0_REGION_INDEX,
				     &ri));
	m->bar0 = ri.offset;
	if (ret < 0)
		goto err;
	m->step = NULL;
	return 0;
err:
	medu_close(m);
	return ret;
}

static void medu_close(struct medu *m)
{
	if (m->device >= 0)
		close(m->device);
	if (m->group >= 0)
		close(m->group);
	if (m->container >= 0)
		close(m->container);
	if (m->mem)
		munmap(m->mem, MEM_LEN);
	m->container = -1;
	m->group = -1;
	m->device = -1;
	m->mem = NULL;
}

/* Region accesses: 0 or -errno. */
static int rd(struct medu *m, uint64_t base, uint64_t off, void *v, size_t n)
{
	ssize_t r = pread(m->device, v, n, base + off);

	return r == (ssize_t)n ? 0 : r < 0 ? -errno : -EIO;
}

static int wr(struct medu *m, uint64_t base, uint64_t off, const void *v,
	      size_t n)
{
	ssize_t r = pwrite(m->device, v, n, base + off);

	return r == (ssize_t)n ? 0 : r < 0 ? -errno : -EIO;
}

static uint32_t r32(struct medu *m, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	rd(m, m->bar0, off, &v, 4);
	return v;
}

static uint64_t r64(struct medu *m, uint64_t off)
{
	uint64_t v = 0xdeadbeefdeadbeefULL;

	rd(m, m->bar0, off, &v, 8);
	return v;
}

static int w32(struct medu *m, uint64_t off, uint32_t v)
{
	return wr(m, m->bar0, off, &v, 4);
}

static int w64(struct medu *m, uint64_t off, uint64_t v)
{
	return wr(m, m->bar0, off, &v, 8);
}

static unsigned int cfg(struct medu *m, unsigned int off, size_t n)
{
	uint32_t v = 0;

	if (rd(m, m->cfg, off, &v, n))
		return ~0u;
	return v;
}

static int cfgw(struct medu *m, unsigned int off, uint32_t v, size_t n)
{
	return wr(m, m->cfg, off, &v, n);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * One DMA command, polled to its end: the error register (0 or a positive
 * errno), -errno if the write of the command failed, -ETIMEDOUT after 10 s.
 */
static double last_dma_secs;

static int dma(struct medu *m, uint64_t src, uint64_t dst, uint64_t count,
	       uint32_t cmd)
{
	double t0 = now();
	int ret;

	if (w64(m, R_SRC, src) || w64(m, R_DST, dst) || w64(m, R_CNT, count))
		return -EIO;
	ret = w32(m, R_CMD, cmd | CMD_START);
	if (ret)
		return ret;
	while (r32(m, R_CMD) & CMD_START) {
		if (now() - t0 > 10)
			return -ETIMEDOUT;
		usleep(1000);
	}
	last_dma_secs = now() - t0;
	return r32(m, R_ERROR);
}

/* Client memory at IOVA offset @off to the device buffer at @dev, or back. */
static int to_dev(struct medu *m, uint64_t off, uint64_t dev, uint64_t n)
{
	return dma(m, MEM_IOVA + off, dev, n, 0);
}

static int to_client(struct medu *m, uint64_t dev, uint64_t off, uint64_t n)
{
	return dma(m, dev, MEM_IOVA + off, n, CMD_TO_CLIENT);
}

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = seed >> 16;
	}
}

static long vmlck_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static long pinned_count(void)
{
	long n = -1;
	FILE *f = fopen("/sys/module/auxshim_sample/parameters/pinned_pages",
			"r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/* Waits up to @ms for the eventfd; its count, or 0. */
static uint64_t wait_irq(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, ms) != 1 || read(efd, &v, 8) != 8)
		return 0;
	return v;
}

static int set_msi(struct medu *m, int fd, uint32_t flags, uint32_t count,
		   uint32_t index)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(buf);
	s->flags = flags;
	s->index = index;
	s->start = 0;
	s->count = count;
	memcpy(s->data, &fd, sizeof(fd));
	return ioctl(m->device, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

/* ---- the ABI suite ----------------------------------------------------------- */

static void abi_info(struct medu *m)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri;
	struct vfio_irq_info ii;
	unsigned int i;
	bool ok, req_ok;
	int ret;

	ret = ioctl(m->device, VFIO_DEVICE_GET_INFO, &info) ? -errno : 0;
	ok = !ret && (info.flags & VFIO_DEVICE_FLAGS_PCI) &&
	     (info.flags & VFIO_DEVICE_FLAGS_RESET) &&
	     info.num_regions == VFIO_PCI_NUM_REGIONS &&
	     info.num_irqs == VFIO_PCI_NUM_IRQS;
	result(ok, "device-info", "ret %d flags %#x regions %u irqs %u", ret,
	       info.flags, info.num_regions, info.num_irqs);

	ret = region_info(m->device, VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	ok = !ret && ri.size == 256 &&
	     ri.flags ==
		     (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	result(ok, "region-config", "ret %d size %llu flags %#x", ret,
	       (unsigned long long)ri.size, ri.flags);
	ret = region_info(m->device, VFIO_PCI_BAR0_REGION_INDEX, &ri);
	ok = !ret && ri.size == BAR0_SIZE &&
	     ri.flags ==
		     (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	result(ok, "region-bar0", "ret %d size %#llx flags %#x", ret,
	       (unsigned long long)ri.size, ri.flags);
	ok = true;
	for (i = VFIO_PCI_BAR1_REGION_INDEX; i < VFIO_PCI_NUM_REGIONS; i++) {
		if (i == VFIO_PCI_CONFIG_REGION_INDEX)
			continue;
		ret = region_info(m->device, i, &ri);
		if (ret || ri.size) {
			ok = false;
			diag("region %u: ret %d size %llu", i, ret,
			     (unsigned long long)ri.size);
		}
	}
	result(ok, "region-others-size-0", NULL);
	ret = region_info(m->device, VFIO_PCI_NUM_REGIONS, &ri);
	result(ret == -EINVAL, "region-bad-index-einval", "ret %d", ret);

	ok = true;
	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		memset(&ii, 0, sizeof(ii));
		ii.argsz = sizeof(ii);
		ii.index = i;
		ret = ioctl(m->device, VFIO_DEVICE_GET_IRQ_INFO, &ii) ? -errno :
									0;
		if (i == VFIO_PCI_MSI_IRQ_INDEX) {
			ok = !ret && ii.count == 1 &&
			     (ii.flags & VFIO_IRQ_INFO_EVENTFD);
			result(ok, "irq-info-msi-1",
			       "ret %d count %u flags %#x", ret, ii.count,
			       ii.flags);
		} else if (i == VFIO_PCI_REQ_IRQ_INDEX) {
			req_ok = !ret && ii.count == 1 &&
				 (ii.flags & VFIO_IRQ_INFO_EVENTFD);
			result(req_ok, "irq-info-req-1",
			       "ret %d count %u flags %#x", ret, ii.count,
			       ii.flags);
		} else if (i == VFIO_PCI_INTX_IRQ_INDEX) {
			result(!ret && ii.count == 0, "irq-info-intx-0",
			       "ret %d count %u", ret, ii.count);
		} else if (ret || ii.count) {
			ok = false;
			diag("irq index %u: ret %d count %u", i, ret, ii.count);
		}
	}
	result(ok, "irq-info-others-0", NULL);
	memset(&ii, 0, sizeof(ii));
	ii.argsz = sizeof(ii);
	ii.index = VFIO_PCI_NUM_IRQS;
	ret = ioctl(m->device, VFIO_DEVICE_GET_IRQ_INFO, &ii) ? -errno : 0;
	result(ret == -EINVAL, "irq-info-bad-index-einval", "ret %d", ret);
}

static void abi_config(struct medu *m)
{
	bool ok;
	uint8_t all[256], one;
	unsigned int i;
	bool same = true;
	int ret;

	ok = cfg(m, 0, 2) == EDU_VENDOR && cfg(m, 2, 2) == EDU_DEVICE &&
	     cfg(m, 0, 4) == (EDU_DEVICE << 16 | EDU_VENDOR) &&
	     cfg(m, 1, 1) == 0x12;
	result(ok, "cfg-ids", "dword %#x", cfg(m, 0, 4));
	ret = rd(m, m->cfg, 0, all, 256);
	for (i = 0; !ret && i < 256; i++) {
		one = cfg(m, i, 1);
		same &= one == all[i];
	}
	result(!ret && same, "cfg-read-all-256", "ret %d", ret);
	result(cfg(m, 4, 2) == 0, "cfg-command-0", "%#x", cfg(m, 4, 2));
	result(cfg(m, 6, 2) == 0x0010 && cfg(m, 0x34, 1) == 0x40,
	       "cfg-cap-list", "status %#x cap %#x", cfg(m, 6, 2),
	       cfg(m, 0x34, 1));
	ok = cfg(m, 0x40, 1) == 0x05 && cfg(m, 0x41, 1) == 0 &&
	     cfg(m, 0x42, 2) == 0x0080;
	result(ok, "cfg-msi-cap", "%#x", cfg(m, 0x40, 4));
	result(cfg(m, 0x3d, 1) == 0, "cfg-no-intx-pin", "%#x", cfg(m, 0x3d, 1));
	ret = cfgw(m, 4, 0xffff, 2);
	result(!ret && cfg(m, 4, 2) == 0x0006,
	       "cfg-command-mem-master-writable", "ret %d reads %#x", ret,
	       cfg(m, 4, 2));
	cfgw(m, 4, 0, 2);
	result((cfg(m, 0x10, 4) & 0xf) == 0, "cfg-bar0-32bit-mem", "%#x",
	       cfg(m, 0x10, 4));
	ret = cfgw(m, 0x10, 0xffffffff, 4);
	result(!ret && cfg(m, 0x10, 4) == 0xfff00000, "cfg-bar0-sizing",
	       "ret %d reads %#x", ret, cfg(m, 0x10, 4));
	same = true;
	for (i = 0x14; i <= 0x24; i += 4) {
		cfgw(m, i, 0xffffffff, 4);
		same &= cfg(m, i, 4) == 0;
	}
	cfgw(m, 0x30, 0xffffffff, 4);
	result(same && cfg(m, 0x30, 4) == 0, "cfg-bar1-5-rom-read-0", NULL);
	ret = cfgw(m, 0, 0xdead, 2);
	result(!ret && cfg(m, 0, 2) == EDU_VENDOR, "cfg-ro-write-dropped",
	       "ret %d vendor %#x", ret, cfg(m, 0, 2));
	result(rd(m, m->cfg, 256, &one, 1) == -EINVAL,
	       "cfg-read-past-end-einval", NULL);
	result(rd(m, m->cfg, 254, all, 4) == -EINVAL,
	       "cfg-read-across-end-einval", NULL);
	result(wr(m, m->cfg, 4, all, 3) == -EINVAL, "cfg-write-3-bytes-einval",
	       NULL);
}

static void abi_registers(struct medu *m)
{
	bool ok;
	uint64_t v64 = 0;
	uint32_t v = 0;
	uint16_t h;

	result(r32(m, R_ID) == EDU_ID, "bar0-id", "%#x", r32(m, R_ID));
	result(r32(m, R_LIVE) == 0, "bar0-live-0-at-power-on", "%#x",
	       r32(m, R_LIVE));
	w32(m, R_LIVE, 0x12345678);
	result(r32(m, R_LIVE) == ~0x12345678u, "bar0-live-inverts", "%#x",
	       r32(m, R_LIVE));
	w32(m, R_FACT, 5);
	result(!(r32(m, R_STATUS) & 1) && r32(m, R_FACT) == 120,
	       "bar0-factorial-5", "%u", r32(m, R_FACT));
	w32(m, R_FACT, 13);
	result(r32(m, R_FACT) == 1932053504u, "bar0-factorial-13-mod-2^32",
	       "%u", r32(m, R_FACT));
	w64(m, R_SRC, 0x1122334455667788ULL);
	ok = r64(m, R_SRC) == 0x1122334455667788ULL &&
	     r32(m, R_SRC + 4) == 0x11223344;
	result(ok, "bar0-dma-regs-store-any-u64", "%#llx",
	       (unsigned long long)r64(m, R_SRC));
	w64(m, R_SRC, 0);
	result(rd(m, m->bar0, R_ID, &h, 2) == -EINVAL, "bar0-2-byte-einval",
	       NULL);
	result(rd(m, m->bar0, 2, &v, 4) == -EINVAL, "bar0-misaligned-einval",
	       NULL);
	result(rd(m, m->bar0, R_ID, &v64, 8) == -EINVAL,
	       "bar0-8-byte-on-32-bit-reg-einval", NULL);
	ok = rd(m, m->bar0, BAR0_SIZE, &v, 4) == -EINVAL &&
	     wr(m, m->bar0, BAR0_SIZE, &v, 4) == -EINVAL;
	result(ok, "bar0-past-end-einval", NULL);
	ok = wr(m, (uint64_t)VFIO_PCI_BAR2_REGION_INDEX << 40, 0, &v, 4) ==
	     -EINVAL;
	result(ok, "bar2-write-einval", NULL);
	ok = rd(m, (uint64_t)VFIO_PCI_ROM_REGION_INDEX << 40, 0, &v, 4) ==
	     -EINVAL;
	result(ok, "rom-read-einval", NULL);
	w32(m, R_ID, 0);
	result(r32(m, R_ID) == EDU_ID, "bar0-id-read-only", NULL);
}

/* A command the device must refuse with @err in its error register. */
static void refused(struct medu *m, uint64_t src, uint64_t dst, uint64_t count,
		    uint32_t cmd, int err, const char *name)
{
	int ret = dma(m, src, dst, count, cmd);

	result(ret == err, name, "error %d, not %d", ret, err);
}

static void abi_dma(struct medu *m)
{
	bool ok;
	static const unsigned int sizes[] = { 1, 100, 2048, DEV_BUF_LEN };
	long lck0, pin0;
	uint8_t save[64];
	unsigned int i;
	char name[64];
	int ret;
	bool busy_seen;

	/* The buffer reads as zeros after open. */
	memset(m->mem, 0xaa, DEV_BUF_LEN);
	lck0 = vmlck_kb();
	pin0 = pinned_count();
	ret = to_client(m, DEV_BUF, 0, DEV_BUF_LEN);
	for (i = 0; !ret && i < DEV_BUF_LEN && !m->mem[i]; i++)
		;
	result(!ret && i == DEV_BUF_LEN, "dma-buffer-zero-after-open",
	       "ret %d byte %u", ret, i);
	diag("one DMA command of %d bytes took %.1f ms in the guest",
	     DEV_BUF_LEN, last_dma_secs * 1000);
	result(vmlck_kb() > lck0 && pinned_count() > pin0,
	       "dma-pins-client-pages",
	       "VmLck %ld -> %ld kB, pinned %ld -> %ld", lck0, vmlck_kb(), pin0,
	       pinned_count());

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fill(m->mem + 0x10000, sizes[i], i + 1);
		memset(m->mem + 0x20000, 0, 0x1000);
		ret = to_dev(m, 0x10000, DEV_BUF, sizes[i]);
		if (!ret)
			ret = to_client(m, DEV_BUF, 0x20000, sizes[i]);
		snprintf(name, sizeof(name), "dma-round-trip-%u", sizes[i]);
		ok = !ret &&
		     !memcmp(m->mem + 0x10000, m->mem + 0x20000, sizes[i]);
		result(ok, name, "ret %d", ret);
	}
	/* Client pages that are not contiguous in memory, across a page edge. */
	fill(m->mem + 0x30000 - 600, 1200, 7);
	ret = to_dev(m, 0x30000 - 600, DEV_BUF + 0x100, 1200);
	memset(m->mem + 0x50000 - 100, 0, 1200);
	if (!ret)
		ret = to_client(m, DEV_BUF + 0x100, 0x50000 - 100, 1200);
	ok = !ret &&
	     !memcmp(m->mem + 0x30000 - 600, m->mem + 0x50000 - 100, 1200);
	result(ok, "dma-across-page-edges", "ret %d", ret);
	/* The device buffer keeps its bytes between commands. */
	fill(m->mem + 0x60000, 64, 9);
	ret = to_dev(m, 0x60000, DEV_BUF + 0xf00, 64);
	if (!ret)
		ret = to_dev(m, 0x10000, DEV_BUF, 16);
	memset(m->mem + 0x61000, 0, 64);
	if (!ret)
		ret = to_client(m, DEV_BUF + 0xf00, 0x61000, 64);
	result(!ret && !memcmp(m->mem + 0x60000, m->mem + 0x61000, 64),
	       "dma-buffer-persists", "ret %d", ret);
	memcpy(save, m->mem + 0x60000, 64);

	/* Refused commands move nothing; the device stays usable. */
	refused(m, MEM_IOVA, DEV_BUF, 0, 0, EINVAL, "dma-count-0-einval");
	refused(m, MEM_IOVA, DEV_BUF, 4096, 0, EINVAL, "dma-count-4096-einval");
	refused(m, MEM_IOVA, DEV_BUF - 1, 16, 0, EINVAL,
		"dma-dev-below-buffer-einval");
	refused(m, MEM_IOVA, 0x40f00, 0x100, 0, EINVAL,
		"dma-dev-touching-40fff-einval");
	refused(m, MEM_IOVA, 0xffffffffffffff00ULL, 0x100, 0, EINVAL,
		"dma-dev-wrapping-einval");
	refused(m, 0x10000000, DEV_BUF, 16, 0, EINVAL,
		"dma-iova-beyond-28-bits-einval");
	refused(m, 0xffffff8, DEV_BUF, 16, 0, EINVAL,
		"dma-iova-crossing-28-bits-einval");
	refused(m, 0x8000000, DEV_BUF + 0xf00, 64, 0, EFAULT,
		"dma-unmapped-iova-efault");
	refused(m, DEV_BUF + 0xf00, 0x8000000, 64, CMD_TO_CLIENT, EFAULT,
		"dma-unmapped-iova-to-client-efault");
	memset(m->mem + 0x61000, 0, 64);
	ret = to_client(m, DEV_BUF + 0xf00, 0x61000, 64);
	result(!ret && !memcmp(save, m->mem + 0x61000, 64),
	       "dma-refused-moved-nothing", "ret %d", ret);
	result(r32(m, R_ERROR) == 0, "dma-error-cleared-by-good-command", "%u",
	       r32(m, R_ERROR));

	/* A command while one runs: refused with EBUSY, if we catch it running. */
	w64(m, R_SRC, MEM_IOVA);
	w64(m, R_DST, DEV_BUF);
	w64(m, R_CNT, DEV_BUF_LEN);
	w32(m, R_CMD, CMD_START);
	busy_seen = r32(m, R_CMD) & CMD_START;
	ret = w32(m, R_CMD, CMD_START);
	while (r32(m, R_CMD) & CMD_START)
		usleep(1000);
	if (busy_seen)
		result(ret == -EBUSY, "dma-command-while-busy-ebusy", "ret %d",
		       ret);
	else
		skip("dma-command-while-busy-ebusy",
		     "the transfer ended before the second write");
}

/* DMA into a page the client then unmaps: refused afterwards, pins dropped. */
static void abi_unmap(struct medu *m)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	const uint64_t iova = 0x4000000;
	long lck0, lck1, pin1;
	uint8_t *page;
	int ret;

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(page, 0x5a, 4096);
	lck0 = vmlck_kb();
	map.vaddr = (uintptr_t)page;
	map.iova = iova;
	map.size = 4096;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	ret = ioctl(m->container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
	if (!ret)
		ret = dma(m, DEV_BUF, iova, 256, CMD_TO_CLIENT);
	lck1 = vmlck_kb();
	pin1 = pinned_count();
	result(!ret && page[0] == 0 && lck1 == lck0 + 4, "unmap-dma-before",
	       "ret %d VmLck %ld -> %ld", ret, lck0, lck1);
	unmap.iova = iova;
	unmap.size = 4096;
	ret = ioctl(m->container, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;
	result(!ret && vmlck_kb() == lck0 && pinned_count() == pin1 - 1,
	       "unmap-drops-pin", "ret %d VmLck %ld, pinned %ld -> %ld", ret,
	       vmlck_kb(), pin1, pinned_count());
	memset(page, 0x5a, 4096);
	ret = dma(m, DEV_BUF, iova, 256, CMD_TO_CLIENT);
	result(ret == EFAULT && page[0] == 0x5a, "unmap-dma-after-efault",
	       "ret %d byte %#x", ret, page[0]);
	munmap(page, 4096);
}

static void abi_irq(struct medu *m)
{
	int efd = eventfd(0, EFD_NONBLOCK), ret;
	uint64_t n;

	ret = set_msi(m, efd,
		      VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		      1, VFIO_PCI_MSI_IRQ_INDEX);
	result(!ret, "irq-msi-set-eventfd", "ret %d", ret);
	ret = dma(m, MEM_IOVA, DEV_BUF, 64, CMD_IRQ);
	n = wait_irq(efd, 5000);
	result(!ret && n >= 1 && (r32(m, R_IRQ_STATUS) & IRQ_DMA),
	       "irq-on-dma-completion", "ret %d count %llu status %#x", ret,
	       (unsigned long long)n, r32(m, R_IRQ_STATUS));
	w32(m, R_IRQ_ACK, IRQ_DMA);
	result(r32(m, R_IRQ_STATUS) == 0, "irq-ack-clears", "%#x",
	       r32(m, R_IRQ_STATUS));
	w32(m, R_IRQ_RAISE, 0x1230);
	n = wait_irq(efd, 5000);
	result(n >= 1 && r32(m, R_IRQ_STATUS) == 0x1230, "irq-raise-register",
	       "count %llu status %#x", (unsigned long long)n,
	       r32(m, R_IRQ_STATUS));
	w32(m, R_IRQ_ACK, 0x1230);
	w32(m, R_STATUS, 0x80);
	w32(m, R_FACT, 6);
	n = wait_irq(efd, 5000);
	result(n >= 1 && (r32(m, R_IRQ_STATUS) & 1) && r32(m, R_FACT) == 720,
	       "irq-on-factorial", "count %llu status %#x",
	       (unsigned long long)n, r32(m, R_IRQ_STATUS));
	w32(m, R_IRQ_ACK, 1);
	w32(m, R_STATUS, 0);
	ret = set_msi(m, -1,
		      VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0,
		      VFIO_PCI_MSI_IRQ_INDEX);
	w32(m, R_IRQ_RAISE, 0x1);
	n = wait_irq(efd, 500);
	result(!ret && n == 0, "irq-msi-disabled-silent", "ret %d count %llu",
	       ret, (unsigned long long)n);
	w32(m, R_IRQ_ACK, 1);
	ret = set_msi(m, efd,
		      VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		      1, VFIO_PCI_INTX_IRQ_INDEX);
	result(ret == -EINVAL, "irq-intx-set-einval", "ret %d", ret);
	ret = set_msi(m, efd,
		      VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK, 1,
		      VFIO_PCI_MSI_IRQ_INDEX);
	result(ret == -EINVAL, "irq-msi-mask-einval", "ret %d", ret);
	close(efd);
}

/* SET_IRQS with a one-byte bool (DATA_BOOL). */
static int set_irq_bool(struct medu *m, uint32_t index, uint8_t v)
{
	char buf[sizeof(struct vfio_irq_set) + 1];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(buf);
	s->flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = index;
	s->count = 1;
	s->data[0] = v;
	return ioctl(m->device, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

/* The REQ index as vfio-pci has it; its loopback (DATA_NONE/BOOL) fires it. */
static void abi_req(struct medu *m)
{
	const uint32_t trig = VFIO_IRQ_SET_ACTION_TRIGGER;
	int efd = eventfd(0, EFD_NONBLOCK), ret;
	uint64_t n;

	ret = set_msi(m, efd, VFIO_IRQ_SET_DATA_EVENTFD | trig, 1,
		      VFIO_PCI_REQ_IRQ_INDEX);
	result(!ret, "irq-req-set-eventfd", "ret %d", ret);
	n = wait_irq(efd, 200);
	result(n == 0, "irq-req-quiet-while-unrequested", "count %llu",
	       (unsigned long long)n);
	ret = set_msi(m, -1, VFIO_IRQ_SET_DATA_NONE | trig, 1,
		      VFIO_PCI_REQ_IRQ_INDEX);
	n = wait_irq(efd, 1000);
	result(!ret && n == 1, "irq-req-data-none-fires", "ret %d count %llu",
	       ret, (unsigned long long)n);
	ret = set_irq_bool(m, VFIO_PCI_REQ_IRQ_INDEX, 1);
	n = wait_irq(efd, 1000);
	result(!ret && n == 1, "irq-req-bool-true-fires", "ret %d count %llu",
	       ret, (unsigned long long)n);
	ret = set_irq_bool(m, VFIO_PCI_REQ_IRQ_INDEX, 0);
	n = wait_irq(efd, 200);
	result(!ret && n == 0, "irq-req-bool-false-silent", "ret %d count %llu",
	       ret, (unsigned long long)n);
	ret = set_msi(m, efd, VFIO_IRQ_SET_DATA_EVENTFD | trig, 2,
		      VFIO_PCI_REQ_IRQ_INDEX);
	result(ret == -EINVAL, "irq-req-count-2-einval", "ret %d", ret);
	ret = set_msi(m, efd,
		      VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK, 1,
		      VFIO_PCI_REQ_IRQ_INDEX);
	result(ret == -EINVAL, "irq-req-mask-einval", "ret %d", ret);
	ret = set_msi(m, -1, VFIO_IRQ_SET_DATA_NONE | trig, 0,
		      VFIO_PCI_REQ_IRQ_INDEX);
	result(!ret, "irq-req-data-none-0-clears", "ret %d", ret);
	ret = set_msi(m, -1, VFIO_IRQ_SET_DATA_NONE | trig, 1,
		      VFIO_PCI_REQ_IRQ_INDEX);
	n = wait_irq(efd, 200);
	result(ret == -EINVAL && n == 0, "irq-req-cleared-none-einval",
	       "ret %d count %llu", ret, (unsigned long long)n);
	ret = set_msi(m, efd, VFIO_IRQ_SET_DATA_EVENTFD | trig, 1,
		      VFIO_PCI_REQ_IRQ_INDEX);
	if (!ret)
		ret = set_msi(m, -1, VFIO_IRQ_SET_DATA_EVENTFD | trig, 1,
			      VFIO_PCI_REQ_IRQ_INDEX);
	if (!ret)
		ret = set_irq_bool(m, VFIO_PCI_REQ_IRQ_INDEX, 1);
	n = wait_irq(efd, 200);
	result(!ret && n == 0, "irq-req-fd-minus-1-clears", "ret %d count %llu",
	       ret, (unsigned long long)n);
	close(efd);
}

static void abi_reset(struct medu *m)
{
	bool ok;
	unsigned int i;
	int ret;

	w32(m, R_LIVE, 1);
	w64(m, R_SRC, 1);
	w64(m, R_DST, 2);
	w64(m, R_CNT, 3);
	dma(m, 0x8000000, DEV_BUF, 16, 0); /* leaves EFAULT in 0xa0 */
	fill(m->mem, 512, 3);
	to_dev(m, 0, DEV_BUF, 512);
	ret = ioctl(m->device, VFIO_DEVICE_RESET) ? -errno : 0;
	ok = !ret && r32(m, R_LIVE) == 0 && r64(m, R_SRC) == 0 &&
	     r64(m, R_DST) == 0 && r64(m, R_CNT) == 0 && r64(m, R_CMD) == 0 &&
	     r32(m, R_ERROR) == 0;
	result(ok, "reset-registers", "ret %d live %#x error %u", ret,
	       r32(m, R_LIVE), r32(m, R_ERROR));
	memset(m->mem + 0x1000, 0xaa, DEV_BUF_LEN);
	ret = to_client(m, DEV_BUF, 0x1000, DEV_BUF_LEN);
	for (i = 0; !ret && i < DEV_BUF_LEN && !m->mem[0x1000 + i]; i++)
		;
	result(!ret && i == DEV_BUF_LEN, "reset-buffer-zero", "ret %d byte %u",
	       ret, i);
}

static int cmd_abi(const char *a, const char *b)
{
	struct medu m, m2;
	long lck0 = vmlck_kb(), pin0 = pinned_count();
	unsigned int i;
	int ret;

	ret = medu_open(&m, a, true);
	if (!result(!ret, "open", "%s: %s", m.step, strerror(-ret)))
		return ktap_end();
	abi_info(&m);
	abi_config(&m);
	abi_registers(&m);
	abi_dma(&m);
	abi_unmap(&m);
	abi_irq(&m);
	abi_req(&m);

	ret = medu_open(&m2, b, true);
	result(ret == -EBUSY && !strcmp(m2.step, "VFIO_GROUP_GET_DEVICE_FD"),
	       "second-mdev-open-ebusy", "ret %d at %s", ret,
	       m2.step ? m2.step : "-");
	if (!ret)
		medu_close(&m2);
	fill(m.mem + 0x70000, 256, 11);
	ret = to_dev(&m, 0x70000, DEV_BUF, 256);
	if (!ret)
		ret = to_client(&m, DEV_BUF, 0x71000, 256);
	result(!ret && !memcmp(m.mem + 0x70000, m.mem + 0x71000, 256),
	       "first-unchanged-by-second-open", "ret %d", ret);

	abi_reset(&m);
	/* Bytes in edu's buffer that the next user must not see. */
	fill(m.mem, DEV_BUF_LEN, 13);
	to_dev(&m, 0, DEV_BUF, DEV_BUF_LEN);
	medu_close(&m);
	result(vmlck_kb() == lck0 && pinned_count() == pin0, "close-unpins-all",
	       "VmLck %ld -> %ld kB, pinned %ld -> %ld", lck0, vmlck_kb(), pin0,
	       pinned_count());

	ret = medu_open(&m2, b, true);
	if (!ret) {
		memset(m2.mem + 0x2000, 0xaa, DEV_BUF_LEN);
		ret = to_client(&m2, DEV_BUF, 0x2000, DEV_BUF_LEN);
		for (i = 0; !ret && i < DEV_BUF_LEN && !m2.mem[0x2000 + i]; i++)
			;
		result(!ret && i == DEV_BUF_LEN,
		       "dma-buffer-zero-for-next-user", "ret %d byte %u", ret,
		       i);
		fill(m2.mem, 128, 5);
		ret = to_dev(&m2, 0, DEV_BUF, 128);
		if (!ret)
			ret = to_client(&m2, DEV_BUF, 0x1000, 128);
		if (!ret && memcmp(m2.mem, m2.mem + 0x1000, 128))
			ret = -EIO;
		medu_close(&m2);
	}
	result(!ret, "second-mdev-opens-after-close", "ret %d at %s", ret,
	       m2.step ? m2.step : "DMA");
	return ktap_end();
}

/* N cycles of open, map, one round trip, close. */
static int cmd_cycles(const char *uuid, int n)
{
	long lck0 = vmlck_kb(), pin0 = pinned_count();
	double t0 = now();
	struct medu m;
	int i, ret = 0;

	for (i = 0; i < n && !ret; i++) {
		ret = medu_open(&m, uuid, true);
		if (ret)
			break;
		fill(m.mem, 512, i);
		ret = to_dev(&m, 0, DEV_BUF, 512);
		if (!ret)
			ret = to_client(&m, DEV_BUF, 0x3000, 512);
		if (!ret && memcmp(m.mem, m.mem + 0x3000, 512))
			ret = -EIO;
		medu_close(&m);
	}
	diag("%d cycles in %.1f s", i, now() - t0);
	result(!ret && i == n, "cycles", "cycle %d: %d (%s)", i, ret,
	       m.step ? m.step : "DMA");
	result(vmlck_kb() == lck0 && pinned_count() == pin0,
	       "cycles-no-pin-left", "VmLck %ld -> %ld kB, pinned %ld -> %ld",
	       lck0, vmlck_kb(), pin0, pinned_count());
	return ktap_end();
}

static void on_signal(int sig)
{
	(void)sig;
	_exit(0);
}

/* Open the device and have a page of ours pinned; 0, or 1 (said why). */
static int open_pinned(struct medu *m, const char *uuid)
{
	int ret = medu_open(m, uuid, true);

	if (ret) {
		fprintf(stderr, "vfio_client: %s: %s\n", m->step,
			strerror(-ret));
		return 1;
	}
	ret = to_dev(m, 0, DEV_BUF, 64);
	if (ret) {
		fprintf(stderr, "vfio_client: DMA: %d\n", ret);
		return 1;
	}
	return 0;
}

/* Hold the device (with a page pinned) until a signal: for removal tests. */
static int cmd_hold(const char *uuid, const char *ready)
{
	struct medu m;
	int fd;

	if (open_pinned(&m, uuid))
		return 1;
	signal(SIGTERM, on_signal);
	fd = open(ready, O_CREAT | O_WRONLY, 0644);
	if (fd >= 0)
		close(fd);
	for (;;)
		pause();
}

/*
 * Hold the device (a page pinned) with a REQ eventfd set, FILE created once
 * it is.  "req-close": close the device when the REQ eventfd fires, say so
 * on stdout and exit 0.  "req-ignore": report each request on stdout
 * ("# request N") and hold on, until killed.
 */
static int cmd_req(const char *uuid, const char *ready, bool honor)
{
	int efd = eventfd(0, 0), ret, fd;
	uint64_t v, total = 0;
	struct medu m;
	double t0;

	if (open_pinned(&m, uuid))
		return 1;
	ret = set_msi(&m, efd,
		      VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		      1, VFIO_PCI_REQ_IRQ_INDEX);
	if (ret) {
		fprintf(stderr, "vfio_client: REQ eventfd: %d\n", ret);
		return 1;
	}
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IONBF, 0);
	fd = open(ready, O_CREAT | O_WRONLY, 0644);
	if (fd >= 0)
		close(fd);
	t0 = now();
	for (;;) {
		if (read(efd, &v, sizeof(v)) != sizeof(v)) {
			fprintf(stderr, "vfio_client: REQ eventfd: %s\n",
				strerror(errno));
			return 1;
		}
		total += v;
		printf("# request %llu after %.1f s\n",
		       (unsigned long long)total, now() - t0);
		if (honor)
			break;
	}
	medu_close(&m);
	printf("# closed on request\n");
	return 0;
}

/* The demo: edu copies TEXT from one of our buffers to another. */
static int cmd_copy(const char *uuid, const char *text)
{
	size_t n = strlen(text) + 1;
	struct medu m;
	int ret;

	if (n > DEV_BUF_LEN)
		n = DEV_BUF_LEN;
	ret = medu_open(&m, uuid, true);
	if (ret) {
		fprintf(stderr, "vfio_client: %s: %s\n", m.step,
			strerror(-ret));
		return 1;
	}
	printf("opened %s: VFIO group %d, type1 container, our 2 MiB at IOVA %#llx\n",
	       uuid, group_of(uuid), (unsigned long long)MEM_IOVA);
	memcpy(m.mem, text, n);
	m.mem[n - 1] = 0;
	ret = to_dev(&m, 0, DEV_BUF, n);
	printf("DMA command 1: our IOVA %#llx -> edu's buffer %#llx, %zu bytes: %s\n",
	       (unsigned long long)MEM_IOVA, DEV_BUF, n,
	       ret ? strerror(ret) : "done");
	if (!ret)
		ret = to_client(&m, DEV_BUF, 0x1000, n);
	printf("DMA command 2: edu's buffer -> our IOVA %#llx: %s\n",
	       (unsigned long long)MEM_IOVA + 0x1000,
	       ret ? strerror(ret) : "done");
	if (!ret)
		printf("our buffer at IOVA %#llx now reads: \"%s\"\n",
		       (unsigned long long)MEM_IOVA + 0x1000,
		       (char *)m.mem + 0x1000);
	ret = ret || memcmp(m.mem, m.mem + 0x1000, n);
	medu_close(&m);
	return ret ? 1 : 0;
}

/*
 * N rounds of: map two pages at RACE_IOVA, start a command over both
 * (edu's buffer to them), unmap them at once, while the command runs.
 * Each command ends with 0 or EFAULT (it pinned before or after the
 * unmap); when the unmap returns no pin of ours is left, and after the
 * last round nothing is pinned or locked.
 */
#define RACE_IOVA 0x8000000ULL
static int cmd_race(const char *uuid, int n)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	int i, ret = 0, done = 0, efault = 0, inflight = 0, raced = 0, bad = 0;
	long lck0, pin0, pin;
	struct medu m;
	uint8_t *buf;

	ret = medu_open(&m, uuid, true);
	if (ret) {
		result(false, "race-open", "%s: %d", m.step, ret);
		return ktap_end();
	}
	buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0, 8192);
	lck0 = vmlck_kb();
	pin0 = pinned_count();
	for (i = 0; i < n && !bad; i++) {
		map.vaddr = (uintptr_t)buf;
		map.iova = RACE_IOVA;
		map.size = 8192;
		map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
		if (ioctl(m.container, VFIO_IOMMU_MAP_DMA, &map)) {
			ret = -errno;
			break;
		}
		if (w64(&m, R_SRC, DEV_BUF) ||
		    w64(&m, R_DST, RACE_IOVA + 0x800) ||
		    w64(&m, R_CNT, DEV_BUF_LEN) ||
		    w32(&m, R_CMD, CMD_TO_CLIENT | CMD_START)) {
			ret = -EIO;
			break;
		}
		/* From at once to 2 ms later: across the command's pinning. */
		usleep(i % 20 * 100);
		/* The race: the unmap starts while the command runs. */
		raced += !!(r32(&m, R_CMD) & CMD_START);
		unmap.iova = RACE_IOVA;
		unmap.size = 8192;
		if (ioctl(m.container, VFIO_IOMMU_UNMAP_DMA, &unmap)) {
			ret = -errno;
			break;
		}
		/* The unmap returned: none of its pins may be left. */
		inflight += !!(r32(&m, R_CMD) & CMD_START);
		pin = pinned_count();
		if (pin != pin0 || unmap.size != 8192) {
			diag("round %d: pinned %ld -> %ld after the unmap, unmapped %llu",
			     i, pin0, pin, (unsigned long long)unmap.size);
			bad = 1;
		}
		while (r32(&m, R_CMD) & CMD_START)
			usleep(100);
		ret = r32(&m, R_ERROR);
		if (ret == EFAULT)
			efault++;
		else if (!ret)
			done++;
		else
			break;
		ret = 0;
	}
	diag("%d rounds: %d transfers done, %d refused (EFAULT)", i, done,
	     efault);
	diag("%d commands running when their unmap started", raced);
	diag("%d commands still running when their unmap returned", inflight);
	result(!ret && i == n, "race-commands-end-0-or-efault", "round %d: %d",
	       i, ret);
	result(!bad, "race-unmap-leaves-no-pin", NULL);
	result(pinned_count() == pin0 && vmlck_kb() == lck0, "race-no-pin-left",
	       "VmLck %ld -> %ld kB, pinned %ld -> %ld", lck0, vmlck_kb(), pin0,
	       pinned_count());
	munmap(buf, 8192);
	medu_close(&m);
	return ktap_end();
}

/* ---- bounded runs: a call stuck in the kernel fails a case, not the guest -- */

/* How long any one call (an ioctl, a command polled to its end) may take. */
#define CALL_LIMIT 15.0
#define MAX_CLOCKS 4

/*
 * Per thread of the child: the call in progress (start 0: none), read by
 * the parent; times in ns of CLOCK_MONOTONIC.
 */
struct call_clock {
	int64_t start;
	const char *what;
	int64_t longest;
	const char *longest_what;
};

static struct call_clock *clocks; /* shared with the parent */

static int64_t now_ns(void)
{
	return (int64_t)(now() * 1e9);
}

static void call_begin(int t, const char *what)
{
	__atomic_store_n(&clocks[t].what, what, __ATOMIC_RELAXED);
	__atomic_store_n(&clocks[t].start, now_ns(), __ATOMIC_RELEASE);
}

static void call_end(int t)
{
	int64_t took = now_ns() - clocks[t].start;

	if (took > clocks[t].longest) {
		clocks[t].longest = took;
		clocks[t].longest_what = clocks[t].what;
	}
	__atomic_store_n(&clocks[t].start, 0, __ATOMIC_RELEASE);
}

static void *shared(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("vfio_client: mmap");
		exit(2);
	}
	memset(p, 0, n);
	return p;
}

/*
 * Run @fn in a child that records its results in the shared document, and
 * watch its calls: one that takes longer than CALL_LIMIT fails the case
 * "@name-calls-bounded" and the child is left behind (its threads sleep in
 * the kernel for good: it could not be reaped).  Exit status 3 then.
 */
static int run_bounded(const char *name, int (*fn)(const char *, int),
		       const char *uuid, int arg)
{
	int64_t longest = 0;
	const char *lw = "-";
	char case_name[64];
	int t, st;
	pid_t pid;

	kt = shared(sizeof(*kt));
	clocks = shared(sizeof(*clocks) * MAX_CLOCKS);
	snprintf(case_name, sizeof(case_name), "%s-calls-bounded", name);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("vfio_client: fork");
		return 2;
	}
	if (!pid)
		_exit(fn(uuid, arg));
	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		for (t = 0; t < MAX_CLOCKS; t++) {
			int64_t s = __atomic_load_n(&clocks[t].start,
						    __ATOMIC_ACQUIRE);

			if (!s || now_ns() - s <= CALL_LIMIT * 1e9)
				continue;
			result(false, case_name,
			       "%s (thread %d) has not returned after %.0f s: stuck in the kernel; the process is left behind",
			       __atomic_load_n(&clocks[t].what,
					       __ATOMIC_RELAXED),
			       t, (now_ns() - s) / 1e9);
			ktap_end();
			return 3;
		}
		usleep(100 * 1000);
	}
	for (t = 0; t < MAX_CLOCKS; t++) {
		if (clocks[t].longest > longest) {
			longest = clocks[t].longest;
			lw = clocks[t].longest_what;
		}
	}
	diag("the longest call took %.2f s (%s); the bound is %.0f s",
	     longest / 1e9, lw, CALL_LIMIT);
	result(WIFEXITED(st) && WEXITSTATUS(st) < 2, case_name,
	       "the child ended with status %#x", st);
	return ktap_end();
}

static double until;
static int stop_threads; /* __atomic */

static void stop_all(void)
{
	__atomic_store_n(&stop_threads, 1, __ATOMIC_RELAXED);
}

static bool stopping(void)
{
	return __atomic_load_n(&stop_threads, __ATOMIC_RELAXED);
}

/* A DMA command on thread @t's clock, polled to its end: as dma(). */
static int dma_on(struct medu *m, int t, uint64_t src, uint64_t dst,
		  uint64_t count, uint32_t cmd)
{
	int ret;

	call_begin(t, "a DMA command");
	ret = dma(m, src, dst, count, cmd);
	call_end(t);
	return ret;
}

static int map_on(struct medu *m, int t, void *vaddr, uint64_t iova,
		  uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};
	int ret;

	call_begin(t, "VFIO_IOMMU_MAP_DMA");
	ret = ioctl(m->container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
	call_end(t);
	return ret;
}

/* 0, or -errno; -ERANGE if it unmapped other than @size bytes. */
static int unmap_on(struct medu *m, int t, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};
	int ret;

	call_begin(t, "VFIO_IOMMU_UNMAP_DMA");
	ret = ioctl(m->container, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;
	call_end(t);
	return ret ? ret : unmap.size == size ? 0 : -ERANGE;
}

/*
 * Two threads each map and unmap one page of a two-page range, over and
 * over, while a third runs commands across both pages: two unmaps and a
 * command's pinning at once (the unmaps meet in type1's locks).  Every
 * call must return (run_bounded()); each command ends with 0 or EFAULT.
 */
#define UNMAPS_IOVA 0x9000000ULL

struct unmapper {
	struct medu *m;
	uint8_t *page;
	int t, calls, err;
};

static void *unmapper_run(void *arg)
{
	struct unmapper *u = arg;
	uint64_t iova = UNMAPS_IOVA + (u->t - 1) * 4096ULL;
	unsigned int seed = u->t;

	while (!stopping() && !u->err) {
		u->err = map_on(u->m, u->t, u->page, iova, 4096);
		if (u->err)
			break;
		usleep(rand_r(&seed) % 2000);
		u->err = unmap_on(u->m, u->t, iova, 4096);
		u->calls++;
	}
	return NULL;
}

static int cmd_unmaps(const char *uuid, int secs)
{
	struct unmapper u[2];
	int i, ret, done = 0, efault = 0, other = 0, last_other = 0;
	pthread_t th[2];
	long lck0, pin0;
	struct medu m;
	uint8_t *buf;

	ret = medu_open(&m, uuid, true);
	if (!result(!ret, "unmaps-open", "%s: %d", m.step, ret))
		return 1;
	buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0, 8192);
	lck0 = vmlck_kb();
	pin0 = pinned_count();
	until = now() + secs;
	for (i = 0; i < 2; i++) {
		u[i] = (struct unmapper){ .m = &m,
					  .page = buf + i * 4096,
					  .t = i + 1 };
		pthread_create(&th[i], NULL, unmapper_run, &u[i]);
	}
	while (now() < until && !u[0].err && !u[1].err) {
		ret = dma_on(&m, 0, DEV_BUF, UNMAPS_IOVA + 0x800, DEV_BUF_LEN,
			     CMD_TO_CLIENT);
		if (!ret) {
			done++;
		} else if (ret == EFAULT) {
			efault++;
		} else {
			other++;
			last_other = ret;
		}
	}
	stop_all();
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	diag("%d commands done, %d refused (EFAULT), %d other; %d and %d unmaps",
	     done, efault, other, u[0].calls, u[1].calls);
	/* (An unmap may return before the sample's own count has caught up.) */
	for (i = 0; i < 100 && pinned_count() != pin0; i++)
		usleep(10 * 1000);
	result(!other, "unmaps-commands-end-0-or-efault", "last other: %d",
	       last_other);
	result(!u[0].err && !u[1].err, "unmaps-map-unmap-succeed",
	       "errors %d and %d", u[0].err, u[1].err);
	result(pinned_count() == pin0 && vmlck_kb() == lck0,
	       "unmaps-no-pin-left", "VmLck %ld -> %ld kB, pinned %ld -> %ld",
	       lck0, vmlck_kb(), pin0, pinned_count());
	call_begin(0, "closing the device");
	medu_close(&m);
	call_end(0);
	return 0;
}

/*
 * Commands raced by resets, from another thread: a good one, then one
 * the device refuses (its IOVA is beyond edu's 28 bits, though mapped by
 * us), over and over.  A refused command must never run: the page it
 * names is never pinned (VmLck never counts it), and edu never sees its
 * address (the suite looks for a VT-d fault at RESETRACE_IOVA's low 28
 * bits).
 */
#define RESETRACE_IOVA 0x17000000ULL

static long resetrace_max_lck;

static void *resetter_run(void *arg)
{
	struct medu *m = arg;
	long n = 0;

	while (!stopping()) {
		call_begin(1, "VFIO_DEVICE_RESET");
		if (ioctl(m->device, VFIO_DEVICE_RESET))
			n = -errno;
		call_end(1);
		if (n < 0)
			break;
		n++;
	}
	return (void *)n;
}

static void *lck_sampler_run(void *arg)
{
	long v;

	(void)arg;
	while (!stopping()) {
		v = vmlck_kb();
		if (v > resetrace_max_lck)
			resetrace_max_lck = v;
		usleep(200);
	}
	return NULL;
}

/* Write the command register until it is not refused with EBUSY. */
static int start_cmd(struct medu *m, uint32_t cmd)
{
	int ret;

	while ((ret = w32(m, R_CMD, cmd | CMD_START)) == -EBUSY)
		;
	return ret;
}

static int cmd_resetrace(const char *uuid, int secs)
{
	int ret, rounds = 0, late = 0, errs = 0;
	pthread_t reset_th, lck_th;
	void *resets = NULL;
	uint32_t e, c;
	long lck0;
	struct medu m;
	uint8_t *hi;

	ret = medu_open(&m, uuid, true);
	if (!result(!ret, "resetrace-open", "%s: %d", m.step, ret))
		return 1;
	hi = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(hi, 0, 4096);
	ret = map_on(&m, 0, hi, RESETRACE_IOVA, 4096);
	if (!result(!ret, "resetrace-map-above-28-bits", "%d", ret))
		return 1;
	lck0 = vmlck_kb();
	resetrace_max_lck = lck0;
	pthread_create(&reset_th, NULL, resetter_run, &m);
	pthread_create(&lck_th, NULL, lck_sampler_run, NULL);
	until = now() + secs;
	while (now() < until) {
		call_begin(0, "a good command, then a refused one");
		if (w64(&m, R_SRC, MEM_IOVA) || w64(&m, R_DST, DEV_BUF) ||
		    w64(&m, R_CNT, 16) || start_cmd(&m, 0)) {
			errs++;
			break;
		}
		/* Its values, ready while the good one runs. */
		if (w64(&m, R_SRC, DEV_BUF) || w64(&m, R_DST, RESETRACE_IOVA) ||
		    w64(&m, R_CNT, 16)) {
			errs++;
			break;
		}
		ret = start_cmd(&m, CMD_TO_CLIENT);
		c = r32(&m, R_CMD);
		e = r32(&m, R_ERROR);
		/* (A reset may come between: all registers read 0 then.) */
		if (ret || (c & CMD_START) || (e != EINVAL && (e || c))) {
			if (!late++)
				diag("refused command: write %d, 0x98 %#x, 0xa0 %u",
				     ret, c, e);
		}
		call_end(0);
		rounds++;
	}
	stop_all();
	pthread_join(reset_th, &resets);
	pthread_join(lck_th, NULL);
	diag("%d rounds, %ld resets; VmLck %ld kB before, at most %ld kB",
	     rounds, (long)resets, lck0, resetrace_max_lck);
	result(!errs && (long)resets > 0, "resetrace-writes-and-resets",
	       "register writes failed %d times, resets: %ld", errs,
	       (long)resets);
	result(!late, "resetrace-refused-at-once-einval", "%d of %d rounds",
	       late, rounds);
	/* One page of ours (MEM_IOVA's) may be pinned; never the one above. */
	result(resetrace_max_lck <= lck0 + 4, "resetrace-refused-never-run",
	       "VmLck reached %ld kB from %ld: the refused command's page was pinned",
	       resetrace_max_lck, lck0);
	call_begin(0, "closing the device");
	medu_close(&m);
	call_end(0);
	return 0;
}

/*
 * Refused commands complete at once (DESIGN.md): when the write of 0x98
 * returns, bit 0 reads 0 and 0xa0 holds the errno, for a check the device
 * makes on the registers (EINVAL) as for an IOVA we never mapped (EFAULT).
 */
static void refused_at_once(struct medu *m, uint64_t src, uint64_t dst,
			    uint64_t count, uint32_t cmd, uint32_t err,
			    const char *name)
{
	uint32_t c = ~0u, e = ~0u;
	int ret;

	ret = w64(m, R_SRC, src) || w64(m, R_DST, dst) || w64(m, R_CNT, count);
	if (!ret)
		ret = w32(m, R_CMD, cmd | CMD_START);
	if (!ret) {
		c = r32(m, R_CMD);
		e = r32(m, R_ERROR);
	}
	result(!ret && !(c & CMD_START) && e == err, name,
	       "write %d, then 0x98 %#x, 0xa0 %u (want %u)", ret, c, e, err);
	while (r32(m, R_CMD) & CMD_START)
		usleep(1000);
}

static int cmd_refusals(const char *uuid, int unused)
{
	struct medu m;
	int ret;

	(void)unused;
	ret = medu_open(&m, uuid, true);
	if (!result(!ret, "refusals-open", "%s: %d", m.step, ret))
		return 1;
	refused_at_once(&m, MEM_IOVA, DEV_BUF, 0, 0, EINVAL,
			"refused-count-0-einval-at-once");
	refused_at_once(&m, 0x10000000, DEV_BUF, 16, 0, EINVAL,
			"refused-iova-beyond-28-bits-einval-at-once");
	refused_at_once(&m, 0x8000000, DEV_BUF, 64, 0, EFAULT,
			"refused-unmapped-iova-efault-at-once");
	refused_at_once(&m, DEV_BUF, 0x8000000, 64, CMD_TO_CLIENT, EFAULT,
			"refused-unmapped-iova-to-client-efault-at-once");
	/* Half mapped: the first page is ours, the second is not. */
	refused_at_once(&m, MEM_IOVA + MEM_LEN - 0x800, DEV_BUF, DEV_BUF_LEN, 0,
			EFAULT, "refused-half-mapped-efault-at-once");
	call_begin(0, "closing the device");
	medu_close(&m);
	call_end(0);
	return 0;
}

/*
 * Commands that time out (the driver's test knob dma_timeout_ms set below
 * edu's ~100 ms) while edu still runs them, then: the close, an unmap of
 * their pages, another command.  Each must wait for edu (the suite looks
 * for VT-d faults: a domain detached or a page unmapped under edu's DMA).
 */
#define TIMEOUT_KNOB "/sys/module/auxshim_sample/parameters/dma_timeout_ms"

static int set_timeout_knob(const char *ms)
{
	FILE *f = fopen(TIMEOUT_KNOB, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fputs(ms, f) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* One command of 4095 bytes to our memory that times out: its errno. */
static int timed_out_command(struct medu *m)
{
	int ret = set_timeout_knob("1");

	if (ret)
		return ret;
	ret = dma_on(m, 0, DEV_BUF, MEM_IOVA + 0x10000, DEV_BUF_LEN,
		     CMD_TO_CLIENT);
	set_timeout_knob("5000");
	return ret;
}

static int cmd_timeout(const char *uuid, int unused)
{
	struct medu m;
	int ret;

	(void)unused;
	ret = medu_open(&m, uuid, true);
	if (!result(!ret, "timeout-open", "%s: %d", m.step, ret))
		return 1;
	ret = timed_out_command(&m);
	result(ret == ETIMEDOUT, "timeout-error-etimedout", "%d", ret);
	call_begin(0, "closing the device after a timeout");
	medu_close(&m);
	call_end(0);

	ret = medu_open(&m, uuid, true);
	if (!result(!ret, "timeout-reopen", "%s: %d", m.step, ret))
		return 1;
	ret = timed_out_command(&m);
	if (ret == ETIMEDOUT)
		ret = unmap_on(&m, 0, MEM_IOVA, MEM_LEN);
	result(!ret, "timeout-then-unmap", "%d", ret);
	if (!ret)
		ret = map_on(&m, 0, m.mem, MEM_IOVA, MEM_LEN);
	if (!ret)
		ret = timed_out_command(&m);
	if (ret == ETIMEDOUT) {
		fill(m.mem + 0x30000, DEV_BUF_LEN, 21);
		ret = dma_on(&m, 0, MEM_IOVA + 0x30000, DEV_BUF, DEV_BUF_LEN,
			     0);
	}
	if (!ret)
		ret = dma_on(&m, 0, DEV_BUF, MEM_IOVA + 0x40000, DEV_BUF_LEN,
			     CMD_TO_CLIENT);
	if (!ret && memcmp(m.mem + 0x30000, m.mem + 0x40000, DEV_BUF_LEN))
		ret = -EIO;
	result(!ret, "timeout-then-command", "%d", ret);
	call_begin(0, "closing the device");
	medu_close(&m);
	call_end(0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "abi"))
		return cmd_abi(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "cycles"))
		return cmd_cycles(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "race"))
		return cmd_race(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "unmaps"))
		return run_bounded("unmaps", cmd_unmaps, argv[2],
				   atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "resetrace"))
		return run_bounded("resetrace", cmd_resetrace, argv[2],
				   atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "refusals"))
		return run_bounded("refusals", cmd_refusals, argv[2], 0);
	if (argc == 3 && !strcmp(argv[1], "timeout"))
		return run_bounded("timeout", cmd_timeout, argv[2], 0);
	if (argc == 4 && !strcmp(argv[1], "hold"))
		return cmd_hold(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "req-close"))
		return cmd_req(argv[2], argv[3], true);
	if (argc == 4 && !strcmp(argv[1], "req-ignore"))
		return cmd_req(argv[2], argv[3], false);
	if (argc == 4 && !strcmp(argv[1], "copy"))
		return cmd_copy(argv[2], argv[3]);
	fprintf(stderr,
		"usage: vfio_client abi UUID_A UUID_B | cycles UUID N\n"
		"       vfio_client race UUID N | unmaps UUID SECS\n"
		"       vfio_client resetrace UUID SECS | timeout UUID\n"
		"       vfio_client refusals UUID\n"
		"       vfio_client hold UUID FILE | copy UUID TEXT\n"
		"       vfio_client req-close UUID FILE | req-ignore UUID FILE\n");
	return 2;
}
