// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_pin_pages(vdev, iova, npage, prot, pages[]): pin by IOVA into struct
 * pages, on the vfio device.  Before, it took the mdev's struct device and
 * arrays of user and physical pfns (and unmaps were announced through
 * vfio_register_notifier()).  Its final shape came in v6.0 with
 * 34a255e67615 ("vfio: Replace phys_pfn with pages for vfio_pin_pages()").
 */
#include <linux/vfio.h>

int conftest(struct vfio_device *vdev, struct page **pages);
int conftest(struct vfio_device *vdev, struct page **pages)
{
	return vfio_pin_pages(vdev, (dma_addr_t)0, 1, 0, pages);
}
