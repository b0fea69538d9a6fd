#!/bin/sh
# Every header compiles on its own (STYLE C3).
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
CC=${CC:-cc}
bad=0
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
for h in $(cd "$top_srcdir" && find core protocols storage authmods -name '*.h' 2>/dev/null); do
	printf '#include "%s"\n#include "%s"\n' "$h" "$h" > "$tmp/t.c"
	if ! $CC -std=c11 -fsyntax-only -include "$top_builddir/config.h" \
		-I"$top_srcdir" -I"$top_builddir" $(pkg-config --cflags libmariadb 2>/dev/null) \
		"$tmp/t.c" 2> "$tmp/err"; then
		echo "FAIL $h does not compile alone:"; head -5 "$tmp/err"; bad=1
	fi
done
exit $bad
