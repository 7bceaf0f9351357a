#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The test suite behind "make check" (and "make bench"):
#
#   scripts/check.sh [--kernels "6.1 5.10"] [--bench] [--suites "boot shim package lint"]
#                    [--stress] [--fresh]
#
# Sets up the host (scripts/setup-host.sh), fetches the kernels, then per
# kernel: build with AUXSHIM_TEST=1 under W=1 (build and zero-warning cases;
# sparse too on the kernel test_build_args names), the DKMS test
# (scripts/dkms-test.sh), and the guest suites (tests/guest/*.test.sh,
# scripts/guest.sh): every suite without a boot-changing header
# (auxshim-append, -qemu, -sign, -lockdown) in one shared boot, in the
# order of their "# auxshim-order:", the others in a boot each.  Then,
# once per run, the host tiers: the Debian package's life cycle
# (scripts/package-test.sh, "make check-package"; with 6.1 among the
# kernels, whose headers it installs) and the static checks
# (scripts/lint.sh, "make lint").  The build, DKMS, package and lint are
# skipped when what they read has not changed since they last passed
# (lib.sh inputs_hash; the build keys itself, the others replay their
# last passing results, said in the note); --fresh (AUXSHIM_FRESH=1) runs
# them all.  --stress runs the guest loops at their full counts (make
# check-stress; ktap_stress in tests/guest/ktap.sh).  --bench runs only the
# tests/guest/*.bench.sh files instead, a boot each (no DKMS, no timeouts
# counted as tests).  Without the debug tier, helper lanes (AUXSHIM_HELPERS,
# 2) take the boots of their own and the host tiers as they are queued, and
# a part each of the last kernel's shared boot (split_last).  Prints a
# per-kernel, per-suite
# summary, then each failed suite's failed cases; the last
# line is exactly "N passed, N failed, N skipped", summed from the counts
# of the kernel's own KTAP parser (tools/testing/kunit/kunit.py parse
# --json, see lib.sh ktap_counts).  Exit status non-zero if anything
# failed.
#
# The debug tier: kernel "debug" (scripts/debug-kernel.sh: KASAN, lockdep,
# kmemleak, failslab, KUnit) runs when --kernels is not given ("make
# check"), in a lane of its own beside the stock kernels (the machine's
# two cores: its guests and build mostly wait on TCG's one vCPU thread
# each), alone with --kernels debug ("make check-debug"), not at all with
# a --kernels list without it ("make check KERNELS=6.1").  Its first case,
# "kernel", is the kernel's build (cold: 10-30 min, then cached by source
# version and config hash; warm: seconds).  No DKMS test there (DKMS is
# tested against the stock kernels' header packages); a guest file with
# "# auxshim-debug-skip: REASON" is skipped there with REASON; the guests'
# timeouts are scaled (scripts/guest.sh); its shared boot's "checkers" row
# is the checkers' own cases (on, still on, kmemleak), once a boot (two
# boots when split_shared splits them, cold).  --bench never runs it
# unless named.
set -eu
. "$(dirname -- "$0")/lib.sh"

S=$AUXSHIM_SRC/scripts
# Each lane writes its rows to a file of its own (RUN_DIR/LANE.rows).
RUN_DIR=
LANE=main

# record KERNEL SUITE PASSED FAILED SKIPPED SECONDS [NOTE]
record() {
	echo "$1|$2|$3|$4|$5|$6|${7:-}" >>"$RUN_DIR/$LANE.rows"
}

wall() { echo "$1:$2" >>"$RUN_DIR/$LANE.wall"; }

lane_wall() { echo "$1:$2" >>"$RUN_DIR/lanes"; }

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

# A suite whose boot is not like the others' (its kernel command line,
# QEMU arguments, signed modules, lockdown) has a boot of its own.
own_boot() { grep -q -E '^# auxshim-(append|qemu|sign|lockdown):' "$1"; }

# Guest files in the order of their "# auxshim-order:" (default 50), then
# by name.
by_order() {
	local f o
	for f in "$@"; do
		o=$(sed -n 's/^# auxshim-order: *\([0-9]*\).*/\1/p' "$f" | head -n 1)
		echo "${o:-50} $f"
	done | sort -k1,1n -k2 | cut -d' ' -f2-
}

check_build() {
	local k=$1 t0 rc=0 args
	t0=$(now)
	read -ra args <<<"$(test_build_args "$k")"
	"$S/build.sh" "$k" "${args[@]}" >&2 || rc=$?
	case $rc in
	0) record "$k" build 2 0 0 $(($(now) - t0)) ;;
	3) record "$k" build 1 1 0 $(($(now) - t0)) "warnings under W=1" ;;
	*) record "$k" build 0 1 1 $(($(now) - t0)) "build failed" ;;
	esac
	return $((rc == 1))
}

# host_tier KERNEL SUITE DIR KEY CMD...: a tier whose KTAP document CMD
# prints; its results are replayed (and said so) when KEY is the key of
# its last run that passed.
host_tier() {
	local k=$1 suite=$2 dir=$3 key=$4 t0 counts note="" p f s
	shift 4
	t0=$(now)
	mkdir -p "$dir"
	if [ -z "${AUXSHIM_FRESH:-}" ] && [ -f "$dir/ktap.log" ] &&
		[ "$(cat "$dir/passed.key" 2>/dev/null)" = "$key" ]; then
		note="inputs unchanged (key $key): results of $(date -r "$dir/passed.key" '+%F %T')"
		log "$k/$suite: $note"
	else
		rm -f "$dir/passed.key"
		"$@" >"$dir/ktap.log" || true
	fi
	sed 's/^/  /' "$dir/ktap.log" | grep -E '^  not ok|# SKIP' >&2 || true
	counts=$(ktap_counts "$dir/ktap.log")
	case $counts in
	malformed*) record "$k" "$suite" 0 1 0 $(($(now) - t0)) "$counts" ;;
	*)
		read -r p f s <<<"$counts"
		record "$k" "$suite" "$p" "$f" "$s" $(($(now) - t0)) "$note"
		[ "$f" != 0 ] || [ -f "$dir/passed.key" ] || echo "$key" >"$dir/passed.key"
		;;
	esac
}

# What the DKMS test reads: the package's sources and its own scripts.
DKMS_INPUTS=(Kbuild Makefile dkms.conf include src scripts/conftest.sh
	scripts/dkms-post-build.sh scripts/probes scripts/dkms-test.sh
	scripts/lib.sh scripts/kernels.sh)

check_dkms() {
	local k=$1 key
	key=$(INPUTS_EXTRA="$("$S/kernels.sh" path "$k" release)" inputs_hash "${DKMS_INPUTS[@]}")
	host_tier "$k" dkms "$AUXSHIM_CACHE/runs/$k/dkms" "$key" "$S/dkms-test.sh" "$k"
}

# Record every suite of the run in directory $2 (scripts/guest.sh --out)
# on kernel $1: "$2/SUITE" for a shared boot of several, "$2" for one.
record_boot() {
	local k=$1 dir=$2 f suite d
	shift 2
	for f in "$@"; do
		suite=$(suite_name "$f")
		d=$dir
		[ $# -eq 1 ] || d=$dir/$suite
		# shellcheck disable=SC2046 # three counts, one argument each
		record "$k" "$suite" $(run_counts "$d") "$(cat "$d/seconds" 2>/dev/null || echo 0)"
	done
	if [ $# -gt 1 ] && [ -f "$dir/checkers.counts" ]; then
		# shellcheck disable=SC2046 # the same
		record "$k" checkers $(cat "$dir/checkers.counts") 0 "the debug kernel's checkers, once for the boot"
	fi
}

# Boot kernel $1 once for the guest files "$3"...; run directory $2.
run_boot() {
	local k=$1 dir=$2 timeout=() brief=(--brief) stress=()
	shift 2
	# Benchmarks are never timed tests: a generous default; and their
	# numbers (KTAP diagnostics) are the point, so print every line.
	if [ "$MODE" = bench ]; then
		brief=()
		grep -q '^# auxshim-timeout:' "$@" || timeout=(--timeout 1800)
	fi
	[ -z "$STRESS" ] || stress=(--stress)
	rm -rf "$dir"
	"$S/guest.sh" --kernel "$k" "${brief[@]}" "${stress[@]}" --out "$dir" "${timeout[@]}" "$@" >&2 || true
	record_boot "$k" "$dir" "$@"
}

run_own_boot() {
	local suite
	suite=$(suite_name "$2")
	[ "$MODE" = test ] || suite=$suite.$MODE
	run_boot "$1" "$AUXSHIM_CACHE/runs/$1/$suite" "$2"
}

# Two lanes share what is left when each is done with its own work: the
# boots of their own (sample_noiommu, sample_pt, sign, on every kernel)
# and the host tiers wait in a queue, and a lane that has finished its
# kernels takes from it, the longest first (by the seconds of their last
# run), until it is empty and the stock lane will add nothing more.  So
# neither lane idles while the other has work, whichever is slower (the
# debug kernel's build when cold, a first DKMS/package/lint run).
# Lines: "KERNEL GUEST-FILE" or "host TIER".
enqueue() {
	(
		flock 9
		echo "$1 $2" >>"$RUN_DIR/queue"
	) 9>"$RUN_DIR/queue.lock"
}

# The seconds job "$1 $2" took last time (60 if unknown).
job_estimate() {
	local f
	case $1 in
	host) f=$AUXSHIM_CACHE/runs/host/$2/seconds ;;
	*) f=$AUXSHIM_CACHE/runs/$1/$(suite_name "${2#@}")/seconds ;;
	esac
	cat "$f" 2>/dev/null || echo 60
}

# Take the longest job from the queue: print it, or fail if none is there.
dequeue() {
	(
		flock 9
		local job best='' t max=-1
		[ -s "$RUN_DIR/queue" ] || exit 1
		while IFS= read -r job; do
			# shellcheck disable=SC2086 # "KERNEL FILE", two words
			t=$(job_estimate $job)
			[ "$t" -le "$max" ] || { max=$t; best=$job; }
		done <"$RUN_DIR/queue"
		grep -vxF -- "$best" "$RUN_DIR/queue" >"$RUN_DIR/queue.new" || true
		mv "$RUN_DIR/queue.new" "$RUN_DIR/queue"
		echo "$best"
	) 9>"$RUN_DIR/queue.lock"
}

run_job() {
	local t0 k=$1 files
	t0=$(now)
	case $k in
	host)
		case $2 in
		package) check_package ;;
		lint) check_lint ;;
		esac
		mkdir -p "$AUXSHIM_CACHE/runs/host/$2"
		echo $(($(now) - t0)) >"$AUXSHIM_CACHE/runs/host/$2/seconds"
		;;
	*)
		case $2 in
		@*)
			mapfile -t files <"$RUN_DIR/boot.${2#@}"
			run_boot "$k" "$AUXSHIM_CACHE/runs/$k/${2#@}" "${files[@]}"
			;;
		*) run_own_boot "$k" "$2" ;;
		esac
		;;
	esac
}

# Run queued jobs until none is left and none can come (the stock lane
# removes "$RUN_DIR/queue.open" when it has queued all of its own).
drain() {
	local job
	while :; do
		if job=$(dequeue); then
			# shellcheck disable=SC2086 # the same
			run_job $job
		elif [ -e "$RUN_DIR/queue.open" ]; then
			sleep 2
		else
			return 0
		fi
	done
}

# The guest suites of kernel $1 ($2: 1 if our modules built).
check_guests() {
	local k=$1 built=$2 f suite runs=$AUXSHIM_CACHE/runs/$1 shared=() own=()
	for f in "$AUXSHIM_SRC"/tests/guest/*."$MODE".sh; do
		[ -f "$f" ] || continue
		suite=$(suite_name "$f")
		if [ -n "$SUITES" ]; then
			case " $SUITES " in *" $suite "*) ;; *) continue ;; esac
		fi
		if ! suite_wants_kernel "$k" "$f"; then
			record "$k" "$suite" 0 0 1 0 "not for this kernel"
		elif [ "$k" = "$AUXSHIM_DEBUG_KERNEL" ] && grep -q '^# auxshim-debug-skip:' "$f"; then
			record "$k" "$suite" 0 0 1 0 "$(sed -n 's/^# auxshim-debug-skip: *//p' "$f" | head -n 1)"
		elif [ "$built" != 1 ] && needs_modules "$f"; then
			record "$k" "$suite" 0 0 1 0 "not run: the build failed"
		elif [ "$MODE" = test ] && ! own_boot "$f"; then
			shared+=("$f")
		else
			own+=("$f")
		fi
	done
	# Queued first, so that a free lane takes them while this one boots.
	if [ -n "$FLOAT" ]; then
		for f in "${own[@]}"; do enqueue "$k" "$f"; done
	fi
	if [ ${#shared[@]} -gt 0 ]; then
		mapfile -t shared < <(by_order "${shared[@]}")
		if [ -n "$FLOAT" ] && [ "$LANE" = debug ] && [ ${#shared[@]} -ge 4 ]; then
			split_shared "$k" "${shared[@]}"
		elif [ -n "$HELPER" ] && [ "$k" = "$LAST_STOCK" ] && [ ${#shared[@]} -ge 2 ]; then
			split_last "$k" "${own[@]}" -- "${shared[@]}"
		else
			run_boot "$k" "$runs/shared" "${shared[@]}"
		fi
	fi
	if [ -z "$FLOAT" ]; then
		for f in "${own[@]}"; do run_own_boot "$k" "$f"; done
	fi
	[ $((${#shared[@]} + ${#own[@]})) -gt 0 ] || log "$k: no tests/guest/*.$MODE.sh files to run"
}

# The seconds suite FILE $2 took in kernel $1's last shared boot (60).
suite_estimate() {
	local s f best=''
	s=$(suite_name "$2")
	# The newest of the shared boots' (they may have been split).
	for f in "$AUXSHIM_CACHE/runs/$1"/shared*/"$s"/seconds; do
		[ -f "$f" ] || continue
		if [ -z "$best" ] || [ "$f" -nt "$best" ]; then best=$f; fi
	done
	cat "$best" 2>/dev/null || echo 60
}

# When the stock lane expects to be done with kernels "$@" (seconds since
# the epoch), by their last run: each one's shared boot, plus 30 s of
# build and DKMS (the boots of their own wait in the queue).
stock_eta() {
	local k t
	t=$(now)
	for k in "$@"; do
		t=$((t + 30 + $(cat "$AUXSHIM_CACHE/runs/$k/shared/seconds" 2>/dev/null || echo 240)))
	done
	echo "$t"
}

# split_shared KERNEL FILE...: the shared boot of the debug lane.  When
# the stock lane expects to be done (stock.eta) before half of the debug
# boot would be (a cold run: the debug kernel's build took about as long
# as the stock kernels), two boots instead of one: the later suites (by
# order) in the second, queued, so that the stock lane takes it when it is
# free first.  The halves balance the suites' seconds of their last run.
# Otherwise one boot (warm: the debug lane reaches its guests at once, and
# a debug boot's fixed cost, about a minute, is paid once).
split_shared() {
	local k=$1 f total=0 eta
	shift
	for f in "$@"; do
		total=$((total + $(suite_estimate "$k" "$f")))
	done
	eta=$(cat "$RUN_DIR/stock.eta" 2>/dev/null || echo 0)
	if [ $((eta - $(now))) -ge $((total / 2)) ]; then
		log "$k: the stock lane expects to be busy $((eta - $(now))) s more, half of this boot takes about $((total / 2)) s: one boot"
		run_boot "$k" "$AUXSHIM_CACHE/runs/$k/shared" "$@"
		return
	fi
	log "$k: the stock lane expects to be done in $((eta - $(now))) s, half of this boot takes about $((total / 2)) s: the boot in two, the second queued"
	split_boot "$k" 2 -- "$@"
}

# split_boot KERNEL PARTS [SECONDS...] -- FILE...: the suites in up to PARTS
# boots of about equal time (by their last run: the longest first, each
# into the boot with least so far; in each boot, the order of
# "# auxshim-order:", so type1's suites stay last); the first runs here,
# the others ("@shared2", ...) are queued for the other lanes.  SECONDS:
# jobs already queued, which those lanes take too.
split_boot() {
	local k=$1 parts=$2 f t i best n=0 sizes=''
	local -a load=() part=() files=()
	shift 2
	for i in $(seq 1 "$parts"); do load[i]=0 part[i]=''; done
	# least FIRST: the part from FIRST on with the least load so far.
	least() {
		best=$1
		for i in $(seq "$1" "$parts"); do
			[ "${load[i]}" -ge "${load[best]}" ] || best=$i
		done
	}
	while [ "$1" != -- ]; do
		least $((parts > 1 ? 2 : 1))
		load[best]=$((load[best] + $1))
		shift
	done
	shift
	while read -r t f; do
		least 1
		load[best]=$((load[best] + t))
		part[best]="${part[best]}$f"$'\n'
	done < <(for f in "$@"; do echo "$(suite_estimate "$k" "$f") $f"; done | sort -k1,1nr)
	for i in $(seq 2 "$parts"); do
		[ -n "${part[i]}" ] || continue
		n=$((n + 1))
		mapfile -t files <<<"${part[i]%$'\n'}"
		by_order "${files[@]}" >"$RUN_DIR/boot.shared$((n + 1))"
		enqueue "$k" "@shared$((n + 1))"
		sizes="$sizes + ${#files[@]}"
	done
	mapfile -t files <<<"${part[1]%$'\n'}"
	mapfile -t files < <(by_order "${files[@]}")
	log "$k: the shared boot in $((n + 1)): ${#files[@]}$sizes suites, the first here, the others queued"
	run_boot "$k" "$AUXSHIM_CACHE/runs/$k/shared" "${files[@]}"
}

# split_last KERNEL OWN-FILE... -- FILE...: the last stock kernel's shared
# boot when the helper lanes (no debug lane) have nothing else to take: one
# part per lane, the boots of their own (already queued) counted in the
# helpers' parts.
split_last() {
	local k=$1
	local -a owns=()
	shift
	while [ "$1" != -- ]; do
		owns+=("$(job_estimate "$k" "$1")")
		shift
	done
	shift
	split_boot "$k" $((HELPER + 1)) "${owns[@]}" -- "$@"
}

check_kernel() {
	local k=$1 t0 built=1
	t0=$(now)
	log "==== $k ===="
	if [ "$k" = "$AUXSHIM_DEBUG_KERNEL" ]; then
		if ! "$S/kernels.sh" fetch "$k" >&2; then
			record "$k" kernel 0 1 0 $(($(now) - t0)) "the debug kernel did not build (scripts/debug-kernel.sh)"
			wall "$k" $(($(now) - t0))
			return
		fi
		record "$k" kernel 1 0 0 $(($(now) - t0)) "$("$S/kernels.sh" path "$k" release)"
	elif ! "$S/kernels.sh" fetch "$k" >&2; then
		record "$k" fetch 0 1 0 $(($(now) - t0)) "could not fetch the kernel"
		wall "$k" $(($(now) - t0))
		return
	fi
	check_build "$k" || built=0
	if [ "$MODE" = bench ]; then
		:
	elif [ "$k" = "$AUXSHIM_DEBUG_KERNEL" ]; then
		record "$k" dkms 0 0 1 0 "DKMS is tested on the stock kernels' header packages"
	elif want_suite dkms; then
		check_dkms "$k"
	fi
	check_guests "$k" "$built"
	wall "$k" $(($(now) - t0))
}

# Host tiers and DKMS run unless --suites names others.
want_suite() {
	[ -z "$SUITES" ] && return 0
	case " $SUITES " in *" $1 "*) return 0 ;; esac
	return 1
}

# What the package's life cycle reads: what the package ships, how it is
# built, and the scripts the test runs.
PACKAGE_INPUTS=(debian Kbuild Makefile dkms.conf include src README.md
	scripts/conftest.sh scripts/dkms-post-build.sh scripts/probes
	scripts/package.sh scripts/package-test.sh scripts/version.sh
	scripts/bug-report.sh scripts/lib.sh scripts/kernels.sh)

# The package's life cycle on this host (KTAP from scripts/package-test.sh).
check_package() {
	local key
	log "==== package (host) ===="
	key=$(INPUTS_EXTRA="$("$S/kernels.sh" path 6.1 release)" inputs_hash "${PACKAGE_INPUTS[@]}")
	host_tier host package "$AUXSHIM_CACHE/runs/host/package" "$key" "$S/package-test.sh"
}

# make lint, as one case: it reads the whole tree.
check_lint() {
	local t0 dir=$AUXSHIM_CACHE/runs/host/lint key
	t0=$(now)
	mkdir -p "$dir"
	log "==== lint (host) ===="
	key=$(inputs_hash)
	if [ -z "${AUXSHIM_FRESH:-}" ] && [ "$(cat "$dir/passed.key" 2>/dev/null)" = "$key" ]; then
		record host lint 1 0 0 $(($(now) - t0)) "inputs unchanged (key $key): result of $(date -r "$dir/passed.key" '+%F %T')"
	elif "$S/lint.sh" >"$dir/lint.log" 2>&1; then
		echo "$key" >"$dir/passed.key"
		record host lint 1 0 0 $(($(now) - t0))
	else
		rm -f "$dir/passed.key"
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
	done < <(cat "$RUN_DIR"/*.rows 2>/dev/null |
		awk -F'|' -v order="$AUXSHIM_KERNELS $AUXSHIM_DEBUG_KERNEL host" '
			BEGIN { n = split(order, o, " "); for (i = 1; i <= n; i++) at[o[i]] = i }
			{ print (($1 in at) ? at[$1] : n + 1) "|" $0 }' | sort -s -t'|' -k1,1n | cut -d'|' -f2-)
	printf 'wall time per kernel (its build, DKMS and shared boot):'
	cat "$RUN_DIR"/*.wall 2>/dev/null | while IFS= read -r w; do printf ' %s %ss;' "${w%%:*}" "${w#*:}"; done
	printf ' total %ss\n' $(($(now) - START))
	if [ -f "$RUN_DIR/lanes" ]; then
		printf 'lanes, each until it ended (shared queue included):'
		while IFS= read -r w; do printf ' %s %ss;' "${w%%:*}" "${w#*:}"; done <"$RUN_DIR/lanes"
		echo
	fi
	# CI shows the end of the output: the failures again, just above the
	# last line, with the first failed cases of each.
	while IFS='|' read -r k suite p f s t note; do
		[ "${f:-0}" -gt 0 ] || continue
		printf 'FAILED %s/%s: %s failed%s\n' "$k" "$suite" "$f" "${note:+ ($note)}"
		failed_cases "$k" "$suite" | head -n 8 | sed 's/^/    /'
	done < <(cat "$RUN_DIR"/*.rows 2>/dev/null)
	echo "$tp passed, $tf failed, $ts skipped"
	[ "$tf" -eq 0 ]
}

# The failed cases of kernel $1's suite $2, by its last KTAP (the leaves the
# parser marked [FAILED], and the lines that say why).
failed_cases() {
	local f
	for f in "$AUXSHIM_CACHE/runs/$1"/shared*/"$2"/ktap.parsed "$AUXSHIM_CACHE/runs/$1/$2"/ktap.parsed; do
		[ -f "$f" ] || continue
		# Not the parser's "==== [FAILED] SUITE ====" lines.
		grep -E '\[FAILED\]|EXPECTATION FAILED|^# .*(stuck|timed out|bound)' "$f" | grep -v '^=' || true
	done
}

main() {
	local kernels="" k stock="" debug="" lane="" i helpers=()
	MODE=test SUITES='' STRESS='' START=$(now) FLOAT='' HELPER='' LAST_STOCK=''
	while [ $# -gt 0 ]; do
		case $1 in
		--kernels) kernels=$2; shift ;;
		--bench) MODE=bench ;;
		--suites) SUITES=$2; shift ;;
		--stress) STRESS=1 ;;
		--fresh) export AUXSHIM_FRESH=1 ;;
		-h | --help) sed -n '4,48s/^# \{0,1\}//p' "$0"; exit 0 ;;
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
		if [ "$k" = "$AUXSHIM_DEBUG_KERNEL" ]; then debug=$k; else stock="$stock $k"; fi
	done
	RUN_DIR=$(mktemp -d)
	trap 'rm -rf "$RUN_DIR"' EXIT
	"$S/setup-host.sh" >&2
	# The KTAP parser every count below comes from (kunit.py).
	kunit_get || die "no KTAP parser: tools/testing/kunit from linux-source-6.1 (and python3) needed"
	# Fetch everything first, in parallel; check_kernel reports a failure.
	# (The debug kernel is built in its own turn, timed as its first case.)
	# shellcheck disable=SC2086 # kernel names, one word each
	[ -z "$stock" ] || "$S/kernels.sh" fetch $stock >&2 || true
	# The debug kernel in a lane of its own beside the stock kernels; its
	# log is printed when it ends.
	if [ -n "$debug" ] && [ -n "$stock" ]; then
		log "the debug kernel runs beside the stock kernels (its log: $RUN_DIR/debug.log, printed at its end)"
		FLOAT=1
		: >"$RUN_DIR/queue.open"
		(
			LANE=debug
			check_kernel "$debug"
			drain
			lane_wall debug $(($(now) - START))
		) 2>"$RUN_DIR/debug.log" &
		lane=$!
	elif [ -n "$debug" ]; then
		LANE=debug check_kernel "$debug"
	elif [ "$MODE" = test ] && [ -n "$stock" ]; then
		# No debug lane: helper lanes take the boots of their own and
		# the host tiers as they are queued, and a part each of the last
		# kernel's shared boot (split_last), so that both cores work.
		HELPER=${AUXSHIM_HELPERS:-2}
		log "$HELPER helper lanes take the queued boots beside the stock kernels"
		FLOAT=1
		LAST_STOCK=${stock##* }
		: >"$RUN_DIR/queue.open"
		for i in $(seq 1 "$HELPER"); do
			(
				LANE=helper$i
				drain
				lane_wall "helper$i" $(($(now) - START))
			) &
			helpers+=($!)
		done
	fi
	# Lint reads only the tree: queued at once, for the first free lane.
	if [ "$MODE" = test ] && [ -n "$FLOAT" ] && want_suite lint; then
		enqueue host lint
	fi
	# shellcheck disable=SC2086 # kernel names, one word each
	set -- $stock
	for k in $stock; do
		stock_eta "$@" >"$RUN_DIR/stock.eta"
		check_kernel "$k"
		shift
	done
	now >"$RUN_DIR/stock.eta"
	if [ "$MODE" = test ]; then
		if want_suite package; then
			case " $kernels " in
			*" 6.1 "*) if [ -n "$FLOAT" ]; then enqueue host package; else LANE=host check_package; fi ;;
			*) LANE=host record host package 0 0 1 0 "needs 6.1 among the kernels" ;;
			esac
		fi
		if want_suite lint && [ -z "$FLOAT" ]; then
			LANE=host check_lint
		fi
	fi
	if [ -n "$FLOAT" ]; then
		rm -f "$RUN_DIR/queue.open"
		drain
		lane_wall main $(($(now) - START))
	fi
	[ ${#helpers[@]} -eq 0 ] || wait "${helpers[@]}" || true
	if [ -n "$lane" ]; then
		wait "$lane" || true
		log "==== the debug kernel's lane ===="
		cat "$RUN_DIR/debug.log" >&2
	fi
	print_summary
}

main "$@"
