# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Shared by every host-side script: sourced, never run.  Defines the one
# cache directory, logging, the Debian mirrors (read from the host's apt
# configuration at run time) and the list of target kernels.

AUXSHIM_CACHE=${AUXSHIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/auxshim}
export AUXSHIM_CACHE

# Repository root: the parent of this scripts/ directory.
AUXSHIM_SRC=$(cd "$(dirname -- "${BASH_SOURCE[0]:-$0}")/.." && pwd)

# The kernels we build and test on, one row each: the one place for what
# differs between them (every script reads it through kernel_fact).
# Columns, "-" for none, "," between words:
#   kernel   short name ("debug": built from $AUXSHIM_DEBUG_SOURCE with KASAN,
#            lockdep and kmemleak by scripts/debug-kernel.sh; check.sh runs
#            it as a tier of its own)
#   suites   Debian suites that may hold it (the newest ABI wins; kernels.sh)
#   headers  its linux-headers package, an ERE with the ABI left open
#   chroot   the suite of the mmdebstrap chroot it builds in (-: the host)
#   cc       the compiler it builds with (the chroot's; the host's gcc-12)
#   aux      the shim's aux backend (src/shim/compat.h, from the probes):
#            the aux-domain API up to v5.17, PASID attach from v6.6,
#            neither in between.  A guest suite compares it with what it
#            sees (EXPECT_AUX_BACKEND), so that a broken probe cannot turn
#            the aux/PASID cases into skips and stay green
#   unload   "rmmod auxshim_sample" while a VFIO client holds an mdev
#            (EXPECT_UNLOAD_HELD): 5.10's vfio_mdev waits in
#            vfio_del_group_dev() for the client to close; from v5.16 the
#            open vfio device holds the driver's module, so it is refused
#   kmods    stock modules every guest loads beyond vfio, vfio_iommu_type1,
#            vfio-pci and mdev (busybox insmod ignores softdeps)
#   build    the make arguments of the test build (check.sh): sparse (C=2)
#            in the same build as W=1 on 6.1, the host's own kernel
#            (lint.sh's sparse is this build, so one build serves both)
AUXSHIM_KERNEL_TABLE='
#kernel suites                              headers                                        chroot   cc     aux        unload  kmods     build
5.10     bullseye,bullseye-security          linux-headers-5\.10\.0-[0-9]+-amd64            bullseye gcc-10 aux-domain waits   vfio_mdev AUXSHIM_TEST=1
6.1      bookworm,bookworm-security          linux-headers-6\.1\.0-[0-9]+-amd64             -        gcc-12 none       refused -         AUXSHIM_TEST=1,C=2
6.12     bookworm-security,bookworm-backports linux-headers-6\.12\.[0-9]+\+(deb12|bpo)-amd64  -        gcc-12 pasid      refused -         AUXSHIM_TEST=1
7.3      trixie,trixie-backports             linux-headers-7\.3\.[0-9]+\+(deb13|bpo)-amd64   trixie   gcc-14 pasid      refused -         AUXSHIM_TEST=1
debug    -                                   -                                              -        gcc-12 pasid      refused -         AUXSHIM_TEST=1
'

# kernel_fact K COLUMN: kernel K's entry in that column ("," printed as
# spaces, "-" as nothing); nothing for a kernel without a row.
kernel_fact() {
	awk -v k="$1" -v col="$2" '
		BEGIN { split("kernel suites headers chroot cc aux unload kmods build", c, " ")
			for (i in c) n[c[i]] = i }
		!(col in n) { exit 2 }
		$1 == k { v = $(n[col]); if (v == "-") v = ""; gsub(",", " ", v); print v; exit }
	' <<<"$AUXSHIM_KERNEL_TABLE"
}

# The stock kernels by short name, and the debug kernel's.
AUXSHIM_KERNELS=$(awk '/^[0-9]/ { printf "%s%s", s, $1; s = " " }' <<<"$AUXSHIM_KERNEL_TABLE")
AUXSHIM_DEBUG_KERNEL=debug
# The Debian source package the debug kernel is built from
# (scripts/debug-kernel.sh; scripts/setup-host.sh installs it).
# shellcheck disable=SC2034 # (sourced: read by those two scripts)
AUXSHIM_DEBUG_SOURCE=linux-source-6.12

kernel_aux_backend() { kernel_fact "$1" aux; }
kernel_unload_held() { kernel_fact "$1" unload; }
test_build_args() { kernel_fact "$1" build; }

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# The first of its arguments (a glob's matches) that is a file; nothing if
# none is.
first_file() {
	local f
	for f in "$@"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 0
}
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

kernel_known() {
	case " $AUXSHIM_KERNELS $AUXSHIM_DEBUG_KERNEL " in *" $1 "*) return 0 ;; esac
	return 1
}

kernel_chroot_suite() { kernel_fact "$1" chroot; }

# The host's Debian mirrors, from its own apt configuration.  Sets
# DEBIAN_MIRROR and SECURITY_MIRROR (AUXSHIM_MIRROR and
# AUXSHIM_SECURITY_MIRROR override).
mirror_uris() {
	[ -n "${DEBIAN_MIRROR:-}" ] && [ -n "${SECURITY_MIRROR:-}" ] && return 0
	local files f uris line
	files=
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
		 /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] && files="$files $f"
	done
	# deb822: "URIs:" lines; one-line format: "deb [opts] URI suite ...".
	# shellcheck disable=SC2086 # apt source files, paths without spaces
	uris=$(cat /dev/null $files | awk '
		/^[ \t]*URIs:/ { for (i = 2; i <= NF; i++) print $i; next }
		/^[ \t]*deb[ \t]/ {
			for (i = 2; i <= NF; i++) {
				if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; continue }
				print $i; break
			}
		}')
	for line in $uris; do
		case $line in
		*debian-security*) SECURITY_MIRROR=${SECURITY_MIRROR:-${line%/}} ;;
		*/debian | */debian/) DEBIAN_MIRROR=${DEBIAN_MIRROR:-${line%/}} ;;
		esac
	done
	DEBIAN_MIRROR=${AUXSHIM_MIRROR:-${DEBIAN_MIRROR:-}}
	SECURITY_MIRROR=${AUXSHIM_SECURITY_MIRROR:-${SECURITY_MIRROR:-}}
	[ -n "$DEBIAN_MIRROR" ] ||
		die "no Debian mirror found in /etc/apt (set AUXSHIM_MIRROR)"
	[ -n "$SECURITY_MIRROR" ] ||
		die "no debian-security mirror found in /etc/apt (set AUXSHIM_SECURITY_MIRROR)"
	export DEBIAN_MIRROR SECURITY_MIRROR
}

# sources.list lines for a chroot of SUITE (main suite, -updates, -security
# and -backports where Debian has them).
chroot_sources_list() {
	mirror_uris
	local suite=$1
	echo "deb $DEBIAN_MIRROR $suite main"
	echo "deb $DEBIAN_MIRROR $suite-updates main"
	echo "deb $SECURITY_MIRROR $suite-security main"
	case $suite in
	bookworm | trixie) echo "deb $DEBIAN_MIRROR $suite-backports main" ;;
	esac
}

# Run "$@" while holding an exclusive lock named $1 under the cache, so two
# concurrent runs never fetch or build the same thing at once.
with_lock() {
	local name=$1
	shift
	mkdir -p "$AUXSHIM_CACHE/locks"
	(
		flock 9
		"$@"
	) 9>"$AUXSHIM_CACHE/locks/$name"
}

# Copy the repository's sources (not .git, not build products) to $1.
# Build products already in $1 survive (--delete spares excluded names),
# which keeps builds there incremental.  Every file the copy changed gets
# a fresh mtime: kbuild rebuilds by mtime, and a source older than the
# object built from its predecessor (another branch, another worktree
# sharing the cache) would otherwise leave a stale object in the module.
SYNC_EXCLUDE=(--exclude=/.git --exclude=/.ci
	--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c'
	--exclude='.*.cmd' --exclude='*.order' --exclude=Module.symvers
	--exclude=conftest.h
	--exclude='*.dwo' --exclude='.tmp_versions' --exclude='.cache.mk')
sync_source() {
	local f
	mkdir -p "$1"
	rsync -a --delete --itemize-changes "${SYNC_EXCLUDE[@]}" \
		"$AUXSHIM_SRC/" "$1/" |
		sed -n 's/^>f[^ ]* //p' |
		while IFS= read -r f; do touch "$1/$f"; done
}

# A key for what a run reads: the sha256 (16 hex digits) of the contents
# of the repository's files under the given paths (globs, relative to the
# repository; the whole tree without them; build products and .git never
# count) and of any extra words in INPUTS_EXTRA (a kernel release, make
# arguments).
inputs_hash() {
	local empty p paths=()
	empty=$(mktemp -d)
	(
		cd "$AUXSHIM_SRC" || exit
		# shellcheck disable=SC2206 # globs, expanded here on purpose
		for p in "${@:-./}"; do paths+=($p); done
		# What sync_source would copy: the same filter, nothing copied.
		rsync -a -R -n --out-format='%n' "${SYNC_EXCLUDE[@]}" "${paths[@]}" "$empty/" |
			LC_ALL=C sort | while IFS= read -r f; do
				[ -f "$f" ] && [ ! -L "$f" ] && printf '%s %s\n' "$(sha256sum <"$f" | cut -c1-64)" "$f"
			done
		echo "${INPUTS_EXTRA:-}"
	) | sha256sum | cut -c1-16
	rmdir "$empty"
}

# Files of Debian's linux-source-6.1 (the host's own kernel version) that
# the host's tools run: kunit.py here, checkpatch.pl, kernel-doc and the
# kernel's .clang-format in lint.sh.  Unpacked into LINUX_SOURCE_DIR from
# /usr/src/linux-source-6.1.tar.* (scripts/setup-host.sh installs the
# package), or from the package fetched once into the cache.
LINUX_SOURCE_DIR=$AUXSHIM_CACHE/checkpatch

# linux_source_get PATH...: unpack these paths of the tree (tar wildcards,
# below its top directory) into LINUX_SOURCE_DIR.
linux_source_get_locked() {
	local tarball dl=$LINUX_SOURCE_DIR.deb p pats=() rc=0
	tarball=$(first_file /usr/src/linux-source-6.1.tar.*)
	if [ -z "$tarball" ]; then
		log "fetching linux-source-6.1 (once) for $*"
		rm -rf "$dl"
		"$AUXSHIM_SRC/scripts/kernels.sh" download "$dl" linux-source-6.1 >&2 || return 1
		mkdir -p "$dl/x"
		dpkg-deb -x "$(ls "$dl"/linux-source-6.1_*.deb)" "$dl/x"
		tarball=$(ls "$dl"/x/usr/src/linux-source-6.1.tar.*)
	fi
	for p in "$@"; do pats+=("*/$p"); done
	mkdir -p "$LINUX_SOURCE_DIR"
	tar -xf "$tarball" -C "$LINUX_SOURCE_DIR" --strip-components=1 --wildcards "${pats[@]}" || rc=1
	rm -rf "$dl"
	return "$rc"
}

linux_source_get() { with_lock linux-source linux_source_get_locked "$@"; }

# The one KTAP parser: the kernel's own tools/testing/kunit/kunit.py (its
# "parse" command), from linux-source-6.1.
KUNIT_DIR=$LINUX_SOURCE_DIR/tools/testing/kunit

kunit_get_locked() {
	[ -f "$KUNIT_DIR/kunit.py" ] && [ -f "$KUNIT_DIR/kunit_parser.py" ] && return 0
	command -v python3 >/dev/null ||
		{ log "python3 is needed to parse KTAP (kunit.py)"; return 1; }
	linux_source_get 'tools/testing/kunit/*' && [ -f "$KUNIT_DIR/kunit.py" ]
}

kunit_get() { with_lock kunit kunit_get_locked; }

# Parse the KTAP document in file $1 (nested as KUnit nests it; lines before
# "KTAP version 1" are ignored) with kunit.py parse --json.  Prints "PASSED
# FAILED SKIPPED" (leaf tests, from the JSON; a crashed test counts as
# failed), or "malformed: why" when kunit.py found the document broken (no
# KTAP, a plan not met, results out of order, a subtest cut short by a
# crash: its [ERROR] lines, which the JSON does not carry).  kunit.py's own
# report, one line per test, goes to file $2 if given.
ktap_counts() {
	local doc=$1 report=${2:-/dev/null} tmp e
	kunit_get || { echo "malformed: kunit.py (linux-source-6.1) not available"; return 0; }
	tmp=$(mktemp)
	tr -d '\r' <"$doc" >"$tmp"
	python3 "$KUNIT_DIR/kunit.py" parse --json="$tmp.json" "$tmp" </dev/null 2>&1 |
		sed 's/^\[[0-9:]*\] //' >"$tmp.out" || true
	cp "$tmp.out" "$report" 2>/dev/null || true
	e=$(grep -c '^\[ERROR\]' "$tmp.out" || true)
	if [ ! -s "$tmp.json" ]; then
		echo "malformed: kunit.py parse failed: $(tail -n 1 "$tmp.out")"
	elif [ "$e" -gt 0 ]; then
		echo "malformed: $(grep -m 1 '^\[ERROR\]' "$tmp.out" | sed 's/^\[ERROR\] //') ($e errors)"
	else
		python3 -c '
import json, sys
n = {"PASS": 0, "FAIL": 0, "SKIP": 0}
def walk(g):
	for c in g["test_cases"]:
		s = c["status"]
		n[s if s in n else "FAIL"] += 1
	for sub in g["sub_groups"]:
		walk(sub)
walk(json.load(open(sys.argv[1])))
print(n["PASS"], n["FAIL"], n["SKIP"])' "$tmp.json"
	fi
	rm -f "$tmp" "$tmp.out" "$tmp.json"
}

# The version DKMS and modinfo report, from dkms.conf.
package_version() {
	sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}/\1/p' "$AUXSHIM_SRC/dkms.conf"
}

# Seconds since the epoch, for wall-time reports.
now() { date +%s; }

# Host-side KTAP: host_result ok|"not ok" NAME [DIRECTIVE] records one
# result; host_ktap prints the document and succeeds iff none failed.
HOST_N=0
HOST_FAILED=0
HOST_RESULTS=
host_result() {
	HOST_N=$((HOST_N + 1))
	HOST_RESULTS="$HOST_RESULTS$1 $HOST_N $2${3:+ # $3}
"
	case $1 in "not ok") HOST_FAILED=$((HOST_FAILED + 1)) ;; esac
}

# host_check NAME CMD...: a case, passing iff CMD succeeds; CMD's output
# goes to $LOG, whose last line is the reason when it fails.  Returns CMD's
# success.
host_check() {
	local name=$1
	shift
	printf '\n$ %s: %s\n' "$name" "$*" >>"$LOG"
	if "$@" >>"$LOG" 2>&1; then
		host_result ok "$name"
		return 0
	fi
	host_result "not ok" "$name" "$(tail -n 1 "$LOG")"
	return 1
}

host_ktap() {
	echo "KTAP version 1"
	echo "1..$HOST_N"
	printf '%s' "$HOST_RESULTS"
	[ "$HOST_FAILED" -eq 0 ]
}
