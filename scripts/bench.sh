#!/usr/bin/env bash
# Benchmarks (not part of the test command): builds a release keywarden, then runs
# bench/bench.py against the local IAM endpoint and bench/policy_bench.py (policy review against
# a Python reference), both appending to bench/results.md.
# Options are bench.py's: --full (adds N=1000), --sizes 1,10, --latency-ms 20, ...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$root/scripts/build.sh")
# `scripts/bench.sh policy [--instructions] [--previous BIN]` runs only the policy-review
# benchmark (bench/policy_bench.py); KW_BENCH_PREVIOUS=BIN measures an older keywarden beside it.
if [ "${1:-}" = policy ]; then
  shift
  exec /usr/bin/python3 "$root/bench/policy_bench.py" --keywarden "$bin" "$@"
fi
/usr/bin/python3 "$root/bench/bench.py" --keywarden "$bin" "$@"
exec /usr/bin/python3 "$root/bench/policy_bench.py" --keywarden "$bin"
