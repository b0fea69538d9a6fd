#!/bin/sh
# Every key maildockd knows is documented in a conf.d snippet and in
# maildock.conf(5), and the manual is current with the snippets.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=/usr/bin/python3}"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/empty.conf"
"$top_builddir/maildockd" -n -c "$tmp/empty.conf" > "$tmp/keys" || exit 99
bad=0
for key in $(sed 's/ = .*//' "$tmp/keys"); do
	if ! grep -q "^#\{0,1\}$key =" "$top_srcdir"/conf.d/*.conf; then
		echo "undocumented in conf.d/: $key"; bad=1
	fi
done
"$PYTHON3" "$top_srcdir/tools/gen-conf-man.py" "$tmp/man" || exit 99
if ! cmp -s "$tmp/man" "$top_srcdir/doc/maildock.conf.5"; then
	echo "doc/maildock.conf.5 is stale: run tools/gen-conf-man.py"; bad=1
fi
exit $bad
