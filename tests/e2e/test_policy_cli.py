"""`keywarden policy fmt|diff|lint` and `keywarden validate` from the outside: exit codes,
output formats, REV:path through git, fmt --check for CI, errors as file:line:col."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

KEYWARDEN = os.environ.get("KEYWARDEN", "build/test/keywarden")
SOURCE = os.environ.get("KW_SOURCE_DIR", ".")
TESTDATA = os.path.join(SOURCE, "tests", "data", "policies")


def run(*args, cwd=None, stdin=None):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([KEYWARDEN, *args], capture_output=True, text=True, cwd=cwd, input=stdin,
                          env=env, timeout=60)


POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"],
                   "Resource": "arn:aws:s3:::bucket/*"}],
}


class PolicyCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kw-policy-cli-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_fmt_rewrites_then_check_passes(self):
        path = self.write("p.json", json.dumps(POLICY))
        os.chmod(path, 0o640)
        r = run("policy", "fmt", "--check", path)
        self.assertEqual((r.returncode, r.stdout), (1, path + "\n"))
        with open(path, encoding="utf-8") as f:
            self.assertEqual(f.read(), json.dumps(POLICY), "--check changed the file")
        r = run("policy", "fmt", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertTrue(text.startswith('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Sid"'))
        self.assertTrue(text.endswith("}\n"))
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o640, "fmt keeps the file's mode")
        r = run("policy", "fmt", "--check", path)
        self.assertEqual((r.returncode, r.stdout), (0, ""))

    def test_fmt_stdin_and_invalid_json(self):
        r = run("policy", "fmt", "-", stdin='{"Statement": [], "Version": "2012-10-17"}')
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout, '{\n  "Version": "2012-10-17",\n  "Statement": []\n}\n')
        bad = self.write("bad.json", '{\n  "Version": "2012-10-17",\n  "Version": "x"\n}\n')
        r = run("policy", "fmt", bad)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, f"error: {bad}:3:3: invalid JSON: duplicate object key near '\"Version\"'\n")

    def test_fmt_is_idempotent_over_testdata(self):
        for name in sorted(os.listdir(TESTDATA)):
            if not name.endswith(".json"):
                continue
            with self.subTest(policy=name):
                shutil.copy(os.path.join(TESTDATA, name), self.tmp)
                path = os.path.join(self.tmp, name)
                self.assertEqual(run("policy", "fmt", path).returncode, 0)
                self.assertEqual(run("policy", "fmt", "--check", path).returncode, 0)
                r = run("policy", "diff", os.path.join(TESTDATA, name), path)
                self.assertEqual((r.returncode, r.stdout), (0, "no semantic change\n"))

    def test_diff_exit_codes_text_and_json(self):
        old = self.write("old.json", json.dumps(POLICY))
        new_policy = json.loads(json.dumps(POLICY))
        new_policy["Statement"][0]["Action"].append("s3:PutObject")
        new = self.write("new.json", json.dumps(new_policy, indent=4))
        r = run("policy", "diff", old, new)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stdout, '~ statement 1 Sid "Read" (Allow, modified)\n    + Action: s3:PutObject\n')
        r = run("-o", "json", "policy", "diff", old, new)
        self.assertEqual(r.returncode, 2)
        d = json.loads(r.stdout)
        self.assertTrue(d["changed"])
        self.assertEqual(d["statements"][0]["added"], {"Action": ["s3:PutObject"]})
        r = run("policy", "diff", old, old)
        self.assertEqual((r.returncode, r.stdout), (0, "no semantic change\n"))
        r = run("policy", "diff", old)
        self.assertEqual(r.returncode, 1)
        r = run("policy", "diff", old, os.path.join(self.tmp, "missing.json"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.json", r.stderr)

    def test_diff_reads_rev_path_through_git(self):
        if not shutil.which("git"):
            self.skipTest("git not installed")
        repo = os.path.join(self.tmp, "repo")
        os.makedirs(repo)
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
        subprocess.run(git + ["init", "-q"], cwd=repo, check=True)
        self.write("repo/policies/x.json", json.dumps(POLICY))
        subprocess.run(git + ["add", "."], cwd=repo, check=True)
        subprocess.run(git + ["commit", "-qm", "x"], cwd=repo, check=True)
        changed = json.loads(json.dumps(POLICY))
        changed["Statement"][0]["Resource"] = "*"
        self.write("repo/policies/x.json", json.dumps(changed))
        r = run("policy", "diff", "HEAD:policies/x.json", "policies/x.json", cwd=repo)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stdout, '~ statement 1 Sid "Read" (Allow, modified)\n'
                                   "    - Resource: arn:aws:s3:::bucket/*\n    + Resource: *\n")
        r = run("policy", "lint", "HEAD:policies/x.json", cwd=repo)
        self.assertEqual((r.returncode, r.stdout), (0, ""))
        r = run("policy", "lint", "HEAD:policies/nope.json", cwd=repo)
        self.assertEqual(r.returncode, 1)
        r = run("policy", "diff", "HEAD:policies/nope.json", "policies/x.json", cwd=repo)
        self.assertEqual(r.returncode, 1)
        self.assertIn("HEAD:policies/nope.json", r.stderr)

    def test_lint_exit_codes_and_json(self):
        clean = self.write("clean.json", json.dumps(POLICY))
        r = run("policy", "lint", clean)
        self.assertEqual((r.returncode, r.stdout), (0, ""))
        eks = os.path.join(TESTDATA, "eksctl-EksAllAccess.json")
        r = run("policy", "lint", eks)
        self.assertEqual(r.returncode, 3)
        self.assertIn(f"warning: {eks}:6:23: Allow with 'eks:*' grants every action of the service [KWP011]", r.stdout)
        r = run("-o", "json", "policy", "lint", eks, os.path.join(TESTDATA, "eksctl-AmazonEC2FullAccess.json"))
        self.assertEqual(r.returncode, 3)
        findings = json.loads(r.stdout)
        self.assertEqual({f["code"] for f in findings}, {"KWP011", "KWP020", "KWP022", "KWP050"})
        # every entry names Access Analyzer's issue code and the catalog version where they apply
        self.assertTrue(all("access_analyzer" in f and "catalog" in f for f in findings))
        self.assertIn({"code": "KWP050", "line": 15, "column": 32},
                      [{k: f[k] for k in ("code", "line", "column")} for f in findings])
        self.assertTrue(all(f["line"] > 0 and f["column"] > 0 for f in findings))
        bad = self.write("bad.json", "{")
        r = run("policy", "lint", bad)
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith(f"error: {bad}:1:1: invalid JSON"), r.stderr)
        # a pipeline reading -o json sees the file that could not be read, not an empty list
        r = run("-o", "json", "policy", "lint", bad, clean)
        self.assertEqual(r.returncode, 1)
        entries = json.loads(r.stdout)
        self.assertEqual(len(entries), 1)
        self.assertEqual((entries[0]["file"], entries[0]["severity"], entries[0]["code"], entries[0]["line"]),
                         (bad, "error", None, 1))
        self.assertIn("invalid JSON", entries[0]["message"])

    def test_help_of_every_subcommand(self):
        for sub in ("fmt", "diff", "lint"):
            with self.subTest(sub=sub):
                r = run("policy", sub, "--help")
                self.assertEqual(r.returncode, 0)
                self.assertIn(f"usage: keywarden policy {sub}", r.stdout)
        r = run("policy", "frob")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown subcommand 'frob'", r.stderr)


class ValidateCli(unittest.TestCase):
    def test_repo_manifests_are_valid(self):
        r = run("validate", "manifests/", cwd=SOURCE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^valid: \d+ manifests in \d+ files( \(\d+ lint findings? accepted, -v shows them\))?\n$")
        self.assertEqual(r.stderr, "")
        r = run("-o", "json", "validate", "manifests", cwd=SOURCE)
        doc = json.loads(r.stdout)
        self.assertTrue(doc["valid"])
        names = {m["name"] for m in doc["manifests"]}
        self.assertTrue({"ansible", "external-dns", "cert-manager", "velero", "cluster-autoscaler"} <= names)
        ansible = next(m for m in doc["manifests"] if m["name"] == "ansible")
        self.assertEqual(ansible["user"], "service-ansible")
        self.assertEqual(ansible["tags"]["managed-by"], "keywarden")

    def test_keywardens_own_policies_are_canonical(self):
        # third-party copies stay byte for byte as published (policies/README.md); ours are fmt'd
        r = run("policy", "fmt", "--check", "policies/ansible-ec2-inventory.json", cwd=SOURCE)
        self.assertEqual((r.returncode, r.stdout), (0, ""))

    def test_every_error_printed_with_position_and_summary(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "x.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write("apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata:\n  name: x\nspec:\n"
                        "  tag: {}\n  console: enabled\n")
            r = run("validate", path)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr.splitlines(), [
                f"error: {path}:6:3: unknown key 'tag' in spec (did you mean 'tags'?)",
                f"error: {path}:7:12: console must be 'disabled': a service account never gets a password "
                "(found 'enabled')",
            ])
            self.assertEqual(r.stdout, "invalid: 2 problems in 1 file (0 manifests valid)\n")
            r = run("-o", "json", "validate", path)
            doc = json.loads(r.stdout)
            self.assertFalse(doc["valid"])
            self.assertEqual([(d["line"], d["column"]) for d in doc["diagnostics"]], [(6, 3), (7, 12)])
            r = run("validate", os.path.join(tmp, "missing"))
            self.assertEqual(r.returncode, 1)
            self.assertIn("missing", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
