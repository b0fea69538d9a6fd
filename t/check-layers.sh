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
exit $bad
