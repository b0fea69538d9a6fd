#!/bin/sh
# Every key maildockd knows is documented in a conf.d snippet and in
# maildock.conf(5), the manual is current with the snippets, and the
# manuals name the configuration file where this build reads it.
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
if ! cmp -s "$tmp/man" "$top_srcdir/doc/maildock.conf.5.in"; then
	echo "doc/maildock.conf.5.in is stale: run tools/gen-conf-man.py"; bad=1
fi
# the installed pages name the file maildockd reads by default
conf=$("$top_builddir/maildockd" -h | sed -n 's/.*(default \(.*\))$/\1/p')
for man in maildockd.8 maildock-auth.8 maildock.conf.5; do
	if ! grep -q "^\.I.* $conf" "$top_builddir/doc/$man"; then
		echo "doc/$man does not name $conf"; bad=1
	fi
done
exit $bad
