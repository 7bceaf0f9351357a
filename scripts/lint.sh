#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Static checks behind "make lint":
#   - shell syntax (busybox sh -n for the guest's scripts, bash -n for ours)
#     and shellcheck (bookworm's) on every shell script;
#   - the guest's lockdep recognizer on saved reports
#     (tests/host/lockdep_known.sh);
#   - checkpatch.pl --strict --no-tree -f on our .c/.h files (checkpatch from
#     Debian's linux-source-6.1 tarball, unpacked once into the cache);
#   - kernel-doc -Werror on the headers (from the same tarball);
#   - clang-format (bookworm's) with the kernel's .clang-format, which the
#     repository carries unchanged, on every C file but the exceptions below;
#   - docs/api.rst is what scripts/api-doc.sh generates from include/auxshim.h;
#   - scripts/version.sh check: dkms.conf, debian/changelog and Kbuild agree;
#   - the compat headers rename no kernel identifier: every #define in a
#     compat.h names one of ours (AUXSHIM_*, auxshim_*);
#   - the lookup ABI: include/auxshim.h's "lookup ABI" section is the one
#     recorded below for its AUXSHIM_LUT_ABI (a change needs a new version);
#   - every relative link and every repository path named in backticks in
#     README.md and docs/*.md exists (run_doc_links says which tokens count);
#   - sparse: "make C=2" of the test build for 6.1 through scripts/build.sh
#     (any warning from our files fails).
# Exit status non-zero if any of them reports anything.
set -eu
. "$(dirname -- "$0")/lib.sh"

CP_DIR=$LINUX_SOURCE_DIR

# checkpatch.pl and its data files, kernel-doc and .clang-format from
# linux-source-6.1 (lib.sh linux_source_get).
get_checkpatch() {
	[ -x "$CP_DIR/scripts/checkpatch.pl" ] && [ -f "$CP_DIR/scripts/kernel-doc" ] &&
		return 0
	linux_source_get scripts/checkpatch.pl scripts/spelling.txt \
		scripts/const_structs.checkpatch .clang-format scripts/kernel-doc &&
		[ -x "$CP_DIR/scripts/checkpatch.pl" ]
}

# Findings we accept on purpose, by file: the compat header holds the one
# minimum-version #error (LINUX_VERSION_CODE, with the constant on the left
# as the kernel writes it) and the typeof() typedef of dev->bus; a probe
# needs a prototype for its non-static function (AVOID_EXTERNS).
CP_IGNORE_COMPAT=LINUX_VERSION_CODE,CONSTANT_COMPARISON,NEW_TYPEDEFS
CP_IGNORE_PROBES=AVOID_EXTERNS
# tests/ktap.h: KT_ASSERT_* end the case with a return, as KUNIT_ASSERT_*
# end a KUnit case (MACRO_WITH_FLOW_CONTROL), and its array walker names
# the array twice, in typeof() and sizeof (MACRO_ARG_REUSE).
CP_IGNORE_KTAP=MACRO_WITH_FLOW_CONTROL,MACRO_ARG_REUSE
# tests/vfio/: userspace programs, written against the VFIO uapi with
# <stdint.h> types (the kernel's u8..u64 do not exist in userspace).
CP_IGNORE_USER=PREFER_KERNEL_TYPES

checkpatch() {
	local ignore=$1
	shift
	[ $# -gt 0 ] || return 0
	(cd "$AUXSHIM_SRC" && perl "$CP_DIR/scripts/checkpatch.pl" --strict --no-tree \
		--terse --show-types \
		--ignore "FILE_PATH_CHANGES,SPDX_LICENSE_TAG${ignore:+,$ignore}" \
		--max-line-length=100 -f "$@")
}

run_checkpatch() {
	local files f rc=0 probes="" compat="" ktap="" user="" rest=""
	files=$(cd "$AUXSHIM_SRC" && { git ls-files '*.c' '*.h' 2>/dev/null ||
		find src include tests scripts -name '*.[ch]'; })
	[ -n "$files" ] || { log "checkpatch: no C files"; return 1; }
	# A lint that could not run is a failure, never a silent pass.
	get_checkpatch || { log "checkpatch: could not get linux-source-6.1"; return 1; }
	for f in $files; do
		case $f in
		scripts/probes/*) probes="$probes $f" ;;
		*/compat.h) compat="$compat $f" ;;
		tests/ktap.h) ktap="$ktap $f" ;;
		tests/vfio/*) user="$user $f" ;;
		*) rest="$rest $f" ;;
		esac
	done
	# shellcheck disable=SC2086 # file lists from git ls-files, one word each
	checkpatch "" $rest || rc=1
	# shellcheck disable=SC2086 # the same
	checkpatch "$CP_IGNORE_COMPAT" $compat || rc=1
	# shellcheck disable=SC2086 # the same
	checkpatch "$CP_IGNORE_PROBES" $probes || rc=1
	# shellcheck disable=SC2086 # the same
	checkpatch "$CP_IGNORE_KTAP" $ktap || rc=1
	# shellcheck disable=SC2086 # the same
	checkpatch "$CP_IGNORE_USER" $user || rc=1
	return "$rc"
}

# kernel-doc of the headers, where every exported function is documented:
# any warning (a missing or misnamed parameter, a bad section) fails.
run_kerneldoc() {
	local out
	get_checkpatch || { log "kernel-doc: could not get linux-source-6.1"; return 1; }
	out=$(cd "$AUXSHIM_SRC" && perl "$CP_DIR/scripts/kernel-doc" -none -Werror \
		include/auxshim.h src/shim/test_hooks.h src/sample/edu.h 2>&1)
	[ -z "$out" ] || { printf '%s\n' "$out"; return 1; }
}

# The guest scripts parse in the shell that runs them (busybox sh), and
# the host scripts in bash.
run_shell_syntax() {
	local f rc=0
	for f in "$AUXSHIM_SRC"/tests/guest/*.sh "$AUXSHIM_SRC"/tests/guest/init; do
		busybox sh -n "$f" || { log "syntax error: $f"; rc=1; }
	done
	for f in "$AUXSHIM_SRC"/scripts/*.sh "$AUXSHIM_SRC"/.ci/run; do
		bash -n "$f" || { log "syntax error: $f"; rc=1; }
	done
	return "$rc"
}

# Run shellcheck on every shell script: the host's in bash (lib.sh says so in
# a directive), .ci/run and tests/host/ in sh, the guest's as dash, the
# strictest shell close to the busybox sh that runs them.  Guest scripts
# source each other at their paths in the guest (/tests/NAME), so they are
# followed through a directory whose tests/ is tests/guest/.  Libraries (sourced, never run) set variables for the
# scripts that source them: "appears unused" (SC2034) is not checked there.
GUEST_LIBS="ktap.sh kernel_log.sh sample_lib.sh pin_lib.sh bench_lib.sh vm_lib.sh"

run_shellcheck() {
	local root f rc=0 guest=() libs=()
	command -v shellcheck >/dev/null || { log "shellcheck: not installed (scripts/setup-host.sh)"; return 1; }
	(cd "$AUXSHIM_SRC" && shellcheck -x -P SCRIPTDIR scripts/*.sh .ci/run tests/host/*.sh) || rc=1
	for f in "$AUXSHIM_SRC"/tests/guest/*.sh "$AUXSHIM_SRC"/tests/guest/init; do
		case " $GUEST_LIBS " in
		*" ${f##*/} "*) libs+=("${f#"$AUXSHIM_SRC"/}") ;;
		*) guest+=("${f#"$AUXSHIM_SRC"/}") ;;
		esac
	done
	root=$(mktemp -d)
	ln -s "$AUXSHIM_SRC/tests/guest" "$root/tests"
	(cd "$AUXSHIM_SRC" && shellcheck -s dash -x -P "$root" "${guest[@]}") || rc=1
	(cd "$AUXSHIM_SRC" && shellcheck -s dash -x -P "$root" -e SC2034 "${libs[@]}") || rc=1
	rm -rf "$root"
	log "shellcheck: $(($(find "$AUXSHIM_SRC/scripts" "$AUXSHIM_SRC/tests/host" -name '*.sh' | wc -l) + 1)) host and $((${#guest[@]} + ${#libs[@]})) guest scripts"
	return "$rc"
}

# Files clang-format does not check, each with its reason.  Everywhere else,
# the only exception is a message or description string over 80 columns:
# checkpatch forbids splitting it (SPLIT_STRING) and --strict a line ending
# in "(" (OPEN_ENDED_LINE), which is where clang-format would break it, so
# such a line is fenced with /* clang-format off */ ... /* clang-format on */.
CF_EXCEPT="
tests/pin_test.c	clang-format 14 misparses function-pointer locals set from symbol_get() and writes 'struct device * dev' (checkpatch POINTER_LOCATION)
tests/auxshim_test.c	KTAP diagnostics over 80 columns on most cases: fencing each would hide more than it formats (OPEN_ENDED_LINE)
tests/auxshim_test_bench.c	the same: benchmark diagnostics over 80 columns
tests/removal_test.c	the same: case diagnostics over 80 columns
tests/mock/mock_test.c	the same: case diagnostics over 80 columns
tests/mock/iommu.c	the same: dev_err messages over 80 columns
tests/mock/compat.h	the same: messages over 80 columns in its wrappers
"

cf_excepted() {
	local f=$1 pat
	while IFS='	' read -r pat _; do
		[ -n "$pat" ] || continue
		# shellcheck disable=SC2254 # the pattern is a glob on purpose
		case $f in $pat) return 0 ;; esac
	done <<<"$CF_EXCEPT"
	return 1
}

run_clang_format() {
	local files f rc=0 n=0
	command -v clang-format >/dev/null || { log "clang-format: not installed (scripts/setup-host.sh)"; return 1; }
	get_checkpatch || { log "clang-format: could not get linux-source-6.1"; return 1; }
	if ! cmp -s "$AUXSHIM_SRC/.clang-format" "$CP_DIR/.clang-format"; then
		log "clang-format: .clang-format is not the kernel's (linux-source-6.1)"
		rc=1
	fi
	files=$(cd "$AUXSHIM_SRC" && { git ls-files '*.c' '*.h' 2>/dev/null ||
		find src include tests scripts -name '*.[ch]'; })
	for f in $files; do
		cf_excepted "$f" && continue
		n=$((n + 1))
		(cd "$AUXSHIM_SRC" && clang-format --dry-run --Werror "$f") || rc=1
	done
	log "clang-format: $n files checked, $(printf '%s\n' "$CF_EXCEPT" | grep -c .) exception(s)"
	return "$rc"
}

# A compat header may alias one of our names to the kernel's (on the
# kernels that have it), never a kernel name to one of ours: code that reads
# vfio_pin_pages() or struct vfio_device must mean the running kernel's.
run_compat_names() {
	local files out
	files=$(cd "$AUXSHIM_SRC" && { git ls-files '*compat.h' 2>/dev/null ||
		find src include tests -name compat.h; })
	[ -n "$files" ] || { log "compat names: no compat.h"; return 1; }
	# shellcheck disable=SC2086 # file list from git ls-files, one word each
	out=$(
		cd "$AUXSHIM_SRC" || exit 1
		grep -nE '^[[:space:]]*#[[:space:]]*define[[:space:]]+' $files |
			grep -vE '#[[:space:]]*define[[:space:]]+_*(AUXSHIM|auxshim)_' || true
	)
	[ -z "$out" ] || { printf '%s\n' "$out"; log "compat names: a compat.h #defines a name that is not ours (above)"; return 1; }
	log "compat names: $(echo "$files" | wc -w) compat headers, every #define ours"
}

# The lookup's layout per AUXSHIM_LUT_ABI: the first 16 hex digits of the
# sha256 of include/auxshim.h between its "lookup ABI" lines, without the
# version's own line.  A new version appends its line here.
LUT_ABI_HASHES="
1	8a4640ac845eac8f
2	73ae6cb984a4201d
3	aab10bde878294f9
"

lut_abi_hash() {
	sed -n '/^\/\* lookup ABI: begin \*\/$/,/^\/\* lookup ABI: end \*\/$/p' "$1" |
		grep -v '^#define AUXSHIM_LUT_ABI ' | sha256sum | cut -c1-16
}

run_lut_abi() {
	local h v want
	h=$(lut_abi_hash "$AUXSHIM_SRC/include/auxshim.h")
	v=$(sed -n 's/^#define AUXSHIM_LUT_ABI \([0-9]*\)$/\1/p' "$AUXSHIM_SRC/include/auxshim.h")
	want=$(printf '%s\n' "$LUT_ABI_HASHES" | awk -v v="$v" '$1 == v { print $2 }')
	if [ -z "$v" ] || [ "$h" != "$want" ]; then
		log "include/auxshim.h: the lookup ABI section (hash $h) is not what AUXSHIM_LUT_ABI ${v:-?} recorded (${want:-none}): a layout change needs AUXSHIM_LUT_ABI bumped and its line added to LUT_ABI_HASHES in $0"
		return 1
	fi
	log "lookup ABI $v: section unchanged"
}

# The docs' links and paths.  In README.md and docs/*.md, outside fenced
# code blocks:
#   - every relative link target must exist, and a link's #anchor must be
#     the GitHub anchor of a heading of the markdown file it points to;
#   - every repository path named in backticks must exist.  A backticked
#     token (or the first word of a backticked command) is a repository
#     path when its first component, before any "/", is a top-level name of
#     the repository ("scripts/check.sh", "tests/guest/", "Makefile").  In
#     it, "<...>" and "*" are wildcards that must match something.  Not
#     checked: a token right after "kernel's " (the kernel's own
#     scripts/kernel-doc is not ours), and tokens with "{", "$" or "...".
md_anchors() {	# md_anchors FILE: the anchor of each heading, one a line
	awk '/^```/ { f = !f; next } !f && /^#+ / { sub(/^#+ +/, ""); print }' "$1" |
		tr '[:upper:]' '[:lower:]' | sed 's/[^a-z0-9 _-]//g; s/ /-/g'
}

doc_path_exists() {	# doc_path_exists PATH (relative to the repository root)
	local pat m
	case $1 in
	*'<'*'>'* | *'*'*)
		pat=$(printf '%s' "$1" | sed 's/<[^>]*>/*/g')
		# shellcheck disable=SC2086 # $pat is a glob on purpose
		for m in "$AUXSHIM_SRC"/$pat; do
			[ -e "$m" ] && return 0
		done
		return 1
		;;
	esac
	[ -e "$AUXSHIM_SRC/$1" ]
}

run_doc_links() {
	local f rel text span tok target path anchor dest rc=0 n=0
	local -A top=()
	while IFS= read -r tok; do
		[ -n "$tok" ] && top[$tok]=1
	done < <(cd "$AUXSHIM_SRC" && { git ls-files 2>/dev/null ||
		find . -mindepth 1 -maxdepth 1 ! -name .git -printf '%P\n'; } | cut -d/ -f1 | sort -u)
	for f in "$AUXSHIM_SRC"/README.md "$AUXSHIM_SRC"/docs/*.md; do
		rel=${f#"$AUXSHIM_SRC"/}
		# One line, so that a span or a link may wrap.
		text=$(awk '/^```/ { f = !f; next } !f' "$f" | tr '\n' ' ')
		while IFS= read -r span; do
			case $span in "kernel's "*) continue ;; esac
			tok=${span#\`}
			tok=${tok%\`}
			tok=${tok%% *}
			case $tok in *'{'* | *'$'* | *...*) continue ;; esac
			[ -n "${tok%%/*}" ] || continue
			[ -n "${top[${tok%%/*}]:-}" ] || continue
			n=$((n + 1))
			doc_path_exists "$tok" || { log "$rel: \`$tok\` does not exist"; rc=1; }
		done < <(printf '%s' "$text" | grep -o "\\(kernel's \\)\\?\`[^\`]*\`")
		while IFS= read -r target; do
			target=${target#](}
			target=${target%)}
			target=${target%% *}
			case $target in *://* | mailto:*) continue ;; esac
			n=$((n + 1))
			path=${target%%#*}
			anchor=
			case $target in *'#'*) anchor=${target#*#} ;; esac
			if [ -z "$path" ]; then
				dest=$f
			else
				dest=$(dirname -- "$f")/$path
			fi
			if [ ! -e "$dest" ]; then
				log "$rel: link ($target): $path does not exist"
				rc=1
			elif [ -n "$anchor" ] && [ "${dest%.md}" != "$dest" ] &&
				! md_anchors "$dest" | grep -qxF -- "$anchor"; then
				log "$rel: link ($target): no heading with anchor #$anchor in ${path:-$rel}"
				rc=1
			fi
		done < <(printf '%s' "$text" | grep -o '](\([^)]*\))')
	done
	log "docs: $n links and paths checked in README.md and docs/*.md"
	return "$rc"
}

main() {
	local rc=0
	log "shell syntax (busybox sh -n, bash -n)"
	run_shell_syntax || rc=1
	log "shellcheck"
	run_shellcheck || rc=1
	log "the guest's lockdep recognizer on saved reports (tests/host/lockdep_known.sh)"
	"$AUXSHIM_SRC/tests/host/lockdep_known.sh" || rc=1
	log "checkpatch --strict"
	run_checkpatch || rc=1
	log "kernel-doc -Werror"
	run_kerneldoc || rc=1
	log "clang-format (the kernel's .clang-format)"
	run_clang_format || rc=1
	log "docs/api.rst up to date"
	{ get_checkpatch && "$AUXSHIM_SRC/scripts/api-doc.sh" --check; } || rc=1
	log "one version"
	"$AUXSHIM_SRC/scripts/version.sh" check || rc=1
	log "compat headers rename no kernel identifier"
	run_compat_names || rc=1
	log "lookup ABI"
	run_lut_abi || rc=1
	log "the docs' links and paths (README.md, docs/*.md, tests/README.md)"
	run_doc_links || rc=1
	log "sparse (make C=2, 6.1: the test build of make check, lib.sh test_build_args)"
	# shellcheck disable=SC2046 # make arguments, one word each
	"$AUXSHIM_SRC/scripts/build.sh" 6.1 $(test_build_args 6.1) || rc=1
	if [ "$rc" -eq 0 ]; then log "lint clean"; else log "lint found problems"; fi
	return "$rc"
}

main "$@"
