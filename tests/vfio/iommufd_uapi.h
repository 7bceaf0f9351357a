/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * The iommufd uAPI vfio_client uses, for hosts whose headers predate it
 * (bookworm's linux-libc-dev is v6.1's: <linux/iommufd.h> came in v6.2,
 * the VFIO device cdev ioctls in v6.6).  Copied from v6.12's
 * include/uapi/linux/iommufd.h and include/uapi/linux/vfio.h; a uAPI does
 * not change, so the copy cannot go stale.  <linux/iommufd.h> is not
 * included, so the copy is the one definition; a <linux/vfio.h> that has
 * the cdev ioctls wins over it.
 */
#ifndef VFIO_CLIENT_IOMMUFD_UAPI_H
#define VFIO_CLIENT_IOMMUFD_UAPI_H

#include <linux/types.h>
#include <linux/vfio.h>

#ifndef IOMMUFD_TYPE
#define IOMMUFD_TYPE (';')

struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};

#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, 0x81)

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, 0x85)

struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, 0x86)

enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};

#define IOMMU_OPTION _IO(IOMMUFD_TYPE, 0x87)
#endif /* IOMMUFD_TYPE */

#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};

#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)

struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};

#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
#endif /* VFIO_DEVICE_BIND_IOMMUFD */

#endif /* VFIO_CLIENT_IOMMUFD_UAPI_H */
