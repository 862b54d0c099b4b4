"""5 s of eventual-consistency lag is waited out by the read-back gates; writes whose answers are
lost after IAM acted are recovered (EntityAlreadyExists confirmed by reading back; a key created
by a lost CreateAccessKey answer is deleted, never left for nobody)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase  # noqa: E402

WRITES = ("CreateUser|CreateGroup|AddUserToGroup|PutGroupPolicy|AttachGroupPolicy|CreateVirtualMFADevice|"
          "EnableMFADevice|CreateAccessKey")


class Lag(EngineCase):
    def test_eventual_consistency_lag(self):
        r = self.converge_or_stop_then_converge(lag_ms=5000, timeout_s="20")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)  # read-backs wait the lag out

    def test_new_key_propagation_is_waited_for(self):
        self.ep.set_consistency(key_propagation_ms=3000)  # InvalidClientTokenId for 3 s
        r = self.apply(timeout_s="15")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertGreaterEqual(self.ep.counts().get("GetCallerIdentity", 0), 2)
        self.assert_converged(keys=1)
        # a key that never starts working within --confirm-timeout is deleted
        self.ep.reset_state()
        self.ep.set_consistency(key_propagation_ms=60000)
        r = self.apply(timeout_s="2")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("did not work", r.stdout + r.stderr)
        self.assertEqual(self.keys(), [])

    def test_dropped_answers_after_iam_acted(self):
        self.converge_or_stop_then_converge("seed=14,drop_after=0.5,actions=" + WRITES)


if __name__ == "__main__":
    unittest.main(verbosity=2)
