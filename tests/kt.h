/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test harness of auxshim_test.ko, chosen once, here: the one place
 * that reads CONFIG_KUNIT.  A kernel with KUnit (CONFIG_KUNIT=y or =m: the
 * debug kernel) runs the cases through KUnit (tests/kt_kunit.h: KT_* are
 * KUNIT_*, the module needs kunit.ko); every other kernel (Debian's stock
 * ones) through our own KTAP framework (tests/ktap.h).  The cases are the
 * same source either way.
 */
#ifndef AUXSHIM_KT_H
#define AUXSHIM_KT_H

#include <linux/kconfig.h>

#if IS_ENABLED(CONFIG_KUNIT)
#include "kt_kunit.h"
#else
#include "ktap.h"
#endif

#endif /* AUXSHIM_KT_H */
