"""Temporary files of atomic writes (issue 18, item 8) and exposed credentials files (item 9).

A run killed between writing a credentials or key file's temporary file and renaming it leaves
".NAME.kw-<12 hex>.tmp" behind, holding every secret of the file. The next apply in that folder
wipes and removes it - unless a live process still holds it (its writer keeps a flock on it
until the rename). Planted files stand in for the killed run. A credentials file others can
write, or one reached through a folder others can write, gets a warning naming it; one owned by
another user is refused before any IAM write."""
import os
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase  # noqa: E402

SECRET_LINE = "aws_secret_access_key = leftoverSecretLeftoverSecretLeftover1234\n"


class Leftovers(EngineCase):
    def plant(self, folder, base, digits="0123456789ab"):
        path = os.path.join(folder, ".%s.kw-%s.tmp" % (base, digits))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("[service-e2e]\naws_access_key_id = AKIALEFTOVERLEFTOVER\n" + SECRET_LINE)
        return path

    def test_a_dead_write_is_wiped_by_the_next_apply_even_without_changes(self):
        aws_dir, base = os.path.split(self.creds)
        dead = self.plant(aws_dir, base)
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.exists(dead), "the leftover of a killed write is still there")
        self.assertIn("a temporary file an interrupted write left behind", r.stderr)
        # a converged apply (no change, no write) still sweeps the targets' folders
        dead = self.plant(aws_dir, base, "ba9876543210")
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("create access key", r.stdout)
        self.assertFalse(os.path.exists(dead))
        # names that only look alike are not keywarden's
        other = os.path.join(aws_dir, ".credentials.kw-notours.tmp")
        open(other, "w").close()
        self.assertEqual(self.apply().returncode, 0)
        self.assertTrue(os.path.exists(other))

    def test_a_live_write_is_left_alone(self):
        aws_dir, base = os.path.split(self.creds)
        live = self.plant(aws_dir, base)
        holder = subprocess.Popen([sys.executable, "-c", (
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR); fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True); time.sleep(60)\n"), live], stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(holder.stdout.readline().strip(), "held")
            r = self.apply()
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertTrue(os.path.exists(live), "a file a live process holds was removed")
        finally:
            holder.kill()
            holder.wait()
        self.assertEqual(self.apply().returncode, 0)  # its holder is gone: now it goes
        self.assertFalse(os.path.exists(live))

    def test_a_key_file_folder_is_swept_too(self):
        keydir = os.path.join(self.tmp, "keys")
        os.mkdir(keydir, 0o700)
        target = os.path.join(keydir, "e2e.json")
        dead = self.plant(keydir, "e2e.json")
        self.write_manifest(deliver=["profile: service-e2e", "file: " + target])
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.exists(dead))
        self.assertTrue(os.path.exists(target))

    def test_a_credentials_file_others_can_write_is_named_in_a_warning(self):
        os.chmod(self.creds, 0o620)
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("%s is writable by its group" % self.creds, r.stderr)
        aws_dir = os.path.dirname(self.creds)
        mode = stat.S_IMODE(os.stat(aws_dir).st_mode)
        os.chmod(aws_dir, 0o777)  # no sticky bit: anyone may replace the file
        try:
            self.ep.reset_state()
            r = self.apply()
        finally:
            os.chmod(aws_dir, mode)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("%s is reached through folder %s, which every user can write" % (self.creds, aws_dir),
                      r.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to give the file to another user")
    def test_a_credentials_file_of_another_user_is_refused_before_any_write(self):
        os.chown(self.creds, 65534, 65534)
        try:
            r = self.apply()
        finally:
            os.chown(self.creds, 0, 0)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("belongs to another user", r.stderr)
        self.assertEqual(self.writes(), {}, "an IAM write before the refusal")


if __name__ == "__main__":
    unittest.main(verbosity=2)
