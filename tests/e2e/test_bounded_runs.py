"""Every run is bounded (issue 18, item 6): a silent or drip-feeding endpoint ends plan and apply
at the no-progress deadline (--no-progress-timeout, noProgressTimeout: in keywarden.yaml) with a
clear error; the deadline never stops a run inside the key window (CreateAccessKey to delivered
or deleted); a FIFO or device among the manifests is refused without being opened. Each fault
test asserts from the endpoint's counts that the fault was injected."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase  # noqa: E402


class BoundedRuns(EngineCase):
    def timed(self, spec, run, *args, **kw):
        """run(*args, **kw) under the endpoint's fault spec: (its result, the seconds it took, the
        faults injected); the faults are cleared."""
        self.ep.set_faults(spec)
        t0 = time.monotonic()
        r = run(*args, **kw)
        took = time.monotonic() - t0
        injected = self.ep.faults().get("injected", 0)
        self.ep.clear_faults()
        return r, took, injected

    def stalled_plan(self, spec, *extra):
        p, took, injected = self.timed(spec, self.plan, *extra)
        self.assertGreater(injected, 0, "no fault was injected")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        return p, took

    def test_a_silent_endpoint_ends_plan_at_the_deadline(self):
        p, took = self.stalled_plan("seed=1,silent=1", "--no-progress-timeout", "4s")
        self.assertIn("no AWS request completed for 4 s (--no-progress-timeout)", p.stderr)
        self.assertLess(took, 4 + 6)

    def test_a_drip_feeding_endpoint_ends_plan_at_the_deadline(self):
        # one byte every 0.5 s passes the low-speed limit: only the deadline ends it
        p, took = self.stalled_plan("seed=2,drip=1", "--no-progress-timeout", "4s")
        self.assertIn("no AWS request completed for 4 s", p.stderr)
        self.assertLess(took, 4 + 6)

    def test_the_folder_setting_bounds_a_run_and_the_flag_wins(self):
        with open(os.path.join(self.mdir, "keywarden.yaml"), "w") as f:
            f.write("noProgressTimeout: 3s\n")
        self.assertEqual(self.apply().returncode, 0)  # the folder's reads: the endpoint answers
        p, took = self.stalled_plan("seed=3,silent=1,actions=ListAccessKeys")
        self.assertIn("no AWS request completed for 3 s", p.stderr)
        self.assertLess(took, 3 + 6)
        p, took = self.stalled_plan("seed=3,silent=1,actions=ListAccessKeys", "--no-progress-timeout", "5")
        self.assertIn("no AWS request completed for 5 s", p.stderr)
        with open(os.path.join(self.mdir, "keywarden.yaml"), "w") as f:
            f.write("noProgressTimeout: -1\n")
        p = self.plan()
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"keywarden.yaml:1:20: noProgressTimeout must be a duration")

    def test_a_healthy_slow_run_is_not_cut(self):
        # every answer 100-300 ms late: the run takes many times the 1 s deadline, yet each
        # answer is progress, so the deadline never fires
        r, took, _ = self.timed("seed=4,latency=100-300", self.apply, "--no-progress-timeout", "1s")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertGreater(took, 2)  # more than twice the deadline
        self.assert_converged(keys=1)

    def test_the_deadline_waits_inside_the_key_window(self):
        # the key proof (GetCallerIdentity signed with the new key, apply's only one) answers
        # after 3 s, past the 1 s deadline: outside the key window that attempt would be cut at
        # the deadline; inside it the key is still proved and delivered, not left behind
        self.ep.set_faults("seed=5,latency=3000,actions=GetCallerIdentity")
        r = self.apply("--no-progress-timeout", "1s", timeout_s="20")
        proofs = self.ep.counts().get("GetCallerIdentity")
        self.ep.clear_faults()
        self.assertEqual(proofs, 1)  # one slow answer, not cut and retried
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.ep.counts().get("CreateAccessKey"), 1)
        held = self.profile()["aws_access_key_id"]
        self.assertEqual([k["AccessKeyId"] for k in self.assert_converged(keys=1)], [held])

    def test_outside_the_key_window_a_slow_answer_is_cut_at_the_deadline(self):
        # the same 3 s answer to a read before any key exists: cut at the 1 s deadline
        p, took, _ = self.timed("seed=6,latency=3000,actions=GetAccountAuthorizationDetails", self.plan,
                                "--no-progress-timeout", "1s")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("no AWS request completed for 1 s", p.stderr)
        self.assertLess(took, 2.9)

    def test_a_fifo_among_the_manifests_does_not_hang_validate(self):
        fifo = os.path.join(self.mdir, "trap.yaml")
        os.mkfifo(fifo)
        t0 = time.monotonic()
        p = self.kw("validate", self.mdir, timeout=20)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("trap.yaml", p.stderr)
        self.assertIn("not a regular file", p.stderr)
        p = self.kw("validate", fifo, timeout=20)  # named on the command line too
        self.assertEqual(p.returncode, 1)
        self.assertIn("not a regular file", p.stderr)
        p = self.kw("validate", "/dev/zero", timeout=20)  # a device
        self.assertEqual(p.returncode, 1)
        self.assertIn("not a regular file", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
