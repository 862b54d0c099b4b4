"""Ctrl-C (SIGINT) during apply: between steps apply stops and says what was done and what was
not; from CreateAccessKey until the key is delivered (or deleted) it finishes first. Afterwards
there is never an active key that nobody holds, and the next plan tells the truth."""
import json
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase  # noqa: E402


class Interrupt(EngineCase):
    def start_apply(self, deliver=None, wait_for="CreateAccessKey"):
        if deliver:
            self.write_manifest(deliver=deliver)
        return super().start_apply(wait_for)

    def finish(self, p):
        out, err = p.communicate(timeout=120)
        self.outputs.append(out + err)
        return p.returncode, out, err

    def active(self):
        return [k["AccessKeyId"] for k in self.keys() if k["Status"] == "Active"]

    def test_sigint_during_slow_delivery_finishes_the_delivery(self):
        target = os.path.join(self.tmp, "delivered.json")
        p = self.start_apply(deliver=["exec: sleep 3; cat > " + target])
        os.kill(p.pid, signal.SIGINT)  # keywarden only: the delivery command goes on
        rc, out, err = self.finish(p)
        self.assertIn("interrupted", err)
        self.assertEqual(rc, 0, out + err)  # the key was the last step: finished, confirmed
        with open(target) as f:
            delivered = json.load(f)["AccessKeyId"]
        self.assertEqual(self.active(), [delivered])
        plan = self.plan()
        self.assertEqual(plan.returncode, 0, plan.stdout + plan.stderr)
        self.assertIn("No changes", plan.stdout)

    def test_ctrl_c_on_the_process_group_deletes_the_undelivered_key(self):
        # a terminal's Ctrl-C reaches the delivery command too: it dies, so the key is deleted
        target = os.path.join(self.tmp, "delivered.json")
        p = self.start_apply(deliver=["exec: sleep 3; cat > " + target])
        os.killpg(p.pid, signal.SIGINT)
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 1, out + err)
        self.assertFalse(os.path.exists(target))
        self.assertEqual(self.active(), [])  # no key that nobody holds
        self.assertEqual(self.ep.counts().get("DeleteAccessKey"), 1)
        plan = self.plan()
        self.assertIn("+ create access key for user service-e2e", plan.stdout)
        self.assertNotIn("No changes", plan.stdout)

    def test_sigint_between_steps_stops_before_the_rest(self):
        # the user's read-back (GetUser) answers after 2 s: the signal comes while it is on its
        # way (every other step waits for the user; those that do not depend on each other overlap)
        self.ep.set_faults("seed=1,latency=2000,actions=GetUser")
        p = self.start_apply(wait_for="CreateUser")
        os.kill(p.pid, signal.SIGINT)
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("interrupted (SIGINT)", err)
        self.assertIn("not run enroll virtual MFA device service-e2e", out)
        self.assertIn("not run create access key for user service-e2e", out)
        self.assertIn("no access key was issued", out)
        self.assertIsNone(self.ep.counts().get("CreateAccessKey"))
        self.assertIsNone(self.ep.counts().get("CreateVirtualMFADevice"))
        self.ep.clear_faults()
        plan = self.plan()
        self.assertIn("+ enroll virtual MFA device service-e2e", plan.stdout)
        self.assertIn("+ create access key for user service-e2e", plan.stdout)
        self.assertIn("not run attach managed policy", out)
        self.assertIn("done    create user service-e2e", out)
        self.assertNotIn("create user", plan.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
