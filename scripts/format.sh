#!/usr/bin/env bash
# Reformat every C source file as .clang-format says (the test command checks it).
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -co --exclude-standard 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' | xargs -r clang-format -i
