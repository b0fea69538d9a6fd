#!/bin/sh
# Maildock - SPDX-License-Identifier: MIT
# Compare our RFC822.SIZE, ENVELOPE, BODYSTRUCTURE, BODY and BODY[section]
# answers for every corpus message with Dovecot 2.3's golden answers.
# Prints the exact-match count per item; fails below FLOOR (raise it as the
# parser improves; the known differences are in t/corpus-differences.md).
FLOOR=25294
srcdir="${top_srcdir:-$(dirname "$0")/..}"
builddir="${top_builddir:-.}"
corpus="${MAILDOCK_CORPUS:-$srcdir/../shared/corpus}"
if [ ! -d "$corpus/messages" ] || [ ! -d "$corpus/golden/dovecot" ]; then
	echo "corpus not found at $corpus: skipped"
	exit 77
fi
exec "${PYTHON3:-/usr/bin/python3}" "$srcdir/t/corpus/corpus.py" \
	"$builddir/t/corpus/corpus-compare" "$corpus" --floor "$FLOOR"
