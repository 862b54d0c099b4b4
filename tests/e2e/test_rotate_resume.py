"""Rotation resumes (issue 18): a rotate stopped after the new key reached its targets is
finished by the next rotate, and plan/apply keep the key a target holds, not the newest. Each
test asserts from the endpoint that the fault or stop it depends on really happened."""
import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import KEYWARDEN, LifecycleCase  # noqa: E402

USER = "service-app"


class Case(LifecycleCase):
    def rotate(self, *args, code=0):
        p = self.kw("rotate", "--confirm-timeout", "3", *args)
        self.assertEqual(p.returncode, code, p.stdout + p.stderr)
        return p

    def kill_rotate(self, m, until, what, after_s=0):
        """Start rotate of manifest m and SIGKILL it (its process group) once until() is true,
        plus after_s seconds; what names the point for the failure message."""
        p = subprocess.Popen([KEYWARDEN, "rotate", "--confirm-timeout", "10", m], env=self.env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        while not until():
            self.assertIsNone(p.poll(), "rotate ended before " + what)
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        time.sleep(after_s)
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()

    def held_delivered_key(self):
        """service-app with one key, in its profile and tagged delivered: its id."""
        old, _ = self.delivered_key("app")
        self.delivered(USER, old)
        return old

    def delivered(self, user, key_id):
        self.iam("tag-user", "--user-name", user, "--tags",
                 "Key=keywarden:delivered:%s,Value=2026-01-01T00:00:00Z" % key_id)


class RotateResume(Case):
    def test_rotation_stopped_between_delivery_and_deactivation_is_finished_by_the_next_rotate(self):
        old = self.held_delivered_key()
        m = self.manifest("app")
        self.ep.set_faults("error500=1,actions=UpdateAccessKey")  # the deactivation fails
        p = self.rotate(m, code=1)
        self.assertGreater(self.ep.faults().get("injected", 0), 0, "no fault was injected")
        self.ep.clear_faults()
        new, secret = self.profile(USER)
        self.assertNotEqual(new, old)
        self.assertEqual(self.keys(USER), {old: "Active", new: "Active"})  # stopped there
        self.assertIn("still active", p.stdout + p.stderr)
        # the next rotate finishes it: the old key deactivated with its grace tag, no new key
        self.ep.reset_counts()
        p = self.rotate(m)
        counts = self.ep.counts()
        self.assertNotIn("CreateAccessKey", counts)
        self.assertEqual(counts.get("UpdateAccessKey"), 1)
        self.assertEqual(self.keys(USER), {old: "Inactive", new: "Active"})
        self.assertRegex(self.tags(USER)["keywarden:inactive:" + old], r" grace=7d$")
        self.assertEqual(self.profile(USER)[0], new)
        self.assertIn("finished a rotation stopped earlier", p.stdout + p.stderr)
        self.use_key(new, secret)
        # and a rotate after that is an ordinary rotation again (the grace key kept)
        self.assertEqual(self.rotate("--delete-inactive", m).returncode, 0)
        newer, _ = self.profile(USER)
        self.assertEqual(self.keys(USER), {new: "Inactive", newer: "Active"})

    def test_a_delivery_stopped_part_way_is_finished_with_the_key_the_first_targets_hold(self):
        self.make_user(USER)
        old, old_secret = self.make_key(USER)
        self.delivered(USER, old)
        path = os.path.join(self.work, "app-key.json")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            json.dump({"AccessKeyId": old, "SecretAccessKey": old_secret, "UserName": USER}, f)
        # the stopped rotation's new key reached the profile (the first target), not the file
        new, new_secret = self.make_key(USER)
        self.write_profile(USER, new, new_secret)
        m = self.manifest("app", deliver=("profile", {"file": path}))
        self.ep.reset_counts()
        p = self.rotate(m)
        counts = self.ep.counts()
        self.assertNotIn("CreateAccessKey", counts)  # finished with the key the profile holds
        self.assertEqual(counts.get("UpdateAccessKey"), 1)
        with open(path) as f:
            self.assertEqual(json.load(f)["AccessKeyId"], new)
        self.assertEqual(self.profile(USER)[0], new)
        self.assertEqual(self.keys(USER), {old: "Inactive", new: "Active"})
        self.assertIn("keywarden:delivered:" + new, self.tags(USER))
        self.assertIn(new, p.stdout)

    def test_two_active_keys_neither_held_is_refused_naming_the_one_to_delete(self):
        self.make_user(USER)
        a, _ = self.make_key(USER)
        b, _ = self.make_key(USER)
        self.delivered(USER, b)
        self.ep.reset_counts()
        p = self.rotate(self.manifest("app"), code=1)  # the profile holds neither
        self.assertIn("neither is held by a delivery target", p.stdout + p.stderr)
        self.assertIn("delete %s" % a, p.stdout + p.stderr)
        self.assertFalse([k for k in self.ep.counts() if k.startswith(("Create", "Delete", "Update"))])


class ApplyKeepsTheHeldKey(Case):
    def manifest_with_slow_exec(self):
        # the exec target comes first and takes 5 s: a kill during it stops the rotation after
        # the new key was confirmed and before the profile got it
        return self.manifest("app", deliver=({"exec": "sleep 5; cat >/dev/null"}, "profile"))

    def stopped_before_deactivation(self, m):
        """service-app's key delivered to m's targets, then a rotate whose deactivation fails
        (error500 on UpdateAccessKey, asserted injected): (old, new), both active, the
        targets holding new. The keys' counts are reset."""
        old = self.held_delivered_key()
        self.ep.set_faults("error500=1,actions=UpdateAccessKey")  # the deactivation fails
        self.rotate(m, code=1)
        self.assertGreater(self.ep.faults().get("injected", 0), 0, "no fault was injected")
        self.ep.clear_faults()
        new, _ = self.profile(USER)
        self.assertEqual(self.keys(USER), {old: "Active", new: "Active"})
        self.assertIn("keywarden:delivered:" + new, self.tags(USER))
        self.ep.reset_counts()
        return old, new

    def apply(self, *args):
        a = self.kw("apply", "--auto-approve", "--confirm-timeout", "3", *args)
        self.assertEqual(a.returncode, 0, a.stdout + a.stderr)
        return a

    def assert_finished(self, old, new):
        """apply finished the rotation as rotate does: old deactivated with its grace tag."""
        counts = self.ep.counts()
        self.assertEqual(counts.get("UpdateAccessKey"), 1)
        self.assertNotIn("CreateAccessKey", counts)
        self.assertNotIn("DeleteAccessKey", counts)
        self.assertEqual(self.keys(USER), {old: "Inactive", new: "Active"})
        self.assertRegex(self.tags(USER)["keywarden:inactive:" + old], r"Z grace=7d$")
        self.assertEqual(self.profile(USER)[0], new)

    def test_plain_apply_finishes_a_rotation_killed_before_deactivation(self):
        old = self.held_delivered_key()
        m = self.manifest("app")
        # UpdateAccessKey is never answered: rotate is killed while it waits, after delivery
        self.ep.set_faults("silent=1,actions=UpdateAccessKey")
        self.kill_rotate(m, lambda: self.ep.faults().get("injected"), "its UpdateAccessKey")
        self.ep.clear_faults()
        new, _ = self.profile(USER)
        self.assertNotEqual(new, old)
        self.assertEqual(self.keys(USER), {old: "Active", new: "Active"})  # killed there
        # plan shows the deactivation, saying why; plain apply (no --prune-keys) does it
        pl = self.kw("plan", m)
        self.assertEqual(pl.returncode, 2, pl.stdout + pl.stderr)
        self.assertIn("~ deactivate access key %s of user %s" % (old, USER), pl.stdout)
        self.assertIn("why: no delivery target holds it and they hold %s" % new, pl.stdout)
        self.assertIn("a rotation stopped before deactivating it", pl.stdout)
        self.ep.reset_counts()
        self.apply(m)
        self.assert_finished(old, new)
        pl = self.kw("plan", m)
        self.assertEqual(pl.returncode, 0, pl.stdout + pl.stderr)

    def test_prune_keys_after_a_rotation_stopped_before_deactivation_keeps_the_held_key(self):
        m = self.manifest("app")
        old, new = self.stopped_before_deactivation(m)
        self.apply("--prune-keys", m)
        # the held key stays; the other is deactivated, and deleted only after its grace period
        self.assert_finished(old, new)

    def test_a_saved_plan_carries_the_deactivation(self):
        m = self.manifest("app")
        old, new = self.stopped_before_deactivation(m)
        saved = os.path.join(self.work, "plan.json")
        pl = self.kw("plan", "--out", saved, m)
        self.assertEqual(pl.returncode, 2, pl.stdout + pl.stderr)
        with open(saved) as f:
            steps = json.load(f)["plan"]["steps"]
        self.assertEqual([(s["action"], s["resource"], s["subject"], s["before"], s["after"]) for s in steps],
                         [("update", "access-key", old, "Active", "Inactive")])
        self.assertIn("rotation stopped before deactivating it", steps[0]["reason"])
        # the profile holds the old key again (restored by hand): the saved step is refused
        with open(self.creds) as f:
            text = f.read()
        with open(self.creds, "w") as f:
            f.write(text.replace(new, old))
        self.ep.reset_counts()
        a = self.kw("apply", "--auto-approve", "--plan", saved)
        self.assertEqual(a.returncode, 1, a.stdout + a.stderr)
        self.assertIn("refused", a.stderr)
        self.assertNotIn("UpdateAccessKey", self.ep.counts())
        with open(self.creds, "w") as f:
            f.write(text)
        self.apply("--plan", saved)  # the state reviewed: the step runs
        self.assert_finished(old, new)

    def test_with_a_write_only_target_apply_only_notes_a_rotation_stopped_before_deactivation(self):
        m = self.manifest("app", deliver=("profile", {"exec": "cat >/dev/null"}))
        old, new = self.stopped_before_deactivation(m)
        # the exec target cannot be read: what it holds is not known, so nothing is deactivated
        pl = self.kw("plan", m)
        self.assertEqual(pl.returncode, 0, pl.stdout + pl.stderr)
        self.assertNotIn("deactivate access key", pl.stdout)
        self.assertIn("note: access key %s of %s (active" % (old, USER), pl.stdout)
        self.ep.reset_counts()
        self.apply(m)
        self.assertFalse([k for k in self.ep.counts() if k.startswith(("Create", "Delete", "Update"))])
        self.assertEqual(self.keys(USER), {old: "Active", new: "Active"})

    def test_prune_keys_after_a_stopped_rotation_keeps_the_held_key(self):
        old = self.held_delivered_key()
        m = self.manifest_with_slow_exec()
        self.kill_rotate(m, lambda: self.ep.counts().get("GetCallerIdentity"), "confirming the new key",
                         after_s=0.5)
        keys = self.keys(USER)
        self.assertEqual(len(keys), 2, "the kill did not stop the rotation after the new key")
        new = next(k for k in keys if k != old)
        self.assertEqual(self.profile(USER)[0], old)  # the profile still holds the old key
        # the new key is the newest, but the profile holds the old one: that one is kept
        m2 = self.manifest("app")
        self.ep.reset_counts()
        self.apply("--prune-keys", m2)
        self.assertEqual(self.keys(USER), {old: "Active"})
        self.assertEqual(self.ep.counts().get("DeleteAccessKey"), 1)
        self.assertNotIn("CreateAccessKey", self.ep.counts())
        self.assertEqual(self.profile(USER)[0], old)
        self.assertNotEqual(new, old)


class AuditKeepsTheHeldKey(Case):
    def test_prune_unused_never_deletes_a_key_a_target_holds(self):
        self.make_user(USER)
        held, held_secret = self.make_key(USER, age_days=300, used_days_ago=100)  # unused for 100 days
        other, _ = self.make_key(USER, age_days=200, used_days_ago=90)
        self.write_profile(USER, held, held_secret)
        m = self.manifest("app")
        self.ep.reset_counts()
        data, p = self.kw_json("audit", "--prune-unused", "--older-than", "30", "--yes", m, code=3)
        self.assertEqual([(x["access_key_id"], x["result"]) for x in data["prune"]], [(other, "deleted")])
        self.assertEqual(self.keys(USER), {held: "Active"})  # the profile's key stays, however unused
        self.assertEqual(self.ep.counts().get("DeleteAccessKey"), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
