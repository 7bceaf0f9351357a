/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The suites auxshim_mocktest.ko runs that live in files of their own; each
 * is listed in mt_suites[] (tests/mock/mock_test.c) and its object added to
 * auxshim_mocktest-y in Kbuild.
 */
#ifndef AUXSHIM_MOCK_SUITES_H
#define AUXSHIM_MOCK_SUITES_H

#include "tests/ktap.h"

/* tests/removal_test.c */
extern struct kt_suite auxshim_removal_suite;

#endif /* AUXSHIM_MOCK_SUITES_H */
