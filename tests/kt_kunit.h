/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/ktap.h's interface on KUnit: the same cases, KT_* mapped 1:1 onto
 * KUNIT_*, for a kernel with CONFIG_KUNIT (the debug kernel, KUNIT=m).
 * Included through tests/kt.h only, which makes the choice.
 *
 * struct kt_test is struct kunit, struct kt_case is struct kunit_case and
 * struct kt_suite is struct kunit_suite, so a case is a KUnit case as it
 * stands: KUnit runs each in a kthread of its own, with the suite's init
 * and exit around it, and prints KTAP in its own layout (the layout
 * tests/ktap.h copies).  Differences a case can see: a failed KT_ASSERT_*
 * ends the case by ending its kthread (KUNIT_ASSERT_*), and the exit
 * fixture then runs in the runner's task; a kt_skip() in the init fixture
 * does not stop KUnit from running the case.  Neither happens in the cases
 * we have (ASSERT only where nothing needs undoing, no fixture skips).
 */
#ifndef AUXSHIM_KT_KUNIT_H
#define AUXSHIM_KT_KUNIT_H

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/string.h>

#define kt_test kunit
#define kt_case kunit_case
#define kt_suite kunit_suite

#define KT_PARAM_DESC_SIZE KUNIT_PARAM_DESC_SIZE

#define KT_CASE(fn) KUNIT_CASE(fn)
#define KT_CASE_PARAM(fn, gen) KUNIT_CASE_PARAM(fn, gen)
#define KT_ARRAY_PARAM(name, array, desc_fn) \
	KUNIT_ARRAY_PARAM(name, array, desc_fn)

/* A suite: name (a string literal), fixture and the cases' array. */
#define KT_SUITE(sname, sinit, sexit, scases)                \
	{                                                    \
		.name = sname, .init = sinit, .exit = sexit, \
		.test_cases = scases,                        \
	}

/* The current run has failed a check. */
static inline bool kt_failed(struct kunit *t)
{
	return t->status == KUNIT_FAILURE;
}

/* A failed check with its own message, at @line of the caller's caller. */
static inline __printf(4, 5) bool kt_check(struct kunit *t, bool ok, int line,
					   const char *fmt, ...)
{
	struct va_format vaf;
	va_list ap;

	if (ok)
		return true;
	va_start(ap, fmt);
	vaf.fmt = fmt;
	vaf.va = &ap;
	KUNIT_FAIL(t, "line %d: %pV", line, &vaf);
	va_end(ap);
	return false;
}

#define kt_skip(t, why) kunit_mark_skipped(t, "%s", why)
#define kt_info(t, fmt, ...) kunit_info(t, fmt "\n", ##__VA_ARGS__)

/* EXPECT: record a failure and go on.  Each evaluates to true if it held. */
#define KT_EXPECT_TRUE_MSG(t, cond, fmt, ...)                       \
	({                                                          \
		bool __ok = !!(cond);                               \
		KUNIT_EXPECT_TRUE_MSG(t, __ok, fmt, ##__VA_ARGS__); \
		__ok;                                               \
	})
#define KT_EXPECT_TRUE(t, cond) \
	KT_EXPECT_TRUE_MSG(t, cond, "expected %s", #cond)
#define KT_EXPECT_FALSE(t, cond) \
	KT_EXPECT_TRUE_MSG(t, !(cond), "expected !(%s)", #cond)
#define KT_EXPECT_EQ(t, a, b)                                              \
	({                                                                 \
		long long __a = (long long)(a), __b = (long long)(b);      \
		KUNIT_EXPECT_EQ_MSG(t, __a, __b,                           \
				    "%s == %lld, expected %s == %lld", #a, \
				    __a, #b, __b);                         \
		__a == __b;                                                \
	})
#define KT_EXPECT_NE(t, a, b)                                                \
	({                                                                   \
		long long __a = (long long)(a), __b = (long long)(b);        \
		KUNIT_EXPECT_NE_MSG(t, __a, __b, "%s == %s == %lld", #a, #b, \
				    __a);                                    \
		__a != __b;                                                  \
	})
#define KT_EXPECT_PTR_EQ(t, a, b)                                          \
	({                                                                 \
		const void *__a = (a), *__b = (b);                         \
		KUNIT_EXPECT_PTR_EQ_MSG(t, __a, __b,                       \
					"%s == %p, expected %s == %p", #a, \
					__a, #b, __b);                     \
		__a == __b;                                                \
	})
#define KT_EXPECT_NOT_ERR_OR_NULL(t, p)                                       \
	({                                                                    \
		const void *__p = (p);                                        \
		KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(t, __p, "%s is %ld", #p,     \
						 IS_ERR(__p) ? PTR_ERR(__p) : \
							       0L);           \
		!IS_ERR_OR_NULL(__p);                                         \
	})

/* ASSERT: as EXPECT, and end the case at once if it failed. */
#define KT_ASSERT_TRUE(t, cond) \
	KUNIT_ASSERT_TRUE_MSG(t, cond, "expected %s", #cond)
#define KT_ASSERT_EQ(t, a, b)                                              \
	do {                                                               \
		long long __a = (long long)(a), __b = (long long)(b);      \
		KUNIT_ASSERT_EQ_MSG(t, __a, __b,                           \
				    "%s == %lld, expected %s == %lld", #a, \
				    __a, #b, __b);                         \
	} while (0)
#define KT_ASSERT_NOT_ERR_OR_NULL(t, p)                                       \
	do {                                                                  \
		const void *__p = (p);                                        \
		KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(t, __p, "%s is %ld", #p,     \
						 IS_ERR(__p) ? PTR_ERR(__p) : \
							       0L);           \
	} while (0)

static inline unsigned int kt_count_suites(struct kunit_suite **suites)
{
	unsigned int n = 0;

	while (suites[n])
		n++;
	return n;
}

/*
 * Run @suites (NULL-terminated) through KUnit, now.  This is what
 * kunit_test_suites() did for a module until 5.19 (a module_init calling
 * __kunit_test_suites_init()); since 6.0 kunit_test_suites() runs a module's
 * suites at MODULE_STATE_COMING, before its module_init and before its
 * parameters and sysfs exist, too early for suites whose fixture is a
 * device the module's init binds (auxshim_test's edu).  The caller's own
 * locks are held by this task while KUnit's case kthreads run.  Returns 0:
 * KUnit reports the failures.
 */
static inline unsigned int kt_run_suites(struct kunit_suite **suites)
{
	__kunit_test_suites_init(suites, kt_count_suites(suites));
	return 0;
}

/* After kt_run_suites(), at module exit: KUnit's debugfs files go. */
static inline void kt_end_suites(struct kunit_suite **suites)
{
	__kunit_test_suites_exit(suites, kt_count_suites(suites));
}

#endif /* AUXSHIM_KT_KUNIT_H */
