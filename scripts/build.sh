#!/usr/bin/env bash
# Configure and build keywarden into build/release (or $KW_BUILD_DIR); prints the binary's path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
build=${KW_BUILD_DIR:-$root/build/release}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKW_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >&2
echo "$build/keywarden"
