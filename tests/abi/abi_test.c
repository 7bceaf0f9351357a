// SPDX-License-Identifier: GPL-2.0-only
/*
 * auxshim_abitest.ko: a module built against another lookup ABI than the
 * shim's, as a driver built against another release of include/auxshim.h
 * would be.  Kbuild gives it a copy of the header whose AUXSHIM_LUT_ABI is
 * 999.  It must fail to load, the kernel naming the versioned symbol it
 * misses (tests/guest/shim.test.sh, abi-mismatch-*), rather than read a
 * table whose layout it does not know.
 */
#include <linux/module.h>

#include "auxshim.h" /* the generated copy beside this file */

/* NULL; read through READ_ONCE() so that the reader is really built. */
static struct device *abitest_dev;

static int __init abitest_init(void)
{
	pr_info("domain %p\n",
		auxshim_get_domain_for_dev(READ_ONCE(abitest_dev)));
	return 0;
}

static void __exit abitest_exit(void)
{
}

module_init(abitest_init);
module_exit(abitest_exit);
MODULE_DESCRIPTION("auxshim test: a module built against another lookup ABI");
MODULE_LICENSE("GPL");
