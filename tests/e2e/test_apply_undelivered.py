"""The `keywarden:delivered:<AccessKeyId>` tag: apply tags a key once it is delivered and works;
plan treats an active key without the tag that was never used as issued-but-undelivered (e.g.
apply was killed between CreateAccessKey and delivery): it is deleted and a new key issued."""
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import USER, EngineCase  # noqa: E402

PREFIX = "keywarden:delivered:"


class Undelivered(EngineCase):
    def user_tags(self):
        return {t["Key"]: t["Value"] for t in self.cli("iam", "list-user-tags", "--user-name", USER)["Tags"]}

    def test_delivered_key_is_tagged_and_plan_needs_no_extra_call(self):
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        key = self.assert_converged(keys=1)[0]["AccessKeyId"]
        self.assertRegex(self.user_tags().get(PREFIX + key, ""), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.ep.reset_counts()
        p = self.plan()
        self.assertIn("No changes", p.stdout, p.stdout + p.stderr)
        self.assertNotIn("GetAccessKeyLastUsed", self.ep.counts())
        # a used key without the tag (e.g. issued before the tag existed) is kept too
        self.cli("iam", "untag-user", "--user-name", USER, "--tag-keys", PREFIX + key)
        p = self.plan()
        self.assertIn("No changes", p.stdout, p.stdout + p.stderr)

    def test_key_of_a_killed_apply_is_replaced(self):
        target = os.path.join(self.tmp, "delivered.json")
        self.write_manifest(deliver=["exec: sleep 2; cat > " + target])
        p = self.start_apply("CreateAccessKey")
        os.killpg(p.pid, signal.SIGKILL)  # no chance to deliver or clean up
        p.communicate()
        self.assertFalse(os.path.exists(target))
        orphan = [k["AccessKeyId"] for k in self.keys()]
        self.assertEqual(len(orphan), 1)
        plan = self.plan()
        self.assertEqual(plan.returncode, 2, plan.stdout + plan.stderr)  # changes to make
        self.assertIn("- delete access key %s" % orphan[0], plan.stdout)
        self.assertIn("+ create access key for user service-e2e", plan.stdout)
        self.write_manifest()
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        key = self.assert_converged(keys=1)[0]["AccessKeyId"]
        self.assertNotEqual(key, orphan[0])
        self.assertEqual(self.profile()["aws_access_key_id"], key)
        self.assertIn(PREFIX + key, self.user_tags())
        self.assertIn("No changes", self.plan().stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
