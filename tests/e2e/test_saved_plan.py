"""Saved plans: plan --out FILE (0600, no secrets, digests), show FILE, apply --plan FILE runs
exactly that plan; every refusal (manifest edited, policy edited, manifest added, IAM changed,
plan too old) happens before the first write, which the endpoint's counts show."""
import json
import os
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import POLICY, USER, EngineCase, manifest_text  # noqa: E402


def read(path):
    with open(path) as f:
        return f.read()


class SavedPlan(EngineCase):
    def setUp(self):
        super().setUp()
        self.saved = os.path.join(self.tmp, "plan.json")

    def plan_out(self, rc=2):
        p = self.kw("plan", "--out", self.saved, self.mdir)
        self.assertEqual(p.returncode, rc, p.stdout + p.stderr)
        self.assertIn("Saved the plan to %s" % self.saved, p.stderr)
        return p

    def apply_saved(self, *extra):
        if os.path.exists(self.seed):
            os.unlink(self.seed)
        return self.kw("apply", "--auto-approve", "--confirm-timeout", "5", "--mfa-seed-out", self.seed,
                       "--plan", self.saved, *extra)

    def assert_refused(self, p, *words):
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("error: apply --plan %s: refused: " % self.saved, p.stderr)
        for w in words:
            self.assertIn(w, p.stderr)
        self.assertIn("nothing was changed", p.stderr)
        self.assertEqual(self.writes(), {}, "a refused saved plan made a write call")

    def test_round_trip(self):
        p = self.plan_out()
        self.assertEqual(stat.S_IMODE(os.stat(self.saved).st_mode), 0o600)
        doc = json.loads(read(self.saved))
        self.assertEqual(doc["format"], "keywarden-plan")
        self.assertEqual(doc["format_version"], 1)
        self.assertEqual(doc["account"], "123456789012")
        self.assertEqual(doc["paths"], [self.mdir])
        self.assertEqual(sorted(f["path"] for f in doc["files"]),
                         sorted([self.manifest, os.path.join(self.mdir, "e2e-policy.json")]))
        self.assertEqual(set(doc["live"][0]["digests"]),
                         {"user", "permissions_boundary", "user_tags", "group_memberships", "user_policies",
                          "access_keys", "login_profile", "mfa_devices", "group", "group_policies",
                          "unassigned_mfa_device"})
        # show prints what plan printed; -o json is plan -o json; -o markdown its comment
        shown = self.kw("show", self.saved)
        self.assertEqual(shown.returncode, 2, shown.stderr)
        self.assertIn("for AWS account 123456789012 from %s (2 files)" % self.mdir, shown.stdout)
        self.assertTrue(shown.stdout.endswith(p.stdout), shown.stdout)
        plan_json = json.loads(self.kw("plan", "-o", "json", self.mdir).stdout)
        self.assertEqual(json.loads(self.kw("-o", "json", "show", self.saved).stdout), plan_json)
        md = self.kw("-o", "markdown", "show", self.saved)
        self.assertEqual(md.stdout, self.kw("plan", "-o", "markdown", self.mdir).stdout)

        self.ep.reset_counts()
        r = self.apply_saved()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Apply complete: 7 steps done and confirmed; 1 access key issued", r.stdout)
        self.assert_converged(keys=1)
        secret = self.profile()["aws_secret_access_key"]

        # a plan with a key that exists holds no secret either; a no-change plan applies with no write
        self.plan_out(rc=0)
        self.assertNotIn(secret, read(self.saved))
        self.assertNotIn(read(self.seed).strip(), read(self.saved))
        self.ep.reset_counts()
        r2 = self.apply_saved()
        self.assertEqual(r2.returncode, 0, r2.stdout + r2.stderr)
        self.assertIn("No changes.", r2.stdout)
        self.assertEqual(self.writes(), {})
        self.assertEqual(self.kw("show", self.saved).returncode, 0)

    def test_last_use_of_a_key_is_no_change(self):
        self.assertEqual(self.apply().returncode, 0)
        self.write_manifest(tags={"owner": "platform-team", "software": "e2e", "tier": "gold"})
        self.plan_out()
        # the key is used between plan and apply: last-used moves by itself, the plan still holds
        self.aws("--profile", "service-e2e", "--region", "us-east-1", "sts", "get-caller-identity")
        last = self.cli("iam", "get-access-key-last-used", "--access-key-id", self.keys()[0]["AccessKeyId"])
        self.assertIn("LastUsedDate", last["AccessKeyLastUsed"])
        r = self.apply_saved()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        tags = {t["Key"]: t["Value"] for t in self.cli("iam", "list-user-tags", "--user-name", USER)["Tags"]}
        self.assertEqual(tags.get("tier"), "gold")

    def test_manifest_edited_is_refused(self):
        self.plan_out()
        self.write_manifest(tags={"owner": "someone-else", "software": "e2e"})
        self.ep.reset_counts()
        self.assert_refused(self.apply_saved(), "manifest %s changed since the plan" % self.manifest)

    def test_policy_edited_is_refused(self):
        self.plan_out()
        # even the same policy, formatted differently, is a change of the reviewed file
        with open(os.path.join(self.mdir, "e2e-policy.json"), "w") as f:
            json.dump(POLICY, f)
        self.ep.reset_counts()
        self.assert_refused(self.apply_saved(),
                            "policy %s changed since the plan" % os.path.join(self.mdir, "e2e-policy.json"))

    def test_manifest_added_is_refused(self):
        self.plan_out()
        with open(os.path.join(self.mdir, "service-other.yaml"), "w") as f:
            f.write(manifest_text(name="other", deliver=["profile: service-other"]))
        self.ep.reset_counts()
        self.assert_refused(self.apply_saved(), "manifest %s is new since the plan"
                            % os.path.join(self.mdir, "service-other.yaml"))

    def test_iam_changed_is_refused(self):
        self.assertEqual(self.apply().returncode, 0)
        self.write_manifest(tags={"owner": "platform-team", "software": "e2e", "tier": "gold"})
        self.plan_out()
        # someone changes a tag in IAM since the plan
        self.cli("iam", "tag-user", "--user-name", USER, "--tags", "Key=owner,Value=intruder")
        self.ep.reset_counts()
        self.assert_refused(self.apply_saved(),
                            "account e2e: user tags of service-e2e changed in IAM since the plan")
        # a policy attached to the group by hand is named as the group's
        self.cli("iam", "tag-user", "--user-name", USER, "--tags", "Key=owner,Value=platform-team")
        self.cli("iam", "attach-group-policy", "--group-name", USER, "--policy-arn",
                 "arn:aws:iam::aws:policy/ReadOnlyAccess")
        self.ep.reset_counts()
        self.assert_refused(self.apply_saved(), "account e2e: group policies of its group changed in IAM")

    def test_plan_too_old_is_refused_before_any_call(self):
        self.plan_out()
        doc = json.loads(read(self.saved))
        old = int(time.time()) - 25 * 3600
        doc["created_unix"] = old
        doc["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(old))
        with open(self.saved, "w") as f:
            json.dump(doc, f)
        self.ep.reset_counts()
        p = self.apply_saved()
        self.assert_refused(p, "more than --max-plan-age 24 h 0 min", "made 25 h 0 min ago")
        self.assertEqual(self.ep.counts(), {})  # refused before any AWS call
        # a larger limit accepts it; a smaller one refuses a fresh plan
        self.ep.reset_counts()
        p = self.apply_saved("--max-plan-age", "2d")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.plan_out(rc=0)
        time.sleep(2)
        self.ep.reset_counts()
        self.assert_refused(self.apply_saved("--max-plan-age", "1s"), "more than --max-plan-age")
        for bad in ("", "-1h", "1y", "h", "99999999999999999999d"):
            u = self.kw("apply", "--plan", self.saved, "--max-plan-age", bad)
            self.assertEqual(u.returncode, 1)
            self.assertIn("--max-plan-age: expected a duration", u.stderr)

    def test_usage_and_bad_files(self):
        self.plan_out()
        for args in (("--plan", self.saved, self.mdir), ("--plan", self.saved, "--adopt"),
                     ("--plan", self.saved, "--prune-keys"), ("--plan", self.saved, "--owner", "x"),
                     ("--plan", self.saved, "--prune-accounts"),
                     ("--plan", self.saved, "--role-arn", "arn:aws:iam::{account}:role/x")):
            u = self.kw("apply", *args)
            self.assertEqual(u.returncode, 1)
            self.assertIn("takes its paths, --adopt, --prune-keys, --owner, --prune-accounts and "
                          "--role-arn from the saved plan", u.stderr)
        u = self.kw("apply", "--max-plan-age", "1h", self.mdir)
        self.assertIn("--max-plan-age needs --plan FILE", u.stderr)
        doc = json.loads(read(self.saved))
        doc["format_version"] = 99
        with open(self.saved, "w") as f:
            json.dump(doc, f)
        for cmd in (("show", self.saved), ("apply", "--auto-approve", "--plan", self.saved)):
            p = self.kw(*cmd)
            self.assertEqual(p.returncode, 1)
            self.assertIn("format_version 99", p.stderr)
        with open(self.saved, "w") as f:
            f.write("{\"format\": \"something-else\"}")
        p = self.kw("show", self.saved)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not a saved plan", p.stderr)
        self.assertEqual(self.writes(), {})


if __name__ == "__main__":
    unittest.main()
