#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot a target kernel in QEMU (TCG, emulated VT-d + edu) and run guest test
# scripts in it; print and judge the KTAP they produce.
#
#   scripts/guest.sh --kernel K [options] SCRIPT...
#
#   SCRIPT            tests/guest/NAME.test.sh (a path, or just NAME); several
#                     scripts run in one boot, in order
#   --ko PATH         add one of our .ko files (repeatable); modules named in
#                     the scripts' "# auxshim-modules:" headers are taken from
#                     --modules-dir
#   --modules-dir D   where header-named modules are looked up (default: the
#                     test build $AUXSHIM_CACHE/build/K/tree-test for
#                     *.test.sh/*.bench.sh, the plain build .../tree otherwise)
#   --devices ARGS    replace the default device set
#                     ("-device intel-iommu,intremap=on,caching-mode=on -device edu")
#   --qemu ARGS       extra QEMU arguments (appended)
#   --append ARGS     extra kernel command line
#   --timeout S       kill the guest after S seconds (default 300, or the
#                     scripts' "# auxshim-timeout:"; on the debug kernel
#                     times $AUXSHIM_DEBUG_TIMEOUT_SCALE, default 4)
#   --allow ERE       kernel log lines matching ERE are expected (repeatable)
#   --out DIR         run directory (default $AUXSHIM_CACHE/runs/K/SUITE)
#   --shell           interactive: console on this terminal, a shell after
#                     the scripts (exit it to power off)
#   --brief           print only failures and skips, not every result
#
# Exit status 0 iff the guest ran to its end, the KTAP is well formed
# (kunit.py parse: plans met, nested module documents complete), no case failed and the kernel log has no BUG/Oops/WARNING/
# slab corruption/panic (beyond what was declared expected).  Counts go to
# DIR/counts as "PASSED FAILED SKIPPED"; logs: DIR/console.log (kernel
# console), DIR/ktap.log (the KTAP document), DIR/ktap.parsed (kunit.py's
# report of it), DIR/dmesg.log (full dmesg).
set -eu
. "$(dirname -- "$0")/lib.sh"

KERNELS_SH=$AUXSHIM_SRC/scripts/kernels.sh
GUEST_DIR=$AUXSHIM_SRC/tests/guest
DEFAULT_DEVICES="-device intel-iommu,intremap=on,caching-mode=on -device edu"
# no_timer_check: under TCG on a loaded host the IO-APIC timer check can
# fail and panic ("timer doesn't work through Interrupt-remapped IO-APIC").
# oops=panic: an oops ends the boot at once (panic=-1, -no-reboot) instead
# of leaving a killed task's locks to hang the script until the timeout.
BASE_APPEND="console=ttyS0 intel_iommu=on panic=-1 oops=panic slub_debug=FZPU loglevel=5 printk.time=1 no_timer_check"
# Kernel log lines that fail a run: KLOG_BAD_RE, defined once for the host
# and the guest.
# shellcheck source=../tests/guest/kernel_log.sh
. "$GUEST_DIR/kernel_log.sh"
# Guest timeouts on the debug kernel (KASAN, lockdep and kmemleak under TCG
# are slow) are the scripts' own times this many times over.
DEBUG_TIMEOUT_SCALE=${AUXSHIM_DEBUG_TIMEOUT_SCALE:-4}

# The stock modules every guest loads (busybox insmod ignores softdeps, so
# vfio_iommu_type1 is named explicitly), and the kernel's own (lib.sh).
base_kmods() { echo "vfio vfio_iommu_type1 vfio-pci mdev $(kernel_fact "$1" kmods)"; }

# Header values "# auxshim-KEY: value" of the given scripts, one per line.
header() {
	local key=$1
	shift
	sed -n "s/^# auxshim-$key: *//p" "$@"
}

resolve_script() {
	local s=$1
	[ -f "$s" ] && { echo "$s"; return; }
	for s in "$GUEST_DIR/$1" "$GUEST_DIR/$1.test.sh" "$GUEST_DIR/$1.bench.sh"; do
		[ -f "$s" ] && { echo "$s"; return; }
	done
	die "no guest script '$1' (looked in $GUEST_DIR)"
}

# busybox, /dev/console and the directory skeleton; shared by all kernels.
base_cpio() {
	local out=$AUXSHIM_CACHE/guest/base.cpio st
	[ -f "$out" ] && [ "$out" -nt /bin/busybox ] && { echo "$out"; return; }
	st=$AUXSHIM_CACHE/guest/base.stage
	rm -rf "$st"
	mkdir -p "$st"/{bin,sbin,dev,proc,sys,tmp,etc,run,usr/bin,usr/sbin,kmod,modules,tests}
	cp /bin/busybox "$st/bin/busybox"
	ln -s busybox "$st/bin/sh"
	mknod "$st/dev/console" c 5 1
	mknod "$st/dev/null" c 1 3
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$st"
	echo "$out"
}

# The stock modules (decompressed: busybox insmod may not read .ko.xz) and
# their load order; cached per kernel and module list.
kmod_cpio() {
	local k=$1 extra=$2 rel root names key out st n p f list
	rel=$("$KERNELS_SH" path "$k" release)
	root=$("$KERNELS_SH" path "$k" modroot)
	names="$(base_kmods "$k") $extra"
	key=$(echo "$rel $names" | md5sum | cut -c1-12)
	out=$AUXSHIM_CACHE/guest/kmod-$k-$key.cpio
	[ -f "$out" ] && { echo "$out"; return; }
	st=$out.stage
	rm -rf "$st"
	mkdir -p "$st/kmod"
	# NAME? is optional: loaded where the kernel has it (kunit?: the
	# debug kernel's KUnit, which stock kernels lack).
	read -ra list <<<"$names"
	for n in "${list[@]}"; do
		case $n in
		*\?) modprobe -q -d "$root" -S "$rel" --show-depends "${n%\?}" || true ;;
		*) modprobe -d "$root" -S "$rel" --show-depends "$n" ||
			die "$k: module $n not found under $root" ;;
		esac
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$st/list"
	while read -r p; do
		f=${p##*/}
		case $f in
		*.ko.xz) xz -dc "$p" >"$st/kmod/${f%.xz}"; f=${f%.xz} ;;
		*.ko.zst) zstd -qdc "$p" >"$st/kmod/${f%.zst}"; f=${f%.zst} ;;
		*.ko.gz) gzip -dc "$p" >"$st/kmod/${f%.gz}"; f=${f%.gz} ;;
		*) cp "$p" "$st/kmod/$f" ;;
		esac
		echo "$f" >>"$st/kmod/order"
	done <"$st/list"
	(cd "$st" && find kmod | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$st"
	echo "$out"
}

# Host files a script asks for ("# auxshim-host-files:"), with the shared
# libraries of the executables among them, at their host paths (symlinks
# resolved); cached per file list and mtimes.
hostfiles_cpio() {
	local files=$1 key out st f d
	for f in $files; do
		[ -e "$f" ] || die "host file $f (asked for by a script header) is missing: install its Debian package (scripts/setup-host.sh)"
	done
	# shellcheck disable=SC2086 # host paths, one word each
	key=$(stat -Lc '%n %Y %s' $files | md5sum | cut -c1-12)
	out=$AUXSHIM_CACHE/guest/host-$key.cpio
	[ -f "$out" ] && { echo "$out"; return; }
	st=$out.stage
	rm -rf "$st"
	for f in $files; do
		for d in "$f" $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true); do
			mkdir -p "$st$(dirname "$d")"
			cp -L "$d" "$st$d"
		done
	done
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$st"
	echo "$out"
}

# The throwaway key "# auxshim-sign: yes" signs with (generated once per
# cache; a stock kernel does not trust it, which is what the suite tests).
SIGN_CN="auxshim test signing key"
sign_key() {
	local d=$AUXSHIM_CACHE/sign
	[ -f "$d/key.pem" ] && [ -f "$d/cert.pem" ] && return 0
	mkdir -p "$d"
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 36500 -sha256 -batch \
		-subj "/O=auxshim/CN=$SIGN_CN" -addext "keyUsage=digitalSignature" \
		-addext "extendedKeyUsage=codeSigning" \
		-keyout "$d/key.pem.tmp" -out "$d/cert.pem.tmp" >/dev/null 2>&1 ||
		die "openssl could not make the test signing key"
	mv "$d/key.pem.tmp" "$d/key.pem"
	mv "$d/cert.pem.tmp" "$d/cert.pem"
}

# "# auxshim-sign: yes": our modules go in as copies signed by "make sign-ko"
# (the recipe of "make sign") with the test key.
sign_modules() {
	local d=$OUT/signed ko i
	with_lock sign-key sign_key
	rm -rf "$d"
	mkdir -p "$d"
	for i in "${!KOS[@]}"; do
		cp "${KOS[$i]}" "$d/"
		KOS[i]=$d/${KOS[$i]##*/}
	done
	# In the kernel's build environment (5.10 and 7.3: their chroots, whose
	# sign-file links their own libcrypto), with the Makefile, key and
	# copies in the one directory bound there.
	cp "$AUXSHIM_SRC/Makefile" "$AUXSHIM_CACHE/sign/key.pem" "$AUXSHIM_CACHE/sign/cert.pem" "$d/"
	"$KERNELS_SH" run "$KERNEL" "$d" make -s -f "$d/Makefile" sign-ko \
		KDIR="$("$KERNELS_SH" path "$KERNEL" kdir)" SIGN_KO="${KOS[*]}" \
		SIGN_KEY="$d/key.pem" SIGN_CERT="$d/cert.pem" >&2 ||
		die "make sign-ko failed"
	rm -f "$d/Makefile" "$d/key.pem" "$d/cert.pem"
}

# This run's part: /init, config, guest scripts, our modules.
run_cpio() {
	local out=$1 st=$1.stage ko
	shift
	rm -rf "$st"
	mkdir -p "$st/etc" "$st/tests" "$st/modules"
	cp "$GUEST_DIR/init" "$st/init"
	chmod 755 "$st/init"
	cp "$GUEST_DIR"/* "$st/tests/"
	for s in "${SCRIPTS[@]}"; do cp "$s" "$st/tests/"; done
	cp "$AUXSHIM_SRC/scripts/bug-report.sh" "$st/tests/"
	for ko in "${KOS[@]}"; do cp "$ko" "$st/modules/"; done
	if [ -n "$PROGRAMS" ]; then
		mkdir -p "$st/tests/bin"
		for p in $PROGRAMS; do cp "$PROG_DIR/$p" "$st/tests/bin/"; done
	fi
	{
		echo "KERNEL='$KERNEL'"
		echo "KREL='$REL'"
		echo "EXPECT_AUX_BACKEND='$(kernel_aux_backend "$KERNEL")'"
		echo "EXPECT_UNLOAD_HELD='$(kernel_unload_held "$KERNEL")'"
		echo "SCRIPTS='$(for s in "${SCRIPTS[@]}"; do printf '%s ' "${s##*/}"; done)'"
		echo "SHELL_AFTER='$SHELL_MODE'"
		echo "STRESS='$STRESS'"
	} >"$st/etc/auxshim.conf"
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out"
	rm -rf "$st"
}

# Kernel log lines that fail the run, minus the expected ones, each
# tagged with the section of the boot it came from ("NAME<TAB>line"): the
# suite running (tests/guest/init prints "auxshim-ktap: # running NAME"
# on the console and into the dmesg dump), "checkers" after the last
# suite, the first suite before it.
kernel_errors() {
	local allow
	allow=$(printf '%s\n' "${ALLOW[@]}" |
		cat - <(tr -d '\r' <"$OUT/ktap.log" | sed -n 's/^ *# auxshim-allow: //p') |
		grep -v '^$' | paste -sd'|' || true)
	# Kernel lines only (timestamped): what guest scripts print on the
	# console is not the kernel's verdict.
	for f in "$OUT/console.log" "$OUT/dmesg.log"; do
		[ -f "$f" ] || continue
		tr -d '\r' <"$f" | awk -v first="$FIRST_SUITE" '
			BEGIN { s = first }
			/auxshim-ktap: # running / { s = $4; next }
			/auxshim-ktap: # section / { s = $4; next }
			/^\[ *[0-9]+\.[0-9]+\] / { sub(/^\[ *[0-9.]*\] /, ""); print s "\t" $0 }'
	done | grep -E -- "	.*($KLOG_BAD_RE)" |
		{ if [ -n "$allow" ]; then grep -Ev -- "	.*($allow)"; else cat; fi; } |
		awk '!seen[$0]++' || true
}

# kunit.py's report of suite $1 (file $2), tagged; --brief: only what did
# not pass.
print_results() {
	[ -f "$2" ] || return 0
	awk -v brief="$BRIEF" -v tag="[$KERNEL/$1]" '
		/^\[(FAILED|CRASHED|SKIPPED|ERROR)\]/ || /\[(FAILED|CRASHED|SKIPPED)\] / { print tag " " $0; next }
		!brief && !/^=+$/ { print tag " " $0 }' "$2"
}

show_log() {
	log "---- last 60 lines of $OUT/console.log ----"
	tr -d '\r' <"$OUT/console.log" | tail -n 60 >&2
	log "---- end (full logs: $OUT/{console,ktap,dmesg}.log) ----"
}

parse_args() {
	KERNEL='' OUT='' TIMEOUT='' SHELL_MODE='' BRIEF='' STRESS='' DEVICES=$DEFAULT_DEVICES
	EXTRA_QEMU='' EXTRA_APPEND='' MODULES_DIR=''
	KOS=() SCRIPTS=() ALLOW=()
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel) KERNEL=$2; shift ;;
		--ko) KOS+=("$(realpath "$2")"); shift ;;
		--modules-dir) MODULES_DIR=$2; shift ;;
		--devices) DEVICES=$2; shift ;;
		--qemu) EXTRA_QEMU="$EXTRA_QEMU $2"; shift ;;
		--append) EXTRA_APPEND="$EXTRA_APPEND $2"; shift ;;
		--timeout) TIMEOUT=$2; shift ;;
		--allow) ALLOW+=("$2"); shift ;;
		--out) OUT=$2; shift ;;
		--shell) SHELL_MODE=1 ;;
		--stress) STRESS=1 ;;
		--brief) BRIEF=1 ;;
		-h | --help) sed -n '4,35s/^# \{0,1\}//p' "$0"; exit 0 ;;
		-*) die "unknown option $1 (see --help)" ;;
		*) SCRIPTS+=("$(resolve_script "$1")") ;;
		esac
		shift
	done
	[ -n "$KERNEL" ] || die "--kernel K is required (one of: $AUXSHIM_KERNELS $AUXSHIM_DEBUG_KERNEL)"
	kernel_known "$KERNEL" || die "unknown kernel '$KERNEL' (known: $AUXSHIM_KERNELS $AUXSHIM_DEBUG_KERNEL)"
	[ ${#SCRIPTS[@]} -gt 0 ] || [ -n "$SHELL_MODE" ] || die "no guest script given"
}

# Fill in what the scripts' headers ask for.
apply_headers() {
	local m v ko p programs=()
	[ ${#SCRIPTS[@]} -gt 0 ] || return 0
	if [ -z "$MODULES_DIR" ]; then
		MODULES_DIR=$AUXSHIM_CACHE/build/$KERNEL/tree
		case ${SCRIPTS[0]} in
		*.test.sh | *.bench.sh) MODULES_DIR=$MODULES_DIR-test ;;
		esac
	fi
	for m in $(header modules "${SCRIPTS[@]}"); do
		ko=$MODULES_DIR/${m%.ko}.ko
		[ -f "$ko" ] || die "$ko (asked for by a script header) not built; run scripts/build.sh $KERNEL$(case $MODULES_DIR in *-test) echo " AUXSHIM_TEST=1" ;; esac)"
		case " ${KOS[*]} " in *" $ko "*) ;; *) KOS+=("$ko") ;; esac
	done
	KMODS=$(header kmods "${SCRIPTS[@]}" | tr '\n' ' ')
	HOST_FILES=$(header host-files "${SCRIPTS[@]}" | tr '\n' ' ')
	PROGRAMS=$(header programs "${SCRIPTS[@]}" | tr '\n' ' ')
	if [ -n "${PROGRAMS// /}" ]; then
		for p in $PROGRAMS; do programs+=("$PROG_DIR/$p"); done
		# (Two lanes of make check may build them at once.)
		with_lock guest-programs make -s -C "$AUXSHIM_SRC/tests/vfio" O="$PROG_DIR" "${programs[@]}" >&2 ||
			die "cannot build the guest programs $PROGRAMS (tests/vfio)"
	fi
	EXTRA_QEMU="$EXTRA_QEMU $(header qemu "${SCRIPTS[@]}" | tr '\n' ' ')"
	EXTRA_APPEND="$EXTRA_APPEND $(header append "${SCRIPTS[@]}" | tr '\n' ' ')"
	while IFS= read -r v; do [ -n "$v" ] && ALLOW+=("$v"); done < <(header allow "${SCRIPTS[@]}")
}

# Suite name of guest script $1.
suite_of() {
	local s=${1##*/}
	s=${s%.test.sh}
	echo "${s%.bench.sh}"
}

# Seconds suite $1 may run: its "# auxshim-timeout:" (300 without one),
# or --timeout; on the debug kernel times DEBUG_TIMEOUT_SCALE.
suite_timeout() {
	local t=$TIMEOUT s
	if [ -z "$t" ]; then
		for s in "${SCRIPTS[@]}"; do
			[ "$(suite_of "$s")" = "$1" ] && t=$(header timeout "$s" | sort -n | tail -n 1)
		done
	fi
	t=${t:-300}
	[ "$KERNEL" != "$AUXSHIM_DEBUG_KERNEL" ] || t=$((t * DEBUG_TIMEOUT_SCALE))
	echo "$t"
}

# Where suite $1's results go: $OUT itself for a boot of one suite,
# $OUT/SUITE for a shared one.
suite_dir() {
	if [ ${#SCRIPTS[@]} -le 1 ]; then echo "$OUT"; else echo "$OUT/$1"; fi
}

# The section of the boot the console shows last ("" before the first).
current_section() {
	tr -d '\r' <"$OUT/console.log" 2>/dev/null |
		sed -n 's/.*auxshim-ktap: # \(running\|section\) \([^ ]*\).*/\2/p' | tail -n 1
}

# Run QEMU ("$@"), killing it when the boot (BOOT_TIMEOUT until the first
# suite), a suite (its own timeout, from its start) or the closing section
# overstays.  The host time each section started goes to $OUT/sections
# ("NAME START"); TIMED_OUT says who overstayed.  Returns QEMU's status
# (124 when killed).
run_watched() {
	local qpid sec='' cur start limit t rc=0
	: >"$OUT/sections"
	"$@" </dev/null >"$OUT/qemu.out" 2>&1 &
	qpid=$!
	start=$(now) limit=$BOOT_TIMEOUT
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 1
		cur=$(current_section)
		if [ -n "$cur" ] && [ "$cur" != "$sec" ]; then
			sec=$cur start=$(now)
			echo "$sec $start" >>"$OUT/sections"
			case $sec in
			checkers) limit=$BOOT_TIMEOUT ;;
			*) limit=$(suite_timeout "$sec") ;;
			esac
		fi
		t=$(now)
		if [ $((t - start)) -gt "$limit" ]; then
			TIMED_OUT="${sec:-the boot before the first suite} (${limit}s)"
			kill "$qpid" 2>/dev/null
			sleep 5
			kill -9 "$qpid" 2>/dev/null
			wait "$qpid" 2>/dev/null
			return 124
		fi
	done
	wait "$qpid" || rc=$?
	return "$rc"
}

# Cut the boot's document ($OUT/ktap.log: one subtest per suite) into one
# document per suite, $(suite_dir NAME)/ktap.log; a suite cut short (the
# boot died in it) gets what it printed.
split_ktap() {
	local s d
	for s in "${SCRIPTS[@]}"; do
		d=$(suite_dir "$(suite_of "$s")")
		mkdir -p "$d"
		[ "$d" = "$OUT" ] || rm -f "$d"/{ktap.log,ktap.parsed,counts,seconds}
	done
	mkdir -p "$OUT/split"
	rm -f "$OUT"/split/*
	tr -d '\r' <"$OUT/ktap.log" | awk -v dir="$OUT/split" '
		/^    # Subtest: / { name = substr($0, 15); next }
		/^    / { buf = buf substr($0, 5) "\n"; next }
		/^(ok|not ok) [0-9]+ / { n = $0; sub(/^(not )?ok [0-9]+ /, "", n); printf "%s", buf > (dir "/" n); close(dir "/" n); buf = ""; name = ""; next }
		END { if (buf != "" && name != "") printf "%s", buf > (dir "/" name) }'
}

main() {
	parse_args "$@"
	KMODS='' PROGRAMS='' HOST_FILES='' TIMED_OUT=''
	# Keyed by the programs' sources: checkouts sharing one cache (two
	# branches, CI) never run each other's binaries.
	PROG_DIR=$AUXSHIM_CACHE/guest/bin-$(cat "$AUXSHIM_SRC"/tests/vfio/Makefile \
		"$AUXSHIM_SRC"/tests/vfio/*.[ch] | sha256sum | cut -c1-12)
	mkdir -p "$PROG_DIR"
	apply_headers
	BOOT_TIMEOUT=120
	[ "$KERNEL" != "$AUXSHIM_DEBUG_KERNEL" ] || BOOT_TIMEOUT=$((BOOT_TIMEOUT * DEBUG_TIMEOUT_SCALE))
	SUITE=shell FIRST_SUITE=''
	if [ ${#SCRIPTS[@]} -gt 0 ]; then
		SUITE=$(for s in "${SCRIPTS[@]}"; do printf '%s+' "$(suite_of "$s")"; done)
		SUITE=${SUITE%+}
		FIRST_SUITE=$(suite_of "${SCRIPTS[0]}")
	fi
	OUT=${OUT:-$AUXSHIM_CACHE/runs/$KERNEL/$SUITE}
	mkdir -p "$OUT" "$AUXSHIM_CACHE/guest"
	rm -f "$OUT"/{console,ktap,dmesg}.log "$OUT/counts" "$OUT/ktap.parsed"
	kunit_get || die "no KTAP parser: tools/testing/kunit from linux-source-6.1 (and python3) needed"
	REL=$("$KERNELS_SH" path "$KERNEL" release)
	VMLINUZ=$("$KERNELS_SH" path "$KERNEL" vmlinuz)

	local base kmod host start rc=0
	base=$(with_lock guest-base base_cpio)
	kmod=$(with_lock "guest-kmod-$KERNEL" kmod_cpio "$KERNEL" "$KMODS")
	[ ${#SCRIPTS[@]} -eq 0 ] || [ -z "$(header sign "${SCRIPTS[@]}")" ] || sign_modules
	run_cpio "$OUT/run.cpio"
	host=/dev/null
	if [ -n "${HOST_FILES// /}" ]; then
		host=$(with_lock guest-host hostfiles_cpio "$HOST_FILES")
	fi
	cat "$base" "$kmod" "$host" "$OUT/run.cpio" >"$OUT/initrd"

	local -a qemu=(qemu-system-x86_64 -M q35 -accel tcg -cpu max -m 1G -smp 2
		-nic none -nodefaults -display none -no-reboot
		-device "isa-debug-exit,iobase=0xf4,iosize=0x04"
		-kernel "$VMLINUZ" -initrd "$OUT/initrd"
		-append "$BASE_APPEND $EXTRA_APPEND")
	# shellcheck disable=SC2206 # QEMU arguments given as one string, split on purpose
	qemu+=($DEVICES $EXTRA_QEMU)
	if [ -n "$SHELL_MODE" ]; then
		qemu+=(-chardev "stdio,id=con,mux=on,signal=off,logfile=$OUT/console.log"
			-serial chardev:con -mon chardev=con)
	else
		qemu+=(-monitor none -serial "file:$OUT/console.log")
	fi
	qemu+=(-serial "file:$OUT/ktap.log" -serial "file:$OUT/dmesg.log")
	printf '%q ' "${qemu[@]}" >"$OUT/qemu.cmd"
	echo >>"$OUT/qemu.cmd"

	if [ -n "$SHELL_MODE" ]; then
		log "$KERNEL ($REL): interactive boot (Ctrl-A X quits QEMU; logs in $OUT)"
	else
		log "$KERNEL ($REL): booting $SUITE (logs in $OUT)"
	fi
	start=$(now)
	if [ -n "$SHELL_MODE" ]; then
		"${qemu[@]}" || rc=$?
	else
		run_watched "${qemu[@]}" || rc=$?
		# A kernel that died before /init ran none of our code: under TCG
		# that is the emulator (seen once: an int3 oops in text patching
		# at boot).  One more boot, said on stderr and in the log.
		if [ "$rc" = 0 ] && ! grep -q 'auxshim-ktap: # guest up' "$OUT/console.log" 2>/dev/null; then
			log "[$KERNEL/$SUITE] the kernel died before /init (none of our code ran): booting once more"
			mv "$OUT/console.log" "$OUT/console.first-boot.log"
			rc=0
			run_watched "${qemu[@]}" || rc=$?
		fi
	fi
	echo "$(($(now) - start))" >"$OUT/seconds"
	now >>"$OUT/sections"
	touch "$OUT/ktap.log" "$OUT/console.log"
	echo "$rc" >"$OUT/qemu.rc"

	# What went wrong with the boot as a whole; it counts against the
	# suite it happened in (the last one started).
	local why=""
	case $rc in
	33 | 35) ;; # the guest's verdict through isa-debug-exit (tests/guest/init)
	124 | 137) why="guest timed out in ${TIMED_OUT:-?} (killed)" ;;
	0)
		# Under lockdown (a suite that raises it says "# auxshim-lockdown:
		# yes") /dev/port is closed, so the verdict cannot reach
		# isa-debug-exit: a clean power-down, with the KTAP judged below,
		# is the guest's end.
		if [ ${#SCRIPTS[@]} -gt 0 ] && [ -n "$(header lockdown "${SCRIPTS[@]}")" ] &&
			tr -d '\r' <"$OUT/console.log" | grep -q 'reboot: Power down'; then
			:
		else
			why="guest stopped without a verdict (panic or reboot?)"
		fi
		;;
	*) why="qemu exited with status $rc: $(tail -n 3 "$OUT/qemu.out" 2>/dev/null | tr '\n' ' ')" ;;
	esac
	[ ${#SCRIPTS[@]} -gt 0 ] || return 0

	split_ktap
	kernel_errors >"$OUT/kernel-errors"
	local s name dir counts errs passed failed skipped t0 t1 last ran=1 tp=0 tf=0 ts=0 swhy
	last=$(current_section)
	[ -n "$last" ] || last=$FIRST_SUITE
	[ "$last" != checkers ] || last=$(suite_of "${SCRIPTS[-1]}")
	for s in "${SCRIPTS[@]}"; do
		name=$(suite_of "$s")
		dir=$(suite_dir "$name")
		swhy=''
		if [ "$ran" = 0 ]; then
			counts="0 0 0"
			swhy="not run: the boot ended in $last"
		elif [ -f "$OUT/split/$name" ]; then
			cp "$OUT/split/$name" "$dir/ktap.log"
			counts=$(ktap_counts "$dir/ktap.log" "$dir/ktap.parsed")
		else
			counts="malformed: no KTAP document for $name"
		fi
		case $counts in
		malformed*)
			swhy="KTAP $counts"
			counts="0 0 0"
			;;
		esac
		[ "$name" != "$last" ] || [ -z "$why" ] || swhy="${swhy:+$swhy; }$why"
		print_results "$name" "$dir/ktap.parsed"
		# Errors before the first suite count against it, after the last
		# (the debug kernel's checkers) against the boot's checkers case.
		errs=$(sed -n "s/^$name	//p" "$OUT/kernel-errors")
		if [ -n "$errs" ]; then
			printf '%s\n' "$errs" | sed "s/^/[$KERNEL\/$name] kernel log: /" >&2
			swhy="${swhy:+$swhy; }kernel log has BUG/Oops/WARNING/slab errors (see above)"
		fi
		read -r passed failed skipped <<<"$counts"
		if [ -n "$swhy" ]; then
			failed=$((failed + 1))
			log "[$KERNEL/$name] RUN FAILED: $swhy"
		fi
		t0=$(awk -v n="$name" '$1 == n { print $2; exit }' "$OUT/sections")
		t1=$(awk -v n="$name" 'f && NF { print $NF; exit } $1 == n { f = 1 }' "$OUT/sections")
		echo "$passed $failed $skipped" >"$dir/counts"
		if [ "$dir" != "$OUT" ]; then
			if [ -n "$t0" ]; then echo $((${t1:-0} - t0)) >"$dir/seconds"; else echo 0 >"$dir/seconds"; fi
		fi
		[ "$dir" = "$OUT" ] || log "[$KERNEL/$name] $passed passed, $failed failed, $skipped skipped ($(cat "$dir/seconds") s)"
		tp=$((tp + passed)) tf=$((tf + failed)) ts=$((ts + skipped))
		[ "$name" != "$last" ] || ran=0
	done
	# The debug kernel's checkers: a section (and subtest) of the boot.
	if [ -f "$OUT/split/checkers" ]; then
		cp "$OUT/split/checkers" "$OUT/checkers.ktap"
		counts=$(ktap_counts "$OUT/checkers.ktap" "$OUT/checkers.parsed")
		print_results checkers "$OUT/checkers.parsed"
		case $counts in malformed*) log "[$KERNEL/checkers] KTAP $counts"; counts="0 1 0" ;; esac
		errs=$(sed -n "s/^checkers	//p" "$OUT/kernel-errors")
		read -r passed failed skipped <<<"$counts"
		if [ -n "$errs" ]; then
			printf '%s\n' "$errs" | sed "s/^/[$KERNEL\/checkers] kernel log: /" >&2
			failed=$((failed + 1))
		fi
		echo "$passed $failed $skipped" >"$OUT/checkers.counts"
		tp=$((tp + passed)) tf=$((tf + failed)) ts=$((ts + skipped))
	elif [ "$KERNEL" = "$AUXSHIM_DEBUG_KERNEL" ]; then
		echo "0 1 0" >"$OUT/checkers.counts"
		tf=$((tf + 1))
	fi
	[ "$tf" -eq 0 ] || show_log
	echo "$tp $tf $ts" >"$OUT/counts"
	log "[$KERNEL/$SUITE] $tp passed, $tf failed, $ts skipped ($(cat "$OUT/seconds") s)"
	[ "$tf" -eq 0 ]
}

main "$@"
