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
#   make check [KERNELS="6.1"]    the full test suite (see README)
#   make demo [KERNEL=6.1]        the QEMU demo (see README)
#   make sign                     sign the modules with the DKMS MOK key
#                                 (SIGN_KEY=..., SIGN_CERT=... to override)

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
AUXSHIM_TEST ?=
# Tell kbuild explicitly: the value must reach the Kbuild file.
export AUXSHIM_TEST

PWD_ := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CONFIG_H := $(PWD_)/auxshim_config.h

.PHONY: all modules clean config check demo bench lint help headers-check sign FORCE

all: modules

headers-check:
	@test -f "$(KDIR)/Makefile" || { \
	  echo "auxshim: no kernel headers for $(KERNELRELEASE) at $(KDIR); install linux-headers-$(KERNELRELEASE) or pass KDIR=/path/to/kernel/build." >&2; \
	  exit 1; }

# Feature probes: one compile test per kernel API (scripts/probes/*.c),
# rerun whenever the kernel build directory or the probes change.
$(CONFIG_H): headers-check FORCE
	@$(PWD_)/scripts/conftest.sh "$(KDIR)" "$@" $(PROBE_CC)

# Probes must use the compiler the modules use: the kernel's, unless the
# caller chose one (make's built-in CC=cc is no choice).
PROBE_CC := $(if $(filter command line environment,$(origin CC)),CC="$(CC)")

config: $(CONFIG_H)

modules: $(CONFIG_H)
	$(MAKE) -C "$(KDIR)" M="$(PWD_)" modules

clean:
	@if [ -f "$(KDIR)/Makefile" ]; then $(MAKE) -C "$(KDIR)" M="$(PWD_)" clean; fi
	rm -f $(CONFIG_H) $(PWD_)/.auxshim_config.stamp

# For Secure Boot: the key DKMS signs with, enrolled once with mokutil.
SIGN_KEY ?= /var/lib/dkms/mok.key
SIGN_CERT ?= /var/lib/dkms/mok.pub

sign: modules
	@for m in $(PWD_)/*.ko; do \
	  "$(KDIR)/scripts/sign-file" sha256 "$(SIGN_KEY)" "$(SIGN_CERT)" "$$m" || exit 1; \
	  echo "  SIGN    $$m"; \
	done

check:
	$(PWD_)/scripts/check.sh $(if $(KERNELS),--kernels "$(KERNELS)")

demo:
	$(PWD_)/scripts/demo.sh $(if $(KERNEL),--kernel "$(KERNEL)")

bench:
	$(PWD_)/scripts/check.sh --bench $(if $(KERNELS),--kernels "$(KERNELS)")

lint:
	$(PWD_)/scripts/lint.sh

help:
	@sed -n 's/^#   //p' $(lastword $(MAKEFILE_LIST))
