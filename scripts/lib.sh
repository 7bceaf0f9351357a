# SPDX-License-Identifier: GPL-2.0-only
#
# Shared by every host-side script: sourced, never run.  Defines the one
# cache directory, logging, the Debian mirrors (read from the host's apt
# configuration at run time) and the list of target kernels.

AUXSHIM_CACHE=${AUXSHIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/auxshim}
export AUXSHIM_CACHE

# Repository root: the parent of this scripts/ directory.
AUXSHIM_SRC=$(cd "$(dirname -- "${BASH_SOURCE[0]:-$0}")/.." && pwd)

# The kernels we build and test on, by short name.
AUXSHIM_KERNELS="5.10 6.1 6.12 7.3"

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# Short kernel name -> Debian suites that may hold it (newest ABI wins),
# the suite of the chroot it builds in ("" = host) and the suites of that
# chroot.
kernel_known() {
	case " $AUXSHIM_KERNELS " in *" $1 "*) return 0 ;; esac
	return 1
}

kernel_chroot_suite() {
	case $1 in
	5.10) echo bullseye ;;
	7.3) echo trixie ;;
	*) echo "" ;;
	esac
}

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
	# shellcheck disable=SC2086
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
sync_source() {
	local f
	mkdir -p "$1"
	rsync -a --delete --itemize-changes \
		--exclude=/.git --exclude=/.ci \
		--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='.*.cmd' --exclude='*.order' --exclude=Module.symvers \
		--exclude=conftest.h \
		--exclude='*.dwo' --exclude='.tmp_versions' --exclude='.cache.mk' \
		"$AUXSHIM_SRC/" "$1/" |
		sed -n 's/^>f[^ ]* //p' |
		while IFS= read -r f; do touch "$1/$f"; done
}

# Check a KTAP document (file $1): version line, plan, results numbered
# 1..N matching the plan.  Prints "PASSED FAILED SKIPPED", or
# "malformed: why".  Lines before "KTAP version 1" are ignored.
ktap_counts() {
	tr -d '\r' <"$1" | awk '
		function bad(why) { print "malformed: " why; ok = 0; exit }
		BEGIN { ok = 1; state = 0 }
		state == 0 && /^KTAP version 1$/ { state = 1; next }
		state == 0 { next }
		state == 1 && /^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0; state = 2; next }
		state == 1 { bad("no plan after the version line") }
		/^#/ || /^$/ { next }
		/^(ok|not ok) [0-9]+( |$)/ {
			num = ($1 == "ok") ? $2 : $3
			if (num != n + 1) bad("result " num " out of sequence (expected " n + 1 ")")
			n++
			if ($1 == "not") f++
			else if ($0 ~ / # [Ss][Kk][Ii][Pp]/) s++
			else p++
			next
		}
		{ bad("unexpected line: " $0) }
		END {
			if (!ok) exit
			if (state == 0) { print "malformed: no KTAP document"; exit }
			if (state == 1) { print "malformed: no plan"; exit }
			if (n != plan) { print "malformed: plan 1.." plan " but " n " results"; exit }
			print p + 0, f + 0, s + 0
		}'
}

# The version DKMS and modinfo report, from dkms.conf.
package_version() {
	sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}/\1/p' "$AUXSHIM_SRC/dkms.conf"
}

# Seconds since the epoch, for wall-time reports.
now() { date +%s; }
