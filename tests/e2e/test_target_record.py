"""The local target record (src/keys/record.h): every confirmed delivery records the file and
profile targets it wrote (paths, profile names, account, user, key id; never a secret) under
$XDG_STATE_HOME/keywarden (default ~/.local/state/keywarden; --state-dir moves it), 0600; rotate
updates it; once the manifest is deleted, apply --prune-accounts and destroy NAME remove those
targets - only while they still hold the user's key - and the record with the account; plan's
prune candidates list them. A file rewritten by hand is kept, and said so."""
import json
import os
import re
import shutil
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase, manifest_text  # noqa: E402

ACCOUNT = "123456789012"  # the endpoint's (tests/lib/kwtest.py Endpoint)


class TargetRecord(EngineCase):
    def setUp(self):
        super().setUp()
        self.keys_dir = os.path.join(self.tmp, "keys")
        os.makedirs(self.keys_dir)
        self.key_file = os.path.join(self.keys_dir, "old.json")
        self.old = os.path.join(self.mdir, "service-old.yaml")
        with open(self.old, "w") as f:
            f.write(manifest_text(name="old", mfa="none", deliver=[
                "file: " + self.key_file, "profile: service-old\n        region: eu-west-1",
                "ssmParameter: {name: /service/old/aws-key}"]))
        with open(os.path.join(self.mdir, "keywarden.yaml"), "w") as f:
            f.write("owner: platform-team\n")
        os.makedirs(os.path.join(self.tmp, "seeds"))
        self.state = os.path.join(self.env["HOME"], ".local", "state", "keywarden")

    def run_apply(self, *extra):
        return self.kw("apply", "--auto-approve", "--confirm-timeout", "5", "--mfa-seed-out",
                       os.path.join(self.tmp, "seeds") + "/", *extra)

    def record_path(self, state=None, user="service-old"):
        return os.path.join(state or self.state, "targets", ACCOUNT, user + ".json")

    def record(self, state=None):
        with open(self.record_path(state)) as f:
            return json.load(f)

    def active_key(self, user="service-old"):
        keys = [k["AccessKeyId"] for k in self.cli("iam", "list-access-keys", "--user-name", user)
                ["AccessKeyMetadata"] if k["Status"] == "Active"]
        self.assertEqual(len(keys), 1, keys)
        return keys[0]

    def creds_text(self):
        with open(self.creds) as f:
            return f.read()

    def config_text(self):
        with open(self.config) as f:
            return f.read()

    def assert_recorded(self, key_id, state=None):
        path = self.record_path(state)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700)
        doc = self.record(state)
        self.assertEqual((doc["version"], doc["account"], doc["user"]), (1, ACCOUNT, "service-old"))
        got = [{k: v for k, v in t.items() if k != "written"} for t in doc["targets"]]
        self.assertEqual(got, [
            {"kind": "file", "path": self.key_file, "keyId": key_id},
            {"kind": "profile", "name": "service-old", "credentialsFile": self.creds,
             "configFile": self.config, "keyId": key_id}])
        for t in doc["targets"]:
            self.assertRegex(t["written"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # never a secret: not the one in the key file, nor the admin's
        with open(self.key_file) as f:
            secret = json.load(f)["SecretAccessKey"]
        with open(path) as f:
            text = f.read()
        self.assertNotIn(secret, text)
        self.assertNotIn(self.ep.secret_access_key, text)
        self.assertNotIn("aws-key", text)  # stores are found by their tags, not recorded

    def assert_targets_gone(self):
        self.assertFalse(os.path.exists(self.key_file))
        self.assertNotIn("[service-old]", self.creds_text())
        self.assertNotIn("[profile service-old]", self.config_text())
        self.assertIn("[service-e2e]", self.creds_text())  # the other account's stays
        self.assertIn("[other]", self.creds_text())
        self.assertFalse(os.path.exists(self.record_path()))

    def test_apply_records_and_pruning_removes_the_targets_and_the_record(self):
        r = self.run_apply("--region", "us-east-1", self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        key = self.active_key()
        self.assert_recorded(key)
        self.assertIn("[profile service-old]", self.config_text())

        os.unlink(self.old)  # the manifest is deleted in the repository
        p = self.kw("plan", "--prune-accounts", self.mdir)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("- destroy account service-old", p.stdout)
        self.assertIn("its key files and profiles recorded here: file %s, profile service-old" % self.key_file,
                      p.stdout)
        doc = json.loads(self.kw("-o", "json", "plan", "--prune-accounts", self.mdir).stdout)
        self.assertIn("file " + self.key_file, doc["accounts_without_manifest"][0]["text"])
        md = self.kw("-o", "markdown", "plan", "--prune-accounts", self.mdir).stdout
        # markdown escapes \ ` * _ [ ] < > | ~ in text (engine/render_md.c md_text); a temporary
        # folder's name may hold '_'
        md_path = re.sub(r"([\\`*_\[\]<>|~])", r"\\\1", self.key_file)
        self.assertIn("recorded here: file %s, profile service-old" % md_path, md)

        self.ep.reset_counts()
        r = self.run_apply("--prune-accounts", self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("destroy account service-old (no manifest names it)", r.stdout)
        self.assertIn("service-old: removed file " + self.key_file, r.stdout)
        self.assertIn("service-old: removed profile service-old", r.stdout)
        self.assertIn("service-old: removed ssmParameter /service/old/aws-key (us-east-1)", r.stdout)
        self.assertNotIn("not removed", r.stdout + r.stderr)
        self.assert_targets_gone()
        counts = self.ep.counts()
        self.assertEqual((counts.get("DeleteUser"), counts.get("DeleteParameter")), (1, 1), counts)
        names = [p["Name"] for p in self.cli("ssm", "describe-parameters")["Parameters"]]
        self.assertNotIn("/service/old/aws-key", names)
        self.assertTrue(os.path.exists(self.record_path(user="service-e2e")))  # its account stays
        p = self.kw("plan", "--prune-accounts", self.mdir)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_rotate_updates_the_record_and_destroy_by_name_removes_it(self):
        self.assertEqual(self.run_apply(self.mdir).returncode, 0)
        first = self.active_key()
        r = self.kw("rotate", "--delete-old", self.old)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        second = self.active_key()
        self.assertNotEqual(first, second)
        self.assert_recorded(second)

        os.unlink(self.old)
        d = self.kw("destroy", "--auto-approve", "service-old")
        self.assertEqual(d.returncode, 0, d.stdout + d.stderr)
        self.assertIn("service-old: removed file " + self.key_file, d.stderr)
        self.assertIn("service-old: removed profile service-old", d.stderr)
        self.assertIn("service-old: removed ssmParameter /service/old/aws-key (us-east-1)", d.stderr)
        self.assert_targets_gone()
        # a second destroy by name has nothing left, and no record to go by: it says so
        d = self.kw("destroy", "--auto-approve", "--missing-ok", "service-old")
        self.assertEqual(d.returncode, 0, d.stdout + d.stderr)
        self.assertIn("key files and profiles: not removed: no record of them in %s/targets" % self.state,
                      d.stderr)

    def test_a_target_changed_by_hand_is_kept_and_said_so(self):
        self.assertEqual(self.run_apply(self.mdir).returncode, 0)
        with open(self.key_file, "w") as f:  # someone put something else there
            f.write("not a key any more\n")
        os.unlink(self.old)
        d = self.kw("destroy", "--auto-approve", "service-old")
        self.assertEqual(d.returncode, 0, d.stdout + d.stderr)
        self.assertIn("note: service-old: file %s: kept: it no longer holds this account's key" % self.key_file,
                      d.stderr)
        with open(self.key_file) as f:
            self.assertEqual(f.read(), "not a key any more\n")
        self.assertIn("service-old: removed profile service-old", d.stderr)
        self.assertNotIn("[service-old]", self.creds_text())
        self.assertFalse(os.path.exists(self.record_path()))  # the account is gone: so is its record

    def test_a_file_holding_another_key_is_kept(self):
        self.assertEqual(self.run_apply(self.mdir).returncode, 0)
        with open(self.key_file) as f:
            doc = json.load(f)
        doc["AccessKeyId"] = "AKIAHANDWRITTEN00001"  # not a key of this user
        with open(self.key_file, "w") as f:
            json.dump(doc, f)
        self.secrets.add(doc["SecretAccessKey"])
        os.unlink(self.old)
        r = self.kw("-o", "json", "apply", "--auto-approve", "--prune-accounts", self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        events = [json.loads(line) for line in r.stdout.splitlines()]
        removed = [(e["target"], e["status"]) for e in events if e["event"] == "target-removed"]
        self.assertEqual(removed, [("file " + self.key_file, "kept"), ("profile service-old", "removed"),
                                   ("ssmParameter /service/old/aws-key (us-east-1)", "removed")])
        kept = [e for e in events if e["event"] == "target-removed" and e["status"] == "kept"][0]
        self.assertIn("kept: it no longer holds this account's key", kept["why"])
        self.assertTrue(os.path.exists(self.key_file))
        self.assertNotIn("[service-old]", self.creds_text())
        self.assertFalse(os.path.exists(self.record_path()))

    def test_a_profile_holding_another_key_is_kept(self):
        self.assertEqual(self.run_apply(self.mdir).returncode, 0)
        text = self.creds_text()
        key = self.active_key()
        with open(self.creds, "w") as f:  # someone put another key into the profile by hand
            f.write(text.replace(key, "AKIAHANDWRITTEN00002"))
        os.unlink(self.old)
        d = self.kw("destroy", "--auto-approve", "service-old")
        self.assertEqual(d.returncode, 0, d.stdout + d.stderr)
        self.assertIn("note: service-old: profile service-old: kept: it no longer holds this account's key",
                      d.stderr)
        self.assertIn("AKIAHANDWRITTEN00002", self.creds_text())
        self.assertIn("[service-old]", self.creds_text())
        self.assertIn("service-old: removed file " + self.key_file, d.stderr)
        self.assertFalse(os.path.exists(self.record_path()))

    def test_apply_records_targets_delivered_before_records_existed(self):
        self.assertEqual(self.run_apply(self.mdir).returncode, 0)
        key = self.active_key()
        shutil.rmtree(self.state)  # delivered by a keywarden without records, or the record lost
        self.ep.reset_counts()
        r = self.run_apply(self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("No changes.", r.stdout)
        self.assertEqual(self.writes(), {})
        self.assert_recorded(key)  # what plan read from the targets: they hold the user's key
        before = os.stat(self.record_path()).st_mtime_ns
        self.assertEqual(self.run_apply(self.mdir).returncode, 0)
        self.assertEqual(os.stat(self.record_path()).st_mtime_ns, before)  # unchanged: not rewritten
        os.unlink(self.old)
        r = self.run_apply("--prune-accounts", self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("service-old: removed file " + self.key_file, r.stdout)
        self.assert_targets_gone()

    def test_a_file_an_older_manifest_named_is_removed_too(self):
        self.assertEqual(self.run_apply(self.mdir).returncode, 0)
        first = self.active_key()
        moved = os.path.join(self.keys_dir, "moved.json")
        with open(self.old, "w") as f:  # the key file moves: a new key goes to the new one
            f.write(manifest_text(name="old", mfa="none", deliver=["file: " + moved, "profile: service-old"]))
        r = self.run_apply(self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(os.path.exists(moved))
        targets = {t.get("path") or t["name"]: t["keyId"] for t in self.record()["targets"]}
        self.assertEqual(targets[self.key_file], first)  # the old file: the key it was given
        self.assertNotEqual(targets[moved], first)
        self.assertEqual(targets[moved], targets["service-old"])
        os.unlink(self.old)
        d = self.kw("destroy", "--auto-approve", "service-old")
        self.assertEqual(d.returncode, 0, d.stdout + d.stderr)
        self.assertIn("service-old: removed file " + self.key_file, d.stderr)
        self.assertIn("service-old: removed file " + moved, d.stderr)
        self.assertFalse(os.path.exists(moved))
        self.assert_targets_gone()

    def test_state_dir_moves_the_record(self):
        elsewhere = os.path.join(self.tmp, "state")
        self.assertEqual(self.run_apply("--state-dir", elsewhere, self.mdir).returncode, 0)
        self.assert_recorded(self.active_key(), state=elsewhere)
        self.assertFalse(os.path.exists(self.record_path()))
        # XDG_STATE_HOME, when absolute, is the default's base
        xdg = os.path.join(self.tmp, "xdg")
        env = dict(self.env, XDG_STATE_HOME=xdg)
        r = self.kw("rotate", "--delete-old", self.old, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assert_recorded(self.active_key(), state=os.path.join(xdg, "keywarden"))
        os.unlink(self.old)
        d = self.kw("destroy", "--auto-approve", "--state-dir", elsewhere, "service-old")
        self.assertEqual(d.returncode, 0, d.stdout + d.stderr)
        # the record in elsewhere names the key the file held before the rotation, but the file
        # holds a key IAM listed for the user: removed
        self.assertIn("service-old: removed file " + self.key_file, d.stderr)
        self.assertFalse(os.path.exists(self.record_path(elsewhere)))
        self.assertTrue(os.path.exists(self.record_path(os.path.join(xdg, "keywarden"))))


if __name__ == "__main__":
    unittest.main()
