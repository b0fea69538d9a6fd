#!/bin/sh
# Long run of the model-based concurrency test (issue 12): the model of
# t/proto/test_model_concurrency.py, seed after seed, for MINUTES minutes
# against the maildockd of BUILDDIR (an ASan+UBSan or TSan tree is the
# point: the daemon's log is checked for sanitizer reports at the end).
# Prints seeds run, operations and findings; exits non-zero on a finding.
#
#   bench/model-soak.sh MINUTES [BUILDDIR [FIRST_SEED]]
#   e.g. bench/model-soak.sh 30 build-asan 1000
set -u
minutes=${1:?usage: $0 MINUTES [BUILDDIR [FIRST_SEED]]}
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(cd "${2:-$top_srcdir}" && pwd)
seed=${3:-1000}
report=$(mktemp /tmp/model-soak.XXXXXX)
trap 'rm -f "$report"' EXIT
cd "$top_srcdir/t/proto" || exit 2
start=$(date +%s)
top_srcdir=$top_srcdir top_builddir=$builddir \
MAILDOCK_MODEL_SECONDS=$((minutes * 60)) MAILDOCK_MODEL_SEEDS=$seed \
MAILDOCK_MODEL_REPORT=$report \
	"${PYTHON3:-/usr/bin/python3}" -m pytest -q -x -p no:cacheprovider \
	test_model_concurrency.py
rc=$?
echo "model-soak: $(( ($(date +%s) - start) / 60 )) min, build $builddir"
cat "$report"
exit $rc
