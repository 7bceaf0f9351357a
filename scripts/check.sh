#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The test suite behind "make check" (and "make bench"):
#
#   scripts/check.sh [--kernels "6.1 5.10"] [--bench] [--suites "boot shim package lint"]
#
# Sets up the host (scripts/setup-host.sh), fetches the kernels, then per
# kernel: build with AUXSHIM_TEST=1 under W=1 (build and zero-warning cases),
# the DKMS test (scripts/dkms-test.sh), and one guest boot per
# tests/guest/*.test.sh (scripts/guest.sh); then, once per run, the host
# tiers: the Debian package's life cycle (scripts/package-test.sh, "make
# check-package"; with 6.1 among the kernels, whose headers it installs) and
# the static checks (scripts/lint.sh, "make lint").  --bench runs only the
# tests/guest/*.bench.sh files instead (no DKMS, no timeouts counted as
# tests).  Prints a per-kernel, per-suite summary; the last line is exactly
# "N passed, N failed, N skipped", summed from the counts of the kernel's
# own KTAP parser (tools/testing/kunit/kunit.py parse, see lib.sh
# ktap_counts).  Exit status non-zero if anything failed.
#
# The debug tier: kernel "debug" (scripts/debug-kernel.sh: KASAN, lockdep,
# kmemleak, failslab, KUnit) runs after the stock kernels when --kernels is
# not given ("make check"), alone with --kernels debug ("make check-debug"),
# not at all with a --kernels list without it ("make check KERNELS=6.1").
# Its first case, "kernel", is the kernel's build (cold: 10-30 min, then
# cached by source version and config hash; warm: seconds).  No DKMS test
# there (DKMS is tested against the stock kernels' header packages); a guest
# file with "# auxshim-debug-skip: REASON" is skipped there with REASON;
# the guests' timeouts are scaled (scripts/guest.sh).  --bench never runs
# it unless named.
set -eu
. "$(dirname -- "$0")/lib.sh"

S=$AUXSHIM_SRC/scripts
SUMMARY=

# record KERNEL SUITE PASSED FAILED SKIPPED SECONDS [NOTE]
record() {
	SUMMARY="$SUMMARY$1|$2|$3|$4|$5|$6|${7:-}
"
}

# Counts from a guest run directory ("P F S"); a run that left none failed.
run_counts() {
	if [ -f "$1/counts" ]; then cat "$1/counts"; else echo "0 1 0"; fi
}

suite_name() {
	local s=${1##*/}
	s=${s%.test.sh}
	echo "${s%.bench.sh}"
}

# Does guest file $2 run on kernel $1 ("# auxshim-kernels:" header)?
suite_wants_kernel() {
	local ks
	ks=$(sed -n 's/^# auxshim-kernels: *//p' "$2" | tr '\n' ' ')
	[ -z "${ks// /}" ] && return 0
	case " $ks " in *" $1 "*) return 0 ;; esac
	return 1
}

needs_modules() { grep -q '^# auxshim-modules: *[^ ]' "$1"; }

check_build() {
	local k=$1 t0 rc=0
	t0=$(now)
	"$S/build.sh" "$k" AUXSHIM_TEST=1 >&2 || rc=$?
	case $rc in
	0) record "$k" build 2 0 0 $(($(now) - t0)) ;;
	3) record "$k" build 1 1 0 $(($(now) - t0)) "warnings under W=1" ;;
	*) record "$k" build 0 1 1 $(($(now) - t0)) "build failed" ;;
	esac
	return $((rc == 1))
}

check_dkms() {
	local k=$1 t0 dir counts
	dir=$AUXSHIM_CACHE/runs/$k/dkms
	t0=$(now)
	mkdir -p "$dir"
	"$S/dkms-test.sh" "$k" >"$dir/ktap.log" || true
	sed 's/^/  /' "$dir/ktap.log" | grep -E '^  not ok|# SKIP' >&2 || true
	counts=$(ktap_counts "$dir/ktap.log")
	case $counts in
	malformed*) record "$k" dkms 0 1 0 $(($(now) - t0)) "$counts" ;;
	*)
		# shellcheck disable=SC2086 # three counts, one argument each
		record "$k" dkms $counts $(($(now) - t0))
		;;
	esac
}

check_guest() {
	local k=$1 f=$2 built=$3 suite dir t0 timeout=() brief=(--brief)
	suite=$(suite_name "$f")
	dir=$AUXSHIM_CACHE/runs/$k/$suite
	[ "$MODE" = test ] || dir=$dir.$MODE
	if ! suite_wants_kernel "$k" "$f"; then
		record "$k" "$suite" 0 0 1 0 "not for this kernel"
		return
	fi
	if [ "$k" = "$AUXSHIM_DEBUG_KERNEL" ] && grep -q '^# auxshim-debug-skip:' "$f"; then
		record "$k" "$suite" 0 0 1 0 "$(sed -n 's/^# auxshim-debug-skip: *//p' "$f" | head -n 1)"
		return
	fi
	if [ "$built" != 1 ] && needs_modules "$f"; then
		record "$k" "$suite" 0 0 1 0 "not run: the build failed"
		return
	fi
	# Benchmarks are never timed tests: a generous default; and their
	# numbers (KTAP diagnostics) are the point, so print every line.
	if [ "$MODE" = bench ]; then
		brief=()
		grep -q '^# auxshim-timeout:' "$f" || timeout=(--timeout 1800)
	fi
	t0=$(now)
	rm -f "$dir/counts"
	"$S/guest.sh" --kernel "$k" "${brief[@]}" --out "$dir" "${timeout[@]}" "$f" >&2 || true
	# shellcheck disable=SC2046 # three counts, one argument each
	record "$k" "$suite" $(run_counts "$dir") $(($(now) - t0))
}

check_kernel() {
	local k=$1 t0 built=1 f n=0
	t0=$(now)
	log "==== $k ===="
	if [ "$k" = "$AUXSHIM_DEBUG_KERNEL" ]; then
		if ! "$S/kernels.sh" fetch "$k" >&2; then
			record "$k" kernel 0 1 0 $(($(now) - t0)) "the debug kernel did not build (scripts/debug-kernel.sh)"
			WALL="$WALL $k:$(($(now) - t0))"
			return
		fi
		record "$k" kernel 1 0 0 $(($(now) - t0)) "$("$S/kernels.sh" path "$k" release)"
	elif ! "$S/kernels.sh" fetch "$k" >&2; then
		record "$k" fetch 0 1 0 $(($(now) - t0)) "could not fetch the kernel"
		WALL="$WALL $k:$(($(now) - t0))"
		return
	fi
	check_build "$k" || built=0
	if [ "$MODE" = bench ]; then
		:
	elif [ "$k" = "$AUXSHIM_DEBUG_KERNEL" ]; then
		record "$k" dkms 0 0 1 0 "DKMS is tested on the stock kernels' header packages"
	else
		check_dkms "$k"
	fi
	for f in "$AUXSHIM_SRC"/tests/guest/*."$MODE".sh; do
		[ -f "$f" ] || continue
		if [ -n "$SUITES" ]; then
			case " $SUITES " in *" $(suite_name "$f") "*) ;; *) continue ;; esac
		fi
		n=$((n + 1))
		check_guest "$k" "$f" "$built"
	done
	[ "$n" -gt 0 ] || log "$k: no tests/guest/*.$MODE.sh files"
	WALL="$WALL $k:$(($(now) - t0))"
}

# Host tiers run unless --suites names others.
want_host() {
	[ -z "$SUITES" ] && return 0
	case " $SUITES " in *" $1 "*) return 0 ;; esac
	return 1
}

# The package's life cycle on this host (KTAP from scripts/package-test.sh).
check_package() {
	local t0 dir=$AUXSHIM_CACHE/runs/host/package counts
	t0=$(now)
	mkdir -p "$dir"
	log "==== package (host) ===="
	"$S/package-test.sh" >"$dir/ktap.log" || true
	sed 's/^/  /' "$dir/ktap.log" | grep -E '^  not ok|# SKIP' >&2 || true
	counts=$(ktap_counts "$dir/ktap.log")
	case $counts in
	malformed*) record host package 0 1 0 $(($(now) - t0)) "$counts" ;;
	*)
		# shellcheck disable=SC2086 # three counts, one argument each
		record host package $counts $(($(now) - t0))
		;;
	esac
}

# make lint, as one case.
check_lint() {
	local t0 dir=$AUXSHIM_CACHE/runs/host/lint
	t0=$(now)
	mkdir -p "$dir"
	log "==== lint (host) ===="
	if "$S/lint.sh" >"$dir/lint.log" 2>&1; then
		record host lint 1 0 0 $(($(now) - t0))
	else
		tail -n 30 "$dir/lint.log" >&2
		record host lint 0 1 0 $(($(now) - t0)) "see $dir/lint.log"
	fi
}

print_summary() {
	local tp=0 tf=0 ts=0 k suite p f s t note w
	echo
	echo "==== summary ($MODE) ===="
	printf '%-6s %-12s %6s %6s %7s %6s  %s\n' kernel suite passed failed skipped secs note
	while IFS='|' read -r k suite p f s t note; do
		[ -n "$k" ] || continue
		printf '%-6s %-12s %6d %6d %7d %6d  %s\n' "$k" "$suite" "$p" "$f" "$s" "$t" "$note"
		tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
	done <<<"$SUMMARY"
	printf 'wall time per kernel:'
	for w in $WALL; do printf ' %s %ss;' "${w%%:*}" "${w#*:}"; done
	printf ' total %ss\n' $(($(now) - START))
	echo "$tp passed, $tf failed, $ts skipped"
	[ "$tf" -eq 0 ]
}

main() {
	local kernels="" k stock=""
	MODE=test SUITES='' WALL='' START=$(now)
	while [ $# -gt 0 ]; do
		case $1 in
		--kernels) kernels=$2; shift ;;
		--bench) MODE=bench ;;
		--suites) SUITES=$2; shift ;;
		-h | --help) sed -n '4,30s/^# \{0,1\}//p' "$0"; exit 0 ;;
		*) die "unknown argument '$1' (see --help)" ;;
		esac
		shift
	done
	if [ -z "$kernels" ]; then
		kernels=$AUXSHIM_KERNELS
		[ "$MODE" = bench ] || kernels="$kernels $AUXSHIM_DEBUG_KERNEL"
	fi
	for k in $kernels; do
		kernel_known "$k" || die "unknown kernel '$k' (known: $AUXSHIM_KERNELS $AUXSHIM_DEBUG_KERNEL)"
		[ "$k" = "$AUXSHIM_DEBUG_KERNEL" ] || stock="$stock $k"
	done
	"$S/setup-host.sh" >&2
	# The KTAP parser every count below comes from (kunit.py).
	kunit_get || die "no KTAP parser: tools/testing/kunit from linux-source-6.1 (and python3) needed"
	# Fetch everything first, in parallel; check_kernel reports a failure.
	# (The debug kernel is built in its own turn, timed as its first case.)
	# shellcheck disable=SC2086 # kernel names, one word each
	[ -z "$stock" ] || "$S/kernels.sh" fetch $stock >&2 || true
	for k in $kernels; do check_kernel "$k"; done
	if [ "$MODE" = test ]; then
		if want_host package; then
			case " $kernels " in
			*" 6.1 "*) check_package ;;
			*) record host package 0 0 1 0 "needs 6.1 among the kernels" ;;
			esac
		fi
		want_host lint && check_lint
	fi
	print_summary
}

main "$@"
