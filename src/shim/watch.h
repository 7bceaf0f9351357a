/* SPDX-License-Identifier: GPL-2.0-only */
/* The removal watchers (watch.c), called by the module face only. */
#ifndef AUXSHIM_WATCH_H
#define AUXSHIM_WATCH_H

struct device;

int auxshim_watch(struct device *dev);
int auxshim_watch_init(void);
void auxshim_watch_exit(void);

#endif /* AUXSHIM_WATCH_H */
