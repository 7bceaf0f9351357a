# SPDX-License-Identifier: GPL-2.0-only
#
# Kernel log lines that fail a test run: the one definition, read on both
# sides.  The host's verdict (scripts/guest.sh) matches KLOG_BAD_RE against
# the boot's whole kernel log; in the guest, ktap.sh sources this file for
# the suites' own kernel-log-clean cases (kernel_log_clean) and the lockdep
# recognizer (lockdep_type1_known).  Sourced (busybox sh or bash); sets
# variables only.  EREs.

# The kernel crashed or hit a BUG: what ends a suite's use of the kernel.
KLOG_OOPS_RE='BUG:|kernel BUG|Oops|general protection|Unable to handle'

# The first line of one of lockdep's reports (the debug kernel).
KLOG_LOCKDEP_RE='possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|BUG: MAX_LOCKDEP'

# Everything that fails a run: the above; WARN; SLUB's debug reports
# ("BUG kmalloc-64 (...)", redzone/poison/padding, its ===== rule of 70 and
# more, longer than lockdep's); UBSAN and KASAN; hung tasks, RCU stalls,
# soft lockups; and from the debug kernel's checkers (scripts/debug-kernel.sh)
# lockdep switching itself off after a first report or at a limit,
# might_sleep ("BUG: sleeping function called from invalid context") and
# kmemleak ("kmemleak: N new suspected memory leaks", or kmemleak disabling
# itself).
KLOG_BAD_RE="$KLOG_OOPS_RE|BUG [a-z0-9_-]+ \\(|WARNING:|Kernel panic|Redzone|Poison overwritten|Object padding|={70,}|UBSAN:|KASAN:|INFO: task .* blocked|rcu_.*stall|watchdog: BUG|$KLOG_LOCKDEP_RE|lockdep is turned off|turning off the locking correctness validator|sleeping function called from invalid context|kmemleak: .*(suspected memory leak|disabled|Cannot allocate)"
