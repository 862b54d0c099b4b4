"""--mfa-seed-out (and --qr-png) when a run enrolls several MFA devices: a folder (DIR/, one
USER.seed each) or a name with {user}; one FILE for two devices, or a seed file that exists
already, is refused before anything changes."""
import os
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase, manifest_text  # noqa: E402


class SeedOut(EngineCase):
    def two_accounts(self):
        with open(os.path.join(self.mdir, "service-two.yaml"), "w") as f:
            f.write(manifest_text(name="two", deliver=["profile: service-two"]))

    def run_apply(self, *opts, path=None):
        return self.kw("apply", "--auto-approve", "--confirm-timeout", "5", *opts, path or self.mdir)

    def assert_seed_file(self, path):
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, path)
        with open(path) as f:
            self.assertRegex(f.read(), r"^[A-Z2-7]{16,}=*\n$")

    def assert_nothing_changed(self, r, *words):
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        self.assertEqual(self.writes(), {}, "a write call before the seed target was checked")

    def test_folder_gets_one_seed_per_user(self):
        self.two_accounts()
        seeds = os.path.join(self.tmp, "seeds") + "/"  # created by apply
        qr = os.path.join(self.tmp, "qr")
        os.mkdir(qr)  # an existing folder, no trailing slash
        r = self.run_apply("--mfa-seed-out", seeds, "--qr-png", qr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for user in ("service-e2e", "service-two"):
            self.assert_seed_file(os.path.join(seeds, user + ".seed"))
            self.assertTrue(os.path.exists(os.path.join(qr, user + ".png")))
            self.assertEqual(len(self.cli("iam", "list-mfa-devices", "--user-name", user)["MFADevices"]), 1)
        self.assertEqual(stat.S_IMODE(os.stat(seeds).st_mode), 0o700)

    def test_user_placeholder(self):
        self.two_accounts()
        pattern = os.path.join(self.tmp, "mfa-{user}.seed")
        r = self.run_apply("--mfa-seed-out", pattern)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for user in ("service-e2e", "service-two"):
            self.assert_seed_file(os.path.join(self.tmp, "mfa-%s.seed" % user))

    def test_one_file_for_two_devices_is_refused_before_any_write(self):
        self.two_accounts()
        r = self.run_apply("--mfa-seed-out", self.seed)
        self.assert_nothing_changed(r, "--mfa-seed-out", "{user}")
        self.assertFalse(os.path.exists(self.seed))

    def test_existing_seed_file_is_refused_before_any_write(self):
        with open(self.seed, "w") as f:
            f.write("someone else's seed\n")
        r = self.run_apply("--mfa-seed-out", self.seed, path=self.manifest)
        self.assert_nothing_changed(r, "exists", "nothing was changed")
        with open(self.seed) as f:
            self.assertEqual(f.read(), "someone else's seed\n")
        # in a folder too
        seeds = os.path.join(self.tmp, "seeds")
        os.mkdir(seeds)
        with open(os.path.join(seeds, "service-two.seed"), "w") as f:
            f.write("old\n")
        self.two_accounts()
        r = self.run_apply("--mfa-seed-out", seeds)
        self.assert_nothing_changed(r, "service-two.seed")
        self.assertFalse(os.path.exists(os.path.join(seeds, "service-e2e.seed")))

    def test_seed_exec_gets_the_user_name(self):
        self.two_accounts()
        out = os.path.join(self.tmp, "exec")
        os.mkdir(out)
        r = self.run_apply("--mfa-seed-exec", "umask 077; cat > %s/{user}.seed" % out)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for user in ("service-e2e", "service-two"):
            self.assert_seed_file(os.path.join(out, user + ".seed"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
