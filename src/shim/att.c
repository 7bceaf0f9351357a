// SPDX-License-Identifier: GPL-2.0-only
/*
 * Attachments and aux-enabled devices.  An attachment (struct auxshim_att)
 * is one kernel-level attach of a domain through a backing device, aux
 * (a PASID) where aux is enabled on it and whole-device otherwise, shared
 * by the records going through it (group.c) and by callers of the aux API;
 * undone when the last of them lets go.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/hashtable.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>

#include "internal.h"

static DEFINE_HASHTABLE(auxshim_atts, AUXSHIM_INDEX_BITS);
static LIST_HEAD(auxshim_auxdevs);

/* Devices with aux enabled; removals must see them. */
static unsigned int auxshim_nr_auxdevs;

/* ---- aux-enabled devices: find, drop ------------------------------------ */

static struct auxshim_auxdev *auxshim_auxdev_find(struct device *dev)
{
	struct auxshim_auxdev *ad;

	lockdep_assert_held(&auxshim_lock);
	list_for_each_entry(ad, &auxshim_auxdevs, node)
		if (ad->dev == dev)
			return ad;
	return NULL;
}

static void auxshim_auxdev_drop(struct auxshim_auxdev *ad)
{
	lockdep_assert_held(&auxshim_lock);
	list_del(&ad->node);
	WRITE_ONCE(auxshim_nr_auxdevs, auxshim_nr_auxdevs - 1);
	if (!auxshim_dev_leaving(ad->dev, NULL)) /* else released already */
		auxshim_compat_disable_aux(ad->dev);
	put_device(ad->dev);
	auxshim_free(ad);
}

/* ---- attachments: find, get, put ---------------------------------------- */

static struct auxshim_att *auxshim_att_find(struct iommu_domain *domain,
					    struct device *backing,
					    enum auxshim_mode mode)
{
	struct auxshim_att *att;

	lockdep_assert_held(&auxshim_lock);
	hash_for_each_possible(auxshim_atts, att, node, (unsigned long)backing)
		if (att->backing == backing && att->mode == mode &&
		    (!domain || att->domain == domain))
			return att;
	return NULL;
}

/* Any attachment through @backing, whatever its domain and mode. */
struct auxshim_att *auxshim_att_through(struct device *backing)
{
	struct auxshim_att *att;

	lockdep_assert_held(&auxshim_lock);
	hash_for_each_possible(auxshim_atts, att, node, (unsigned long)backing)
		if (att->backing == backing)
			return att;
	return NULL;
}

/*
 * Find or make the attachment of @domain through @backing: an aux one where
 * aux is enabled on @backing, a whole-device one otherwise.  The caller
 * takes its reference (users or ext_users).
 */
struct auxshim_att *auxshim_att_get(struct iommu_domain *domain,
				    struct device *backing)
{
	enum auxshim_mode mode = auxshim_auxdev_find(backing) ?
					 AUXSHIM_MODE_AUX :
					 AUXSHIM_MODE_DIRECT;
	struct auxshim_att *att;
	int ret;

	lockdep_assert_held(&auxshim_lock);
	att = auxshim_att_find(mode == AUXSHIM_MODE_AUX ? domain : NULL,
			       backing, mode);
	if (att && att->domain != domain) {
		dev_err(backing,
			"already attached to another domain through auxshim\n");
		return ERR_PTR(-EBUSY);
	}
	if (att)
		return att;

	att = auxshim_zalloc(sizeof(*att));
	if (!att)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&att->recs);
	att->backing = backing;
	att->domain = domain;
	att->mode = mode;
	if (mode == AUXSHIM_MODE_AUX)
		ret = auxshim_compat_aux_attach(domain, backing, &att->pasid);
	else
		ret = iommu_attach_device(domain, backing);
	if (ret) {
		dev_err(backing, "%s attach failed: %d\n",
			auxshim_mode_name(mode), ret);
		auxshim_free(att);
		return ERR_PTR(ret);
	}
	get_device(backing);
	hash_add(auxshim_atts, &att->node, (unsigned long)backing);
	auxshim_live_get();
	return att;
}

/* Undo the kernel attachment once its last user is gone. */
void auxshim_att_put(struct auxshim_att *att)
{
	lockdep_assert_held(&auxshim_lock);
	if (att->users + att->ext_users)
		return;

	/*
	 * A backing device the IOMMU core has released (deleted while it was
	 * being attached) has no IOMMU state left to undo.
	 */
	if (auxshim_dev_leaving(att->backing, NULL))
		;
	else if (att->mode == AUXSHIM_MODE_AUX)
		auxshim_compat_aux_detach(att->domain, att->backing,
					  att->pasid);
	else
		iommu_detach_device(att->domain, att->backing);
	hash_del(&att->node);
	put_device(att->backing);
	auxshim_free(att);
	auxshim_live_put();
}

/* ---- the aux-device API ------------------------------------------------- */

int auxshim_core_enable_aux(struct device *dev)
{
	struct auxshim_auxdev *ad;
	int ret = 0;

	auxshim_busy_get();
	mutex_lock(&auxshim_lock);
	if (auxshim_auxdev_find(dev))
		goto out_unlock;
	/* Deleted meanwhile: its removal notifiers are past (or skipped us). */
	if (!device_is_registered(dev) || auxshim_dev_leaving(dev, NULL)) {
		dev_err(dev, "enabling aux domains refused: device removed\n");
		ret = -ENODEV;
		goto out_unlock;
	}
	ad = auxshim_zalloc(sizeof(*ad));
	if (!ad) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ret = auxshim_compat_enable_aux(dev);
	if (ret) {
		dev_err(dev, "enabling aux domains failed: %d\n", ret);
		auxshim_free(ad);
		goto out_unlock;
	}
	ad->dev = get_device(dev);
	list_add(&ad->node, &auxshim_auxdevs);
	WRITE_ONCE(auxshim_nr_auxdevs, auxshim_nr_auxdevs + 1);
out_unlock:
	mutex_unlock(&auxshim_lock);
	auxshim_busy_put();
	return ret;
}

int auxshim_core_disable_aux(struct device *dev)
{
	struct auxshim_auxdev *ad;
	int ret = 0;

	mutex_lock(&auxshim_lock);
	ad = auxshim_auxdev_find(dev);
	if (ad && auxshim_att_find(NULL, dev, AUXSHIM_MODE_AUX)) {
		dev_err(dev,
			"cannot disable aux domains while aux attachments exist\n");
		ret = -EBUSY;
	} else if (ad) {
		auxshim_auxdev_drop(ad);
	}
	mutex_unlock(&auxshim_lock);
	return ret;
}

bool auxshim_core_aux_enabled(struct device *dev)
{
	bool ret;

	mutex_lock(&auxshim_lock);
	ret = auxshim_auxdev_find(dev);
	mutex_unlock(&auxshim_lock);
	return ret;
}

int auxshim_core_aux_attach(struct iommu_domain *domain, struct device *dev)
{
	struct auxshim_att *att;
	int ret = 0;

	mutex_lock(&auxshim_lock);
	if (!auxshim_auxdev_find(dev)) {
		dev_err(dev,
			"aux attach refused: aux domains are not enabled\n");
		ret = -EINVAL;
		goto out_unlock;
	}
	att = auxshim_att_get(domain, dev);
	if (IS_ERR(att)) {
		ret = PTR_ERR(att);
		goto out_unlock;
	}
	att->ext_users++;
out_unlock:
	mutex_unlock(&auxshim_lock);
	return ret;
}

/* False if @domain was not aux-attached to @dev by the aux API. */
bool auxshim_core_aux_detach(struct iommu_domain *domain, struct device *dev)
{
	struct auxshim_att *att;
	bool found;

	mutex_lock(&auxshim_lock);
	att = auxshim_att_find(domain, dev, AUXSHIM_MODE_AUX);
	found = att && att->ext_users;
	if (found) {
		att->ext_users--;
		auxshim_att_put(att);
	}
	mutex_unlock(&auxshim_lock);
	return found;
}

int auxshim_core_aux_get_pasid(struct iommu_domain *domain, struct device *dev)
{
	struct auxshim_att *att;
	int ret;

	mutex_lock(&auxshim_lock);
	att = auxshim_att_find(domain, dev, AUXSHIM_MODE_AUX);
	ret = att ? (int)att->pasid : -ENODEV;
	mutex_unlock(&auxshim_lock);
	return ret;
}

/* ---- removal, inspection, exit ------------------------------------------ */

/* Lock-free: are there devices with aux enabled (removals must see them)? */
bool auxshim_att_has_auxdevs(void)
{
	return READ_ONCE(auxshim_nr_auxdevs);
}

/* @dev is going away: drop its aux state. */
void auxshim_att_forget_auxdev(struct device *dev)
{
	struct auxshim_auxdev *ad;

	lockdep_assert_held(&auxshim_lock);
	ad = auxshim_auxdev_find(dev);
	if (ad)
		auxshim_auxdev_drop(ad);
}

void auxshim_att_visit(struct auxshim_visitor *v)
{
	struct auxshim_auxdev *ad;
	struct auxshim_att *att;
	int bkt;

	lockdep_assert_held(&auxshim_lock);
	if (v->att)
		hash_for_each(auxshim_atts, bkt, att, node)
			v->att(v, att);
	if (v->auxdev)
		list_for_each_entry(ad, &auxshim_auxdevs, node)
			v->auxdev(v, ad);
}

/* Module exit: only aux state can be left (attachments pin the module). */
void auxshim_att_exit(void)
{
	struct auxshim_auxdev *ad, *n;

	mutex_lock(&auxshim_lock);
	list_for_each_entry_safe(ad, n, &auxshim_auxdevs, node)
		auxshim_auxdev_drop(ad);
	mutex_unlock(&auxshim_lock);
}
