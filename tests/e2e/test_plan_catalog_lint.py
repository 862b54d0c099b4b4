"""plan runs the catalog's lint on every inline policy of its manifests (issue 16, item 5): an
action unknown to the catalog is a warning naming the catalog version, plan still plans, and
the manifest's allow: accepts the warning."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase  # noqa: E402

SOURCE = os.environ.get("KW_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(SOURCE, "data", "iam-catalog.version")) as f:
    CATALOG = f.read().strip()

TYPO = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObjcet"], "Resource": "arn:aws:s3:::b/*"}]}


class PlanCatalogLint(EngineCase):
    def setUp(self):
        super().setUp()
        with open(os.path.join(self.mdir, "e2e-policy.json"), "w") as f:
            json.dump(TYPO, f)

    def test_plan_warns_of_an_unknown_action_and_allow_accepts_it(self):
        r = self.plan()
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 1, out)  # a manifest's warnings fail unless accepted
        self.assertEqual(self.writes(), {})
        self.assertIn("e2e-policy.json:", out)
        self.assertIn("unknown action 's3:GetObjcet' (did you mean 's3:GetObject'?) (catalog %s) [KWP061]"
                      % CATALOG, out)
        with open(self.manifest) as f:
            text = f.read()
        with open(self.manifest, "w") as f:
            f.write(text.replace("    - inline: e2e-policy.json\n",
                                 "    - inline: e2e-policy.json\n      allow:\n        - code: KWP061\n"
                                 "          reason: an action newer than the pinned catalog\n"))
        r2 = self.plan()
        self.assertEqual(r2.returncode, 2, r2.stdout + r2.stderr)
        self.assertNotIn("KWP061", r2.stdout + r2.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
