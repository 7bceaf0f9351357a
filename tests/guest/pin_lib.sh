# SPDX-License-Identifier: GPL-2.0-only
#
# The shim's pin on its own module, checked where nothing else can refuse
# the unload: auxshim_pintest.ko holds an attachment of edu's group without
# being a module user of auxshim.ko (it reaches the shim through
# symbol_get() only), so "rmmod auxshim" is refused only if the shim pins
# itself while it has live records.  Sourced by guest scripts; call
# pin_unload_refused when no other module uses auxshim (its refcnt is 0).

PIN_HOLD=/sys/module/auxshim_pintest/parameters/hold

pin_refcnt() { cat /sys/module/auxshim/refcnt 2>/dev/null || echo -1; }
pin_hold() { echo "$1" >"$PIN_HOLD"; }
pin_held_ok() { grep -q ' ok$' "$PIN_HOLD" || { cat "$PIN_HOLD"; return 1; }; }

pin_unload_refused() {
	local mode
	ktap_expect pin-load ktap_insmod auxshim_pintest || return 0
	ktap_expect pin-not-a-user [ "$(pin_refcnt)" = 0 ]
	for mode in group direct; do
		ktap_expect "pin-$mode-hold" pin_hold "$mode" || continue
		ktap_expect "pin-$mode-held" pin_held_ok
		ktap_expect "pin-$mode-pins-module" [ "$(pin_refcnt)" = 1 ]
		ktap_expect_fail "pin-$mode-rmmod-refused" rmmod auxshim
		ktap_expect "pin-$mode-still-loaded" [ -d /sys/module/auxshim ]
		ktap_expect "pin-$mode-held-after-refused-rmmod" pin_held_ok
		ktap_expect "pin-$mode-release" pin_hold 0
		ktap_expect "pin-$mode-unpinned" [ "$(pin_refcnt)" = 0 ]
	done
	ktap_expect pin-unload rmmod auxshim_pintest
}
