/* SPDX-License-Identifier: GPL-2.0-only */
/* debugfs (debugfs.c), called by the module face only. */
#ifndef AUXSHIM_DEBUGFS_H
#define AUXSHIM_DEBUGFS_H

void auxshim_debugfs_init(void);
void auxshim_debugfs_exit(void);

#endif /* AUXSHIM_DEBUGFS_H */
