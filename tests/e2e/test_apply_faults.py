"""Transient trouble while applying (throttling storms, 503s, dropped connections): apply either
converges or stops before any key is issued, and the next apply (without faults) converges."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase  # noqa: E402


class Faults(EngineCase):
    def test_throttling_storm(self):
        self.converge_or_stop_then_converge("seed=11,throttle=0.5")

    def test_503s(self):
        self.converge_or_stop_then_converge("seed=12,error503=0.4")

    def test_dropped_connections(self):
        self.converge_or_stop_then_converge("seed=13,drop=0.3")

    def completes_under(self, spec):
        """Under spec, apply completes (engine-level retries on top of the client's)."""
        self.ep.set_faults(spec)
        r = self.apply(timeout_s="20")
        injected = self.ep.faults().get("injected", 0)
        self.ep.clear_faults()
        self.assertGreater(injected, 0, "no fault was injected")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        active = self.assert_converged(keys=1)
        self.assertEqual([k["AccessKeyId"] for k in self.keys()], [active[0]["AccessKeyId"]])
        self.assertEqual(self.profile()["aws_access_key_id"], active[0]["AccessKeyId"])

    def test_throttling_030_completes(self):
        self.completes_under("seed=21,throttle=0.3")

    def test_conflict_storm_020_completes(self):
        # IAM's 409 ConcurrentModification on a fifth of the requests, CreateAccessKey included
        self.completes_under("seed=22,conflict=0.2")


if __name__ == "__main__":
    unittest.main(verbosity=2)
