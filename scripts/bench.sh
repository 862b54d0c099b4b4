#!/usr/bin/env bash
# Benchmarks (not part of the test command): builds a release keywarden, then runs
# bench/bench.py against the local IAM endpoint and appends to bench/results.md.
# Options are bench.py's: --full (adds N=1000), --sizes 1,10, --latency-ms 20, ...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$root/scripts/build.sh")
exec /usr/bin/python3 "$root/bench/bench.py" --keywarden "$bin" "$@"
