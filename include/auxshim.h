/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * auxshim: attach an IOMMU domain to an iommu_group whose devices do their
 * DMA through other (backing) devices, as mediated devices do.
 *
 * This is the design Alex Williamson proposed for iommu_aux_attach_group()
 * in 2020: the caller passes a lookup callback that maps every device of the
 * group to the device doing its DMA.  A backing device with aux enabled gets
 * an aux attach (the aux-domain API where the kernel has it, PASID attach
 * where it has that instead); any other backing device gets a whole-device
 * attach.  The shim records the domain per group, so that
 * auxshim_get_domain_for_dev() answers for the group's devices.
 *
 * The header is self-contained: it needs only kernel headers.  Its lookup,
 * auxshim_get_domain_for_dev(), is inline (the shim exports the same
 * function too, for callers that take its address).
 */
#ifndef AUXSHIM_H
#define AUXSHIM_H

#include <linux/compiler.h>
#include <linux/compiler_types.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/hash.h>
#include <linux/iommu.h>
#include <linux/jump_label.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

/*
 * auxshim_lookup_t - map a device of a group to its backing device
 * @dev: a device of the group being attached
 *
 * (A plain comment: 6.1's scripts/kernel-doc cannot parse a typedef of a
 * function returning a pointer.)
 *
 * Called once per device of the group on every auxshim_attach_group(), in
 * process context, with no shim lock held: it may sleep.
 *
 * Return: the device that does @dev's DMA (possibly @dev itself), NULL if
 * there is none, or an ERR_PTR() whose error auxshim_attach_group() returns.
 */
typedef struct device *(*auxshim_lookup_t)(struct device *dev);

/**
 * auxshim_attach_group() - attach a domain to every device of a group
 * @domain: the domain to attach
 * @group: the group whose devices are attached
 * @lookup: maps each device of @group to its backing device, or NULL to
 *	attach @group as a whole, like iommu_attach_group()
 *
 * For every device of @group the backing device is @lookup(dev).  A backing
 * device with aux enabled (auxshim_dev_enable_aux()) gets an aux attach with
 * its own PASID; any other backing device gets a whole-device attach, shared
 * (refcounted) by every group that attaches @domain through it and refused
 * with -EBUSY for a different domain.  All or nothing: on failure every
 * device attached by this call is detached again and the shim's table is
 * unchanged.
 *
 * The caller holds a reference to @group (iommu_group_get(), or the one vfio
 * holds for its groups) from before this call until after its
 * auxshim_detach_group() returns, so that @group is never freed, and its
 * address never reused by another group, while the shim may still be asked
 * about it.
 *
 * Removal: a device of @group, or a backing device, that is deleted is
 * detached and forgotten by the shim's bus notifiers: what the IOMMU attached
 * to the deleted device itself (it is a backing device, or @group was
 * attached whole) at BUS_NOTIFY_DEL_DEVICE, a device attached through
 * another backing device (an mdev) at BUS_NOTIFY_REMOVED_DEVICE, after its
 * driver has been unbound.  The other
 * devices of @group stay attached.  auxshim_get_domain_for_dev() then
 * answers for the devices this call attached that are still there, and not
 * for devices that join @group later (except after a whole-group attach,
 * where the IOMMU core attaches newcomers itself).  An attach through
 * @lookup lasts while a device it attached is left; a whole-group attach
 * while @group has any device, attached by this call or joined later.
 * Once that last device is gone, the owner's auxshim_detach_group() is a
 * quiet no-op, and attaching @group again before that detach is refused
 * with -EBUSY, whether @group has devices again or none.  A device has at
 * most one attach through the shim: a device still recorded for another
 * group (an mdev that moved to a new group on 5.10) makes the call fail
 * with -EBUSY until that group is detached.
 *
 * The backing device's own DMA: a whole-device attach (no aux) replaces
 * the backing device's default domain with @domain for as long as it
 * lasts, as iommu_attach_device() does, so whatever its own driver maps
 * with the DMA API (which maps into the default domain) is no longer
 * translated for it: that driver must not do DMA of its own through the
 * DMA API meanwhile.  The shim does not claim DMA ownership
 * (iommu_device_claim_dma_owner(), 6.2+): the parent's driver is bound and
 * uses the default domain, so the claim would refuse every whole-device
 * attach the design exists for; and 5.10 and 6.1 have no such call.  An
 * aux attach leaves the backing device's own DMA alone.
 *
 * What an owner may rely on: while the remove() of a removed mdev's driver
 * runs, the mdev's attachment is still in place, so DMA it has in flight is
 * still translated by @domain and never reaches the backing device's
 * default domain; it must have stopped that DMA when its remove() returns.
 * A removed backing device is detached before its own driver's remove():
 * that driver must not start DMA for the group's devices once it is being
 * removed.  An owner that is not the removed device's driver (an
 * mdev_parent_ops parent on 5.10, whose remove() runs after the mdev is
 * deleted) gets no such window and must stop the DMA before it deletes the
 * device.  A device deleted while this call runs makes it fail with
 * -ENODEV.
 *
 * Context: process context, may sleep.  @lookup is called without any shim
 * lock held, exactly once per device of @group.
 *
 * Return: 0 on success; -EINVAL if @domain or @group is NULL or an ERR_PTR;
 * -EBUSY if @group already has a domain through the shim (or had one whose
 * devices went away and that is not detached yet) or a backing device is
 * attached to another domain, or a device of @group is still recorded for
 * another group; -ENODEV if @lookup returns NULL or a device without an
 * IOMMU group, @group has no device, or a device went away during the
 * call; -EAGAIN if devices kept joining or leaving @group while it was read
 * (three tries); the PTR_ERR() of an ERR_PTR returned by @lookup; -ENOMEM;
 * otherwise what the kernel's attach returned.
 */
int auxshim_attach_group(struct iommu_domain *domain, struct iommu_group *group,
			 auxshim_lookup_t lookup);

/**
 * auxshim_detach_group() - undo auxshim_attach_group()
 * @domain: the domain that was attached
 * @group: the group it was attached to
 *
 * Undoes exactly what the attach recorded: the backing device, mode and
 * PASID of every device, without calling the lookup again.  A detach that
 * does not match the recorded domain changes nothing and warns once.
 *
 * Context: process context, may sleep.
 */
void auxshim_detach_group(struct iommu_domain *domain,
			  struct iommu_group *group);

/*
 * Not part of the API: the shim's lookup table, here only so that
 * auxshim_get_domain_for_dev() is inline and a hit costs no call.
 *
 * A hash table with one probe per key, keyed by the recorded devices'
 * struct device pointers (hash and displace): a key's hash gives its
 * group (its top bits) and its home (the bits below); the key sits at its
 * home plus its group's displacement, a byte per group that the writer
 * chooses so that every key of the group lands on a slot of its own.  So
 * every key costs one probe, wherever and whenever it was added.  A
 * displacement of 0 means an empty group: a device the shim does not hold
 * costs, but for groups shared with held devices, a load of that byte
 * before the kernel's call.
 *
 * Written only by the shim under its lock; read with no lock and no mark
 * (see AUXSHIM_LUT_MARKED).  A slot's
 * domain is set before its key is published and never changes while its
 * key does; a removed key becomes AUXSHIM_LUT_GONE and such a slot is not
 * reused in place.  To make room, the writer moves a group whole: it
 * copies its keys to their new slots, then publishes the new displacement,
 * then marks the old slots gone; a reader that missed re-reads the
 * displacement and retries if it changed, so that a key is never missed
 * while it moves.  Growth, shrinking, sweeping, and a group with no room
 * at any displacement, replace the table whole (built aside; the
 * multiplier of the hash is drawn afresh each time).  A whole-group attach
 * needs no key for devices that join the group later: the kernel's own
 * call answers for them with the same domain.  auxshim_lut_used is off
 * until the first attach and again a second after the table empties, so
 * that a lookup then costs the kernel's call alone.
 */
/*
 * The layout below, and what the inline reader does with it, is an ABI
 * between the shim and every module built against this header: such a
 * module reads the table itself.  Its version is part of the names of the
 * symbols the shim exports for the reader, so that a module built against
 * another layout fails to load ("Unknown symbol auxshim_lut_v3" in the
 * kernel log; rebuild it against the loaded shim's header) instead of
 * misreading the table.  Any change between the two "lookup ABI" lines
 * bumps AUXSHIM_LUT_ABI; scripts/lint.sh fails on a change without one.
 */
/* lookup ABI: begin */
#define AUXSHIM_LUT_ABI 3
#define auxshim_lut __PASTE(auxshim_lut_v, AUXSHIM_LUT_ABI)
#define auxshim_lut_used __PASTE(auxshim_lut_used_v, AUXSHIM_LUT_ABI)

/*
 * The reader takes no lock and marks nothing: writing and testing the
 * preemption count would cost more than the rest of the lookup.  A
 * replaced table is freed only when no lookup can still be in it: after an
 * RCU Tasks grace period (every task has since switched of its own accord
 * or been in user space, so none is left in a lookup, even one preempted
 * there), then an RCU grace period (lookups in interrupts, on an idle CPU
 * too, which RCU Tasks does not wait for).  Without a preemption count an
 * RCU grace period alone does it: RCU cannot tell whether a tick in kernel
 * code interrupted a reader, so it takes no such tick for a quiescent
 * state.  With one (PREEMPT_COUNT) it takes a tick that finds the count
 * zero for one, so a kernel that has it but not RCU Tasks gets an
 * RCU-sched reader.  The shim and the modules that read its table
 * are built against the same kernel configuration: both sides agree.
 */
#if defined(CONFIG_PREEMPT_COUNT) && !defined(CONFIG_TASKS_RCU)
#define AUXSHIM_LUT_MARKED 1
#else
#define AUXSHIM_LUT_MARKED 0
#endif

#define AUXSHIM_LUT_FREE 0UL
#define AUXSHIM_LUT_GONE 1UL
#define AUXSHIM_LUT_SHIFT_MASK 63UL

struct auxshim_lut_slot {
	unsigned long key;
	struct iommu_domain *domain;
};

/*
 * 2^b slots, then 2^b displacements (a byte per group), then the writer's
 * own lists of each group's slots.  @hash is the hash's multiplier (its
 * low bit taken as 1) and, in bits 0-5, BITS_PER_LONG - b and, in bits
 * 6-11, BITS_PER_LONG - 2b: the shifts to a hash's group and home.
 */
struct auxshim_lut {
	unsigned long hash;
	unsigned long used, gone; /* live and removed keys; the shim's */
	struct rcu_head rcu;
	struct auxshim_lut_slot slot[];
};

extern struct auxshim_lut __rcu *auxshim_lut;
DECLARE_STATIC_KEY_FALSE(auxshim_lut_used);

/* The shift of @key's hash to its group; its slots - 1 is ~0UL >> it. */
static __always_inline unsigned int auxshim_lut_gshift(unsigned long hash)
{
	return hash & AUXSHIM_LUT_SHIFT_MASK;
}

static __always_inline unsigned int auxshim_lut_hshift(unsigned long hash)
{
	return (hash >> 6) & AUXSHIM_LUT_SHIFT_MASK;
}

static __always_inline u8 *auxshim_lut_disp(const struct auxshim_lut *lut,
					    unsigned long mask)
{
	return (u8 *)&lut->slot[mask + 1];
}

/* The readers' table: valid until the reader returns (AUXSHIM_LUT_MARKED). */
static __always_inline const struct auxshim_lut *auxshim_lut_read_begin(void)
{
	if (AUXSHIM_LUT_MARKED)
		rcu_read_lock_sched_notrace();
	return rcu_dereference_raw(auxshim_lut);
}

static __always_inline void auxshim_lut_read_end(void)
{
	if (AUXSHIM_LUT_MARKED)
		rcu_read_unlock_sched_notrace();
}

/*
 * The domain @lut holds for @key, or NULL: one probe, at the home of its
 * hash plus its group's displacement; after a miss, again if the
 * displacement changed meanwhile (the group moved).
 */
static __always_inline struct iommu_domain *
auxshim_lut_probe(const struct auxshim_lut *lut, unsigned long key)
{
	unsigned long hash, h, mask, i;
	struct iommu_domain *domain = NULL;
	const u8 *dispp;
	u8 disp;

	hash = READ_ONCE(lut->hash);
	h = key * (hash | 1);
	mask = ~0UL >> auxshim_lut_gshift(hash);
	dispp = &auxshim_lut_disp(lut, mask)[h >> auxshim_lut_gshift(hash)];
	disp = READ_ONCE(*dispp);
	while (disp) {
		i = ((h >> auxshim_lut_hshift(hash)) + disp) & mask;
		if (likely(READ_ONCE(lut->slot[i].key) == key)) {
			smp_rmb(); /* the domain was set before the key */
			domain = READ_ONCE(lut->slot[i].domain);
			break;
		}
		smp_rmb(); /* a group's old slots go after its new displacement */
		if (likely(READ_ONCE(*dispp) == disp))
			break;
		disp = READ_ONCE(*dispp);
	}
	return domain;
}

/* The domain the shim attached to @dev, or NULL. */
static __always_inline struct iommu_domain *
auxshim_lut_domain(struct device *dev)
{
	const struct auxshim_lut *lut = auxshim_lut_read_begin();
	struct iommu_domain *domain;

	domain = auxshim_lut_probe(lut, (unsigned long)dev);
	auxshim_lut_read_end();
	return domain;
}

/* auxshim_get_domain_for_dev(), inline here and exported by the shim. */
static __always_inline struct iommu_domain *
__auxshim_get_domain_for_dev(struct device *dev)
{
	/* NULL or an ERR_PTR, in one compare. */
	if (unlikely((unsigned long)dev - 1 >= (unsigned long)-MAX_ERRNO - 1))
		return NULL;
	if (static_branch_unlikely(&auxshim_lut_used)) {
		struct iommu_domain *domain = auxshim_lut_domain(dev);

		if (domain)
			return domain;
	}
	return iommu_get_domain_for_dev(dev);
}

/* lookup ABI: end */

#ifndef AUXSHIM_BUILDING_SHIM
/**
 * auxshim_get_domain_for_dev() - the domain a device's DMA goes through
 * @dev: any device
 *
 * Context: any context that may call iommu_get_domain_for_dev(); lock-free.
 * Inline: a device the shim holds costs no call, one it does not hold one
 * table probe and then the kernel's call (nothing while the shim holds
 * nothing).
 *
 * Against a detach: a call that starts after auxshim_detach_group() has
 * returned never returns the domain it detached.  A call racing the detach
 * may return either answer, as the kernel's own call racing
 * iommu_detach_group() does; detach does not wait for such calls, so that
 * it costs what the kernel's detach costs.  A caller that uses the domain
 * inside rcu_read_lock() (or with preemption off) and must know that no
 * such user is left before it frees the domain calls synchronize_rcu()
 * after auxshim_detach_group(), as after any RCU unpublish.
 *
 * Return: the domain the shim attached to @dev (a device of a group attached
 * with auxshim_attach_group() that is still there, see its Removal notes),
 * else what iommu_get_domain_for_dev() says (which may be NULL).  No reference is
 * taken: the caller must keep the attachment alive while using it.
 */
static __always_inline struct iommu_domain *
auxshim_get_domain_for_dev(struct device *dev)
{
	return __auxshim_get_domain_for_dev(dev);
}
#endif

/**
 * auxshim_get_pasid() - the PASID a device of an attached group uses
 * @domain: the domain attached to @dev's group
 * @dev: a device of a group attached through auxshim_attach_group()
 *
 * Context: process context, may sleep.
 *
 * Return: the PASID (>= 0); -EINVAL if @dev was not attached through aux
 * (or @domain is not its domain); -ENODEV if the shim knows nothing of @dev.
 */
int auxshim_get_pasid(struct iommu_domain *domain, struct device *dev);

/**
 * enum auxshim_mode - how a device of an attached group was attached
 * @AUXSHIM_MODE_GROUP: with its whole group (auxshim_attach_group() with a
 *	NULL lookup, like iommu_attach_group())
 * @AUXSHIM_MODE_DIRECT: through a whole-device attach of its backing device
 * @AUXSHIM_MODE_AUX: through an aux domain or a PASID of its backing device
 */
enum auxshim_mode {
	AUXSHIM_MODE_GROUP,
	AUXSHIM_MODE_DIRECT,
	AUXSHIM_MODE_AUX,
};

/**
 * auxshim_get_mode() - how a device of an attached group was attached
 * @domain: the domain attached to @dev's group
 * @dev: a device of a group attached through auxshim_attach_group()
 *
 * Added after the fixed API: tells the modes apart without reading them
 * out of auxshim_get_pasid()'s errors, whose -EINVAL also means "another
 * domain".
 *
 * Context: process context, may sleep.
 *
 * Return: an &enum auxshim_mode (>= 0); -EINVAL if @domain or @dev is NULL
 * or an ERR_PTR, or @domain is not the domain of @dev's group; -ENODEV if
 * the shim knows nothing of @dev.
 */
int auxshim_get_mode(struct iommu_domain *domain, struct device *dev);

/**
 * auxshim_dev_has_aux() - can @dev take aux domains?
 * @dev: a (physical) device
 *
 * True where the kernel has the aux-domain API and the device's IOMMU
 * driver reports IOMMU_DEV_FEAT_AUX, or where the kernel has PASID attach
 * and the device supports PASIDs.
 *
 * Context: process context.
 */
bool auxshim_dev_has_aux(struct device *dev);

/**
 * auxshim_dev_enable_aux() - enable aux domains on @dev
 * @dev: a (physical) device
 *
 * Context: process context, may sleep.
 *
 * Return: 0 on success or if already enabled; -EINVAL for a NULL @dev;
 * -EOPNOTSUPP if the kernel has neither aux domains nor PASID attach;
 * -ENODEV if @dev cannot do aux domains; else the kernel's error.
 */
int auxshim_dev_enable_aux(struct device *dev);

/**
 * auxshim_dev_disable_aux() - disable aux domains on @dev
 * @dev: a (physical) device
 *
 * Context: process context, may sleep.
 *
 * Return: 0 on success or if not enabled; -EINVAL for a NULL @dev; -EBUSY
 * while aux attachments on @dev exist; -EOPNOTSUPP if the kernel has
 * neither aux domains nor PASID attach; else the kernel's error.
 */
int auxshim_dev_disable_aux(struct device *dev);

/**
 * auxshim_dev_aux_enabled() - is aux enabled on @dev?
 * @dev: a (physical) device
 *
 * Context: process context.
 */
bool auxshim_dev_aux_enabled(struct device *dev);

/**
 * auxshim_aux_attach_device() - attach @domain to @dev as an aux domain
 * @domain: the domain
 * @dev: a device with aux enabled
 *
 * Attaching the same @domain to the same @dev again takes another reference
 * on the one attachment (and keeps its PASID).
 *
 * Context: process context, may sleep.
 *
 * Return: 0 on success; -EINVAL for NULL arguments or if aux is not enabled
 * on @dev; -EOPNOTSUPP if the kernel has no aux/PASID attach; else the
 * kernel's error.
 */
int auxshim_aux_attach_device(struct iommu_domain *domain, struct device *dev);

/**
 * auxshim_aux_detach_device() - drop an auxshim_aux_attach_device()
 * @domain: the domain
 * @dev: the device
 *
 * The attachment goes when its last reference does.  A detach of something
 * not attached changes nothing and warns once.
 *
 * Context: process context, may sleep.
 */
void auxshim_aux_detach_device(struct iommu_domain *domain, struct device *dev);

/**
 * auxshim_aux_get_pasid() - the PASID of @domain's aux attachment to @dev
 * @domain: the domain
 * @dev: the (physical) device
 *
 * Context: process context, may sleep.
 *
 * Return: the PASID (>= 0); -EINVAL for NULL arguments; -ENODEV if @domain
 * is not aux-attached to @dev.
 */
int auxshim_aux_get_pasid(struct iommu_domain *domain, struct device *dev);

/**
 * auxshim_domain_alloc() - allocate a paging domain usable for @dev
 * @dev: the device that will do the DMA (for an mdev: its parent)
 *
 * Hides iommu_domain_alloc(bus) / iommu_paging_domain_alloc(dev).  Free the
 * domain with iommu_domain_free() once nothing is attached to it.
 *
 * Context: process context, may sleep.
 *
 * Return: the domain, or an ERR_PTR(): -EINVAL for a NULL @dev, -ENODEV if
 * @dev has no IOMMU, -ENOMEM, or the kernel's error.
 */
struct iommu_domain *auxshim_domain_alloc(struct device *dev);

/**
 * auxshim_map() - map @size bytes at @iova to @paddr in @domain
 * @domain: the domain
 * @iova: I/O virtual address, aligned to the domain's smallest page size
 * @paddr: physical address, same alignment
 * @size: length, same alignment
 * @prot: IOMMU_READ | IOMMU_WRITE | ...
 *
 * Hides the iommu_map() signature change (gfp argument); allocates page
 * tables with GFP_KERNEL.  Unmap with iommu_unmap().
 *
 * Context: process context, may sleep.
 *
 * Return: 0 or the kernel's error; -EINVAL for a NULL @domain.
 */
int auxshim_map(struct iommu_domain *domain, unsigned long iova,
		phys_addr_t paddr, size_t size, int prot);

#endif /* AUXSHIM_H */
