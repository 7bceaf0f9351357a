// SPDX-License-Identifier: GPL-2.0-only
/*
 * auxshim_pintest.ko: an owner of an attachment that is no module user of
 * auxshim.ko.  It reaches the shim only through symbol_get(), and puts each
 * symbol right after the call, so auxshim.ko's reference count holds nothing
 * of it: while it holds an attachment, only the shim's own pin on its
 * module (DESIGN.md: the shim never unloads with live records) can refuse
 * "rmmod auxshim".  The test modules cannot show that: their symbol
 * dependencies on the shim refuse the unload anyway.
 *
 * The one hold interface of the test modules:
 *   /sys/module/auxshim_pintest/parameters/hold
 *            write group|direct: attach edu's IOMMU group (edu need not be
 *            bound to a driver) and keep it; write 0: detach it; read:
 *            "none" or "mode M group G domain D dev BDF ok" (the shim's view)
 */
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pci.h>

#include "auxshim.h"
#include "src/sample/edu.h"

struct pin_mode {
	const char *name;
	auxshim_lookup_t lookup;
};

static struct device *pin_lookup_self(struct device *dev)
{
	return dev;
}

static const struct pin_mode pin_modes[] = {
	{ "group", NULL },
	{ "direct", pin_lookup_self },
};

/* pin_lock protects everything below it. */
static DEFINE_MUTEX(pin_lock);
static const struct pin_mode *pin_mode;	/* non-NULL while held */
static struct pci_dev *pin_pdev;
static struct iommu_group *pin_group;
static struct iommu_domain *pin_domain;

/* Each shim call takes the symbol for the call only. */
static struct iommu_domain *pin_domain_alloc(struct device *dev)
{
	struct iommu_domain *(*fn)(struct device *dev) =
		symbol_get(auxshim_domain_alloc);
	struct iommu_domain *d;

	if (!fn)
		return ERR_PTR(-ENOENT);
	d = fn(dev);
	symbol_put(auxshim_domain_alloc);
	return d;
}

static int pin_attach(const struct pin_mode *mode)
{
	int (*fn)(struct iommu_domain *domain, struct iommu_group *group,
		  auxshim_lookup_t lookup) =
		symbol_get(auxshim_attach_group);
	int ret;

	if (!fn)
		return -ENOENT;
	ret = fn(pin_domain, pin_group, mode->lookup);
	symbol_put(auxshim_attach_group);
	return ret;
}

static void pin_detach(void)
{
	void (*fn)(struct iommu_domain *domain, struct iommu_group *group) =
		symbol_get(auxshim_detach_group);

	if (WARN_ON(!fn))	/* the shim's pin keeps it loaded */
		return;
	fn(pin_domain, pin_group);
	symbol_put(auxshim_detach_group);
}

static struct iommu_domain *pin_get_domain(struct device *dev)
{
	struct iommu_domain *(*fn)(struct device *dev) =
		symbol_get(auxshim_get_domain_for_dev);
	struct iommu_domain *d;

	if (!fn)
		return NULL;
	d = fn(dev);
	symbol_put(auxshim_get_domain_for_dev);
	return d;
}

static void pin_put(void)
{
	lockdep_assert_held(&pin_lock);
	if (!IS_ERR_OR_NULL(pin_domain))
		iommu_domain_free(pin_domain);
	pin_domain = NULL;
	if (pin_group)
		iommu_group_put(pin_group);
	pin_group = NULL;
	pci_dev_put(pin_pdev);
	pin_pdev = NULL;
}

static int pin_take(const struct pin_mode *mode)
{
	int ret;

	lockdep_assert_held(&pin_lock);
	pin_pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!pin_pdev)
		return -ENODEV;
	pin_group = iommu_group_get(&pin_pdev->dev);
	ret = -ENODEV;
	if (!pin_group)
		goto err_put;
	pin_domain = pin_domain_alloc(&pin_pdev->dev);
	ret = PTR_ERR_OR_ZERO(pin_domain);
	if (ret)
		goto err_put;
	ret = pin_attach(mode);
	if (ret)
		goto err_put;
	pin_mode = mode;
	return 0;

err_put:
	pin_put();
	return ret;
}

static void pin_release(void)
{
	lockdep_assert_held(&pin_lock);
	if (!pin_mode)
		return;
	pin_detach();
	pin_put();
	pin_mode = NULL;
}

static int pin_hold_set(const char *val, const struct kernel_param *kp)
{
	const struct pin_mode *m, *mode = NULL;
	int ret = 0;

	for (m = pin_modes; m < pin_modes + ARRAY_SIZE(pin_modes); m++)
		if (sysfs_streq(val, m->name))
			mode = m;
	if (!mode && !sysfs_streq(val, "0"))
		return -EINVAL;
	mutex_lock(&pin_lock);
	if (!mode)
		pin_release();
	else if (pin_mode)
		ret = -EBUSY;
	else
		ret = pin_take(mode);
	mutex_unlock(&pin_lock);
	return ret;
}

static int pin_hold_get(char *buf, const struct kernel_param *kp)
{
	int n;

	mutex_lock(&pin_lock);
	if (!pin_mode)
		n = sysfs_emit(buf, "none\n");
	else
		n = sysfs_emit(buf, "mode %s group %d domain %p dev %s %s\n",
			       pin_mode->name, iommu_group_id(pin_group),
			       pin_domain, pci_name(pin_pdev),
			       pin_get_domain(&pin_pdev->dev) == pin_domain ?
			       "ok" : "fail: not attached as held");
	mutex_unlock(&pin_lock);
	return n;
}

static const struct kernel_param_ops pin_hold_ops = {
	.set = pin_hold_set,
	.get = pin_hold_get,
};
module_param_cb(hold, &pin_hold_ops, NULL, 0644);
MODULE_PARM_DESC(hold, "group|direct: attach edu's group and keep it; 0: detach");

static int __init pintest_init(void)
{
	return 0;
}

static void __exit pintest_exit(void)
{
	mutex_lock(&pin_lock);
	pin_release();
	mutex_unlock(&pin_lock);
}

module_init(pintest_init);
module_exit(pintest_exit);
MODULE_DESCRIPTION("auxshim test: an attachment owner that is no module user of auxshim");
MODULE_LICENSE("GPL");
