"""Drift made behind keywarden's back is planned and repaired; no new key when the old one is fresh;
unmanaged users are refused unless --adopt; extra keys are removed only with --prune-keys."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_fixture import USER, EngineCase  # noqa: E402


class Drift(EngineCase):
    def test_drift_is_planned_and_repaired(self):
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        key = self.keys()[0]["AccessKeyId"]
        old_serial = self.cli("iam", "list-mfa-devices", "--user-name", USER)["MFADevices"][0]["SerialNumber"]

        # drift: a tag changed and one added, the inline policy edited, a login profile added,
        # the user taken out of its group and put in another, the MFA device deactivated
        self.cli("iam", "tag-user", "--user-name", USER, "--tags", "Key=owner,Value=someone-else",
                 "Key=extra,Value=1")
        edited = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
        self.cli("iam", "put-group-policy", "--group-name", USER, "--policy-name", "e2e-policy",
                 "--policy-document", json.dumps(edited))
        self.cli("iam", "create-login-profile", "--user-name", USER, "--password", "Dr1ft-Passw0rd!x")
        self.cli("iam", "remove-user-from-group", "--user-name", USER, "--group-name", USER)
        self.cli("iam", "create-group", "--group-name", "admins")
        self.cli("iam", "add-user-to-group", "--user-name", USER, "--group-name", "admins")
        self.cli("iam", "deactivate-mfa-device", "--user-name", USER, "--serial-number", old_serial)

        p = self.plan()
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        for line in ("+ add user service-e2e to group service-e2e",
                     "- remove user service-e2e from group admins",
                     "~ update inline policy e2e-policy of group service-e2e",
                     "- delete login profile of user service-e2e",
                     "~ update tags of user service-e2e",
                     "~ owner: \"someone-else\" -> \"platform-team\"",
                     "- extra: \"1\"",
                     "+ enroll virtual MFA device service-e2e",
                     "replaces the unassigned device " + old_serial):
            self.assertIn(line, p.stdout)
        self.assertNotIn("create access key", p.stdout)

        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        active = self.assert_converged(keys=1)
        self.assertEqual(active[0]["AccessKeyId"], key)  # the fresh key was kept, none created
        self.assertEqual(self.plan().returncode, 0)

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

    def test_old_keys_pruned_only_with_prune_keys(self):
        self.ep.set_clock_offset(-100 * 86400)  # IAM's clock 100 days back: the key is born old
        self.assertEqual(self.apply().returncode, 0)
        self.ep.set_clock_offset(0)  # now it is 100 days old (maxAgeDays 90)
        old = self.keys()[0]["AccessKeyId"]
        p = self.plan()
        self.assertEqual(p.returncode, 2)
        self.assertIn("+ create access key for user service-e2e", p.stdout)
        self.assertIn("note: access key %s" % old, p.stdout)
        self.assertEqual(self.apply().returncode, 0)
        ids = {k["AccessKeyId"] for k in self.keys()}
        self.assertEqual(len(ids), 2)
        self.assertIn(old, ids)
        self.assertNotEqual(self.profile()["aws_access_key_id"], old)
        self.assertEqual(self.plan().returncode, 0)  # the new key is fresh; the old one only noted
        r = self.apply("--prune-keys")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual([k["AccessKeyId"] for k in self.keys()], [self.profile()["aws_access_key_id"]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
