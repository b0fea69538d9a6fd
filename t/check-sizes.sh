#!/bin/sh
# Keep files small (STYLE C13): warn above 600 lines, fail above 1000.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
cd "$top_srcdir" || exit 99
bad=0
for f in $(find core protocols storage authmods tools -name '*.[ch]' 2>/dev/null); do
	n=$(wc -l < "$f")
	if [ "$n" -gt 1000 ]; then echo "FAIL $f: $n lines (limit 1000)"; bad=1
	elif [ "$n" -gt 600 ]; then echo "warn $f: $n lines (aim for 600)"; fi
done
exit $bad
