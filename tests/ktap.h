/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one in-kernel test framework of every auxshim test module: suites of
 * cases, parameterised cases, EXPECT/ASSERT checks, and KTAP output in
 * KUnit's own layout (a top-level plan of suites, one indented subtest per
 * suite), so that tools/testing/kunit/kunit.py parse reads the kernel log
 * and the same cases can later be built as KUnit suites: KT_* maps 1:1 onto
 * KUNIT_*.
 *
 * Stock Debian kernels have no KUnit (CONFIG_KUNIT is off), hence this
 * header.  It is header-only so that each test module carries its own copy.
 * tests/kt_kunit.h is the same interface on KUnit; tests/kt.h picks one of
 * the two for auxshim_test.ko (the other test modules use this one).
 */
#ifndef AUXSHIM_KTAP_H
#define AUXSHIM_KTAP_H

#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/string.h>

struct kt_suite;

/**
 * struct kt_test - one run of one case (one parameter of a parameterised case)
 * @suite: the suite it belongs to
 * @priv: the suite's fixture, set by &kt_suite.init
 * @param_value: the current parameter, or NULL for a plain case
 * @failed: checks that failed in this run
 * @skip: the reason, once kt_skip() was called
 */
struct kt_test {
	struct kt_suite *suite;
	void *priv;
	const void *param_value;
	unsigned int failed;
	const char *skip;
};

/**
 * struct kt_case - one test case
 * @name: KTAP name
 * @run: the case; it cleans up after itself, failed checks or not
 * @generate_params: NULL, or a generator as KUnit's: given the previous
 *	parameter (NULL first) returns the next one (NULL: no more) and writes
 *	its description into @desc (KT_PARAM_DESC_SIZE bytes)
 */
struct kt_case {
	const char *name;
	void (*run)(struct kt_test *t);
	const void *(*generate_params)(const void *prev, char *desc);
};

#define KT_PARAM_DESC_SIZE 64

#define KT_CASE(fn)                    \
	{                              \
		.name = #fn, .run = fn \
	}
#define KT_CASE_PARAM(fn, gen)                                 \
	{                                                      \
		.name = #fn, .run = fn, .generate_params = gen \
	}

/* The entry of an array of @n entries of @size bytes after @prev (NULL: the first). */
static inline const void *kt_array_next(const void *array, size_t n,
					size_t size, const void *prev)
{
	const char *next = prev ? (const char *)prev + size : array;

	return next < (const char *)array + n * size ? next : NULL;
}

/*
 * KT_ARRAY_PARAM(name, array, desc_fn): name##_gen_params walks @array;
 * desc_fn(const typeof(array[0]) *p, char *desc) describes one entry.
 */
#define KT_ARRAY_PARAM(name, array, desc_fn)                                \
	static const void *name##_gen_params(const void *prev, char *desc)  \
	{                                                                   \
		const void *next = kt_array_next(array, ARRAY_SIZE(array),  \
						 sizeof((array)[0]), prev); \
		if (next)                                                   \
			desc_fn(next, desc);                                \
		return next;                                                \
	}

/* A suite: name (a string literal), fixture and the cases' array. */
#define KT_SUITE(sname, sinit, sexit, scases)                                 \
	{                                                                     \
		.name = sname, .init = sinit, .exit = sexit, .cases = scases, \
	}

/**
 * struct kt_suite - a suite of cases sharing a fixture
 * @name: KTAP subtest name
 * @init: NULL, or set up &kt_test.priv before each case run; non-zero fails
 *	the run (a negative errno), or skips it with kt_skip() and 0
 * @exit: NULL, or undo @init after each case run
 * @cases: the cases, ending with an empty entry
 */
struct kt_suite {
	const char *name;
	int (*init)(struct kt_test *t);
	void (*exit)(struct kt_test *t);
	struct kt_case *cases;
};

static inline __printf(4, 5) bool kt_check(struct kt_test *t, bool ok, int line,
					   const char *fmt, ...)
{
	struct va_format vaf;
	va_list ap;

	if (ok)
		return true;
	t->failed++;
	va_start(ap, fmt);
	vaf.fmt = fmt;
	vaf.va = &ap;
	pr_info("        # %s: line %d: %pV\n", t->suite->name, line, &vaf);
	va_end(ap);
	return false;
}

/* The current run has failed a check. */
static inline bool kt_failed(struct kt_test *t)
{
	return t->failed;
}

/* Mark the current run skipped, with its reason (a string literal). */
static inline void kt_skip(struct kt_test *t, const char *why)
{
	t->skip = why;
}

/* A note in the log, inside the current subtest. */
#define kt_info(t, fmt, ...) pr_info("        # " fmt "\n", ##__VA_ARGS__)

/* EXPECT: record a failure and go on.  Each evaluates to true if it held. */
#define KT_EXPECT_TRUE_MSG(t, cond, fmt, ...) \
	kt_check(t, !!(cond), __LINE__, fmt, ##__VA_ARGS__)
#define KT_EXPECT_TRUE(t, cond) \
	KT_EXPECT_TRUE_MSG(t, cond, "expected %s", #cond)
#define KT_EXPECT_FALSE(t, cond) \
	KT_EXPECT_TRUE_MSG(t, !(cond), "expected !(%s)", #cond)
#define KT_EXPECT_EQ(t, a, b)                                                  \
	({                                                                     \
		long long __a = (long long)(a), __b = (long long)(b);          \
		kt_check(t, __a == __b, __LINE__,                              \
			 "%s == %lld, expected %s == %lld", #a, __a, #b, __b); \
	})
#define KT_EXPECT_NE(t, a, b)                                                 \
	({                                                                    \
		long long __a = (long long)(a), __b = (long long)(b);         \
		kt_check(t, __a != __b, __LINE__, "%s == %s == %lld", #a, #b, \
			 __a);                                                \
	})
#define KT_EXPECT_PTR_EQ(t, a, b)                                          \
	({                                                                 \
		const void *__a = (a), *__b = (b);                         \
		kt_check(t, __a == __b, __LINE__,                          \
			 "%s == %p, expected %s == %p", #a, __a, #b, __b); \
	})
#define KT_EXPECT_NOT_ERR_OR_NULL(t, p)                                      \
	({                                                                   \
		const void *__p = (p);                                       \
		kt_check(t, !IS_ERR_OR_NULL(__p), __LINE__, "%s is %ld", #p, \
			 IS_ERR(__p) ? PTR_ERR(__p) : 0L);                   \
	})

/*
 * ASSERT: as EXPECT, and end the case at once if it failed, as KUNIT_ASSERT_*
 * does.  Only where nothing needs undoing yet: a case that holds something
 * uses EXPECT and cleans up.
 */
#define KT_ASSERT_TRUE(t, cond)               \
	do {                                  \
		if (!KT_EXPECT_TRUE(t, cond)) \
			return;               \
	} while (0)
#define KT_ASSERT_EQ(t, a, b)               \
	do {                                \
		if (!KT_EXPECT_EQ(t, a, b)) \
			return;             \
	} while (0)
#define KT_ASSERT_NOT_ERR_OR_NULL(t, p)               \
	do {                                          \
		if (!KT_EXPECT_NOT_ERR_OR_NULL(t, p)) \
			return;                       \
	} while (0)

/* The result of one run, as a KTAP line at the subtest's depth. */
static inline void kt_report(struct kt_test *t, unsigned int n,
			     const char *name, const char *depth)
{
	if (t->failed)
		pr_info("%snot ok %u %s\n", depth, n, name);
	else if (t->skip)
		pr_info("%sok %u %s # SKIP %s\n", depth, n, name, t->skip);
	else
		pr_info("%sok %u %s\n", depth, n, name);
}

/* One run of one case: the fixture around it. */
static inline void kt_run_one(struct kt_suite *s, const struct kt_case *c,
			      struct kt_test *t, const void *param)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->suite = s;
	t->param_value = param;
	ret = s->init ? s->init(t) : 0;
	if (ret) {
		kt_check(t, false, __LINE__, "suite init failed: %d", ret);
		return;
	}
	if (!t->skip)
		c->run(t);
	if (s->exit)
		s->exit(t);
}

/* Run one suite as a KTAP subtest.  Returns the number of failed cases. */
static inline unsigned int kt_run_suite(struct kt_suite *s, unsigned int n)
{
	const struct kt_case *c;
	unsigned int i = 0, failed = 0, skipped = 0, ncases = 0;
	char desc[KT_PARAM_DESC_SIZE];
	struct kt_test t;

	for (c = s->cases; c->run; c++)
		ncases++;
	pr_info("    KTAP version 1\n");
	pr_info("    # Subtest: %s\n", s->name);
	pr_info("    1..%u\n", ncases);
	for (c = s->cases; c->run; c++) {
		unsigned int pn = 0, pfailed = 0, pskipped = 0;
		const void *param;

		if (!c->generate_params) {
			kt_run_one(s, c, &t, NULL);
			kt_report(&t, ++i, c->name, "    ");
			failed += !!t.failed;
			skipped += !t.failed && t.skip;
			continue;
		}
		pr_info("        KTAP version 1\n");
		pr_info("        # Subtest: %s\n", c->name);
		desc[0] = '\0';
		for (param = c->generate_params(NULL, desc); param;
		     param = c->generate_params(param, desc)) {
			kt_run_one(s, c, &t, param);
			kt_report(&t, ++pn, desc, "        ");
			pfailed += !!t.failed;
			pskipped += !t.failed && t.skip;
			desc[0] = '\0';
		}
		memset(&t, 0, sizeof(t));
		t.failed = pfailed;
		t.skip = pskipped == pn ? "every parameter skipped" : NULL;
		kt_report(&t, ++i, c->name, "    ");
		failed += !!pfailed;
		skipped += !pfailed && pskipped == pn;
	}
	memset(&t, 0, sizeof(t));
	t.failed = failed;
	t.skip = skipped == ncases && ncases ? "every case skipped" : NULL;
	kt_report(&t, n, s->name, "");
	return failed;
}

/*
 * Run @suites (NULL-terminated) as one KTAP document in the kernel log:
 * the one way every test module runs its suites.  Returns failed suites.
 */
static inline unsigned int kt_run_suites(struct kt_suite **suites)
{
	unsigned int n = 0, i, failed = 0;

	while (suites[n])
		n++;
	pr_info("KTAP version 1\n");
	pr_info("1..%u\n", n);
	for (i = 0; i < n; i++)
		failed += !!kt_run_suite(suites[i], i + 1);
	return failed;
}

/* After kt_run_suites(), at module exit: nothing to undo here. */
static inline void kt_end_suites(struct kt_suite **suites)
{
}

#endif /* AUXSHIM_KTAP_H */
