# SPDX-License-Identifier: GPL-2.0-only
#
# Module signing (README "Secure Boot"): the host signs copies of our
# modules with "make sign-ko", the recipe of "make sign", and a throwaway
# key the kernel does not trust ("# auxshim-sign"; scripts/guest.sh).  In
# the guest: kmod's modinfo names the signer, the appended signature is
# well formed, the module loads tainted with the kernel's one log line for
# an unverified module, and once lockdown is raised to integrity (what
# Secure Boot does) it is refused with the lockdown log line.  A stock
# kernel cannot be made to trust the key without Secure Boot and a MOK
# enrolment, so a verified load is not tested here.
# auxshim-modules: auxshim
# auxshim-sign: yes
# auxshim-lockdown: yes
# auxshim-debug-skip: the debug kernel has no module signature checking or lockdown LSM (scripts/debug-kernel/debug.config)
# auxshim-host-files: /usr/sbin/modinfo
# auxshim-timeout: 180

KO=$MODDIR/auxshim.ko
MODINFO=/usr/sbin/modinfo
# scripts/guest.sh's test key.
SIGNER="auxshim test signing key"
# The kernel's lines, word for word as the README quotes them.
TAINT_LINE="auxshim: module verification failed: signature and/or required key missing - tainting kernel"
LOCKDOWN_LINE="Lockdown: insmod: unsigned module loading is restricted; see man kernel_lockdown.7"

field() { "$MODINFO" -F "$1" "$KO"; }

signer_is() {
	s=$(field signer)
	echo "signer: '$s'"
	[ "$s" = "$SIGNER" ]
}

# The appended signature: "~Module signature appended~\n" at the very end,
# before it struct module_signature (12 bytes: algo, hash, id_type,
# signer_len, key_id_len, 3 pad, be32 sig_len) and before that sig_len bytes
# of PKCS#7 (a DER SEQUENCE, 0x30).
signature_well_formed() {
	size=$(wc -c <"$KO")
	magic=$(tail -c 28 "$KO" | head -c 27)
	[ "$magic" = "~Module signature appended~" ] || { echo "no signature magic: '$magic'"; return 1; }
	# The 12 bytes of struct module_signature, one word each.
	# shellcheck disable=SC2046
	set -- $(tail -c 40 "$KO" | head -c 12 | od -An -tu1)
	[ $# -eq 12 ] || { echo "short module_signature"; return 1; }
	# PKEY_ID_PKCS7 = 2; the other fields are 0 for PKCS#7.
	[ "$3" -eq 2 ] || { echo "id_type $3, not PKCS#7 (2)"; return 1; }
	[ "$1$2$4$5" = 0000 ] || { echo "algo/hash/signer_len/key_id_len not 0: $1 $2 $4 $5"; return 1; }
	len=$(( ($9 << 24) | (${10} << 16) | (${11} << 8) | ${12} ))
	echo "signature: $len bytes of PKCS#7 in a $size-byte module"
	{ [ "$len" -gt 0 ] && [ $((len + 40)) -lt "$size" ]; } || { echo "bad sig_len $len"; return 1; }
	first=$(tail -c $((len + 40)) "$KO" | head -c 1 | od -An -tx1 | tr -d ' ')
	[ "$first" = 30 ] || { echo "PKCS#7 does not start with a DER SEQUENCE (0x$first)"; return 1; }
	[ "$(field sig_hashalgo)" = sha256 ] || { echo "sig_hashalgo $(field sig_hashalgo)"; return 1; }
	[ -n "$(field sig_key)" ] || { echo "no sig_key"; return 1; }
}

log_has() { dmesg | sed 's/^\[[ 0-9.]*\] //' | grep -F -x -- "$1"; }

tainted_unsigned() {
	t=$(cat /sys/module/auxshim/taint)
	echo "module taint: $t, kernel tainted: $(cat /proc/sys/kernel/tainted)"
	case $t in *E*) ;; *) return 1 ;; esac
	# TAINT_UNSIGNED_MODULE is bit 13.
	[ $(( $(cat /proc/sys/kernel/tainted) & 8192 )) -ne 0 ]
}

raise_lockdown() {
	grep -qs ' /sys/kernel/security securityfs' /proc/mounts ||
		mount -t securityfs securityfs /sys/kernel/security
	cat /sys/kernel/security/lockdown
	echo integrity >/sys/kernel/security/lockdown
	grep -q '\[integrity\]' /sys/kernel/security/lockdown
}

ktap_expect modinfo-names-signer signer_is
ktap_expect signature-well-formed signature_well_formed
ktap_expect load-untrusted-key ktap_insmod auxshim || return
ktap_expect taint-log-line log_has "$TAINT_LINE"
ktap_expect tainted-unsigned tainted_unsigned
ktap_expect unload rmmod auxshim
ktap_expect lockdown-integrity raise_lockdown || return
ktap_expect_fail refused-under-lockdown ktap_insmod auxshim
ktap_expect lockdown-log-line log_has "$LOCKDOWN_LINE"
