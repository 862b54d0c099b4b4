"""The tag budget end to end: a manifest with the most tags validate allows (45) is applied with
an owner and rotated with a grace period, when keywarden's own tags peak (managed-by, owner,
delivered markers of both keys, the old key's grace marker: 50, IAM's quota, which the local
endpoint enforces);
one tag more is refused by validate before anything is called."""
import unittest

from e2e_fixture import USER, EngineCase


class TagBudget(EngineCase):

    def test_most_tags_a_manifest_may_have_survive_apply_and_rotate(self):
        self.write_manifest(tags={"t%02d" % i: "v" for i in range(45)})
        self.assertEqual(self.kw("validate", self.manifest).returncode, 0)
        p = self.apply("--owner", "platform-team")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.kw("rotate", "--confirm-timeout", "5", self.manifest)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("LimitExceeded", p.stderr)
        tags = self.cli("iam", "list-user-tags", "--user-name", USER)["Tags"]
        own = sorted(t["Key"].split(":")[1] for t in tags if t["Key"].startswith("keywarden:"))
        self.assertEqual(own, ["delivered", "delivered", "inactive", "owner"])  # the peak the reserve is for
        self.assertEqual(len(tags), 50)

    def test_one_tag_more_is_refused_offline(self):
        self.write_manifest(tags={"t%02d" % i: "v" for i in range(46)})
        p = self.kw("validate", self.manifest)
        self.assertEqual(p.returncode, 1)
        self.assertIn("46 tags, at most 45", p.stderr)
        self.ep.reset_counts()
        p = self.apply()
        self.assertEqual(p.returncode, 1)
        self.assertEqual(self.writes(), {})


if __name__ == "__main__":
    unittest.main()
