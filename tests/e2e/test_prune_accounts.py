"""Accounts without a manifest: --owner (or owner: in keywarden.yaml) tags keywarden:owner; plan
lists the owner's managed users that no manifest names (notes, or destroy steps and exit 2 with
--prune-accounts); apply --prune-accounts destroys them as destroy does; untagged users and
other owners' users are never candidates; --prune-accounts without an owner is refused."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase, manifest_text  # noqa: E402


class PruneAccounts(EngineCase):
    def setUp(self):
        super().setUp()
        self.old = os.path.join(self.mdir, "service-old.yaml")
        with open(self.old, "w") as f:
            f.write(manifest_text(name="old", deliver=["profile: service-old"]))
        with open(os.path.join(self.mdir, "keywarden.yaml"), "w") as f:
            f.write("# settings of this folder (not a manifest)\nowner: platform-team\n")

    def tags(self, user):
        return {t["Key"]: t["Value"] for t in self.cli("iam", "list-user-tags", "--user-name", user)["Tags"]}

    def users(self):
        return sorted(u["UserName"] for u in self.cli("iam", "list-users")["Users"])

    def run_apply(self, *extra):
        os.makedirs(os.path.join(self.tmp, "seeds"), exist_ok=True)
        return self.kw("apply", "--auto-approve", "--confirm-timeout", "5", "--mfa-seed-out",
                       os.path.join(self.tmp, "seeds") + "/", *extra)

    def test_owner_tag_candidates_and_pruning(self):
        r = self.run_apply(self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.tags("service-old")["keywarden:owner"], "platform-team")
        self.assertEqual(self.tags("service-e2e")["keywarden:owner"], "platform-team")
        # never candidates: an untagged user, a managed user of another owner, a managed user
        # without an owner
        self.cli("iam", "create-user", "--user-name", "service-handmade")
        self.cli("iam", "create-user", "--user-name", "service-theirs", "--tags", "Key=managed-by,Value=keywarden",
                 "Key=keywarden:owner,Value=data-team")
        self.cli("iam", "create-user", "--user-name", "service-nobody", "--tags", "Key=managed-by,Value=keywarden")
        self.cli("iam", "create-user", "--user-name", "service-lookalike", "--tags",
                 "Key=keywarden:owner,Value=platform-team")

        os.unlink(self.old)  # the manifest is deleted in the repository
        p = self.kw("plan", self.mdir)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)  # notes only
        self.assertIn("# accounts without a manifest (owner platform-team)", p.stdout)
        self.assertIn("note: user service-old (managed-by: keywarden, keywarden:owner: platform-team) has no "
                      "manifest in this run: a destroy candidate; --prune-accounts destroys it", p.stdout)
        for other in ("service-handmade", "service-theirs", "service-nobody", "service-lookalike"):
            self.assertNotIn(other, p.stdout)

        p = self.kw("plan", "--prune-accounts", self.mdir)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("- destroy account service-old", p.stdout)
        self.assertIn("Plan: 0 to add, 0 to change, 1 to destroy.", p.stdout)
        doc = json.loads(self.kw("-o", "json", "plan", "--prune-accounts", self.mdir).stdout)
        self.assertEqual(doc["owner"], "platform-team")
        self.assertEqual([(o["user"], o["action"]) for o in doc["accounts_without_manifest"]],
                         [("service-old", "destroy")])
        self.assertTrue(doc["changes"])

        # a saved plan with --prune-accounts, applied: the account is destroyed as destroy does
        saved = os.path.join(self.tmp, "plan.json")
        self.assertEqual(self.kw("plan", "--prune-accounts", "--out", saved, self.mdir).returncode, 2)
        self.ep.reset_counts()
        a = self.kw("apply", "--auto-approve", "--plan", saved)
        self.assertEqual(a.returncode, 0, a.stdout + a.stderr)
        self.assertIn("destroy account service-old", a.stdout)
        counts = self.ep.counts()
        self.assertEqual(counts.get("DeleteUser"), 1, counts)
        self.assertEqual(counts.get("DeleteGroup"), 1, counts)
        users = self.users()
        self.assertNotIn("service-old", users)
        for kept in ("service-e2e", "service-handmade", "service-lookalike", "service-nobody", "service-theirs"):
            self.assertIn(kept, users)
        groups = [g["GroupName"] for g in self.cli("iam", "list-groups")["Groups"]]
        self.assertNotIn("service-old", groups)
        p = self.kw("plan", "--prune-accounts", self.mdir)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_apply_prune_accounts_directly(self):
        self.assertEqual(self.run_apply("--owner", "team-x", self.mdir).returncode, 0)
        self.assertEqual(self.tags("service-old")["keywarden:owner"], "team-x")  # --owner wins
        os.unlink(self.old)
        r = self.run_apply("--owner", "team-x", "--prune-accounts", self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("service-old", self.users())
        self.assertIn("service-e2e", self.users())

    def test_prune_accounts_needs_an_owner(self):
        os.unlink(os.path.join(self.mdir, "keywarden.yaml"))
        for cmd in ("plan", "apply"):
            p = self.kw(cmd, "--auto-approve", "--prune-accounts", self.mdir) if cmd == "apply" else \
                self.kw(cmd, "--prune-accounts", self.mdir)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("--prune-accounts needs an owner", p.stderr)
            self.assertIn("cannot tell the accounts of this run from theirs", p.stderr)
        self.assertEqual(self.writes(), {})

    def test_bad_settings_and_owners(self):
        cfg = os.path.join(self.mdir, "keywarden.yaml")
        with open(cfg, "w") as f:
            f.write("owner: platform-team\ncolour: blue\n")
        p = self.kw("plan", self.mdir)
        self.assertEqual(p.returncode, 1)
        self.assertIn("%s:2:1: unknown key 'colour' (expected owner or noProgressTimeout)" % cfg, p.stderr)
        with open(cfg, "w") as f:
            f.write("owner: 'not ok!'\n")
        p = self.kw("plan", self.mdir)
        self.assertEqual(p.returncode, 1)
        self.assertIn("only letters, digits", p.stderr)
        p = self.kw("plan", "--owner", "", self.mdir)
        self.assertEqual(p.returncode, 1)
        # validate ignores keywarden.yaml: it is not a manifest
        os.unlink(cfg)
        with open(cfg, "w") as f:
            f.write("owner: platform-team\n")
        v = self.kw("validate", self.mdir)
        self.assertEqual(v.returncode, 0, v.stderr)
        self.assertIn("valid: 2 manifests in 2 files", v.stdout)


if __name__ == "__main__":
    unittest.main()
