# SPDX-License-Identifier: GPL-2.0-only
#
# Out-of-tree build of auxshim.  Works the same from the command line, from
# DKMS and from the test scripts:
#
#   make                          build for the running kernel
#   make KERNELRELEASE=<rel>      build for another installed kernel
#   make KDIR=<path>              build against any kernel build directory
#   make AUXSHIM_TEST=1           also build the in-guest test modules and
#                                 the shim's fault-injection hooks
#   make check [KERNELS="6.1"]    the full test suite (see docs/testing.md)
#   make check-debug              the suite on the debug kernel alone
#                                 (KASAN, lockdep, kmemleak; see docs/testing.md)
#   make check-one SUITE=shim [KERNELS=6.1]  one suite (a guest suite, dkms,
#                                 package or lint; see tests/README.md)
#   make check-stress [KERNELS=...]  make check with the guest loops at
#                                 their full counts
#   make bench [KERNELS="6.1"]    the benchmarks, into docs/benchmarks.md
#   make lint                     the static checks (see docs/testing.md)
#   make demo [KERNEL=6.1]        the QEMU demo (see README.md)
#   make sign                     sign the modules with the DKMS MOK key
#                                 (SIGN_KEY=..., SIGN_CERT=... to override)
#   make deb                      the Debian package auxshim-dkms (see docs/packaging.md)
#   make check-package            its life cycle on this host (root)
#   make bug-report               collect what a bug report needs into one file

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
AUXSHIM_TEST ?=
# Tell kbuild explicitly: the value must reach the Kbuild file.
export AUXSHIM_TEST

PWD_ := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# Each module's probe results sit beside its compat.h.  The shim is always
# probed; the sample only where the kernel has mdev (Kbuild builds it only
# there); the test IOMMU only in a test build.
KCONFIG_AUTO := $(KDIR)/include/config/auto.conf
HAVE_MDEV := $(shell grep -qs '^CONFIG_VFIO_MDEV=[ym]' "$(KCONFIG_AUTO)" && echo 1)
CONFTEST_H := $(PWD_)/src/shim/conftest.h
ifneq ($(HAVE_MDEV),)
CONFTEST_H += $(PWD_)/src/sample/conftest.h
endif
ifneq ($(AUXSHIM_TEST),)
CONFTEST_H += $(PWD_)/tests/mock/conftest.h
endif

.PHONY: all modules clean config check check-debug check-one check-stress demo bench lint help headers-check sign sign-ko FORCE \
	deb check-package bug-report

all: modules

headers-check:
	@test -f "$(KDIR)/Makefile" || { \
	  echo "auxshim: no kernel headers for $(KERNELRELEASE) at $(KDIR); install linux-headers-$(KERNELRELEASE) or pass KDIR=/path/to/kernel/build." >&2; \
	  exit 1; }

# Feature probes: one compile test per kernel API
# (scripts/probes/<module>/*.c), rerun whenever the kernel build directory
# or the probes change.
$(PWD_)/src/shim/conftest.h: headers-check FORCE
	@$(PWD_)/scripts/conftest.sh "$(KDIR)" shim "$@" $(PROBE_CC)
$(PWD_)/src/sample/conftest.h: headers-check FORCE
	@$(PWD_)/scripts/conftest.sh "$(KDIR)" sample "$@" $(PROBE_CC)
$(PWD_)/tests/mock/conftest.h: headers-check FORCE
	@$(PWD_)/scripts/conftest.sh "$(KDIR)" mock "$@" $(PROBE_CC)

# Probes must use the compiler the modules use: the kernel's, unless the
# caller chose one (make's built-in CC=cc is no choice).
PROBE_CC := $(if $(filter command line environment,$(origin CC)),CC="$(CC)")

config: $(CONFTEST_H)

modules: $(CONFTEST_H)
	$(MAKE) -C "$(KDIR)" M="$(PWD_)" modules
ifneq ($(AUXSHIM_TEST),)
	$(MAKE) -C "$(KDIR)" M="$(PWD_)/tests/abi" \
		KBUILD_EXTRA_SYMBOLS="$(PWD_)/tests/abi/other.symvers" modules
endif

clean:
	@if [ -f "$(KDIR)/Makefile" ]; then $(MAKE) -C "$(KDIR)" M="$(PWD_)" clean; \
	  $(MAKE) -C "$(KDIR)" M="$(PWD_)/tests/abi" clean; fi
	rm -f $(PWD_)/src/shim/conftest.h $(PWD_)/src/sample/conftest.h $(PWD_)/tests/mock/conftest.h

# For Secure Boot: the key DKMS signs with, enrolled once with mokutil.
SIGN_KEY ?= /var/lib/dkms/mok.key
SIGN_CERT ?= /var/lib/dkms/mok.pub

# SIGN_KO: the modules to sign (default: those just built here; the guest
# test signs copies with a throwaway key through "make sign-ko").
SIGN_KO ?= $(PWD_)/*.ko

sign: modules
	@$(MAKE) -f $(PWD_)/Makefile --no-print-directory sign-ko

sign-ko:
	@for m in $(SIGN_KO); do \
	  "$(KDIR)/scripts/sign-file" sha256 "$(SIGN_KEY)" "$(SIGN_CERT)" "$$m" || exit 1; \
	  echo "  SIGN    $$m"; \
	done

# FRESH=1: build, DKMS, package and lint run even when their inputs did
# not change (scripts/check.sh --fresh).
CHECK_FRESH = $(if $(FRESH),--fresh)

check:
	$(PWD_)/scripts/check.sh $(CHECK_FRESH) $(if $(KERNELS),--kernels "$(KERNELS)")

check-debug:
	$(PWD_)/scripts/check.sh --kernels debug

check-one:
	@test -n "$(SUITE)" || { echo "make check-one SUITE=name [KERNELS=...]: which suite?" >&2; exit 2; }
	$(PWD_)/scripts/check.sh $(CHECK_FRESH) --suites "$(SUITE)" $(if $(KERNELS),--kernels "$(KERNELS)")

check-stress:
	$(PWD_)/scripts/check.sh $(CHECK_FRESH) --stress $(if $(KERNELS),--kernels "$(KERNELS)")

demo:
	$(PWD_)/scripts/demo.sh $(if $(KERNEL),--kernel "$(KERNEL)")

bench:
	$(PWD_)/scripts/check.sh --bench $(if $(KERNELS),--kernels "$(KERNELS)")
	$(PWD_)/scripts/bench-report.sh

lint:
	$(PWD_)/scripts/lint.sh

deb:
	$(PWD_)/scripts/package.sh

check-package:
	$(PWD_)/scripts/package-test.sh

bug-report:
	$(PWD_)/scripts/bug-report.sh

help:
	@sed -n 's/^#   //p' $(lastword $(MAKEFILE_LIST))
