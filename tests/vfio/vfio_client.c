// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_client: a userspace VFIO client of the sample's mediated edu,
 * written from DESIGN.md's "The sample's VFIO ABI" alone.  It opens an mdev
 * through the standard group and container path (type1), or with
 * --iommufd through its device cdev bound to /dev/iommu ("Opening it
 * through iommufd"), and drives it through its regions, its DMA registers
 * and its MSI eventfd.
 *
 *   vfio_client [--iommufd] MODE ARGS...
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
 *   vfio_client hammer UUID SECS     random use of the whole uAPI from
 *                                    several threads, seeded
 *                                    ($HAMMER_SEED), bounded (KTAP)
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
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <linux/capability.h>
#include <linux/vfio.h>

#include "iommufd_uapi.h"

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
	int container, group, device; /* type1 */
	int iommufd; /* --iommufd: /dev/iommu, with the device's cdev */
	uint32_t ioas;
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

/* --iommufd: every device through its cdev and /dev/iommu. */
static bool use_iommufd;

/* The step that opens the device for the sample (its .open_device). */
#define OPEN_STEP \
	(use_iommufd ? "VFIO_DEVICE_BIND_IOMMUFD" : "VFIO_GROUP_GET_DEVICE_FD")

/* Map [vaddr, vaddr + size) at @iova, readable and writable: 0 or -errno. */
static int mem_map(struct medu *m, void *vaddr, uint64_t iova, uint64_t size)
{
	struct iommu_ioas_map imap = {
		.size = sizeof(imap),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = m->ioas,
		.user_va = (uintptr_t)vaddr,
		.length = size,
		.iova = iova,
	};
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};

	if (use_iommufd)
		return ioctl(m->iommufd, IOMMU_IOAS_MAP, &imap) ? -errno : 0;
	return ioctl(m->container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

/* Unmap [iova, iova + size): the bytes it unmapped, or -errno. */
static int64_t mem_unmap(struct medu *m, uint64_t iova, uint64_t size)
{
	struct iommu_ioas_unmap iunmap = {
		.size = sizeof(iunmap),
		.ioas_id = m->ioas,
		.iova = iova,
		.length = size,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (use_iommufd)
		return ioctl(m->iommufd, IOMMU_IOAS_UNMAP, &iunmap) ?
			       -errno :
			       (int64_t)iunmap.length;
	return ioctl(m->container, VFIO_IOMMU_UNMAP_DMA, &unmap) ?
		       -errno :
		       (int64_t)unmap.size;
}

#define MAP_CALL (use_iommufd ? "IOMMU_IOAS_MAP" : "VFIO_IOMMU_MAP_DMA")
#define UNMAP_CALL (use_iommufd ? "IOMMU_IOAS_UNMAP" : "VFIO_IOMMU_UNMAP_DMA")

/* N of the mdev's /dev/vfio/devices/vfioN, or -errno. */
static int cdev_of(const char *uuid)
{
	char path[PATH_MAX];
	struct dirent *e;
	int n = -ENOENT;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/vfio-dev", uuid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "vfio%d", &n) == 1)
			break;
	closedir(d);
	return n;
}

/* The mmap of m->mem, zeroed: 0 or -errno. */
static int mem_alloc(struct medu *m)
{
	m->mem = mmap(NULL, MEM_LEN, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->mem == MAP_FAILED) {
		m->mem = NULL;
		return at(m, "mmap", -1);
	}
	memset(m->mem, 0, MEM_LEN);
	return 0;
}

/* mem_alloc(), then m->mem mapped at MEM_IOVA by @step: 0 or -errno. */
static int mem_alloc_map(struct medu *m, const char *step)
{
	int ret = mem_alloc(m);

	return ret ? ret : at(m, step, mem_map(m, m->mem, MEM_IOVA, MEM_LEN));
}

/*
 * The iommufd half of medu_open(), up to the device fd: the cdev, bound to
 * /dev/iommu, an IOAS with our memory (if @map_mem), attached (if
 * @attach).  Pins are accounted to this process's locked_vm, as type1
 * does, so that VmLck means the same on both paths.
 */
static int medu_open_iommufd(struct medu *m, const char *uuid, bool map_mem,
			     bool attach)
{
	struct vfio_device_attach_iommufd_pt pt = { .argsz = sizeof(pt) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1, /* the mm's locked_vm */
	};
	char path[64];
	int ret;

	ret = at(m, "vfio-dev/vfioN under the mdev", cdev_of(uuid));
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%d", ret);
	ret = at(m, "open /dev/vfio/devices/vfioN", open(path, O_RDWR));
	if (ret < 0)
		return ret;
	m->device = ret;
	ret = at(m, "open /dev/iommu", open("/dev/iommu", O_RDWR));
	if (ret < 0)
		return ret;
	m->iommufd = ret;
	ret = at(m, "IOMMU_OPTION_RLIMIT_MODE",
		 ioctl(m->iommufd, IOMMU_OPTION, &opt));
	if (ret < 0)
		return ret;
	bind.iommufd = m->iommufd;
	ret = at(m, "VFIO_DEVICE_BIND_IOMMUFD",
		 ioctl(m->device, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	if (ret < 0)
		return ret;
	ret = at(m, "IOMMU_IOAS_ALLOC",
		 ioctl(m->iommufd, IOMMU_IOAS_ALLOC, &alloc));
	if (ret < 0)
		return ret;
	m->ioas = alloc.out_ioas_id;
	if (map_mem) {
		ret = mem_alloc_map(m, "IOMMU_IOAS_MAP");
		if (ret < 0)
			return ret;
	}
	if (!attach)
		return 0;
	pt.pt_id = m->ioas;
	return at(m, "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
		  ioctl(m->device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &pt));
}

/* The type1 half of medu_open(), up to the device fd. */
static int medu_open_type1(struct medu *m, const char *uuid, bool map_mem)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int grp, ret;

	grp = at(m, "iommu_group link", group_of(uuid));
	if (grp < 0)
		return grp;
	ret = at(m, "open /dev/vfio/vfio", open("/dev/vfio/vfio", O_RDWR));
	if (ret < 0)
		return ret;
	m->container = ret;
	ret = at(m, "VFIO_GET_API_VERSION",
		 ioctl(m->container, VFIO_GET_API_VERSION));
	if (ret != VFIO_API_VERSION)
		return ret < 0 ? ret : -EINVAL;
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	ret = at(m, "open the group", open(path, O_RDWR));
	if (ret < 0)
		return ret;
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
		return ret;
	if (map_mem) {
		ret = mem_alloc_map(m, "VFIO_IOMMU_MAP_DMA");
		if (ret < 0)
			return ret;
	}
	ret = at(m, "VFIO_GROUP_GET_DEVICE_FD",
		 ioctl(m->group, VFIO_GROUP_GET_DEVICE_FD, uuid));
	if (ret < 0)
		return ret;
	m->device = ret;
	return 0;
}

/*
 * Open mdev @uuid by the path --iommufd chose, attached (type1 attaches
 * at VFIO_SET_IOMMU), with MEM_LEN bytes of ours mapped at MEM_IOVA if
 * @map_mem: 0 or -errno; m->step names the step that failed.
 */
static int medu_open_at(struct medu *m, const char *uuid, bool map_mem,
			bool attach)
{
	struct vfio_region_info ri;
	int ret;

	memset(m, 0, sizeof(*m));
	m->container = -1;
	m->group = -1;
	m->device = -1;
	m->iommufd = -1;
	ret = use_iommufd ? medu_open_iommufd(m, uuid, map_mem, attach) :
			    medu_open_type1(m, uuid, map_mem);
	if (ret < 0)
		goto err;
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

static int medu_open(struct medu *m, const char *uuid, bool map_mem)
{
	return medu_open_at(m, uuid, map_mem, true);
}

static void medu_close(struct medu *m)
{
	if (m->device >= 0)
		close(m->device);
	if (m->iommufd >= 0)
		close(m->iommufd);
	if (m->group >= 0)
		close(m->group);
	if (m->container >= 0)
		close(m->container);
	if (m->mem)
		munmap(m->mem, MEM_LEN);
	m->container = -1;
	m->group = -1;
	m->device = -1;
	m->iommufd = -1;
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
	const uint64_t iova = 0x4000000;
	long lck0, lck1, pin1;
	uint8_t *page;
	int64_t n;
	int ret;

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(page, 0x5a, 4096);
	lck0 = vmlck_kb();
	ret = mem_map(m, page, iova, 4096);
	if (!ret)
		ret = dma(m, DEV_BUF, iova, 256, CMD_TO_CLIENT);
	lck1 = vmlck_kb();
	pin1 = pinned_count();
	result(!ret && page[0] == 0 && lck1 == lck0 + 4, "unmap-dma-before",
	       "ret %d VmLck %ld -> %ld", ret, lck0, lck1);
	n = mem_unmap(m, iova, 4096);
	result(n == 4096 && vmlck_kb() == lck0 && pinned_count() == pin1 - 1,
	       "unmap-drops-pin", "ret %lld VmLck %ld, pinned %ld -> %ld",
	       (long long)n, vmlck_kb(), pin1, pinned_count());
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

/*
 * Through iommufd, a device bound but not yet attached to an IOAS: a DMA
 * command fails with EFAULT and pins nothing, though our memory is mapped
 * in the IOAS.
 */
static void abi_unattached(const char *uuid)
{
	long lck0 = vmlck_kb(), pin0 = pinned_count();
	struct medu m;
	uint8_t back[64];
	int ret;

	ret = medu_open_at(&m, uuid, true, false);
	if (!result(!ret, "iommufd-bound-not-attached", "%s: %s", m.step,
		    strerror(-ret)))
		return;
	fill(m.mem, 64, 17);
	ret = to_dev(&m, 0, DEV_BUF, 64);
	result(ret == EFAULT && pinned_count() == pin0 && vmlck_kb() == lck0,
	       "iommufd-dma-before-attach-efault",
	       "ret %d, pinned %ld -> %ld, VmLck %ld -> %ld kB", ret, pin0,
	       pinned_count(), lck0, vmlck_kb());
	memcpy(back, m.mem, sizeof(back));
	ret = to_client(&m, DEV_BUF, 0, 64);
	result(ret == EFAULT && !memcmp(back, m.mem, sizeof(back)),
	       "iommufd-dma-to-client-before-attach-efault", "ret %d", ret);
	medu_close(&m);
}

static int cmd_abi(const char *a, const char *b)
{
	struct medu m, m2;
	long lck0 = vmlck_kb(), pin0 = pinned_count();
	unsigned int i;
	int ret;

	if (use_iommufd)
		abi_unattached(a);
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
	result(ret == -EBUSY && !strcmp(m2.step, OPEN_STEP),
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
	if (use_iommufd)
		printf("opened %s: cdev vfio%d bound to /dev/iommu, our 2 MiB at IOVA %#llx\n",
		       uuid, cdev_of(uuid), (unsigned long long)MEM_IOVA);
	else
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
	int64_t unmapped = 0;
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
		ret = mem_map(&m, buf, RACE_IOVA, 8192);
		if (ret)
			break;
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
		unmapped = mem_unmap(&m, RACE_IOVA, 8192);
		if (unmapped < 0) {
			ret = unmapped;
			break;
		}
		/* The unmap returned: none of its pins may be left. */
		inflight += !!(r32(&m, R_CMD) & CMD_START);
		pin = pinned_count();
		if (pin != pin0 || unmapped != 8192) {
			diag("round %d: pinned %ld -> %ld after the unmap, unmapped %lld",
			     i, pin0, pin, (long long)unmapped);
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

/*
 * How long any one call (an ioctl, a command polled to its end) may take;
 * the hammer allows 10 s, the bound on a task in D state.
 */
static double call_limit = 15.0;
#define MAX_CLOCKS 8

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
 * watch its calls: one that takes longer than call_limit fails the case
 * "@name-calls-bounded" and the child is left behind (its threads sleep in
 * the kernel for good: it could not be reaped).  Exit status 3 then.
 */
/*
 * Where each thread of process @pid is: its state (R: running, in user
 * space or not; S, D: asleep in the kernel) and its kernel stack, as
 * diagnostics.  So a bound exceeded tells a call stuck in the kernel from
 * one that loops in user space.
 */
static void dump_threads(pid_t pid)
{
	char path[PATH_MAX], line[256];
	struct dirent *e;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", pid,
			 e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "State:", 6))
				diag("thread %s: %.*s", e->d_name,
				     (int)strcspn(line + 7, "\n"), line + 7);
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid,
			 e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			diag("  %.*s", (int)strcspn(line, "\n"), line);
		if (f)
			fclose(f);
	}
	closedir(d);
}

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

			if (!s || now_ns() - s <= call_limit * 1e9)
				continue;
			dump_threads(pid);
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
	     longest / 1e9, lw, call_limit);
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
	int ret;

	call_begin(t, MAP_CALL);
	ret = mem_map(m, vaddr, iova, size);
	call_end(t);
	return ret;
}

/* 0, or -errno; -ERANGE if it unmapped other than @size bytes. */
static int unmap_on(struct medu *m, int t, uint64_t iova, uint64_t size)
{
	int64_t n;

	call_begin(t, UNMAP_CALL);
	n = mem_unmap(m, iova, size);
	call_end(t);
	return n < 0 ? (int)n : (uint64_t)n == size ? 0 : -ERANGE;
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

/*
 * Resets, each after a pause of 0-4 ms.  A reset refuses commands (EBUSY)
 * while it runs, about 0.2 s on the debug kernel; back to back, the window
 * between two was a few microseconds, which the command writer's retries
 * (one pwrite() each, tens of microseconds there) could miss for seconds:
 * its longest call took 0.3 s, 1.0 s, 4.5 s, and over the 15 s bound in 3
 * boots of 7 (resetrace-calls-bounded).  A command still takes 100 ms or
 * more, so resets keep landing on commands in flight.
 */
static void *resetter_run(void *arg)
{
	unsigned int seed = (unsigned int)now_ns();
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
		usleep(rand_r(&seed) % 4000);
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

/* The most EBUSY refusals one start_cmd() met (resetrace's diagnostic). */
static long start_busy_max;

/* Write the command register until it is not refused with EBUSY. */
static int start_cmd(struct medu *m, uint32_t cmd)
{
	long busy = 0;
	int ret;

	while ((ret = w32(m, R_CMD, cmd | CMD_START)) == -EBUSY)
		busy++;
	if (busy > start_busy_max)
		start_busy_max = busy;
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
	diag("%d rounds, %ld resets (a command met EBUSY %ld times at most)",
	     rounds, (long)resets, start_busy_max);
	diag("VmLck %ld kB before, at most %ld kB", lck0, resetrace_max_lck);
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

/* ---- the hammer: seeded random use of the whole uAPI, from several threads */

/*
 * HAMMER_WORKERS threads draw operations at random (rand_r(), seeded from
 * the seed and the thread's number) against one open mdev, for SECS
 * seconds: region reads and writes anywhere (config, BAR0, other and
 * bogus regions; any offset, size and value), VFIO_DEVICE_* ioctls with
 * random argsz/flags/index/start/count, SET_IRQS with real and bogus
 * eventfds, DMA commands into pages the thread maps and unmaps meanwhile,
 * good commands started and left running (so that closes, removals,
 * resets and unmaps meet edu mid-transfer), resets, and close and reopen
 * of the device.  Another thread removes
 * the mdev while it is held, now and then: a watcher closes the device
 * when the REQ eventfd fires (or after 2 s, if a random SET_IRQS took
 * the eventfd away), and the remover creates the mdev again.  Every call
 * is bounded (run_bounded()).  At the end: the seed, the count of each
 * operation and every errno it saw; the device's pins all gone; the
 * device still opens and moves bytes.  What the checkers see (KASAN,
 * lockdep, kmemleak, WARN) the suite reads from the kernel log.
 */
#define HAMMER_WORKERS 3
#define HAMMER_REMOVER HAMMER_WORKERS
#define HAMMER_WATCHER (HAMMER_WORKERS + 1)
#define HAMMER_IOVA 0x8000000ULL /* + 64 KiB per worker */
#define HAMMER_MAX_ERRNO 140

enum hop {
	H_READ,
	H_WRITE,
	H_IOCTL,
	H_SET_IRQS,
	H_DMA,
	H_START,
	H_RESET,
	H_MAP,
	H_UNMAP,
	H_REOPEN,
	H_REMOVE,
	H_OPS
};

static const char *const hop_name[H_OPS] = {
	[H_READ] = "read",	   [H_WRITE] = "write",	  [H_IOCTL] = "ioctl",
	[H_SET_IRQS] = "set-irqs", [H_DMA] = "dma",	  [H_START] = "start",
	[H_RESET] = "reset",	   [H_MAP] = "map",	  [H_UNMAP] = "unmap",
	[H_REOPEN] = "reopen",	   [H_REMOVE] = "remove",
};

/* Relative weights of the workers' draws (H_REMOVE is the remover's). */
static const unsigned int hop_weight[H_OPS] = {
	[H_READ] = 30, [H_WRITE] = 30, [H_IOCTL] = 15, [H_SET_IRQS] = 10,
	[H_DMA] = 10,  [H_START] = 10, [H_RESET] = 3,  [H_MAP] = 6,
	[H_UNMAP] = 6, [H_REOPEN] = 1,
};

static struct hammer {
	const char *uuid;
	char create[PATH_MAX]; /* the mdev type's create file */
	unsigned int seed;
	pthread_rwlock_t lock; /* write: the device is closed or reopened */
	struct medu m;
	bool open;
	unsigned int gen; /* bumped by every (re)open: maps start over */
	int req_efd;
	int removing; /* __atomic: a removal is under way */
	int watcher_stop; /* __atomic: after the remover is done */
	bool reopen_while_removing; /* $HAMMER_REOPEN_WHILE_REMOVING */
	long lck0, pin0;
	/* per operation: count, and how many times each errno came back */
	long count[H_OPS];
	long err[H_OPS][HAMMER_MAX_ERRNO + 1];
	long unexpected[H_OPS];
	int last_unexpected[H_OPS];
} hm;

static void hop_count(enum hop op, int err)
{
	err = err < 0 ? -err : err;
	if (err > HAMMER_MAX_ERRNO)
		err = HAMMER_MAX_ERRNO;
	__atomic_add_fetch(&hm.count[op], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&hm.err[op][err], 1, __ATOMIC_RELAXED);
}

/*
 * What the ABI allows: a region access fails with EINVAL (a bad size,
 * offset or region) or, writing 0x98, with a refused command's errno; a
 * command ends with 0, EFAULT or EINVAL.  Anything else is counted.
 */
static void hop_expect(enum hop op, int err, bool ok)
{
	if (ok)
		return;
	err = err < 0 ? -err : err;
	__atomic_add_fetch(&hm.unexpected[op], 1, __ATOMIC_RELAXED);
	__atomic_store_n(&hm.last_unexpected[op], err, __ATOMIC_RELAXED);
}

/* (Under the write lock.) Open the device again, its REQ eventfd set. */
static int hammer_open(void)
{
	int ret = medu_open(&hm.m, hm.uuid, true);

	if (ret)
		return ret; /* (removed meanwhile, say: counted by the caller) */
	set_msi(&hm.m, hm.req_efd,
		VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1,
		VFIO_PCI_REQ_IRQ_INDEX);
	hm.open = true;
	hm.gen++;
	return 0;
}

static void hammer_close(void)
{
	if (hm.open)
		medu_close(&hm.m);
	hm.open = false;
}

/* A random value with many of the interesting edges. */
static uint64_t rnd_u64(unsigned int *seed)
{
	static const uint64_t edge[] = {
		0,
		1,
		0xff,
		0xfff,
		0x1000,
		0xffffffff,
		0x100000000ULL,
		~0ULL,
		DEV_BUF,
		DEV_BUF + 0xfff,
		MEM_IOVA,
		HAMMER_IOVA,
	};
	uint64_t v = ((uint64_t)rand_r(seed) << 33) ^
		     ((uint64_t)rand_r(seed) << 11) ^ rand_r(seed);

	switch (rand_r(seed) % 4) {
	case 0:
		return edge[rand_r(seed) % ARRAY_SIZE(edge)];
	case 1:
		return v & 0xfff;
	default:
		return v;
	}
}

/* A region offset: mostly config space and BAR0's registers. */
static uint64_t rnd_region_off(struct medu *m, unsigned int *seed,
			       unsigned int *size)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8, 4, 4, 8, 3, 16, 256 };
	unsigned int r = rand_r(seed) % 10;
	uint64_t off;

	*size = sizes[rand_r(seed) % ARRAY_SIZE(sizes)];
	if (r < 4)
		off = m->cfg + rand_r(seed) % 0x110;
	else if (r < 8)
		off = m->bar0 + (rand_r(seed) % 2 ? rand_r(seed) % 0xb0 :
						    rand_r(seed) % 0x100010);
	else
		off = (uint64_t)(rand_r(seed) % 12) << 40 | rnd_u64(seed);
	return off;
}

static void hop_rw(struct medu *m, unsigned int *seed, bool write, int t)
{
	uint8_t buf[256];
	unsigned int size;
	uint64_t off = rnd_region_off(m, seed, &size);
	uint64_t v = rnd_u64(seed);
	ssize_t r;
	int err;

	memcpy(buf, &v, sizeof(v));
	call_begin(t, write ? "region write" : "region read");
	r = write ? pwrite(m->device, buf, size, off) :
		    pread(m->device, buf, size, off);
	call_end(t);
	err = r < 0 ? errno : r == (ssize_t)size ? 0 : EIO;
	hop_count(write ? H_WRITE : H_READ, err);
	/* A write of 0x98 may fail with the refused command's errno. */
	hop_expect(write ? H_WRITE : H_READ, err,
		   !err || err == EINVAL ||
			   (write && off == m->bar0 + R_CMD &&
			    (err == EFAULT || err == EBUSY)));
}

static void hop_ioctl(struct medu *m, unsigned int *seed, int t)
{
	static const unsigned int nr[] = { 7,  8,  9,  10, 11, 12, 14, 15, 16,
					   17, 18, 19, 20, 21, 0,  1,  2,  3 };
	uint32_t buf[1024];
	unsigned int i, cmd;
	int r;

	for (i = 0; i < ARRAY_SIZE(buf); i++)
		buf[i] = rand_r(seed) % 3 ? (uint32_t)rand_r(seed) % 16 :
					    (uint32_t)rnd_u64(seed);
	/* argsz: small, about right, or anything */
	buf[0] = rand_r(seed) % 2 ? (uint32_t)rand_r(seed) % 64 :
				    (uint32_t)rnd_u64(seed);
	if (buf[0] > sizeof(buf) && rand_r(seed) % 4)
		buf[0] = sizeof(buf);
	/* A VFIO ioctl mostly, anything now and then. */
	cmd = _IO(VFIO_TYPE, VFIO_BASE + nr[rand_r(seed) % ARRAY_SIZE(nr)]);
	if (!(rand_r(seed) % 8))
		cmd = (unsigned int)rnd_u64(seed);
	/* Not the one that would reset every device on the bus. */
	if (cmd == VFIO_DEVICE_PCI_HOT_RESET)
		cmd = VFIO_DEVICE_GET_INFO;
	call_begin(t, "random ioctl");
	r = ioctl(m->device, cmd, buf);
	call_end(t);
	hop_count(H_IOCTL, r < 0 ? errno : 0);
}

static void hop_set_irqs(struct medu *m, unsigned int *seed, int efd, int t)
{
	static const uint32_t data[] = { VFIO_IRQ_SET_DATA_NONE,
					 VFIO_IRQ_SET_DATA_BOOL,
					 VFIO_IRQ_SET_DATA_EVENTFD };
	static const uint32_t action[] = { VFIO_IRQ_SET_ACTION_MASK,
					   VFIO_IRQ_SET_ACTION_UNMASK,
					   VFIO_IRQ_SET_ACTION_TRIGGER };
	uint8_t buf[sizeof(struct vfio_irq_set) + 8 * sizeof(int32_t)];
	struct vfio_irq_set *st = (struct vfio_irq_set *)buf;
	int32_t fds[8];
	unsigned int i;
	int r;

	memset(buf, 0, sizeof(buf));
	st->argsz = rand_r(seed) % 8 ? (uint32_t)sizeof(buf) :
				       (uint32_t)rand_r(seed) % 64;
	st->flags = data[rand_r(seed) % 3] | action[rand_r(seed) % 3];
	if (!(rand_r(seed) % 16))
		st->flags = rnd_u64(seed);
	st->index = rand_r(seed) % 6;
	st->start = rand_r(seed) % 4 ? 0 : rand_r(seed) % 3;
	st->count = rand_r(seed) % 4 ? rand_r(seed) % 2 : rand_r(seed) % 9;
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		switch (rand_r(seed) % 5) {
		case 0:
			fds[i] = -1; /* tear down */
			break;
		case 1:
			fds[i] = 1000 + rand_r(seed) % 1000; /* not open */
			break;
		case 2:
			fds[i] = m->device; /* open, not an eventfd */
			break;
		default:
			fds[i] = efd;
		}
	}
	if ((st->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) == VFIO_IRQ_SET_DATA_BOOL)
		for (i = 0; i < 8; i++)
			st->data[i] = rand_r(seed) % 2;
	else
		memcpy(st->data, fds, sizeof(fds));
	call_begin(t, "VFIO_DEVICE_SET_IRQS");
	r = ioctl(m->device, VFIO_DEVICE_SET_IRQS, st);
	call_end(t);
	hop_count(H_SET_IRQS, r < 0 ? errno : 0);
}

/* A command between edu's buffer and this worker's window, polled. */
static void hop_dma(struct medu *m, unsigned int *seed, int t)
{
	uint64_t iova = HAMMER_IOVA + t * 0x10000ULL + rand_r(seed) % 8192;
	uint64_t n = 1 + rand_r(seed) % DEV_BUF_LEN;
	uint32_t dir = rand_r(seed) % 2 ? CMD_TO_CLIENT : 0;
	int ret;

	if (rand_r(seed) % 4 == 0)
		iova = MEM_IOVA + rand_r(seed) % (MEM_LEN - DEV_BUF_LEN);
	ret = dir ? dma_on(m, t, DEV_BUF, iova, n, dir | CMD_IRQ) :
		    dma_on(m, t, iova, DEV_BUF, n, CMD_IRQ);
	hop_count(H_DMA, ret);
	/*
	 * Other workers write the same registers meanwhile, so the command
	 * that ran may be any mix of theirs: any refusal the ABI names.
	 */
	ret = ret < 0 ? -ret : ret; /* the write of 0x98 itself may fail */
	hop_expect(H_DMA, ret,
		   ret == 0 || ret == EFAULT || ret == EINVAL || ret == EBUSY);
}

/*
 * A good command started and left running: what closes, removals, resets
 * and unmaps then meet is edu mid-transfer.  Half of them on the worker's
 * own map window (when it is mapped), which its next map/unmap may take
 * away under the transfer.  Its registers may be rewritten by another
 * worker before the start: any refusal is fine.
 */
static void hop_start(struct medu *m, unsigned int *seed, int t)
{
	uint64_t off = rand_r(seed) % (MEM_LEN - DEV_BUF_LEN);
	uint32_t dir = rand_r(seed) % 2 ? CMD_TO_CLIENT : 0;
	uint64_t iova = MEM_IOVA + off;
	int ret;

	if (rand_r(seed) % 2)
		iova = HAMMER_IOVA + t * 0x10000ULL +
		       rand_r(seed) % (8192 - DEV_BUF_LEN + 1);

	call_begin(t, "starting a command");
	ret = w64(m, R_SRC, dir ? DEV_BUF : iova);
	if (!ret)
		ret = w64(m, R_DST, dir ? iova : DEV_BUF);
	if (!ret)
		ret = w64(m, R_CNT, DEV_BUF_LEN);
	if (!ret)
		ret = w32(m, R_CMD, dir | CMD_START | CMD_IRQ);
	call_end(t);
	ret = ret < 0 ? -ret : ret;
	hop_count(H_START, ret);
	hop_expect(H_START, ret,
		   ret == 0 || ret == EFAULT || ret == EINVAL || ret == EBUSY);
}

static void *hammer_worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	unsigned int seed = hm.seed * 31 + t, total = 0, w, i;
	unsigned int mapped_gen = 0;
	uint64_t win = HAMMER_IOVA + t * 0x10000ULL;
	bool mapped = false;
	uint8_t *page;
	int efd = eventfd(0, EFD_NONBLOCK), r;
	enum hop op;

	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(page, t, 8192);
	for (i = 0; i < H_OPS; i++)
		total += hop_weight[i];
	while (!stopping()) {
		w = rand_r(&seed) % total;
		for (op = 0; w >= hop_weight[op]; op++)
			w -= hop_weight[op];
		if (op == H_REOPEN) {
			pthread_rwlock_wrlock(&hm.lock);
			/*
			 * Not while a removal runs (unless
			 * $HAMMER_REOPEN_WHILE_REMOVING): a group opened then,
			 * its container set, is detached from it by the
			 * removal, and v6.12's container ioctls read the
			 * container's type1 data without its group_lock, so
			 * MAP_DMA uses what the detach freed (KASAN:
			 * slab-use-after-free in vfio_iommu_type1_ioctl, on the
			 * debug kernel).  Upstream's race, not the sample's.
			 */
			if (!hm.reopen_while_removing &&
			    __atomic_load_n(&hm.removing, __ATOMIC_ACQUIRE)) {
				pthread_rwlock_unlock(&hm.lock);
				continue;
			}
			call_begin(t, "close and reopen");
			hammer_close();
			r = hammer_open();
			call_end(t);
			hop_count(H_REOPEN, r);
			pthread_rwlock_unlock(&hm.lock);
			continue;
		}
		pthread_rwlock_rdlock(&hm.lock);
		if (!hm.open) {
			pthread_rwlock_unlock(&hm.lock);
			usleep(10 * 1000);
			continue;
		}
		if (mapped_gen != hm.gen)
			mapped = false; /* the device was closed: maps went */
		mapped_gen = hm.gen;
		switch (op) {
		case H_READ:
		case H_WRITE:
			hop_rw(&hm.m, &seed, op == H_WRITE, t);
			break;
		case H_IOCTL:
			hop_ioctl(&hm.m, &seed, t);
			break;
		case H_SET_IRQS:
			hop_set_irqs(&hm.m, &seed, efd, t);
			break;
		case H_DMA:
			hop_dma(&hm.m, &seed, t);
			break;
		case H_START:
			hop_start(&hm.m, &seed, t);
			break;
		case H_RESET:
			call_begin(t, "VFIO_DEVICE_RESET");
			r = ioctl(hm.m.device, VFIO_DEVICE_RESET) ? errno : 0;
			call_end(t);
			hop_count(H_RESET, r);
			hop_expect(H_RESET, r, !r);
			break;
		case H_MAP:
		case H_UNMAP:
			/* Whichever the window needs, so both happen. */
			if (!mapped) {
				r = map_on(&hm.m, t, page, win, 8192);
				hop_count(H_MAP, r);
				hop_expect(H_MAP, r, !r);
				mapped = !r;
			} else {
				r = unmap_on(&hm.m, t, win, 8192);
				hop_count(H_UNMAP, r);
				hop_expect(H_UNMAP, r, !r);
				mapped = false;
			}
			break;
		default:
			break;
		}
		pthread_rwlock_unlock(&hm.lock);
	}
	close(efd);
	munmap(page, 8192);
	return NULL;
}

/* Closes the device when a removal asks (REQ) or has waited 2 s. */
static void *hammer_watcher(void *arg)
{
	struct pollfd p = { .fd = hm.req_efd, .events = POLLIN };
	double since = 0;
	uint64_t v;
	int r;

	(void)arg;
	while (!__atomic_load_n(&hm.watcher_stop, __ATOMIC_RELAXED)) {
		r = poll(&p, 1, 100);
		if (r > 0 && read(hm.req_efd, &v, sizeof(v)) < 0)
			continue;
		if (!__atomic_load_n(&hm.removing, __ATOMIC_ACQUIRE)) {
			since = 0;
			continue;
		}
		if (!since)
			since = now();
		if (r <= 0 && now() - since < 2)
			continue;
		pthread_rwlock_wrlock(&hm.lock);
		call_begin(HAMMER_WATCHER, "closing on request");
		hammer_close();
		call_end(HAMMER_WATCHER);
		pthread_rwlock_unlock(&hm.lock);
		since = 0;
	}
	return NULL;
}

/* Write @val to sysfs file @path: 0 or errno. */
static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), r = 0;

	if (fd < 0)
		return errno;
	if (write(fd, val, strlen(val)) < 0)
		r = errno;
	close(fd);
	return r;
}

/* Now and then, remove the mdev while it is held, and create it again. */
static void *hammer_remover(void *arg)
{
	unsigned int seed = hm.seed * 31 + HAMMER_REMOVER;
	char path[PATH_MAX];
	int r;

	(void)arg;
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove",
		 hm.uuid);
	while (!stopping()) {
		usleep(500 * 1000 + rand_r(&seed) % (3000 * 1000));
		if (stopping())
			break;
		__atomic_store_n(&hm.removing, 1, __ATOMIC_RELEASE);
		call_begin(HAMMER_REMOVER, "removing the held mdev");
		r = sysfs_write(path, "1");
		call_end(HAMMER_REMOVER);
		__atomic_store_n(&hm.removing, 0, __ATOMIC_RELEASE);
		hop_count(H_REMOVE, r);
		hop_expect(H_REMOVE, r, !r);
		r = sysfs_write(hm.create, hm.uuid);
		if (r) {
			diag("hammer: creating %s again: %s", hm.uuid,
			     strerror(r));
			hop_expect(H_REMOVE, r, false);
			break;
		}
		pthread_rwlock_wrlock(&hm.lock);
		call_begin(HAMMER_REMOVER, "reopening after removal");
		hammer_close();
		r = hammer_open();
		call_end(HAMMER_REMOVER);
		pthread_rwlock_unlock(&hm.lock);
		if (r) {
			diag("hammer: reopening after removal: %s at %s",
			     strerror(-r), hm.m.step);
			hop_expect(H_REMOVE, r, false);
			break;
		}
	}
	return NULL;
}

static void hammer_report(double secs)
{
	char line[1024];
	long total = 0, bad = 0;
	size_t len;
	int op, e;

	for (op = 0; op < H_OPS; op++)
		total += hm.count[op];
	diag("hammer: seed %u, %ld operations in %.1f s", hm.seed, total, secs);
	for (op = 0; op < H_OPS; op++) {
		len = snprintf(line, sizeof(line), "%-8s %7ld:", hop_name[op],
			       hm.count[op]);
		for (e = 0; e <= HAMMER_MAX_ERRNO && len < sizeof(line) - 40;
		     e++)
			if (hm.err[op][e])
				len += snprintf(line + len, sizeof(line) - len,
						" %s %ld",
						e ? strerrorname_np(e) : "ok",
						hm.err[op][e]);
		diag("hammer: %s", line);
		if (hm.unexpected[op])
			diag("hammer: %s: %ld outside the ABI, the last %s",
			     hop_name[op], hm.unexpected[op],
			     strerrorname_np(hm.last_unexpected[op]));
		bad += hm.unexpected[op];
	}
	result(!bad, "hammer-errnos-as-the-abi-says", "%ld outside the ABI",
	       bad);
	for (op = 0; op < H_OPS; op++)
		if (op != H_REOPEN && op != H_REMOVE && !hm.count[op])
			result(false, "hammer-every-operation-ran", "no %s",
			       hop_name[op]);
}

/* hammer UUID SECS: the run; the seed from $HAMMER_SEED or the clock. */
static int cmd_hammer(const char *uuid, int secs)
{
	pthread_t th[HAMMER_WORKERS + 2];
	char path[PATH_MAX], type[PATH_MAX];
	const char *env = getenv("HAMMER_SEED");
	int writers_first = PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
	pthread_rwlockattr_t attr;
	double t0 = now();
	int i, ret;

	call_limit = 10.0;
	hm.uuid = uuid;
	hm.reopen_while_removing = getenv("HAMMER_REOPEN_WHILE_REMOVING");
	hm.seed = env ? strtoul(env, NULL, 0) : (unsigned int)(t0 * 1000);
	diag("hammer: seed %u (HAMMER_SEED=%u repeats the draws)", hm.seed,
	     hm.seed);
	hm.lck0 = vmlck_kb();
	hm.pin0 = pinned_count();
	hm.req_efd = eventfd(0, EFD_NONBLOCK);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mdev_type",
		 uuid);
	if (!realpath(path, type)) {
		result(false, "hammer-mdev-type", "%s: %s", path,
		       strerror(errno));
		return ktap_end();
	}
	snprintf(hm.create, sizeof(hm.create), "%.*s/create",
		 (int)sizeof(hm.create) - 8, type);
	/* Writers first: three readers at a time would starve them. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, writers_first);
	pthread_rwlock_init(&hm.lock, &attr);
	ret = hammer_open();
	if (!result(!ret, "hammer-open", "%s: %s", hm.m.step, strerror(-ret)))
		return ktap_end();
	until = t0 + secs;
	for (i = 0; i < HAMMER_WORKERS; i++)
		pthread_create(&th[i], NULL, hammer_worker,
			       (void *)(intptr_t)i);
	pthread_create(&th[HAMMER_REMOVER], NULL, hammer_remover, NULL);
	pthread_create(&th[HAMMER_WATCHER], NULL, hammer_watcher, NULL);
	while (now() < until)
		usleep(100 * 1000);
	stop_all();
	/* The watcher last: a removal under way needs it to end. */
	for (i = 0; i <= HAMMER_REMOVER; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&hm.watcher_stop, 1, __ATOMIC_RELAXED);
	pthread_join(th[HAMMER_WATCHER], NULL);
	call_begin(0, "closing the device");
	hammer_close();
	call_end(0);
	hammer_report(now() - t0);
	/* (The sample's own count may lag the close a little.) */
	for (i = 0; i < 100 && pinned_count() != hm.pin0; i++)
		usleep(10 * 1000);
	result(pinned_count() == hm.pin0 && vmlck_kb() == hm.lck0,
	       "hammer-no-pin-left", "VmLck %ld -> %ld kB, pinned %ld -> %ld",
	       hm.lck0, vmlck_kb(), hm.pin0, pinned_count());
	/* The device still works: a round trip through edu's buffer. */
	ret = medu_open(&hm.m, uuid, true);
	if (!ret) {
		fill(hm.m.mem, 512, 7);
		ret = to_dev(&hm.m, 0, DEV_BUF, 512);
		if (!ret)
			ret = to_client(&hm.m, DEV_BUF, 0x3000, 512);
		if (!ret && memcmp(hm.m.mem, hm.m.mem + 0x3000, 512))
			ret = -EIO;
		medu_close(&hm.m);
	}
	result(!ret, "hammer-device-usable-after", "%d (%s)", ret,
	       hm.m.step ? hm.m.step : "DMA");
	return 0;
}

/*
 * iommufd does not account the pins of a process with CAP_IPC_LOCK at all
 * (iopt_alloc_pages()), where type1 counts them in locked_vm whoever asks:
 * drop it, so that VmLck counts them on both paths (with
 * IOMMU_OPTION_RLIMIT_MODE, medu_open_iommufd()), under a limit that
 * never binds here.  0, or 1 (said why).
 */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || syscall(SYS_capget, &h, d)) {
		perror("vfio_client: RLIMIT_MEMLOCK, capget");
		return 1;
	}
	d[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
	if (syscall(SYS_capset, &h, d)) {
		perror("vfio_client: capset");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--iommufd")) {
		use_iommufd = true;
		argc--;
		argv++;
		if (drop_ipc_lock())
			return 2;
	}
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
	if (argc == 4 && !strcmp(argv[1], "hammer"))
		return run_bounded("hammer", cmd_hammer, argv[2],
				   atoi(argv[3]));
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
		"usage: vfio_client [--iommufd] MODE ARGS..., MODE ARGS one of:\n"
		"       vfio_client abi UUID_A UUID_B | cycles UUID N\n"
		"       vfio_client race UUID N | unmaps UUID SECS\n"
		"       vfio_client resetrace UUID SECS | timeout UUID\n"
		"       vfio_client refusals UUID | hammer UUID SECS\n"
		"       vfio_client hold UUID FILE | copy UUID TEXT\n"
		"       vfio_client req-close UUID FILE | req-ignore UUID FILE\n");
	return 2;
}
