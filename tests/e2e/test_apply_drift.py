"""Drift made behind keywarden's back is planned and repaired; no new key when the old one is fresh;
unmanaged users are refused unless --adopt; extra keys are removed only with --prune-keys; a key
past maxAgeDays is replaced and then deactivated for its grace period, as rotate does."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import USER, EngineCase  # noqa: E402


class Drift(EngineCase):
    def test_drift_is_planned_and_repaired(self):
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        key = self.keys()[0]["AccessKeyId"]
        old_serial = self.cli("iam", "list-mfa-devices", "--user-name", USER)["MFADevices"][0]["SerialNumber"]

        # drift: a tag changed and one added, the inline policy edited, a login profile added,
        # the user taken out of its group and put in another service group and in a group that
        # is not keywarden's, the MFA device deactivated
        self.cli("iam", "tag-user", "--user-name", USER, "--tags", "Key=owner,Value=someone-else",
                 "Key=extra,Value=1")
        edited = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
        self.cli("iam", "put-group-policy", "--group-name", USER, "--policy-name", "e2e-policy",
                 "--policy-document", json.dumps(edited))
        self.cli("iam", "create-login-profile", "--user-name", USER, "--password", "Dr1ft-Passw0rd!x")
        self.cli("iam", "remove-user-from-group", "--user-name", USER, "--group-name", USER)
        for group in ("service-other", "ops"):
            self.cli("iam", "create-group", "--group-name", group)
            self.cli("iam", "add-user-to-group", "--user-name", USER, "--group-name", group)
        self.cli("iam", "deactivate-mfa-device", "--user-name", USER, "--serial-number", old_serial)

        p = self.plan()
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        for line in ("+ add user service-e2e to group service-e2e",
                     "- remove user service-e2e from group service-other",
                     "note: user service-e2e is also in group ops, which keywarden does not manage",
                     "~ update inline policy e2e-policy of group service-e2e",
                     "- delete login profile of user service-e2e",
                     "~ update tags of user service-e2e",
                     "~ owner: \"someone-else\" -> \"platform-team\"",
                     "- extra: \"1\"",
                     "+ enroll virtual MFA device service-e2e",
                     "replaces the unassigned device " + old_serial):
            self.assertIn(line, p.stdout)
        self.assertNotIn("create access key", p.stdout)
        self.assertNotIn("from group ops", p.stdout)  # the operator policy cannot: by hand

        self.ep.reset_counts()
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.writes().get("RemoveUserFromGroup"), 1)  # service-other only
        # the foreign membership is still noted, but it is no change: exit 0
        p = self.plan()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("note: user service-e2e is also in group ops", p.stdout)
        self.cli("iam", "remove-user-from-group", "--user-name", USER, "--group-name", "ops")
        active = self.assert_converged(keys=1)
        self.assertEqual(active[0]["AccessKeyId"], key)  # the fresh key was kept, none created
        p = self.plan()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("note:", p.stdout)

    def test_adopt_notes_memberships_in_groups_keywarden_does_not_manage(self):
        # an existing, untagged service user in a team's group (not service-*) and in another
        # service group: --adopt removes the service-group membership (a step) and only notes
        # the other, which the operator policy may not remove (README, "Permissions")
        self.cli("iam", "create-user", "--user-name", USER, "--path", "/service/")
        for group in ("ops", "service-old"):
            self.cli("iam", "create-group", "--group-name", group)
            self.cli("iam", "add-user-to-group", "--user-name", USER, "--group-name", group)
        p = self.plan("--adopt")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("- remove user service-e2e from group service-old", p.stdout)
        self.assertNotIn("from group ops", p.stdout)
        self.assertIn("note: user service-e2e is also in group ops, which keywarden does not manage "
                      "(not named service-*); remove it by hand: aws iam remove-user-from-group "
                      "--user-name service-e2e --group-name ops", p.stdout)
        doc = json.loads(self.kw("plan", "--adopt", "-o", "json", self.manifest).stdout)
        removals = [s["subject"] for s in doc["steps"] if s["resource"] == "membership" and s["action"] == "delete"]
        self.assertEqual(removals, ["service-old"])
        self.assertEqual([n["account"] for n in doc["notes"] if "group ops" in n["text"]], ["e2e"])

        self.ep.reset_counts()
        r = self.apply("--adopt")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.writes().get("RemoveUserFromGroup"), 1)
        groups = {g["GroupName"] for g in self.cli("iam", "list-groups-for-user", "--user-name", USER)["Groups"]}
        self.assertEqual(groups, {USER, "ops"})
        # adopted now; the note alone is no change
        p = self.plan()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("No changes.", p.stdout)
        self.assertIn("note: user service-e2e is also in group ops", p.stdout)

    def test_unmanaged_user_is_refused_unless_adopt(self):
        self.cli("iam", "create-user", "--user-name", USER, "--path", "/service/")
        p = self.plan()
        self.assertEqual(p.returncode, 1)
        self.assertIn("--adopt", p.stderr)
        r = self.apply()
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.writes(), {"CreateUser": 1})  # only the test's own
        r = self.apply("--adopt")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assert_converged(keys=1)

    def user_tags(self):
        return {t["Key"]: t["Value"] for t in self.cli("iam", "list-user-tags", "--user-name", USER)["Tags"]}

    def test_a_key_past_max_age_is_replaced_then_deactivated_and_pruned_after_its_grace(self):
        self.ep.set_clock_offset(-100 * 86400)  # IAM's clock 100 days back: the key is born old
        self.assertEqual(self.apply().returncode, 0)
        self.ep.set_clock_offset(0)  # now it is 100 days old (maxAgeDays 90)
        old = self.keys()[0]["AccessKeyId"]
        p = self.plan()
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("+ create access key for user service-e2e", p.stdout)
        self.assertIn("~ deactivate access key %s of user service-e2e (kept inactive for its 7-day "
                      "rotation grace period)" % old, p.stdout)
        self.assertIn("why: the new key replaces it in every delivery target", p.stdout)
        doc = json.loads(self.kw("plan", "-o", "json", self.manifest).stdout)
        keysteps = [(s["action"], s["subject"]) for s in doc["steps"] if s["resource"] == "access-key"]
        self.assertEqual(keysteps, [("create", USER), ("update", old)])  # the new key first
        step = [s for s in doc["steps"] if s["resource"] == "access-key"][1]
        self.assertEqual((step["before"], step["after"]), ("Active", "Inactive"))
        self.assertIn("replaces it", step["reason"])

        # apply replaces it the way rotate does: the new key delivered and confirmed, then the
        # old one deactivated with rotate's grace tag; nobody is left holding an active old key
        self.ep.reset_counts()
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        counts = self.ep.counts()
        self.assertEqual(counts.get("CreateAccessKey"), 1)
        self.assertEqual(counts.get("UpdateAccessKey"), 1)
        self.assertNotIn("DeleteAccessKey", counts)
        new = self.profile()["aws_access_key_id"]
        self.assertNotEqual(new, old)
        self.assertEqual({k["AccessKeyId"]: k["Status"] for k in self.keys()}, {old: "Inactive", new: "Active"})
        self.assertRegex(self.user_tags()["keywarden:inactive:" + old], r"^\d{4}-\d\d-\d\dT.*Z grace=7d$")
        p = self.plan()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)  # the new key is fresh; the old one only noted

        # --prune-keys keeps it during its grace period, and deletes it once that is over
        self.ep.reset_counts()
        r = self.apply("--prune-keys")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("inactive in its rotation grace period", r.stdout)
        self.assertNotIn("DeleteAccessKey", self.ep.counts())
        past = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 8 * 86400))
        self.cli("iam", "tag-user", "--user-name", USER, "--tags",
                 "Key=keywarden:inactive:%s,Value=%s grace=7d" % (old, past))
        r = self.apply("--prune-keys")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual([k["AccessKeyId"] for k in self.keys()], [new])
        self.assertNotIn("keywarden:inactive:" + old, self.user_tags())


if __name__ == "__main__":
    unittest.main(verbosity=2)
