"""Answers that are not what they claim (issue 18, item 5): an ErrorResponse body with HTTP 200
is an error (retried as a garbled answer), never an empty list; a listing that never ends stops
with an error after a bounded number of requests. Each test asserts from the endpoint's counts
that the fault was injected."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase  # noqa: E402


class HostileAnswers(EngineCase):
    def test_a_200_error_response_is_retried_not_read_as_no_keys(self):
        # two garbled answers to the key list read right before CreateAccessKey
        self.apply_injected("seed=1,error200=1,actions=ListAccessKeys,limit=2", 2)
        self.assertEqual(self.ep.counts().get("CreateAccessKey"), 1)
        self.assert_converged(keys=1)

    def test_keys_listed_as_200_errors_never_make_a_second_key(self):
        self.assertEqual(self.apply().returncode, 0)
        held = self.profile()["aws_access_key_id"]
        self.ep.reset_counts()
        # every key list answered 200 with an ErrorResponse: if read as "no keys", plan would
        # issue a key and apply would create a second one
        self.ep.set_faults("seed=2,error200=1,actions=ListAccessKeys")
        p = self.plan()
        r = self.apply()
        injected = self.ep.faults().get("injected", 0)
        self.ep.clear_faults()
        self.assertGreater(injected, 0)
        self.assertNotIn("create access key", p.stdout)
        self.assertIsNone(self.ep.counts().get("CreateAccessKey"), r.stdout + r.stderr)
        self.assertEqual([k["AccessKeyId"] for k in self.keys()], [held])

    def test_an_endless_listing_stops_with_an_error(self):
        self.assertEqual(self.apply().returncode, 0)  # an account whose reads list things
        self.ep.reset_counts()
        self.ep.set_faults("seed=3,endless=1")
        p = self.plan()
        injected = self.ep.faults().get("injected", 0)
        self.ep.clear_faults()
        self.assertGreater(injected, 0)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("Marker already seen", p.stderr)
        self.assertLess(sum(self.ep.counts().values()), 200)  # bounded, not 442,836 requests


if __name__ == "__main__":
    unittest.main(verbosity=2)
