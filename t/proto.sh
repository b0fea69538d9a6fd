#!/bin/sh
# Run the pytest protocol tests against the built maildockd.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=/usr/bin/python3}"
export top_srcdir top_builddir
if ! "$PYTHON3" -c 'import pytest' 2>/dev/null; then
	echo "pytest missing: apt-get install python3-pytest" >&2
	exit 99
fi
cd "$top_srcdir/t/proto" || exit 99
exec "$PYTHON3" -m pytest -q -rfEs -p no:cacheprovider -o cache_dir=/tmp/maildock-pytest-cache \
	--basetemp="$top_builddir/t/proto-tmp" ${PYTEST_ARGS:-} .
