"""The read-only policy for plan jobs (policies/keywarden-planner.json): lint clean, nothing but
reads; an IAM user whose only permissions are these actions can validate, plan (also --out),
audit and whoami, and apply with it fails on its first write call, with no write made."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import SOURCE, USER, WRITE_PREFIXES, EngineCase  # noqa: E402

PLANNER = os.path.join(SOURCE, "policies", "keywarden-planner.json")
READ_PREFIXES = ("Get", "List")


class PlannerPolicy(EngineCase):
    def setUp(self):
        super().setUp()
        # a plan job's identity: an IAM user with the planner policy and nothing else
        self.cli("iam", "create-user", "--user-name", "kw-planner")
        with open(PLANNER) as f:
            self.cli("iam", "put-user-policy", "--user-name", "kw-planner", "--policy-name", "planner",
                     "--policy-document", f.read())
        key = self.cli("iam", "create-access-key", "--user-name", "kw-planner")["AccessKey"]
        self.planner_key = key["AccessKeyId"]
        with open(self.creds, "a") as f:
            f.write("[planner]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (key["AccessKeyId"], key["SecretAccessKey"]))

    def planner_calls(self, since):
        return [e for e in self.ep.log(since) if e.get("access_key_id") == self.planner_key]

    def last_seq(self):
        log = self.ep.log(0)
        return log[-1]["seq"] if log else 0

    def test_policy_is_read_only_and_lint_clean(self):
        with open(PLANNER) as f:
            doc = json.load(f)
        actions = [a for s in doc["Statement"] for a in s["Action"]]
        self.assertTrue(actions)
        for s in doc["Statement"]:
            self.assertEqual(s["Effect"], "Allow")
        for a in actions:
            service, name = a.split(":")
            self.assertEqual(service, "iam")
            self.assertTrue(name.startswith(READ_PREFIXES), a)
        p = self.kw("policy", "lint", PLANNER)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout + p.stderr, "")

    def test_plan_audit_whoami_work_and_apply_fails_on_the_first_write(self):
        self.assertEqual(self.apply().returncode, 0)  # the operator made the account
        self.write_manifest(tags={"owner": "platform-team", "software": "e2e", "tier": "gold"})
        since = self.last_seq()

        v = self.kw("--profile", "planner", "validate", self.mdir)
        self.assertEqual(v.returncode, 0, v.stderr)
        plan_file = os.path.join(self.tmp, "plan.json")
        p = self.kw("--profile", "planner", "plan", "--out", plan_file, self.mdir)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("~ update tags of user %s" % USER, p.stdout)
        self.assertIn("Plan: 0 to add, 1 to change, 0 to destroy.", p.stdout)
        a = self.kw("--profile", "planner", "audit", self.manifest)
        self.assertIn(a.returncode, (0, 3), a.stdout + a.stderr)
        self.assertIn(USER, a.stdout)
        w = self.kw("--profile", "planner", "whoami")
        self.assertEqual(w.returncode, 0, w.stderr)
        self.assertIn("user/kw-planner", w.stdout)

        calls = self.planner_calls(since)
        self.assertTrue(calls)
        for e in calls:
            self.assertNotIn(e.get("error"), ("AccessDenied",), e)  # every read was allowed
            self.assertFalse(e["action"].startswith(WRITE_PREFIXES), e)

        # apply with the planner's permissions: the first write is refused, nothing changed
        since = self.last_seq()
        tags_before = self.cli("iam", "list-user-tags", "--user-name", USER)["Tags"]
        r = self.kw("--profile", "planner", "apply", "--auto-approve", "--confirm-timeout", "5", self.mdir)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("AccessDenied", r.stdout + r.stderr)
        writes = [e for e in self.planner_calls(since) if e["action"].startswith(WRITE_PREFIXES)]
        self.assertEqual(len(writes), 1, writes)  # the first write, and no other
        self.assertEqual(writes[0]["action"], "TagUser")
        self.assertEqual(writes[0].get("error"), "AccessDenied")
        self.assertEqual(self.cli("iam", "list-user-tags", "--user-name", USER)["Tags"], tags_before)

        # and its saved plan, applied by the planner, fails the same way
        since = self.last_seq()
        r = self.kw("--profile", "planner", "apply", "--auto-approve", "--plan", plan_file)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        writes = [e for e in self.planner_calls(since) if e["action"].startswith(WRITE_PREFIXES)]
        self.assertEqual([(e["action"], e.get("error")) for e in writes], [("TagUser", "AccessDenied")])


if __name__ == "__main__":
    unittest.main()
