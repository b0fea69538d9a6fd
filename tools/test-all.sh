#!/bin/bash
# Build Maildock and run every test: unit tests, protocol tests against the
# real daemon, real-server and real-client tests. Usage: tools/test-all.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tools/deps.sh test
jobs=$(nproc 2>/dev/null || echo 2)
./autogen.sh > /dev/null
run_build() {	# run_build DIR [configure args...]
	local dir=$1; shift
	rm -rf "$dir"; mkdir -p "$dir"
	(cd "$dir" && ../configure -q --enable-werror "$@" &&
	 make -j"$jobs" && make -j"$jobs" check) || {
		echo "FAILED: $dir"
		for f in "$dir"/t/*.log "$dir"/t/unit/*.log; do
			[ -f "$f" ] && grep -qE '^(FAIL|ERROR)|^not ok|failed' "$f" &&
				{ echo "==== $f"; tail -n 80 "$f"; }
		done
		return 1
	}
}
run_build build-check
echo "all tests passed"
