# SPDX-License-Identifier: GPL-2.0-only
#
# KTAP helpers for guest test scripts (busybox sh).  /init sources this file
# before it sources each tests/guest/*.test.sh (or *.bench.sh), so a script
# just calls the functions; sourcing it again is harmless.
#
# Guest test file convention (one file = one suite, the file name without
# .test.sh/.bench.sh; suites without a boot-changing header below share a
# boot, in the order of their "# auxshim-order:", and each sees only its own
# part of the kernel log: tests/README.md).  Header comments the
# host reads (scripts/guest.sh), all optional, each may repeat:
#
#   # auxshim-modules: auxshim auxshim_test   our .ko files the boot needs (from the
#                                             kernel's build tree); land in $MODDIR
#   # auxshim-programs: vfio_client           userspace programs (tests/vfio/NAME.c, built
#                                             static on the host); land in /tests/bin
#   # auxshim-host-files: /usr/bin/foo        host files (and the libraries of executables)
#                                             copied into the guest at the same paths
#   # auxshim-kmods: dummy                    extra stock kernel modules to load at boot
#                                             (NAME?: only where the kernel has it)
#                                             (vfio, vfio_iommu_type1, mdev... always are)
#   # auxshim-qemu: -device foo,bar=1         extra QEMU arguments (a boot of its own)
#   # auxshim-append: foo.bar=1               extra kernel command line (a boot of its own)
#   # auxshim-timeout: 300                    seconds the suite may run before the boot is killed
#   # auxshim-sign: yes                       our modules go in signed (a boot of its own)
#   # auxshim-lockdown: yes                   the suite raises lockdown (a boot of its own)
#   # auxshim-allow: WARNING:.*auxshim_detach  kernel log lines (ERE) that are expected
#   # auxshim-kernels: 6.12 7.3               run only on these (else the suite is skipped)
#   # auxshim-order: 90                       in a shared boot, lower runs first (default 50)
#   # auxshim-debug-skip: REASON              not on the debug kernel (scripts/check.sh skips
#                                             the suite there, printing REASON)
#
# Functions (names are test case names: keep them short, no '#'):
#
#   ktap_ok NAME                     pass
#   ktap_not_ok NAME REASON...       fail
#   ktap_skip NAME REASON...         skip (never counts as a pass)
#   ktap_expect NAME CMD...          pass iff CMD exits 0 (returns 1 on failure, so
#                                    "ktap_expect load ktap_insmod x || return" works)
#   ktap_expect_fail NAME CMD...     pass iff CMD exits non-zero (returns 1 otherwise)
#   ktap_insmod NAME [PARAMS...]     insmod $MODDIR/NAME.ko; returns its status (no result)
#   ktap_import_dmesg MOD            take the KTAP document that module MOD printed to the
#                                    kernel log (its last one, lines "MOD: ...") into the
#                                    boot's document as the subtest MOD, as KUnit nests
#                                    suites; the host's parser (kunit.py) judges it
#   ktap_import_kunit NAME MARK      the same for the KUnit run a module started (KUnit's
#                                    lines carry no module prefix): the KTAP lines of the
#                                    kernel log after its first MARK lines, under a plan
#   ktap_uses_kunit MOD              0 if $MODDIR/MOD.ko was built for KUnit (needs kunit.ko)
#   ktap_import_file NAME FILE       take the KTAP document in FILE (a program's output)
#                                    into the boot's document as the subtest NAME
#   ktap_allow ERE                   declare kernel log lines matching ERE expected
#   ktap_stress QUICK FULL           a loop count: QUICK in make check, FULL in
#                                    make check-stress
#   ktap_diag TEXT...                diagnostic line in the final document
#
# Results are numbered when /init prints the one KTAP document of the boot
# (ktap_finish) on the result port; progress lines go to the console.
# Variables: MODDIR (our .ko files), KREL (uname -r), KERNEL (short name, e.g. 6.1),
# SUITE (current suite name); what this kernel must do, from scripts/lib.sh
# (empty for a kernel it has no entry for): EXPECT_AUX_BACKEND (aux-domain,
# pasid or none), EXPECT_UNLOAD_HELD (refused or waits).

[ -n "${KTAP_LOADED:-}" ] && return 0
KTAP_LOADED=1
# KLOG_*_RE: what in the kernel log fails a run (tests/host/lockdep_known.sh
# sources it first, from the repository).
[ -n "${KLOG_BAD_RE:-}" ] || . /tests/kernel_log.sh
KTAP_DIR=${KTAP_DIR:-/tmp/ktap}
MODDIR=${MODDIR:-/modules}
mkdir -p "$KTAP_DIR"
: >>"$KTAP_DIR/results"
: >>"$KTAP_DIR/allow"

# One result line: "ok|not ok<TAB>name<TAB>directive[<TAB>file]"; the file
# holds the result's subtest (a KTAP document, printed nested before it).
ktap__record() {
	_kr_res=$1 _kr_name=$2 _kr_dir=$3 _kr_sub=${4:-}
	_kr_name=$(printf '%s' "$_kr_name" | tr '\t\n#' '  _')
	_kr_dir=$(printf '%s' "$_kr_dir" | tr '\t\n' '  ')
	printf '%s\t%s\t%s\t%s\n' "$_kr_res" "$_kr_name" "$_kr_dir" "$_kr_sub" >>"$KTAP_DIR/results"
	echo "auxshim-ktap: $_kr_res $_kr_name${_kr_dir:+ # $_kr_dir}"
}

ktap_ok() { ktap__record ok "$1" ""; }

ktap_not_ok() {
	_k_name=$1
	shift
	ktap__record "not ok" "$_k_name" "$*"
}

ktap_skip() {
	_k_name=$1
	shift
	ktap__record ok "$_k_name" "SKIP $*"
}

ktap_diag() { printf '# %s\n' "$*" >>"$KTAP_DIR/results"; echo "auxshim-ktap: # $*"; }

# ktap_stress QUICK FULL: a loop's count, QUICK in make check, FULL (the
# count before the two differed) in make check-stress (STRESS=1 in
# /etc/auxshim.conf, scripts/guest.sh --stress).
ktap_stress() { if [ -n "${STRESS:-}" ]; then echo "$2"; else echo "$1"; fi; }

ktap_allow() { printf '%s\n' "$1" >>"$KTAP_DIR/allow"; }

# Before loading the test IOMMU driver (auxshim_mockiommu): on v6.11+ its
# fake platform devices get their fwspec from iommu_fwspec_init(), whose
# dev_iommu_get() asserts iommu_probe_device_lock; the core's own callers
# (of_iommu_configure(), acpi_iommu_configure_id()) take it, but it is not
# exported, so a module cannot.  The device is not yet added and nothing
# else can probe it, but the debug kernel's lockdep WARNs on every one:
# expected, that line only (dev_iommu_get's one WARN is that assertion).
ktap_allow_mock_fwspec() {
	ktap_allow 'WARNING: CPU: [0-9]+ PID: [0-9]+ at drivers/iommu/iommu\.c:[0-9]+ dev_iommu_get\+'
}

# Lockdep's one report of a boot (it turns itself off after it) is type1's
# own cycle, upstream's and not ours: iommu->lock -> device_list_lock
# (vfio_iommu_type1_register_device) against device_list_lock ->
# iommu->lock (an mdev driver's .dma_unmap unpinning, as type1 asks, under
# the device_list_lock vfio_notify_dma_unmap holds; kvmgt does the same).
# True iff the kernel log (file $1, else dmesg) has exactly one lockdep report, a circular one,
# whose lock classes are those two only; prints its chain.  Every class
# the report names counts, in the chain, the lock taken and the locks
# held: "(NAME){usage}" where NAME is "&field" for a lock in a structure
# and the bare variable name for a static one (our auxshim_lock and
# auxshim_bus_lock), "#N" a second class of the same name, "/N" a
# subclass.  tests/host/lockdep_known.sh runs it on saved reports.
lockdep_type1_known() {
	{ if [ -n "${1:-}" ]; then cat "$1"; else dmesg; fi; } | sed 's/^\[ *[0-9.]*\] //' | awk -v lre="$KLOG_LOCKDEP_RE" '
		$0 ~ lre {
			reports++
			if ($0 ~ /circular/) inrep = 1
			next
		}
		inrep && /^stack backtrace:/ { inrep = 0 }
		!inrep { next }
		match($0, /[(][^{]*[)][{]/) {
			c = substr($0, RSTART + 1, RLENGTH - 3)
			sub(/\/[0-9]+$/, "", c)
			sub(/#[0-9]+$/, "", c)
			if (c != "&iommu->lock" && c != "&iommu->device_list_lock" && !seen[c]++)
				other = other " " c
		}
		/vfio_iommu_type1_register_device/ { reg = 1 }
		/vfio_iommu_type1_unpin_pages/ { unpin = 1 }
		/^-> #|^Chain exists|^ *(lock|vfio_|sample_)/ { chain = chain "\n  " $0 }
		END {
			if (reports != 1 || other != "" || !reg || !unpin) {
				if (other != "") print "lockdep report names other locks:" other
				exit 1
			}
			printf "lockdep: type1'"'"'s own cycle (upstream):%s\n", chain
		}'
}

# kernel_log_clean [N]: no line of the kernel log after its first N fails
# the run (KLOG_BAD_RE), but lockdep's report of type1's own cycle, which
# /init reports as a skip; the lines that do are printed.
kernel_log_clean() {
	_k_known='^$'
	lockdep_type1_known "" >/dev/null && _k_known='WARNING: possible circular locking dependency detected$'
	! dmesg | tail -n +"$((${1:-0} + 1))" | grep -E -- "$KLOG_BAD_RE" | grep -Ev -- "$_k_known"
}

# kernel_oopsed N: the kernel crashed or hit a BUG after the first N lines.
kernel_oopsed() { dmesg | tail -n +"$(($1 + 1))" | grep -q -E -- "$KLOG_OOPS_RE"; }

# kmemleak_scan2: the two scans after which kmemleak has reported what was
# leaked before the call.  It reports an object found unreferenced by a
# scan, unchanged since the scan before (its checksum) and allocated 5 s or
# more before that scan started.  So the first scan runs at once (it takes
# seconds under TCG; an idle sleep before it bought nothing), the second
# once 6 s have passed since the first began.
kmemleak_scan2() {
	_k_t0=$(date +%s)
	echo scan >/sys/kernel/debug/kmemleak
	_k_left=$((_k_t0 + 6 - $(date +%s)))
	[ "$_k_left" -le 0 ] || sleep "$_k_left"
	echo scan >/sys/kernel/debug/kmemleak
}

ktap__run() {
	_k_out=$KTAP_DIR/cmd.out
	"$@" >"$_k_out" 2>&1
	_k_rc=$?
	cat "$_k_out"
	return $_k_rc
}

ktap_expect() {
	_k_name=$1
	shift
	if ktap__run "$@"; then
		ktap_ok "$_k_name"
	else
		ktap_not_ok "$_k_name" "exit $_k_rc: $* ($(tail -n 1 "$_k_out"))"
		return 1
	fi
}

ktap_expect_fail() {
	_k_name=$1
	shift
	if ktap__run "$@"; then
		ktap_not_ok "$_k_name" "unexpectedly succeeded: $*"
		return 1
	else
		ktap_ok "$_k_name"
	fi
}

ktap_insmod() {
	_k_mod=$1
	shift
	insmod "$MODDIR/$_k_mod.ko" "$@"
}

ktap_import_dmesg() {
	_k_mod=$1
	_k_sub=$KTAP_DIR/sub.$(wc -l <"$KTAP_DIR/results").$_k_mod
	# The module's last document: from its last top-level version line on.
	dmesg | sed -e 's/^\[ *[0-9.]*\] //' -n -e "s/^$_k_mod: //p" |
		awk '/^KTAP version 1$/ { n = 0 } { l[++n] = $0 } END { if (n && l[1] == "KTAP version 1") for (i = 1; i <= n; i++) print l[i] }' >"$_k_sub"
	ktap__import "$_k_mod" "$_k_sub" "no KTAP from $_k_mod in the kernel log"
}

ktap_uses_kunit() {
	tr '\0' '\n' <"$MODDIR/$1.ko" | grep -q -E '^depends=(.*,)?kunit(,|$)'
}

ktap_import_kunit() {
	_k_sub=$KTAP_DIR/sub.$(wc -l <"$KTAP_DIR/results").$1
	# KUnit prints each suite as an indented subtest and its result at the
	# top level, without a header of its own when a module runs it.
	dmesg | tail -n +"$(($2 + 1))" | sed -e 's/^\[ *[0-9.]*\] //' |
		grep -E '^( {4})*(KTAP version 1$|# |1\.\.[0-9]+$|(not )?ok [0-9]+ )' >"$_k_sub.body"
	if grep -q -E '^(not )?ok [0-9]+ ' "$_k_sub.body"; then
		{
			echo "KTAP version 1"
			echo "1..$(grep -c -E '^(not )?ok [0-9]+ ' "$_k_sub.body")"
			cat "$_k_sub.body"
		} >"$_k_sub"
	else
		: >"$_k_sub"
	fi
	ktap__import "$1" "$_k_sub" "no KUnit results in the kernel log after $1 was loaded"
}

# Record the document in file $2 as the result $1 ($3: why, if it is empty).
ktap__import() {
	if [ ! -s "$2" ]; then
		ktap_not_ok "$1" "$3"
	elif grep -q '^not ok' "$2"; then
		ktap__record "not ok" "$1" "" "$2"
	else
		ktap__record ok "$1" "" "$2"
	fi
}

ktap_import_file() {
	_k_sub=$KTAP_DIR/sub.$(wc -l <"$KTAP_DIR/results").$1
	sed -n '/^KTAP version 1$/,$p' "$2" >"$_k_sub"
	ktap__import "$1" "$_k_sub" "no KTAP document in $2"
}

# Print the document: version, plan, numbered results, each imported
# module's document nested (indented) before its own result line.
ktap_finish() {
	_k_n=$(grep -c -v '^#' "$KTAP_DIR/results")
	echo "KTAP version 1"
	echo "1..$_k_n"
	awk -F'\t' '
		/^#/ { print; next }
		$4 != "" {
			first = 1
			while ((getline l < $4) > 0) {
				print "    " l
				if (first) print "    # Subtest: " $2
				first = 0
			}
			close($4)
		}
		{ n++; printf "%s %d %s%s\n", $1, n, $2, ($3 != "" ? " # " $3 : "") }
	' "$KTAP_DIR/results"
	while IFS= read -r _k_re; do
		[ -n "$_k_re" ] && printf '# auxshim-allow: %s\n' "$_k_re"
	done <"$KTAP_DIR/allow"
	return 0
}

# 0 when every result so far passed or was skipped.
ktap_all_passed() { ! grep -q '^not ok' "$KTAP_DIR/results"; }
