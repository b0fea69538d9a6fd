#!/bin/bash
# Run libFuzzer harnesses: fuzz/run.sh SECONDS JOBS TARGET...
# (called by `make fuzz` from the build tree; see fuzz/local.mk).
# For each target fuzz/fuzz-NAME:
#   1. replay every input kept in $top_srcdir/t/regress/NAME/ (must pass);
#   2. fuzz for SECONDS from the working corpus fuzz/corpus/NAME/, seeded by
#      $top_srcdir/fuzz/seeds/NAME/, t/regress/NAME/, conf.d/ for the
#      configuration and ../shared/corpus messages (up to 64 kB) for MIME.
# JOBS targets run at once. Exit 1 if any target failed; a crash input is
# saved as fuzz/crashes/NAME-crash-<sha1> (printed in base64 too, so a CI
# log is enough to reproduce it).
set -u
seconds=$1 jobs=$2
shift 2
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
shared=${MAILDOCK_CORPUS:-$top_srcdir/../shared/corpus}
mkdir -p fuzz/crashes fuzz/logs

# seed_dirs NAME: extra read-only seed directories for a harness
seed_dirs() {
	local name=$1 d
	for d in "$top_srcdir/fuzz/seeds/$name" "$top_srcdir/t/regress/$name"; do
		[ -d "$d" ] && echo "$d"
	done
	case $name in
	conf)
		echo "$top_srcdir/conf.d" ;;
	mime)
		[ -d fuzz/seeds-shared ] && echo fuzz/seeds-shared ;;
	esac
}

# run_one TARGET: replay regressions, then fuzz; exit status 0 or 1
run_one() {
	local target=$1 name=${1##*/fuzz-} log rc=0
	log=fuzz/logs/$name.log
	: > "$log"
	local inputs
	inputs=$(find "$top_srcdir/t/regress/$name" -maxdepth 1 -type f 2>/dev/null | sort)
	if [ -n "$inputs" ]; then
		# shellcheck disable=SC2086
		if ! "./$target" -runs=1 $inputs >>"$log" 2>&1; then
			echo "FAIL: $name: a regression input of t/regress/$name/ fails again"
			grep -E "^(==|SUMMARY|.*Assertion|Running: )" "$log" | tail -n 20
			return 1
		fi
	fi
	mkdir -p "fuzz/corpus/$name"
	# shellcheck disable=SC2046
	"./$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 \
		-artifact_prefix="fuzz/crashes/$name-" \
		"fuzz/corpus/$name" $(seed_dirs "$name") >>"$log" 2>&1 || rc=1
	if [ $rc -ne 0 ]; then
		echo "FAIL: $name (log: fuzz/logs/$name.log)"
		grep -E "^(==[0-9]+==|SUMMARY|.*Assertion|    #[0-9] )" "$log" | head -n 40
		local f
		for f in $(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log" | sort -u); do
			echo "input $f (keep it as t/regress/$name/<what>); base64:"
			head -c 4096 "$f" | base64
		done
		return 1
	fi
	echo "ok: $name $(grep -E '^stat::number_of_executed_units' "$log" |
		awk '{print $2}') runs in ${seconds}s"
	return 0
}

# messages of the shared corpus, copied once (flat, up to 64 kB each)
if [ -d "$shared/messages" ] && [ ! -d fuzz/seeds-shared ]; then
	mkdir -p fuzz/seeds-shared
	find "$shared/messages" -type f -size -64k -print0 |
	while IFS= read -r -d '' f; do
		cp "$f" "fuzz/seeds-shared/$(echo "$f" | sed 's|.*/messages/||; s|/|-|g')"
	done
fi

failed=0
running=0
for t in "$@"; do
	run_one "$t" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n || failed=1
		running=$((running - 1))
	fi
done
while [ $running -gt 0 ]; do
	wait -n || failed=1
	running=$((running - 1))
done
exit $failed
