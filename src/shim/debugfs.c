// SPDX-License-Identifier: GPL-2.0-only
/* debugfs: auxshim/groups, a read-only view of the table for root. */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/seq_file.h>

#include "internal.h"
#include "debugfs.h"

static struct dentry *auxshim_debugfs;

struct auxshim_show {
	struct auxshim_visitor v;
	struct seq_file *s;
};

static void auxshim_show_grp(struct auxshim_visitor *v,
			     const struct auxshim_grp *grp)
{
	struct seq_file *s = container_of(v, struct auxshim_show, v)->s;

	/* A tombstone's group may be gone: show its key, not its id. */
	if (grp->tombstone)
		seq_printf(s, "tombstone %p domain %p\n", grp->group,
			   grp->domain);
	else
		seq_printf(s, "group %d domain %p\n",
			   iommu_group_id(grp->group), grp->domain);
}

static void auxshim_show_rec(struct auxshim_visitor *v,
			     const struct auxshim_grp *grp,
			     const struct auxshim_rec *rec)
{
	struct seq_file *s = container_of(v, struct auxshim_show, v)->s;
	enum auxshim_mode mode = rec->att ? rec->att->mode : AUXSHIM_MODE_GROUP;
	struct device *backing = rec->att ? rec->att->backing : rec->dev;

	seq_printf(s, "  dev %s backing %s mode %s pasid %d\n",
		   dev_name(rec->dev), dev_name(backing),
		   auxshim_mode_name(mode),
		   mode == AUXSHIM_MODE_AUX ? (int)rec->att->pasid : -1);
}

static void auxshim_show_auxdev(struct auxshim_visitor *v,
				const struct auxshim_auxdev *ad)
{
	struct seq_file *s = container_of(v, struct auxshim_show, v)->s;

	seq_printf(s, "aux-enabled %s\n", dev_name(ad->dev));
}

static int auxshim_groups_show(struct seq_file *s, void *unused)
{
	struct auxshim_show show = {
		.v.grp = auxshim_show_grp,
		.v.rec = auxshim_show_rec,
		.v.auxdev = auxshim_show_auxdev,
		.s = s,
	};

	seq_printf(s, "# aux backend: %s\n", AUXSHIM_AUX_BACKEND);
	auxshim_core_visit(&show.v);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(auxshim_groups);

/* Like all debugfs users, carry on without it if it fails. */
void auxshim_debugfs_init(void)
{
	auxshim_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("groups", 0400, auxshim_debugfs, NULL,
			    &auxshim_groups_fops);
}

void auxshim_debugfs_exit(void)
{
	debugfs_remove_recursive(auxshim_debugfs);
}
