#!/bin/sh
# Every source file is named in a Makefile fragment, so `make dist`
# ships it and a tarball builds.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
cd "$top_srcdir" || exit 99
bad=0
mks=$(find . -name '*.mk' -not -path './build*' -not -path './maildock-*') 
for f in $(find core protocols storage authmods tools -name '*.[ch]'); do
	if ! grep -q "$f" $mks Makefile.am; then
		echo "not in any Makefile fragment: $f"; bad=1
	fi
done
exit $bad
