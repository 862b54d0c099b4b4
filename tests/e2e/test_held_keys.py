"""Held means held (issue 18): the key a delivery target holds is read from the target itself,
and a key a target holds that IAM does not list yet is waited for, never replaced by another.
Every test asserts from the endpoint that the lag (or fault) it depends on was really there."""
import datetime
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import USER, EngineCase  # noqa: E402


def at(entry):
    """The time the endpoint logged entry at, in seconds."""
    return datetime.datetime.fromisoformat(entry["time"]).timestamp()


def list_keys_answers(log, user=USER):
    return [e for e in log if e.get("action") == "ListAccessKeys" and e.get("params", {}).get("UserName") == user]


class HeldKeys(EngineCase):
    def test_two_applies_within_a_3s_read_lag_leave_one_key_the_held_one(self):
        self.ep.set_consistency(lag_ms=3000)
        r1 = self.apply(timeout_s="20")
        self.assertEqual(r1.returncode, 0, r1.stdout + r1.stderr)
        created = [e for e in self.ep.log() if e.get("action") == "CreateAccessKey" and e.get("status") == 200]
        self.assertEqual(len(created), 1)
        seq = self.ep.log()[-1]["seq"]
        r2 = self.apply(timeout_s="20")  # at once: IAM does not list the first key for 3 s
        self.assertEqual(r2.returncode, 0, r2.stdout + r2.stderr)
        second = self.ep.log(since=seq)
        lists = list_keys_answers(second)
        # the lag was there: the second apply's first listing came within 3 s of the key's
        # creation, and it listed again while it waited for the key its profile holds
        self.assertLess(at(lists[0]) - at(created[0]), 3.0, "the lag had passed already")
        self.assertGreaterEqual(len(lists), 2, "the second apply never waited for the held key")
        actions = [e["action"] for e in second]
        self.assertNotIn("CreateAccessKey", actions)
        self.assertNotIn("DeleteAccessKey", actions)
        self.ep.set_consistency(lag_ms=0)
        self.ep.settle()
        active = self.assert_converged(keys=1)
        self.assertEqual([k["AccessKeyId"] for k in self.keys()], [active[0]["AccessKeyId"]])
        self.assertEqual(self.profile()["aws_access_key_id"], active[0]["AccessKeyId"])
        self.assertIn("No changes", self.plan().stdout)

    def test_plan_waits_for_a_held_key_iam_does_not_list_yet(self):
        self.assertEqual(self.apply().returncode, 0)
        old = self.keys()[0]["AccessKeyId"]
        # a key made seconds ago by someone else's run and put into the profile: IAM lists it late
        self.ep.set_consistency(lag_ms=3000)
        new = self.cli("iam", "create-access-key", "--user-name", USER)["AccessKey"]
        self.secrets.add(new["SecretAccessKey"])
        self.cli("iam", "delete-access-key", "--user-name", USER, "--access-key-id", old)
        with open(self.creds) as f:
            text = f.read()
        with open(self.creds, "w") as f:
            f.write(text.replace(old, new["AccessKeyId"]))
        self.ep.reset_counts()
        p = self.kw("plan", "--confirm-timeout", "20", "-v", self.manifest)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)  # nothing to do: the profile holds it
        self.assertIn("No changes", p.stdout)
        self.assertIn("does not list yet", p.stderr)
        self.assertGreaterEqual(self.ep.counts().get("ListAccessKeys", 0), 2)  # listed again: the lag was seen


if __name__ == "__main__":
    unittest.main(verbosity=2)
