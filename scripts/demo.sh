#!/usr/bin/env bash
# The README's first command. Until plan/apply land, it builds keywarden and shows its help.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$root/scripts/build.sh")
"$bin" --help
