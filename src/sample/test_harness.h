/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The sample's test harness (test_harness.c): each mdev's root-only
 * auxshim/ sysfs knobs (attach, mode, pasid, dma_test), which attach the
 * mdev through the shim with a domain mapping two pages of its own at
 * fixed IOVAs and run a DMA test through it.  Built only in a test build
 * (make AUXSHIM_TEST=1, which defines AUXSHIM_TEST_HOOKS): the module that
 * DKMS and the package build has neither the knobs nor their pages.  Not
 * part of the template: an mdev driver copied from the sample drops this
 * header and its three calls in sample.c.
 */
#ifndef AUXSHIM_SAMPLE_TEST_HARNESS_H
#define AUXSHIM_SAMPLE_TEST_HARNESS_H

struct attribute_group;
struct sample_mdev;

#ifdef AUXSHIM_TEST_HOOKS
/* The mdev driver's dev_groups: the auxshim/ directory. */
extern const struct attribute_group *sample_test_groups[];

/* At mdev probe, before it is a vfio device; logs why it failed. */
int sample_test_probe(struct sample_mdev *sm);

/* At mdev remove: undo a knob's attachment, free what probe allocated. */
void sample_test_remove(struct sample_mdev *sm);
#else
#define sample_test_groups NULL

static inline int sample_test_probe(struct sample_mdev *sm)
{
	return 0;
}

static inline void sample_test_remove(struct sample_mdev *sm)
{
}
#endif

#endif /* AUXSHIM_SAMPLE_TEST_HARNESS_H */
