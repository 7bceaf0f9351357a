# SPDX-License-Identifier: GPL-2.0-only
#
# The sample without an IOMMU (VT-d off): it must not bind edu, whose DMA
# would reach memory at the bus addresses it is given (sample_lib.sh
# sample_untranslated_suite).
# auxshim-modules: auxshim auxshim_sample
# auxshim-append: intel_iommu=off
# auxshim-timeout: 120

. /tests/sample_lib.sh

sample_untranslated_suite noiommu "no IOMMU group"
