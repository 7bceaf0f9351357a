# SPDX-License-Identifier: GPL-2.0-only
#
# The sample with VT-d in pass-through (iommu=pt): edu sits in an identity
# domain, so it must not bind edu (sample_lib.sh sample_untranslated_suite).
# auxshim-modules: auxshim auxshim_sample
# auxshim-append: iommu=pt
# auxshim-timeout: 120

. /tests/sample_lib.sh

sample_untranslated_suite pt "in an identity domain"
