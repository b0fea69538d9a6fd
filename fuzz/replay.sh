#!/bin/sh
# make check: run each fuzz/replay-NAME (a harness with a plain main, see
# fuzz/replay.c) once over its seeds (fuzz/seeds/NAME/) and its kept crash
# inputs (t/regress/NAME/). A crash, sanitizer report or failed assertion
# fails the test and names the harness; reproduce one input with
#   fuzz/replay-NAME path/to/input
# (or under the fuzzer: make fuzz FUZZ_TARGETS=fuzz/fuzz-NAME in a clang tree).
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
status=0
found=0
for bin in fuzz/replay-*; do
	[ -x "$bin" ] || continue
	found=1
	name=${bin#fuzz/replay-}
	set --
	for d in "$top_srcdir/fuzz/seeds/$name" "$top_srcdir/t/regress/$name"; do
		[ -d "$d" ] || continue
		for f in "$d"/*; do
			[ -f "$f" ] && set -- "$@" "$f"
		done
	done
	[ "$name" = conf ] && set -- "$@" "$top_srcdir"/conf.d/*.conf
	if [ $# -eq 0 ]; then
		echo "skip: $name (no inputs)"
		continue
	fi
	if "./$bin" "$@"; then
		echo "ok: $name ($# inputs)"
	else
		echo "FAIL: $name: one of: $*"
		status=1
	fi
done
[ $found = 1 ] || exit 77
exit $status
