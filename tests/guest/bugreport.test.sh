# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/bug-report.sh in a guest with the shim loaded: the report has the
# kernel release, the shim's kernel log lines and its debugfs table, and
# names what it could not collect here (no dkms, mokutil or os-release in
# the guest) without failing; with the shim unloaded and debugfs unmounted
# it says so instead of the table.  (The DKMS parts are tested on the host
# by scripts/package-test.sh.)
# auxshim-debug-skip: the bug-report script is the same on every kernel and touches no code of ours that the shim suite does not run under the checkers; kept out of the cold budget
# auxshim-modules: auxshim
# auxshim-timeout: 120

BR=/tests/bug-report.sh
R=/tmp/report.txt

# section TITLE: the body of one "## TITLE" section of the report.
section() { awk -v t="## $1" '$0 == t { on = 1; next } /^## / { on = 0 } on' "$R"; }

has() {
	section "$1" | grep -q -- "$2" || { echo "section '$1' lacks '$2':"; section "$1"; return 1; }
}

ktap_expect load ktap_insmod auxshim || return
ktap_expect report-written sh "$BR" -o "$R"
ktap_expect kernel-release has kernel "$(uname -r)"
ktap_expect module-loaded has "loaded modules" '^auxshim '
ktap_expect kernel-log-lines has "kernel log of the modules" 'auxshim'
ktap_expect debugfs-table has "debugfs auxshim/groups" '^# aux backend: '
ktap_expect says-no-dkms has "not collected" '^- dkms status: dkms is not installed'
ktap_expect says-no-mokutil has "not collected" '^- mokutil --sb-state: mokutil is not installed'
ktap_expect says-no-os-release has "not collected" '^- distribution: no /etc/os-release'
ktap_expect unload rmmod auxshim
umount /sys/kernel/debug
ktap_expect report-without-shim sh "$BR" -o "$R"
ktap_expect says-not-loaded has "debugfs auxshim/groups" 'auxshim is not loaded'
mount -t debugfs debugfs /sys/kernel/debug
