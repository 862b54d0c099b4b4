"""policy lint, explain and diff (plain and --new-access) give exactly the recorded output on a
corpus: the lint corpus (tests/data/lint), the published policies (tests/data/policies), the
golden corpus (tests/data/golden/policies: escalation sets across statements, self-only
resources, NotAction, wildcards and case, resources and conditions, grammar errors) and the
new-access pairs (tests/data/new-access, tests/data/golden/old100.json + new100.json).

The transcript (tests/data/golden/policy-review.txt: each command, its exit code, stdout,
stderr) was recorded before issue 16's speed work so that a faster implementation must keep
every finding, message, position, exit code and explanation byte for byte. Lint output is
kept whole; another command's output over 16 KB (explain and diff of NotAction policies list
thousands of actions) is kept as its length and SHA-256. When the catalog
or a finding's wording changes on purpose, record it again:
    KEYWARDEN=build/test/keywarden /usr/bin/python3 tests/e2e/test_policy_golden.py --record
and review the diff of the transcript in the commit."""
import hashlib
import os
import subprocess
import sys
import unittest

KEYWARDEN = os.environ.get("KEYWARDEN", "build/test/keywarden")
SOURCE = os.environ.get("KW_SOURCE_DIR", ".")
TRANSCRIPT = os.path.join("tests", "data", "golden", "policy-review.txt")


def listing(folder, suffix):
    return sorted(os.path.join(folder, n) for n in os.listdir(os.path.join(SOURCE, folder))
                  if n.endswith(suffix))


def commands():
    files = (listing("tests/data/lint", ".json") + listing("tests/data/policies", ".json") +
             listing("tests/data/golden/policies", ".json"))
    pairs = [(p, p[:-len(".old.json")] + ".new.json") for p in listing("tests/data/new-access", ".old.json")]
    pairs.append(("tests/data/golden/old100.json", "tests/data/golden/new100.json"))
    out = [["policy", "lint", *files], ["-o", "json", "policy", "lint", *files]]
    for f in files:
        out += [["policy", "explain", f], ["-o", "json", "policy", "explain", f]]
    for old, new in pairs:
        out += [["policy", "diff", old, new], ["-o", "json", "policy", "diff", old, new],
                ["policy", "diff", "--new-access", old, new],
                ["-o", "json", "policy", "diff", "--new-access", old, new]]
    return out


def transcript():
    parts = []
    for args in commands():
        r = subprocess.run([os.path.abspath(KEYWARDEN), *args], capture_output=True, text=True, timeout=300,
                           cwd=SOURCE, env=dict(os.environ, NO_COLOR="1"))
        stdout = r.stdout
        if "lint" not in args and len(stdout) > 16384:
            data = stdout.encode()
            stdout = "[%d bytes, sha256 %s]\n" % (len(data), hashlib.sha256(data).hexdigest())
        parts.append("$ keywarden %s\n[exit %d]\n%s[stderr]\n%s[end]\n" % (" ".join(args), r.returncode, stdout,
                                                                          r.stderr))
    return "".join(parts)


class PolicyGolden(unittest.TestCase):
    def test_output_is_as_recorded(self):
        with open(os.path.join(SOURCE, TRANSCRIPT), encoding="utf-8") as f:
            want = f.read().split("$ keywarden ")
        got = transcript().split("$ keywarden ")
        self.assertEqual(len(got), len(want), "the corpus changed: record the transcript again")
        for g, w in zip(got, want):
            self.assertEqual(g, w, "output differs from %s for: keywarden %s" % (TRANSCRIPT, w.split("\n")[0]))


if __name__ == "__main__":
    if sys.argv[1:] == ["--record"]:
        with open(os.path.join(SOURCE, TRANSCRIPT), "w", encoding="utf-8") as f:
            f.write(transcript())
        sys.exit(0)
    unittest.main()
