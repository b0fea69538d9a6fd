#!/bin/bash
# Build Maildock and run every test: unit tests, protocol tests against the
# real daemon, real-server and real-client tests, then the fuzzers.
#
# Usage: tools/test-all.sh [STAGE...]
#   Stages, in order (default: all of them):
#     normal   gcc, --enable-werror, the whole suite (slow tests included)
#     asan     --enable-sanitizers=address,undefined, LeakSanitizer on
#     tsan     --enable-sanitizers=thread (both without -Werror: gcc warns
#              falsely under sanitizers; the normal stage holds the line)
#     fuzz     clang tree, every fuzz/fuzz-*.c for FUZZ_SECONDS each
#   The sanitizer stages set MAILDOCK_QUICK=1: tests marked slow (real
#   clients, long soaks) run once, in the normal stage; and
#   MAILDOCK_TIME_FACTOR (2 for ASan, 4 for TSan), by which timing tests
#   may stretch their bounds.
# Environment: FUZZ_SECONDS (default 30), JOBS (default nproc),
#   TEST_ALL_KEEP=1 reuses existing build dirs instead of starting afresh.
# Build dirs: build-check, build-asan, build-tsan, build-fuzz (in the
# checkout, ignored by git). A failing stage prints the failing logs and the
# run goes on to the next stage; the exit status is 1 if any stage failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tools/deps.sh test || exit 1
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
# The shared corpus (Dovecot's golden answers) sits beside the checkout as
# ../shared; a clone made elsewhere on this machine finds it in /work/shared.
# MAILDOCK_CORPUS overrides both; without a corpus those tests skip.
if [ -z "${MAILDOCK_CORPUS:-}" ] && [ ! -d "$top/../shared/corpus" ] &&
   [ -d /work/shared/corpus ]; then
	export MAILDOCK_CORPUS=/work/shared/corpus
fi
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(normal asan tsan fuzz)
./autogen.sh > /dev/null || { echo "autogen.sh failed"; exit 1; }
# automake installs test-driver only when configure.ac asks for it
if [ ! -f build-aux/test-driver ]; then
	cp "$(ls -d /usr/share/automake-*/test-driver | tail -n 1)" build-aux/ ||
		{ echo "build-aux/test-driver missing"; exit 1; }
fi

# Sanitizer reports fail the run (the protocol tests grep the daemon's log;
# unit tests exit non-zero).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$top/tools/tsan.supp"
export LSAN_OPTIONS="print_suppressions=0"

failed=()
timings=()
t_start=$(date +%s)
n_pass=0 n_fail=0 n_skip=0

count_results() {	# count_results DIR: add automake's and pytest's counts
	local log=$1/test-suite.log proto=$1/t/proto.log v line
	if [ -f "$log" ]; then
		v=$(sed -n 's/^# PASS: *//p' "$log" | head -n 1); n_pass=$((n_pass + ${v:-0}))
		v=$(sed -n 's/^# SKIP: *//p' "$log" | head -n 1); n_skip=$((n_skip + ${v:-0}))
		for k in FAIL ERROR XPASS; do
			v=$(sed -n "s/^# $k: *//p" "$log" | head -n 1)
			n_fail=$((n_fail + ${v:-0}))
		done
	fi
	# the protocol tests are one automake test: count pytest's own results
	line=$(grep -E '^=*[ ]*[0-9]+ (passed|failed)' "$proto" 2>/dev/null | tail -n 1)
	v=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+'); n_pass=$((n_pass + ${v:-0}))
	v=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+'); n_skip=$((n_skip + ${v:-0}))
	for k in failed error errors; do
		v=$(echo "$line" | grep -oE "[0-9]+ $k\b" | grep -oE '[0-9]+')
		n_fail=$((n_fail + ${v:-0}))
	done
}

show_failures() {	# show_failures DIR: the failing tests' logs, briefly
	local f
	for f in "$1"/t/*.log "$1"/t/unit/*.log "$1"/fuzz/*.log; do
		[ -f "$f" ] || continue
		grep -qE '^(FAIL|ERROR)|^not ok|[0-9]+ failed|Sanitizer' "$f" ||
			continue
		echo "==== $f"
		if grep -qE '^(FAILED|ERROR) ' "$f"; then	# pytest: the summary
			grep -E '^(FAILED|ERROR) |[0-9]+ (passed|failed)' "$f" | head -n 60
			# the first sanitizer report, whole
			grep -m1 -A40 -E 'WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" |
				cut -c1-200
		else
			tail -n 60 "$f"
		fi
	done
}

configure_in() {	# configure_in DIR [configure args and VAR=value...]
	local dir=$1; shift
	if [ "${TEST_ALL_KEEP:-0}" != 1 ] || [ ! -f "$dir/Makefile" ]; then
		rm -rf "$dir"; mkdir -p "$dir"
		(cd "$dir" && ../configure -q "$@") || return 1
	fi
}

# run_suite NAME DIR PREFIX [configure args...]: configure, build, make check.
# PREFIX is a command word put before make check ("" for none).
run_suite() {
	local name=$1 dir=$2 prefix=$3; shift 3
	local t0=$(date +%s) ok=1
	echo "=== [$name] configure + build in $dir"
	if configure_in "$dir" "$@" && (cd "$dir" && make -j"$jobs" >build.log 2>&1 ||
	    { tail -n 60 build.log; false; }); then
		echo "=== [$name] make check"
		(cd "$dir" && $prefix make -j"$jobs" check) || { show_failures "$dir"; ok=0; }
	else
		echo "FAILED: [$name] build"; ok=0
	fi
	[ $ok = 1 ] || failed+=("$name")
	count_results "$dir"
	timings+=("$name $(( $(date +%s) - t0 ))s")
}

# ThreadSanitizer maps its shadow memory at fixed addresses; with a high
# vm.mmap_rnd_bits (>28 on recent kernels) the program dies with
# "unexpected memory mapping". Probe, then fall back to setarch -R.
tsan_prefix() {
	local d; d=$(mktemp -d)
	printf '#include <pthread.h>\nstatic void *f(void *a){return a;}\nint main(void){pthread_t t;pthread_create(&t,0,f,0);return pthread_join(t,0);}\n' > "$d/p.c"
	if ! ${CC:-gcc} -fsanitize=thread -o "$d/p" "$d/p.c" 2>/dev/null; then
		rm -rf "$d"; echo "UNSUPPORTED"; return
	fi
	if "$d/p" >/dev/null 2>&1; then
		echo ""
	elif setarch "$(uname -m)" -R "$d/p" >/dev/null 2>&1; then
		echo "setarch $(uname -m) -R"
	elif [ "$(id -u)" = 0 ] && sysctl -qw vm.mmap_rnd_bits=28 && "$d/p" >/dev/null 2>&1; then
		echo ""
	else
		echo "UNSUPPORTED"
	fi
	rm -rf "$d"
}

run_fuzz() {
	local t0=$(date +%s) dir=build-fuzz
	echo "=== [fuzz] clang build in $dir, ${FUZZ_SECONDS:-30} s per harness"
	if ! command -v clang >/dev/null; then
		echo "FAILED: [fuzz] clang missing"; failed+=(fuzz); return
	fi
	if configure_in "$dir" CC=clang CFLAGS="-g -O1 -fsanitize=fuzzer-no-link" \
	    --enable-sanitizers=address,undefined &&
	   (cd "$dir" && make -j"$jobs" fuzz-build >build.log 2>&1 ||
	    { tail -n 60 build.log; false; }) &&
	   (cd "$dir" && make fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-30}" FUZZ_JOBS="$jobs"); then
		:
	else
		echo "FAILED: [fuzz] (crash inputs: $dir/fuzz/crashes/; keep them in t/regress/)"
		failed+=(fuzz)
	fi
	v=$(cat "$dir"/fuzz/logs/*.log 2>/dev/null | grep -c '^stat::number_of_executed_units')
	n_pass=$((n_pass + v))
	[[ " ${failed[*]} " == *" fuzz "* ]] && n_fail=$((n_fail + 1))
	timings+=("fuzz $(( $(date +%s) - t0 ))s")
}

for stage in "${stages[@]}"; do
	case $stage in
	normal)
		run_suite normal build-check "" --enable-werror ;;
	asan)
		# no -Werror: gcc's flow warnings (-Wmaybe-uninitialized) give
		# false positives under the sanitizers; the normal build has it
		run_suite asan build-asan "env MAILDOCK_QUICK=1 MAILDOCK_TIME_FACTOR=2" \
			--enable-sanitizers=address,undefined ;;
	tsan)
		p=$(tsan_prefix)
		if [ "$p" = UNSUPPORTED ]; then
			echo "FAILED: [tsan] ThreadSanitizer does not run on this machine"
			failed+=(tsan)
		else
			run_suite tsan build-tsan "env MAILDOCK_QUICK=1 MAILDOCK_TIME_FACTOR=4 $p" \
				--enable-sanitizers=thread
		fi ;;
	fuzz)
		run_fuzz ;;
	*)
		echo "unknown stage: $stage (normal asan tsan fuzz)"; exit 2 ;;
	esac
done

echo "=== timings: ${timings[*]}; total $(( $(date +%s) - t_start ))s"
echo "test-all: $n_pass passed, $n_fail failed, $n_skip skipped"
if [ ${#failed[@]} -ne 0 ]; then
	echo "FAILED stages: ${failed[*]}"
	exit 1
fi
echo "all tests passed"
