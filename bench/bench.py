"""keywarden benchmarks: how plan and apply scale, side by side with the AWS CLI and boto3.

Run through scripts/bench.sh (builds a release binary first). Not part of the test command:
figures, not assertions. Everything runs against the local IAM endpoint on loopback with
injected latency (default 20 ms a request, like a nearby AWS region). Results are appended to
bench/results.md as a dated table. See bench/README.md for what each figure means.
"""
import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import kwtest  # noqa: E402

PARALLELISM = 8  # keywarden's default --parallelism

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "ReadBucket", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::%(name)s-data", "arn:aws:s3:::%(name)s-data/*"]},
    ],
}

MANIFEST = """apiVersion: keywarden/v1
kind: ServiceAccount
metadata:
  name: %(name)s
spec:
  tags:
    owner: bench
    software: %(name)s
  policies:
    - inline: policies/%(name)s.json
    - managed: arn:aws:iam::aws:policy/ReadOnlyAccess
  console: disabled
  mfa: none
  accessKeys:
    maxAgeDays: 90
    deliver:
      - file: keys/%(name)s.json
"""


def names(n, prefix="bench"):
    return ["%s-%04d" % (prefix, i) for i in range(n)]


def generate(folder, n, prefix="bench"):
    """Write n manifests with their inline policies into folder; return the account names."""
    os.makedirs(os.path.join(folder, "policies"), exist_ok=True)
    os.makedirs(os.path.join(folder, "keys"), exist_ok=True)
    out = names(n, prefix)
    for name in out:
        with open(os.path.join(folder, name + ".yaml"), "w") as f:
            f.write(MANIFEST % {"name": name})
        with open(os.path.join(folder, "policies", name + ".json"), "w") as f:
            json.dump(json.loads(json.dumps(POLICY) % {"name": name}), f, indent=2)
    return out


def timed(cmd, env, expect=(0,)):
    """Run cmd under /usr/bin/time -v; return wall seconds, CPU seconds, peak RSS KiB, result."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode not in expect:
        raise RuntimeError("%s exited %d:\n%s" % (" ".join(cmd), p.returncode, p.stderr[-3000:]))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", p.stderr).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", p.stderr).group(1))
    return wall, user + sys_, rss, p


def total_calls(ep):
    return sum(v for k, v in ep.counts().items() if k not in ("-", "GetCallerIdentity"))


def set_latency(ep, ms):
    if ms:
        ep.set_faults(latency_ms=[ms, ms])
    else:
        ep.clear_faults()


@contextlib.contextmanager
def fresh(n):
    """A new endpoint, its AWS environment and a folder of n generated manifests:
    yields (endpoint, env, folder, account names)."""
    with tempfile.TemporaryDirectory(prefix="kw-bench-") as tmp, kwtest.Endpoint() as ep:
        env = kwtest.aws_env(ep, tmp)
        folder = os.path.join(tmp, "manifests")
        yield ep, env, folder, generate(folder, n)


def bench_plan(kw, n, latency, cli_sample, boto_sample):
    rows = {}
    with fresh(n) as (ep, env, folder, accounts):

        set_latency(ep, latency)
        ep.reset_counts()
        wall, cpu, rss, _ = timed([kw, "plan", "--no-color", folder], env, expect=(2,))
        rows["fresh"] = dict(wall=wall, cpu=cpu, rss=rss, calls=total_calls(ep))

        set_latency(ep, 0)
        timed([kw, "apply", "--auto-approve", "--no-color", folder], env)
        set_latency(ep, latency)
        ep.reset_counts()
        wall, cpu, rss, _ = timed([kw, "plan", "--no-color", folder], env, expect=(0,))
        calls = total_calls(ep)
        bound = math.ceil(calls / PARALLELISM) * latency / 1000.0
        rows["applied"] = dict(wall=wall, cpu=cpu, rss=rss, calls=calls, bound=bound)

        # The hand-written baselines read the same applied accounts. The AWS CLI starts a new
        # Python process per call (about a second each), so it runs on a sample and is scaled.
        sample = accounts[:min(n, cli_sample)]
        t0 = time.monotonic()
        subprocess.run(["bash", os.path.join(ROOT, "bench", "aws_cli_reads.sh"), ep.url] +
                       [a for a in sample], env=env, check=True)
        rows["cli"] = dict(wall=(time.monotonic() - t0) * n / len(sample), sample=len(sample))
        sample = accounts[:min(n, boto_sample)]
        t0 = time.monotonic()
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "boto3_reads.py"),
                        ep.url] + sample, env=env, check=True)
        rows["boto3"] = dict(wall=(time.monotonic() - t0) * n / len(sample), sample=len(sample))
    return rows


def bench_apply(kw, n, latency):
    with fresh(n) as (ep, env, folder, accounts):
        set_latency(ep, latency)
        ep.reset_counts()
        wall, cpu, rss, p = timed([kw, "apply", "--auto-approve", "--stats", "--no-color", folder],
                                  env)
        confirm = re.search(r"confirm\w*[^\n]*?([\d.]+)\s*s", p.stderr + p.stdout, re.I)
        return dict(wall=wall, cpu=cpu, rss=rss, calls=total_calls(ep),
                    confirm=float(confirm.group(1)) if confirm else None)


# Calls on one bench account's critical path when apply overlaps its steps (engine/exec.c
# waves): CreateUser, then CreateGroup (once CreateUser answered, beside the user's read-back
# GetUser) and its read-back GetGroup; {AddUserToGroup, PutGroupPolicy, AttachGroupPolicy} side
# by side, each with its read-back; the key (keys/issue.c): ListAccessKeys, CreateAccessKey,
# ListAccessKeys (the reconciliation after every attempt), STS GetCallerIdentity with the new
# key, TagUser (delivered); the last look (ListAccessKeys) only follows an attempt whose answer
# was lost, which a run without faults does not have.
CRITICAL_PATH_CALLS = 3 + 2 + 5
# rotate --delete-old of one bench account, every call after the one before it
# (lifecycle/rotate.c, rotation.c): GetUser, ListAccessKeys, then the key: ListAccessKeys,
# CreateAccessKey, ListAccessKeys, GetCallerIdentity, TagUser (delivered), UpdateAccessKey,
# DeleteAccessKey, UntagUser.
ROTATE_CRITICAL_PATH_CALLS = 2 + 8

STATS = re.compile(r"retry mode (\w+): (\d+) attempts?, (\d+) throttled, ([\d.]+) s waited")


def retry_stats(text):
    m = STATS.search(text)
    return dict(mode=m.group(1), attempts=int(m.group(2)), throttles=int(m.group(3)),
                waited=float(m.group(4))) if m else {}


def run_apply(kw, env, folder, *extra, expect=(0,)):
    wall, cpu, rss, p = timed([kw, "apply", "--auto-approve", "--stats", "--no-color", *extra, folder],
                              env, expect=expect)
    return dict(wall=wall, cpu=cpu, rss=rss, rc=p.returncode, **retry_stats(p.stderr))


def requests(ep):
    return sum(v for k, v in ep.counts().items() if k != "-")


def load():
    return "%.1f" % os.getloadavg()[0]


def peer(script, *args, env):
    t0 = time.monotonic()
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", script), *args], env=env, check=True)
    return time.monotonic() - t0


def bench_concurrency(kw, sizes, latency, rate, rate_n, throttle_n, rss_n, log):
    """Issue 13: apply and rotate across accounts, against the boto3 peers, rate-based and random
    throttling, memory at scale. Returns table lines."""
    out = ["", "### apply and rotate across accounts (issue 13)", "",
           "Critical-path bound = ceil(N / parallelism) × calls on one account's critical path × "
           "latency: apply %d calls, rotate %d (bench/bench.py says which). Load: the 1-minute load "
           "average when the row was measured (2 cores, shared)." % (CRITICAL_PATH_CALLS, ROTATE_CRITICAL_PATH_CALLS), "",
           "| run | N | parallelism | wall s | requests | bound s | × bound | vs p=1 | boto3 8 threads s | × boto3 | peak RSS MiB | load |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def row(what, n, par, wall, reqs, calls, p1, boto, rss, ld):
        bound = math.ceil(n / par) * calls * latency / 1000.0
        line = "| %s | %d | %d | %.2f | %d | %.2f | %.2f× | %s | %s | %.1f | %s |" % (
            what, n, par, wall, reqs, bound, wall / bound,
            "%.1f× faster" % (p1 / wall) if p1 else "",
            "%.2f | %.2f×" % (boto, wall / boto) if boto else " | ", rss / 1024.0, ld)
        out.append(line)
        log(line)

    for n in sizes:
        walls = {}
        for par in (1, PARALLELISM):
            with fresh(n) as (ep, env, folder, accounts):
                users = ["service-" + a for a in accounts]
                set_latency(ep, latency)
                ep.reset_counts()
                ld = load()
                x = run_apply(kw, env, folder, "--parallelism", str(par))
                walls[par] = x["wall"]
                reqs = requests(ep)
                rot = None
                if n == max(sizes):  # rotate the accounts just applied
                    ep.reset_counts()
                    rld = load()
                    w, _, rrss, _ = timed([kw, "rotate", "--delete-old", "--no-color", "--parallelism", str(par),
                                           folder], env)
                    rot = (w, requests(ep), rrss, rld)
                    walls["rotate", par] = w
                rboto = boto = None
                if par == PARALLELISM:
                    if rot:
                        rboto = peer("boto3_rotate.py", ep.url, *users, env=env)
                    ep.reset_state()
                    boto = peer("boto3_apply.py", ep.url, os.path.join(folder, "policies"), *accounts, env=env)
                row("apply", n, par, x["wall"], reqs, CRITICAL_PATH_CALLS, walls[1] if par != 1 else None, boto,
                    x["rss"], ld)
                if rot:
                    row("rotate", n, par, rot[0], rot[1], ROTATE_CRITICAL_PATH_CALLS,
                        walls["rotate", 1] if par != 1 else None, rboto, rot[2], rot[3])
    # rate-based throttling like IAM's own
    with fresh(rate_n) as (ep, env, folder, accounts):
        ep.set_faults("rate=%d,latency=%d" % (rate, latency))
        ep.reset_counts()
        ld = load()
        x = run_apply(kw, env, folder)
        reqs, limited = requests(ep), ep.faults()["rate_throttled"]
        out += ["", "| against | N | wall s | requests | throttled | rate bound s (requests ÷ %d) | × rate bound | attempts / throttles / bucket wait (--stats) | load |" % rate,
                "|---|---|---|---|---|---|---|---|---|",
                "| rate=%d | %d | %.2f | %d | %d (%.1f%%) | %.2f | %.2f× | %d / %d / %.1f s | %s |" % (
                    rate, rate_n, x["wall"], reqs, limited, 100.0 * limited / reqs, reqs / float(rate),
                    x["wall"] / (reqs / float(rate)), x.get("attempts", 0), x.get("throttles", 0),
                    x.get("waited", 0), ld)]
        log(out[-1])
    # random throttling, which no client can avoid (--throttle-n 0: not run)
    with fresh(throttle_n) as (ep, env, folder, accounts):
        ep.set_faults("seed=1,throttle=0.3,latency=%d" % latency)
        ep.reset_counts()
        ld = load()
        x = run_apply(kw, env, folder, expect=(0, 1)) if throttle_n else None
        reqs, injected = requests(ep), ep.faults()["injected"]
        if x:
            out.append("| throttle=0.3 | %d | %.2f | %d | %d (%.1f%%) | | | %d / %d / %.1f s; exit %d (%s) | %s |" % (
                throttle_n, x["wall"], reqs, injected, 100.0 * injected / reqs, x.get("attempts", 0),
                x.get("throttles", 0), x.get("waited", 0), x["rc"],
                "converged" if x["rc"] == 0 else "not converged", ld))
            log(out[-1])
    # memory at scale
    with fresh(rss_n) as (ep, env, folder, accounts):
        # IAM allows 300 groups an account (the endpoint too): past that, accounts fail
        ld = load()
        x = run_apply(kw, env, folder, expect=(0, 1))
        out += ["", "| apply of N fresh accounts, no latency | N | wall s | exit | peak RSS MiB | load |",
                "|---|---|---|---|---|---|",
                "| parallelism %d | %d | %.2f | %d | %.1f | %s |" % (PARALLELISM, rss_n, x["wall"], x["rc"],
                                                                x["rss"] / 1024.0, ld)]
        log(out[-1])
    return out


def bench_validate(kw, n):
    with tempfile.TemporaryDirectory(prefix="kw-bench-") as tmp:
        folder = os.path.join(tmp, "manifests")
        generate(folder, n)
        env = dict(os.environ, NO_COLOR="1")
        wall, cpu, rss, _ = timed([kw, "validate", folder], env)
        return dict(wall=wall, cpu=cpu, rss=rss)


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return "%s, %d cores, %.0f GiB, Linux %s, load average %.1f at start" % (
        cpu, os.cpu_count(), mem, platform.release(), load)


def fmt(x, digits=2):
    return "n/a" if x is None else ("%.*f" % (digits, x))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keywarden", default=os.environ.get("KEYWARDEN"))
    ap.add_argument("--full", action="store_true", help="also N=1000")
    ap.add_argument("--sizes", default="1,10,100,200")
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--cli-sample", type=int, default=3, help="accounts read by the aws CLI script")
    ap.add_argument("--boto3-sample", type=int, default=200, help="accounts read by boto3")
    ap.add_argument("--results", default=os.path.join(ROOT, "bench", "results.md"))
    ap.add_argument("--sections", default="plan,apply,validate,concurrency",
                    help="which tables: plan, apply, validate, concurrency (issue 13)")
    ap.add_argument("--concurrency-sizes", default="1,20,200")
    ap.add_argument("--rate", type=int, default=40, help="rate=N for the rate-limited run")
    ap.add_argument("--rate-n", type=int, default=200, help="accounts in the rate-limited run")
    ap.add_argument("--throttle-n", type=int, default=20, help="accounts in the throttle=0.3 run")
    ap.add_argument("--rss-n", type=int, default=1000, help="accounts in the memory run")
    args = ap.parse_args()
    sections = set(args.sections.split(","))
    kw = args.keywarden
    if not kw or not shutil.which(kw):
        sys.exit("bench: give --keywarden PATH (scripts/bench.sh does)")
    sizes = [int(s) for s in args.sizes.split(",")] + ([1000] if args.full else [])
    lat = args.latency_ms

    lines = ["", "## %s — %s" % (datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                                  subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                                                 capture_output=True, text=True).stdout.strip()),
             "", "Machine: %s. Local IAM endpoint with %d ms per request; keywarden parallelism %d."
             % (machine(), lat, PARALLELISM), "",
             ]
    plan_lines = ["### plan", "",
             "| N | state | wall s | IAM calls | calls/account | peak RSS MiB | latency bound s | × bound "
             "| aws CLI script s | × faster | boto3 script s | × faster |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    if "plan" in sections:
        lines += plan_lines
    for n in sizes if "plan" in sections else []:
        r = bench_plan(kw, n, lat, args.cli_sample, args.boto3_sample)
        for state in ("fresh", "applied"):
            x = r[state]
            bound = math.ceil(x["calls"] / PARALLELISM) * lat / 1000.0
            cli = boto = ""
            if state == "applied":
                cli = "%s (%d sampled) | %.0f×" % (fmt(r["cli"]["wall"], 1), r["cli"]["sample"],
                                                  r["cli"]["wall"] / x["wall"])
                boto = "%s | %.1f×" % (fmt(r["boto3"]["wall"], 1), r["boto3"]["wall"] / x["wall"])
            else:
                cli = boto = " | "
            lines.append("| %d | %s | %s | %d | %.2f | %.1f | %s | %s | %s | %s |" % (
                n, state, fmt(x["wall"]), x["calls"], x["calls"] / n, x["rss"] / 1024.0,
                fmt(bound), fmt(x["wall"] / bound if bound else None), cli, boto))
            print(lines[-1], flush=True)
    if "apply" in sections:
        lines += ["", "### apply (fresh accounts)", "",
                  "| N | wall s | IAM calls | calls/account | waiting on confirmations s | peak RSS MiB |",
                  "|---|---|---|---|---|---|"]
    for n in (1, 20) if "apply" in sections else []:
        x = bench_apply(kw, n, lat)
        lines.append("| %d | %s | %d | %.1f | %s | %.1f |" % (n, fmt(x["wall"]), x["calls"],
                                                           x["calls"] / n, fmt(x["confirm"]),
                                                           x["rss"] / 1024.0))
        print(lines[-1], flush=True)
    if "validate" in sections:
        x = bench_validate(kw, 1000)
        lines += ["", "### validate", "", "| manifests | CPU s | wall s | peak RSS MiB |", "|---|---|---|---|",
                  "| 1000 | %s | %s | %.1f |" % (fmt(x["cpu"], 3), fmt(x["wall"]), x["rss"] / 1024.0)]
        print(lines[-1], flush=True)
    if "concurrency" in sections:
        lines += bench_concurrency(kw, [int(x) for x in args.concurrency_sizes.split(",")], lat, args.rate,
                                   args.rate_n, args.throttle_n, args.rss_n, lambda l: print(l, flush=True))
    new = not os.path.exists(args.results)
    with open(args.results, "a") as f:
        if new:
            f.write("# Benchmark results\n\nAppended by `scripts/bench.sh`; see bench/README.md.\n")
        f.write("\n".join(lines) + "\n")
    print("appended to", args.results)


if __name__ == "__main__":
    main()
