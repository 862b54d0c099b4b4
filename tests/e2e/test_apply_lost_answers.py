"""Answers lost on the way back (the request was carried out, the connection dropped): apply
reads back before it decides, never loses an MFA seed, never leaves a key that nobody holds, and
never deletes a key that another run created."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_fixture import USER, EngineCase  # noqa: E402


class LostAnswers(EngineCase):
    def test_lost_enable_mfa_answer_keeps_the_seed(self):
        self.ep.set_faults("seed=1,drop_after=1,actions=EnableMFADevice,limit=1")
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.ep.faults().get("injected"), 1)
        self.assertGreaterEqual(self.ep.counts().get("EnableMFADevice"), 2)  # the answer was lost
        self.assertTrue(os.path.exists(self.seed), "the seed of an enabled device was removed")
        with open(self.seed) as f:
            self.assertRegex(f.read(), r"^[A-Z2-7]{16,}=*\n$")
        self.assertNotIn("DeleteVirtualMFADevice", self.ep.counts())
        self.assert_converged(keys=1)
        p = self.plan()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("No changes", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
