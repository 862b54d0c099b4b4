"""Answers lost on the way back (the request was carried out, the connection dropped): apply
reads back before it decides, never loses an MFA seed, never leaves a key that nobody holds, and
never deletes a key that another run created."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import USER, EngineCase  # noqa: E402


class LostAnswers(EngineCase):
    def test_lost_enable_mfa_answer_keeps_the_seed(self):
        self.apply_injected("seed=1,drop_after=1,actions=EnableMFADevice,limit=1", 1)
        self.assertGreaterEqual(self.ep.counts().get("EnableMFADevice"), 2)  # the answer was lost
        self.assertTrue(os.path.exists(self.seed), "the seed of an enabled device was removed")
        with open(self.seed) as f:
            self.assertRegex(f.read(), r"^[A-Z2-7]{16,}=*\n$")
        self.assertNotIn("DeleteVirtualMFADevice", self.ep.counts())
        self.assert_converged(keys=1)
        p = self.plan()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("No changes", p.stdout)

    def assert_only_held_keys(self):
        """Every key in IAM is the one the profile holds (none existed before these runs)."""
        held = self.profile().get("aws_access_key_id")
        self.assertEqual([k["AccessKeyId"] for k in self.keys()], [held] if held else [])

    def test_lost_create_access_key_answers_leave_no_orphan(self):
        # three answers lost: two keys nobody holds (then LimitExceeded) unless cleaned up
        r = self.apply_injected("seed=1,drop_after=1,actions=CreateAccessKey,limit=3", 3)
        self.assertEqual(self.ep.counts().get("CreateAccessKey"), 4, r.stderr)  # the client never re-sends
        self.assertEqual(self.ep.counts().get("DeleteAccessKey"), 3, r.stderr)  # one per lost answer
        self.assert_only_held_keys()
        active = self.assert_converged(keys=1)
        self.assertEqual(self.profile()["aws_access_key_id"], active[0]["AccessKeyId"])
        p = self.plan()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("No changes", p.stdout)

    def test_a_lost_answer_after_a_successful_retry_is_reconciled_too(self):
        # one lost answer, then success: the keys are listed after EVERY attempt, not only on error
        self.apply_injected("seed=1,drop_after=1,actions=CreateAccessKey,limit=1", 1)
        self.assertEqual(self.ep.counts().get("CreateAccessKey"), 2)
        self.assertGreaterEqual(self.ep.counts().get("ListAccessKeys"), 3)  # before, after each attempt
        self.assert_only_held_keys()

    def test_every_answer_lost_fails_leaving_no_key(self):
        self.ep.set_faults("seed=1,drop_after=1,actions=CreateAccessKey")
        r = self.apply(timeout_s="3")
        injected = self.ep.faults().get("injected")
        self.ep.clear_faults()
        self.assertGreaterEqual(injected, 2)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(self.keys(), [], r.stdout + r.stderr)
        self.assertEqual(self.ep.counts().get("DeleteAccessKey"), injected)
        self.assert_only_held_keys()
        self.assertIn("create access key", self.plan().stdout)

    def test_a_key_another_run_issued_meanwhile_is_kept(self):
        # another run (here: the CLI) issues a key after this run read IAM, before its own key
        self.ep.set_faults("seed=1,latency=1500,actions=AttachGroupPolicy")
        p = self.start_apply("PutGroupPolicy")
        other = self.cli("iam", "create-access-key", "--user-name", USER)["AccessKey"]["AccessKeyId"]
        out, err = p.communicate(timeout=120)
        self.outputs.append(out + err)
        self.assertEqual(p.returncode, 0, out + err)
        ids = [k["AccessKeyId"] for k in self.keys()]
        self.assertIn(other, ids, "apply deleted a key it did not create\n" + out + err)
        self.assertEqual(len(ids), 2)
        self.assertIsNone(self.ep.counts().get("DeleteAccessKey"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
