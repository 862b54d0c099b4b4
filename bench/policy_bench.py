"""keywarden policy-review benchmarks: lint of 1,000 policies and --new-access of two
100-statement policies, each beside a peer in the same run.

Run through scripts/bench.sh (builds a release binary first; `scripts/bench.sh policy` runs only
these). Figures, not assertions. The peer is a reference implementation in Python over the same
catalog file (data/iam-catalog.tsv) doing the same core work: expanding every action value
against the catalog, checking that each action exists and that some Resource fits one of its
resource types (lint), and the coverage of each (action, resource) of NEW by OLD (new access).
parliament and cloudsplaining are not installable here (not in Debian; PyPI is not reachable);
AWS's own checks run only online. Targets (issue 16): lint of 1,000 policies < 0.5 s CPU,
--new-access of two 100-statement policies < 50 ms, catalog load < 20 ms. Results are appended to
bench/results.md.

A second peer, when given (--previous PATH, or KW_BENCH_PREVIOUS through scripts/bench.sh): an
older keywarden binary doing exactly the same work in the same run (its output is the same;
tests/e2e/test_policy_golden.py holds the recorded output). --instructions also counts each
keywarden run's instructions with valgrind (callgrind), which stay the same on a loaded
machine when CPU seconds do not.
"""
import argparse
import datetime
import fnmatch
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOG = os.path.join(ROOT, "data", "iam-catalog.tsv")
POLICIES = os.path.join(ROOT, "tests", "data", "policies")

# ---------------------------------------------------------------- the Python reference peer


def load_catalog(path=CATALOG):
    """{prefix: {lower action name: (Name, level, [arn formats])}} from the reduced catalog."""
    services, svc, rtypes = {}, None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = line.rstrip("\n").split("\t")
            if rec[0] == "S":
                svc, rtypes = {}, []
                services[rec[1]] = svc
            elif rec[0] == "R":
                rtypes.append(rec[2])
            elif rec[0] == "A":
                idx = [int(x.rstrip("!")) for x in rec[3].split(",") if x]
                svc[rec[1].lower()] = (rec[1], rec[2], [rtypes[i] for i in idx])
    return services


def glob_re(pattern):
    return re.compile(fnmatch.translate(pattern.lower()))


def expand(cat, value):
    """Catalog actions an Action value matches: [(prefix, lower name)]."""
    if value == "*":
        return [(p, a) for p, acts in cat.items() for a in acts]
    if ":" not in value:
        return []
    sp, an = value.lower().split(":", 1)
    out = []
    for p, acts in cat.items():
        if not fnmatch.fnmatchcase(p, sp):
            continue
        if "*" not in an and "?" not in an:
            if an in acts:
                out.append((p, an))
            continue
        rx = glob_re(an)
        out.extend((p, a) for a in acts if rx.match(a))
    return out


def arn_regex(fmt):
    parts = re.split(r"(\$\{[^}]*\})", fmt)
    return "".join("[^:/]*" if p.startswith("${") else re.escape(p).replace(r"\*", ".*") for p in parts)


def fits(resource, arn_format, cache):
    """Whether the Resource pattern and an ARN format can match a common ARN (lenient)."""
    if resource == "*" or "${" in resource:
        return True
    key = (resource, arn_format)
    if key not in cache:
        # the resource's wildcards against the format's variables: compare through a sample
        # string of the resource with each * as a single character, as the peer's approximation
        sample = resource.replace("*", "x").replace("?", "x")
        cache[key] = re.fullmatch(arn_regex(arn_format), sample, re.I) is not None or \
            fnmatch.fnmatchcase(arn_format.lower(), resource.lower())
    return cache[key]


def lint_ref(cat, doc, cache):
    findings = []
    sts = doc.get("Statement", [])
    sts = sts if isinstance(sts, list) else [sts]
    for st in sts:
        acts = st.get("Action", [])
        acts = [acts] if isinstance(acts, str) else acts
        res = st.get("Resource", [])
        res = [res] if isinstance(res, str) else res
        for a in acts:
            matched = expand(cat, a)
            if not matched:
                findings.append(("unknown", a))
                continue
            if "*" in res:
                continue
            if not any(fits(r, fmt, cache) for p, an in matched for fmt in cat[p][an][2] for r in res):
                findings.append(("grants-nothing", a))
    return findings


def contains(p, r):
    return p == "*" or p == r or (fnmatch.fnmatchcase(r, p) and "*" not in r.replace(p, ""))


def new_access_ref(cat, old, new):
    def stmts(doc):
        out = []
        for st in doc["Statement"]:
            acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            out.append((st["Effect"], {x for a in acts for x in expand(cat, a)}, res, st.get("Condition")))
        return out
    o, n = stmts(old), stmts(new)
    added = set()
    for eff, acts, res, cond in n:
        if eff != "Allow":
            continue
        for r in res:
            covered = set()
            for oe, oacts, ores, ocond in o:
                if oe == "Allow" and (ocond is None or ocond == cond) and any(contains(p, r) for p in ores):
                    covered |= oacts
            added |= {(a, r) for a in acts - covered}
    return added

# ---------------------------------------------------------------- inputs


def lint_inputs(folder, n):
    """n policies: the published ones, varied (bucket names, regions, an action renamed), in folder."""
    random.seed(16)
    base = []
    for name in sorted(os.listdir(POLICIES)):
        if name.endswith(".json"):
            with open(os.path.join(POLICIES, name), encoding="utf-8") as f:
                base.append(f.read())
    files = []
    for i in range(n):
        text = base[i % len(base)].replace("${BUCKET}", "bucket-%d" % i)
        if i % 7 == 0:
            text = text.replace("s3:GetObject", "s3:GetObjcet")  # a typo for the checks to find
        path = os.path.join(folder, "p%04d.json" % i)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        files.append(path)
    return files


def statements(k, seed):
    random.seed(seed)
    services = [("s3", "arn:aws:s3:::bucket-%d/*"), ("ec2", "arn:aws:ec2:*:*:instance/i-%d"),
                ("dynamodb", "arn:aws:dynamodb:*:*:table/t%d"), ("sqs", "arn:aws:sqs:*:*:q%d"),
                ("lambda", "arn:aws:lambda:*:*:function:f%d"), ("logs", "arn:aws:logs:*:*:log-group:g%d:*")]
    verbs = ["Get*", "List*", "Describe*", "Put*", "Delete*", "Create*", "*Tag*"]
    out = []
    for i in range(k):
        svc, arn = services[i % len(services)]
        out.append({"Sid": "S%d" % i, "Effect": "Allow",
                    "Action": ["%s:%s" % (svc, random.choice(verbs)) for _ in range(3)],
                    "Resource": [arn % i, arn % (i + 1000)]})
    return out


def new_access_inputs(folder):
    old = {"Version": "2012-10-17", "Statement": statements(100, 1)}
    new = json.loads(json.dumps(old))
    for st in new["Statement"][::10]:  # every tenth statement widened
        st["Action"].append(st["Action"][0].split(":")[0] + ":*")
    paths = []
    for name, doc in (("old.json", old), ("new.json", new)):
        paths.append(os.path.join(folder, name))
        with open(paths[-1], "w", encoding="utf-8") as f:
            json.dump(doc, f)
    return paths, old, new

# ---------------------------------------------------------------- measuring


def child_cpu(cmd, expect):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, NO_COLOR="1"))
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in expect:
        sys.exit("%s: exit %d\n%s" % (cmd[:3], r.returncode, r.stderr.decode()[-2000:]))
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall, r.stdout


def self_cpu(fn):
    t0 = time.process_time()
    w0 = time.monotonic()
    out = fn()
    return time.process_time() - t0, time.monotonic() - w0, out


def best(runs, fn):
    results = [fn() for _ in range(runs)]
    return min(results, key=lambda r: r[0])


def instructions(cmd):
    """Instructions a command executes (valgrind's callgrind, its 'I refs'), or None."""
    if not shutil.which("valgrind"):
        return None
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       env=dict(os.environ, NO_COLOR="1"))
    m = re.search(r"I\s+refs:\s+([\d,]+)", r.stderr)
    return int(m.group(1).replace(",", "")) if m else None


def machine():
    cpu = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return "%s, %d cores, Linux %s" % (cpu, os.cpu_count(), platform.release())


def tasks(files, paths):
    """(name, argv after the binary, accepted exit codes) of each measured run."""
    return [("help", ["--help"], (0,)),
            ("version", ["--version"], (0,)),
            ("lint", ["policy", "lint"] + files, (0, 3)),
            ("new", ["policy", "diff", "--new-access"] + paths, (2,)),
            ("noop", ["policy", "diff", "--new-access", paths[0], paths[0]], (0,))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keywarden", required=True)
    ap.add_argument("--previous", default=os.environ.get("KW_BENCH_PREVIOUS") or None,
                    help="an older keywarden binary, measured beside it as a second peer")
    ap.add_argument("--policies", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5, help="best of this many runs")
    ap.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    ap.add_argument("--results", default=os.path.join(ROOT, "bench", "results.md"))
    args = ap.parse_args()
    kw, prev = args.keywarden, args.previous
    load_start = os.getloadavg()
    rows, prows, irows, iprev = {}, {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="kw-policy-bench-") as tmp:
        files = lint_inputs(tmp, args.policies)
        paths, old, new = new_access_inputs(tmp)
        for name, argv, ok in tasks(files, paths):
            rows[name] = best(args.runs, lambda: child_cpu([kw] + argv, ok))
            if prev:
                prows[name] = best(args.runs, lambda: child_cpu([prev] + argv, ok))
            if args.instructions:
                irows[name] = instructions([kw] + argv)
                if prev:
                    iprev[name] = instructions([prev] + argv)
        nfind = len(json.loads(child_cpu([kw, "-o", "json", "policy", "lint"] + files, (0, 3))[2]))
        if prev and child_cpu([prev, "policy", "lint"] + files, (0, 3))[2] != rows["lint"][2]:
            sys.exit("policy_bench: %s and %s lint differently" % (kw, prev))
        docs = []
        for p in files:
            with open(p, encoding="utf-8") as f:
                docs.append(json.load(f))
        cat_t = self_cpu(load_catalog)
        cat = cat_t[2]
        rows["ref_load"] = cat_t
        rows["ref_lint"] = self_cpu(lambda: [lint_ref(cat, d, {}) for d in docs])
        rows["ref_new"] = self_cpu(lambda: new_access_ref(cat, old, new))
    load_end = os.getloadavg()
    ref = {"lint": rows["ref_lint"][0] + rows["ref_load"][0], "new": rows["ref_new"][0] + rows["ref_load"][0],
           "version": rows["ref_load"][0]}
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True,
                         text=True).stdout.strip()

    def cell(v, digits):
        return ("%%.%df" % digits) % v if v is not None else ""

    def ratio(a, b):
        return "%.1f×" % (a / max(b, 1e-4)) if a is not None and b is not None else ""

    labels = {"help": "process start, no catalog (`--help`)",
              "version": "process start + catalog load (`--version`)",
              "lint": "lint of %d policies (one process; %d findings)" % (args.policies, nfind),
              "new": "--new-access, two 100-statement policies (new access)",
              "noop": "--new-access, a 100-statement policy against itself"}
    targets = {"version": "load < 0.020", "lint": "< 0.5", "new": "< 0.050"}
    text = ["", "## %s — %s (policy review)" % (now, rev), "",
            "Machine: %s; load average %.1f at the start, %.1f at the end (2 cores shared with the other"
            % (machine(), load_start[0], load_end[0]),
            "engineers' builds and tests). Release build; CPU = user + system of the process, best of %d runs."
            % args.runs,
            "Peers in the same run: the Python reference in bench/policy_bench.py over the same",
            "data/iam-catalog.tsv (/usr/bin/python3 %s; its catalog load counted in each of its totals)%s."
            % (platform.python_version(), "; the previous keywarden, `%s`" % prev if prev else ""),
            "parliament and cloudsplaining (PyPI) cannot be installed here, and IAM Access Analyzer's",
            "ValidatePolicy/CheckNoNewAccess run only online, with credentials.", "",
            "| task | keywarden CPU s | wall s | previous CPU s | × faster than previous | Python reference CPU s "
            "| × faster than Python | instructions | previous instructions | target |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for name in ("help", "version", "lint", "new", "noop"):
        cpu, wall = rows[name][0], rows[name][1]
        pc = prows[name][0] if name in prows else None
        text.append("| %s | %.4f | %.4f | %s | %s | %s | %s | %s | %s | %s |" % (
            labels[name], cpu, wall, cell(pc, 4), ratio(pc, cpu), cell(ref.get(name), 4),
            ratio(ref.get(name), cpu), "{:,}".format(irows[name]) if irows.get(name) else "",
            "{:,}".format(iprev[name]) if iprev.get(name) else "", targets.get(name, "")))
    text.append("")
    text.append("Catalog load alone: %.4f s CPU (`--version` − `--help` in this run)%s." % (
        max(rows["version"][0] - rows["help"][0], 0.0),
        "; %s instructions" % "{:,}".format(irows["version"] - irows["help"])
        if irows.get("version") and irows.get("help") else ""))
    out = "\n".join(text) + "\n"
    print(out)
    with open(args.results, "a", encoding="utf-8") as f:
        f.write(out)


if __name__ == "__main__":
    main()
