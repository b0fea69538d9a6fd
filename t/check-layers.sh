#!/bin/sh
# Layers depend one way (STYLE C1): fail on a forbidden #include.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
cd "$top_srcdir" || exit 99
bad=0
check() {	# check DIR PATTERN-OF-FORBIDDEN-INCLUDES WHY
	hits=$(grep -rnE "^#[[:space:]]*include[[:space:]]+\"($2)" $1 2>/dev/null)
	if [ -n "$hits" ]; then
		echo "layer violation ($3):"; echo "$hits"; bad=1
	fi
}
check "core" "protocols/|storage/|authmods/[^a]" "core includes nothing above it"
check "storage" "protocols/|authmods/|core/auth" "storage knows no protocol or auth"
check "authmods" "core/|protocols/|storage/" "modules see only authmods/authmod.h"
check "protocols" "storage/maildir/|authmods/" "protocols use storage/store.h only"

# Protocol code reaches a message only through storage's calls
# (storage/store-mail.h, store_msg_*): it opens, stats, maps and parses
# no file itself (DESIGN: "protocol code never opens or parses a message
# file"). The one exception is LMTP's spool (spool_open), a nameless
# temporary file of the message being received, not a message of a folder.
calls='open|openat|fopen|fdopen|mmap|stat|fstat|lstat|fstatat|statx'
calls="$calls|mime_parse|mime_parse_fd|mime_map_fd|mime_deserialize"
calls="$calls|mime_attach|maildir_[a-z_]+"
hits=$(grep -rnE "(^|[^a-zA-Z0-9_.>])($calls)[[:space:]]*\(" protocols \
	--include='*.c' --include='*.h' 2>/dev/null |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' |
	grep -vE '^protocols/lmtp/lmtp-deliver\.c:[0-9]+:.*open\(dir, O_TMPFILE')
if [ -n "$hits" ]; then
	echo "layer violation (protocols read messages through storage only):"
	echo "$hits"; bad=1
fi
exit $bad
