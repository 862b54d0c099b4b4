"""keywarden's own operator policy (policies/keywarden-operator.json) under `policy lint`: the
README says exactly what lint reports for it (six KWP021 privilege-escalation warnings, exit 3)
and why they cannot go. This pins that set, so that a new finding (or a README that no longer
says it) fails here instead of going unnoticed."""
import json
import os
import re
import subprocess
import unittest

KEYWARDEN = os.environ.get("KEYWARDEN", "build/test/keywarden")
SOURCE = os.environ.get("KW_SOURCE_DIR", ".")
POLICY = "policies/keywarden-operator.json"

# (statement Sid, action) of every finding lint may report, all KWP021 warnings
EXPECTED = {
    ("ChangeOnlyManagedServiceUsers", "iam:PutUserPermissionsBoundary"),
    ("ChangeOnlyManagedServiceUsers", "iam:DeleteUserPermissionsBoundary"),
    ("ChangeOnlyManagedServiceUsers", "iam:CreateAccessKey"),
    ("ManageServiceGroups", "iam:AddUserToGroup"),
    ("ManageServiceGroups", "iam:PutGroupPolicy"),
    ("ManageServiceGroups", "iam:AttachGroupPolicy"),
}


class OperatorPolicy(unittest.TestCase):
    def lint(self, *extra):
        return subprocess.run([KEYWARDEN, *extra, "policy", "lint", POLICY], capture_output=True, text=True,
                              cwd=SOURCE, env=dict(os.environ, NO_COLOR="1"), timeout=60)

    def test_lint_reports_exactly_the_documented_kwp021_findings(self):
        r = self.lint("-o", "json")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)  # findings, none of them errors
        findings = json.loads(r.stdout)
        with open(os.path.join(SOURCE, POLICY)) as f:
            doc = json.load(f)
        got = set()
        for fd in findings:
            self.assertEqual((fd["code"], fd["severity"]), ("KWP021", "warning"), fd)
            m = re.fullmatch(r"/Statement/(\d+)/Action/(\d+)", fd["pointer"])
            self.assertTrue(m, fd)
            st = doc["Statement"][int(m.group(1))]
            got.add((st["Sid"], st["Action"][int(m.group(2))]))
        self.assertEqual(len(findings), len(EXPECTED), findings)
        self.assertEqual(got, EXPECTED)

    def test_text_output_and_readme_say_the_same(self):
        r = self.lint()
        self.assertEqual(r.returncode, 3)
        lines = r.stdout.splitlines() + r.stderr.splitlines()
        self.assertEqual(len([line for line in lines if line.endswith("[KWP021]")]), 6, lines)
        with open(os.path.join(SOURCE, "README.md")) as f:
            readme = " ".join(f.read().split())
        self.assertIn("`keywarden policy lint %s` checks it: it exits 3 with six KWP021" % POLICY, readme)
        for _, action in EXPECTED:
            self.assertIn("`%s`" % action, readme)


    def test_store_actions_keywarden_calls_are_granted_and_documented(self):
        # the Secrets Manager and SSM operations of src/keys/secretsmanager.c and ssmparameter.c
        calls = {"secretsmanager:DescribeSecret", "secretsmanager:CreateSecret", "secretsmanager:TagResource",
                 "secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue", "secretsmanager:DeleteSecret",
                 "ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource",
                 "ssm:ListTagsForResource",
                 # destroy and apply --prune-accounts find the stores tagged for an account
                 "secretsmanager:ListSecrets", "ssm:DescribeParameters"}
        # listings of metadata (no value) that have no resource type in the Service
        # Authorization Reference: Resource "*" only, no tag condition possible
        unscoped = {"secretsmanager:ListSecrets", "ssm:DescribeParameters"}
        with open(os.path.join(SOURCE, POLICY)) as f:
            doc = json.load(f)
        granted = set()
        for st in doc["Statement"]:
            acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            granted |= {a for a in acts if a.split(":")[0] in ("secretsmanager", "ssm")}
            if any(a.startswith("secretsmanager:") and a not in {"secretsmanager:DescribeSecret"} | unscoped
                   for a in acts):
                self.assertIn("Condition", st, st["Sid"])  # writes and reads of values: tagged only
            if set(acts) & unscoped:
                self.assertEqual(set(acts), unscoped, st["Sid"])  # nothing else on Resource "*"
        self.assertEqual(granted, calls)
        with open(os.path.join(SOURCE, "README.md")) as f:
            readme = f.read()
        for action in calls:
            self.assertIn("`%s`" % action, readme)


if __name__ == "__main__":
    unittest.main(verbosity=2)
