"""A step that keeps failing (or is never confirmed) stops apply before any key is issued, with
what was done and what was not; a failing delivery target deletes the new key; wrong MFA codes
typed on a terminal are refused three times and the device is cleaned up."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase  # noqa: E402


class Stops(EngineCase):
    def assert_stopped_before_keys(self, r, failed_step):
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("FAILED  " + failed_step, r.stdout)
        self.assertIn("not run create access key for user service-e2e", r.stdout)
        self.assertIn("no access key was issued", r.stdout)
        self.assertEqual(self.ep.counts().get("CreateAccessKey"), None)
        self.assertEqual(self.keys(), [])

    def test_persistent_failure_at_a_step_stops_before_keys(self):
        self.ep.set_faults("seed=1,error503=1,actions=AttachGroupPolicy")
        r = self.apply(timeout_s="2")
        self.assertGreater(self.ep.faults().get("injected", 0), 0)
        self.assert_stopped_before_keys(r, "attach managed policy")
        self.assertIn("done    create user service-e2e", r.stdout)
        # the MFA enrollment does not wait for the group's policies (it overlaps them), the key does
        self.assertIn("done    enroll virtual MFA device service-e2e", r.stdout)
        self.ep.clear_faults()
        self.assertEqual(self.apply().returncode, 0)
        self.assert_converged(keys=1)

    def test_read_back_never_confirmed_stops_before_keys(self):
        self.ep.set_faults("seed=2,throttle=1,actions=GetGroupPolicy")
        r = self.apply(timeout_s="2")
        self.assertGreater(self.ep.faults().get("injected", 0), 0)
        self.assert_stopped_before_keys(r, "create inline policy e2e-policy")
        self.assertIn("not confirmed", r.stdout + r.stderr)
        self.ep.clear_faults()
        self.assertEqual(self.apply().returncode, 0)
        self.assert_converged(keys=1)

    def test_failing_delivery_deletes_the_new_key(self):
        keyfile = os.path.join(self.tmp, "key.json")
        self.write_manifest(deliver=["file: " + keyfile, "exec: cat >/dev/null; exit 3"])
        r = self.apply()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("delivering the new key to exec", r.stdout + r.stderr)
        self.assertEqual(self.ep.counts().get("CreateAccessKey"), 1)
        self.assertEqual(self.keys(), [])  # deleted: there is never a key that nobody holds
        self.assertFalse(os.path.exists(keyfile))  # nor a file holding a dead key
        self.write_manifest(deliver=["file: " + keyfile])
        self.assertEqual(self.apply().returncode, 0)
        self.assertTrue(os.path.exists(keyfile))
        self.ep.reset_state()
        self.write_manifest()
        self.assertEqual(self.apply().returncode, 0)
        self.assert_converged(keys=1)

    def test_wrong_mfa_codes_are_refused_and_the_device_deleted(self):
        # an interactive run on a terminal: QR code shown, three pairs of codes IAM refuses
        typed = []
        respond = self.stale_codes_responder(typed)
        rc, text = self.on_terminal(["apply", "--auto-approve", "--confirm-timeout", "5", self.manifest], respond)
        self.assertEqual(rc, 1, text)
        self.assertIn("Scan the code with an authenticator", text)
        self.assertIn("\u2580", text.replace("\u2588", "\u2580").replace("\u2584", "\u2580"))  # half blocks
        self.assertEqual(len(typed), 7, text)  # the secret, then two codes, three tries
        self.assertEqual(self.ep.counts().get("EnableMFADevice"), 3)
        self.assertEqual(self.cli("iam", "list-virtual-mfa-devices")["VirtualMFADevices"], [])
        self.assertEqual(self.keys(), [])
        self.assertIn("no access key was issued", text)
        # the next (non-interactive) run converges
        self.assertEqual(self.apply().returncode, 0)
        self.assert_converged(keys=1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
