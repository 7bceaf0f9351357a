// SPDX-License-Identifier: GPL-2.0-only
/*
 * eventfd_signal(ctx): one argument.  It took a count (always 1 in
 * practice) until v6.8, 3652117f8548 ("eventfd: simplify eventfd_signal()").
 */
#include <linux/eventfd.h>

void conftest(struct eventfd_ctx *ctx);
void conftest(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx);
}
