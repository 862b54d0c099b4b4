"""plan/apply --prune-keys keep an inactive key whose rotation grace period (rotate's tag
keywarden:inactive:<id>) has not ended, and say until when; once it has ended, or for an
inactive key without the tag, they delete it."""
import calendar
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import USER, EngineCase  # noqa: E402


class PruneKeysGrace(EngineCase):
    def rotated(self):
        """Apply, then rotate: the new key active, the old one inactive in a 7-day grace period."""
        self.assertEqual(self.apply().returncode, 0)
        old = self.keys()[0]["AccessKeyId"]
        r = self.kw("rotate", "--grace", "7", self.manifest)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        keys = {k["AccessKeyId"]: k["Status"] for k in self.keys()}
        self.assertEqual(keys[old], "Inactive")
        return old

    def grace_tag(self, old):
        tags = {t["Key"]: t["Value"] for t in self.cli("iam", "list-user-tags", "--user-name", USER)["Tags"]}
        return tags["keywarden:inactive:" + old]

    def test_key_in_grace_is_kept_and_the_end_is_said(self):
        old = self.rotated()
        since = self.grace_tag(old).split()[0]
        until = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                              time.gmtime(calendar.timegm(time.strptime(since, "%Y-%m-%dT%H:%M:%SZ")) + 7 * 86400))
        note = "access key %s of %s is inactive in its rotation grace period until %s" % (old, USER, until)
        p = self.plan("--prune-keys")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)  # nothing to do: the key is kept
        self.assertIn(note, p.stdout)
        self.assertNotIn("delete access key", p.stdout)
        self.ep.reset_counts()
        a = self.apply("--prune-keys")
        self.assertEqual(a.returncode, 0, a.stdout + a.stderr)
        self.assertIn(note, a.stdout)
        self.assertNotIn("DeleteAccessKey", self.ep.counts())
        self.assertIn(old, [k["AccessKeyId"] for k in self.keys()])

        # the grace period over (the tag says it began 8 days ago): --prune-keys deletes it
        past = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 8 * 86400))
        self.cli("iam", "tag-user", "--user-name", USER, "--tags",
                 "Key=keywarden:inactive:%s,Value=%s grace=7d" % (old, past))
        p = self.plan("--prune-keys")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("- delete access key %s of user %s" % (old, USER), p.stdout)
        a = self.apply("--prune-keys")
        self.assertEqual(a.returncode, 0, a.stdout + a.stderr)
        self.assertEqual(len(self.keys()), 1)
        self.assertNotIn(old, [k["AccessKeyId"] for k in self.keys()])

    def test_without_prune_keys_a_note_and_untagged_inactive_keys_go(self):
        old = self.rotated()
        p = self.plan()
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"access key %s of %s \(inactive, 0 days old\) is not needed" % (old, USER))
        # an inactive key without rotate's tag has no grace period: --prune-keys deletes it
        self.cli("iam", "untag-user", "--user-name", USER, "--tag-keys", "keywarden:inactive:" + old)
        p = self.plan("--prune-keys")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("- delete access key %s" % old, p.stdout)
        self.assertNotRegex(p.stdout, re.escape("grace period until"))


if __name__ == "__main__":
    unittest.main()
