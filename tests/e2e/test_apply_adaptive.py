"""Adaptive retry mode: apply uses it unless the config says retry_mode = standard; against the
endpoint's rate-based throttle (rate=N) its token bucket paces the run, and --stats reports the
attempts, the throttling answers and the time waited on the bucket."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase  # noqa: E402

STATS = re.compile(r"stats: retry mode (\w+): (\d+) attempts?, (\d+) throttled, ([0-9.]+) s waited on the token bucket")


def retry_stats(stderr):
    m = STATS.search(stderr)
    assert m, stderr
    return m.group(1), int(m.group(2)), int(m.group(3)), float(m.group(4))


class Adaptive(EngineCase):
    def test_apply_paces_itself_under_a_rate_limit(self):
        self.ep.set_faults("rate=4")
        r = self.apply("--stats", timeout_s="30")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assert_converged(keys=1)
        mode, attempts, throttles, waited = retry_stats(r.stderr)
        self.assertEqual(mode, "adaptive")
        limited = self.ep.faults()["rate_throttled"]
        self.assertGreater(limited, 0)  # the endpoint did throttle
        self.assertGreaterEqual(throttles, 1)
        self.assertLessEqual(throttles, limited)  # the key's own STS client counts apart
        self.assertGreater(waited, 0.5)  # the bucket paced the run after the first throttle
        iam_requests = sum(n for a, n in self.ep.counts().items() if a != "GetCallerIdentity")
        self.assertLessEqual(attempts, iam_requests)

    def test_standard_mode_from_the_environment_or_the_config(self):
        self.env["AWS_RETRY_MODE"] = "standard"
        try:
            r = self.apply("--stats")
        finally:
            del self.env["AWS_RETRY_MODE"]
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(retry_stats(r.stderr)[0], "standard")
        self.assertEqual(retry_stats(r.stderr)[3], 0.0)
        with open(self.config, "a") as f:
            f.write("retry_mode = standard\n")  # in [default]: the config file's only section
        r = self.plan("--stats")
        self.assertEqual(retry_stats(r.stderr)[0], "standard")
        self.ep.reset_state()
        r = self.apply("--stats")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(retry_stats(r.stderr)[0], "standard")

    def test_plan_defaults_to_standard_and_adaptive_when_asked(self):
        r = self.plan("--stats")
        self.assertEqual(retry_stats(r.stderr)[0], "standard")
        self.env["AWS_RETRY_MODE"] = "adaptive"
        try:
            r = self.plan("--stats")
        finally:
            del self.env["AWS_RETRY_MODE"]
        self.assertEqual(retry_stats(r.stderr)[0], "adaptive")


if __name__ == "__main__":
    unittest.main(verbosity=2)
