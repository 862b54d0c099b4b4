"""The pipeline templates in docs/ci/: each file parses (YAML), has the shape the docs promise
(OIDC / web identity, a concurrency group or resource group for apply, the saved plan handed
from review to apply, MFA seeds to a custodian), names only keywarden commands and options that
exist, and a pipeline simulation runs the templates' own keywarden lines, in order, with bash,
against the local endpoint: review with the read-only planner identity, then apply of the saved
plan with the operator's."""
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import KEYWARDEN, POLICY, SOURCE, USER, EngineCase, manifest_text  # noqa: E402

CI = os.path.join(SOURCE, "docs", "ci")
GITHUB = os.path.join(CI, "github-actions.yml")
GITLAB = os.path.join(CI, "gitlab-ci.yml")
COMMON_WITH_VALUE = {"--profile", "--region", "--endpoint-url", "-o", "--output", "--mfa-code"}
COMMON_FLAGS = {"--no-color", "-v", "--verbose", "-vv", "-h", "--help"}


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def github_jobs():
    """{job: [run lines in order]} of the GitHub workflow."""
    doc = load(GITHUB)
    return {name: [line for step in job["steps"] if "run" in step for line in step["run"].splitlines()]
            for name, job in doc["jobs"].items()}


def gitlab_jobs():
    doc = load(GITLAB)
    return {name: list(job["script"]) for name, job in doc.items()
            if isinstance(job, dict) and "script" in job}


def keywarden_lines(lines):
    return [line.strip() for line in lines if line.strip().startswith("keywarden ")]


def argv_of(line):
    """keywarden's own arguments in a shell line (up to the first redirection or operator)."""
    words = []
    for w in shlex.split(line, posix=True):
        if w in ("||", "&&", "|", ";", ">", ">>", "2>") or w.startswith(">"):
            break
        words.append(w)
    return words[1:]


class CiTemplates(EngineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        out = subprocess.run([KEYWARDEN, "--help"], capture_output=True, text=True).stdout
        cls.commands = set(re.findall(r"^  ([a-z]+) {2,}", out, re.M))

    def help_of(self, cmd):
        p = subprocess.run([KEYWARDEN, *cmd, "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, (cmd, p.stderr))
        return p.stdout

    def check_line(self, line):
        args = argv_of(line)
        rest, i = [], 0
        while i < len(args):  # the common options may stand anywhere
            a = args[i]
            if a in COMMON_WITH_VALUE:
                i += 2
                continue
            if a.split("=", 1)[0] in COMMON_WITH_VALUE or a in COMMON_FLAGS:
                i += 1
                continue
            rest.append(a)
            i += 1
        self.assertIn(rest[0], self.commands, line)
        cmd = rest[:2] if rest[0] == "policy" else rest[:1]
        text = self.help_of(cmd)
        for a in rest[len(cmd):]:
            if a.startswith("--"):
                self.assertRegex(text, r"(^|\s|\[)%s(\s|=|\]|$)" % re.escape(a.split("=")[0]),
                                 "%s: option %s is not in 'keywarden %s --help'" % (line, a, " ".join(cmd)))
        if "-o" in args:
            fmt = args[args.index("-o") + 1]
            self.assertIn(fmt, ("text", "table", "json", "sarif", "github", "markdown"), line)
        return args

    def test_github_workflow_shape(self):
        doc = load(GITHUB)
        on = doc.get("on", doc.get(True))  # YAML 1.1 reads the key `on` as true
        self.assertIn("pull_request", on)
        self.assertEqual(on["push"]["branches"], ["main"])
        plan, apply = doc["jobs"]["plan"], doc["jobs"]["apply"]
        self.assertEqual(apply["concurrency"], {"group": "keywarden-apply", "cancel-in-progress": False})
        for job, role in ((plan, "KEYWARDEN_PLANNER_ROLE_ARN"), (apply, "KEYWARDEN_OPERATOR_ROLE_ARN")):
            self.assertEqual(job["permissions"]["id-token"], "write")
            creds = [s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
            self.assertEqual(len(creds), 1)
            self.assertEqual(creds[0]["with"]["role-to-assume"], "${{ vars.%s }}" % role)
            self.assertNotIn("aws-access-key-id", creds[0]["with"])  # OIDC, no stored key
        uses = [s.get("uses", "").split("@")[0] for s in plan["steps"]]
        self.assertIn("github/codeql-action/upload-sarif", uses)
        self.assertIn("actions/upload-artifact", uses)
        self.assertIn("actions/download-artifact", [s.get("uses", "").split("@")[0] for s in apply["steps"]])
        self.assertEqual(plan["permissions"]["security-events"], "write")
        lines = keywarden_lines(github_jobs()["plan"])
        self.assertTrue(any("-o sarif policy lint" in line for line in lines), lines)
        self.assertTrue(any("validate" in line for line in lines), lines)
        self.assertTrue(any("-o markdown plan --out keywarden.plan" in line for line in lines), lines)
        applies = keywarden_lines(github_jobs()["apply"])
        self.assertIn('keywarden apply --plan keywarden.plan --auto-approve --mfa-seed-exec "$KEYWARDEN_MFA_CUSTODIAN"',
                      applies)
        custodian = [s for s in apply["steps"] if "KEYWARDEN_MFA_CUSTODIAN" in s.get("env", {})][0]
        self.assertIn("{user}", custodian["env"]["KEYWARDEN_MFA_CUSTODIAN"])

    def test_gitlab_file_shape(self):
        doc = load(GITLAB)
        base = doc[".keywarden"]
        self.assertEqual(base["id_tokens"]["KEYWARDEN_ID_TOKEN"]["aud"], "sts.amazonaws.com")
        self.assertTrue(any("AWS_WEB_IDENTITY_TOKEN_FILE=" in line for line in base["before_script"]))
        plan, apply = doc["keywarden-plan"], doc["keywarden-apply"]
        self.assertEqual(plan["variables"]["AWS_ROLE_ARN"], "$KEYWARDEN_PLANNER_ROLE_ARN")
        self.assertEqual(apply["variables"]["AWS_ROLE_ARN"], "$KEYWARDEN_OPERATOR_ROLE_ARN")
        self.assertEqual(apply["resource_group"], "keywarden-apply")
        self.assertIn("keywarden.plan", plan["artifacts"]["paths"])
        self.assertIn("{user}", apply["variables"]["KEYWARDEN_MFA_CUSTODIAN"])
        self.assertIn('keywarden apply --plan keywarden.plan --auto-approve --mfa-seed-exec "$KEYWARDEN_MFA_CUSTODIAN"',
                      keywarden_lines(apply["script"]))

    def test_templates_name_only_existing_commands_and_options(self):
        seen = 0
        for jobs in (github_jobs(), gitlab_jobs()):
            for lines in jobs.values():
                for line in keywarden_lines(lines):
                    self.check_line(line)
                    seen += 1
        self.assertGreaterEqual(seen, 10)
        # and the check can fail: an option keywarden does not have is caught
        with self.assertRaises(AssertionError):
            self.check_line("keywarden plan --detailed-exitcode manifests/")
        with self.assertRaises(AssertionError):
            self.check_line("keywarden deploy manifests/")

    # -- the pipeline simulation ------------------------------------------------------------
    def make_repo(self):
        repo = os.path.join(self.tmp, "repo")
        os.makedirs(os.path.join(repo, "manifests"))
        os.makedirs(os.path.join(repo, "policies"))
        with open(os.path.join(repo, "policies", "e2e-policy.json"), "w") as f:
            json.dump(POLICY, f, indent=2)
        text = manifest_text().replace("inline: e2e-policy.json", "inline: ../policies/e2e-policy.json")
        with open(os.path.join(repo, "manifests", "service-e2e.yaml"), "w") as f:
            f.write(text)
        return repo

    def planner_profile(self):
        self.cli("iam", "create-user", "--user-name", "kw-planner")
        with open(os.path.join(SOURCE, "policies", "keywarden-planner.json")) as f:
            self.cli("iam", "put-user-policy", "--user-name", "kw-planner", "--policy-name", "planner",
                     "--policy-document", f.read())
        key = self.cli("iam", "create-access-key", "--user-name", "kw-planner")["AccessKey"]
        with open(self.creds, "a") as f:
            f.write("[planner]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (key["AccessKeyId"], key["SecretAccessKey"]))

    def run_job(self, lines, cwd, env):
        """Each keywarden line of a job, as the runner's bash -e would run it; returns outputs."""
        outs = []
        for line in keywarden_lines(lines):
            p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", line], cwd=cwd, env=env, capture_output=True,
                               text=True, timeout=240)
            self.outputs.append(p.stdout + p.stderr)
            self.assertEqual(p.returncode, 0, "%s\n%s%s" % (line, p.stdout, p.stderr))
            outs.append(p)
        return outs

    def simulate(self, review, apply):
        self.planner_profile()
        repo = self.make_repo()
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir)
        os.symlink(KEYWARDEN, os.path.join(bindir, "keywarden"))
        seeds = os.path.join(self.tmp, "custodian")
        os.makedirs(seeds)
        env = dict(self.env, PATH=bindir + os.pathsep + self.env["PATH"])
        review_env = dict(env, AWS_PROFILE="planner")  # the plan job's read-only identity
        # the custodian of the MFA seeds: here a folder (in the templates a secret store)
        apply_env = dict(env, KEYWARDEN_MFA_CUSTODIAN="umask 077; cat > %s/{user}.seed" % shlex.quote(seeds))

        self.run_job(review, repo, review_env)
        with open(os.path.join(repo, "keywarden-lint.sarif")) as f:
            sarif = json.load(f)
        self.assertEqual(sarif["version"], "2.1.0")
        with open(os.path.join(repo, "keywarden-plan.md")) as f:
            md = f.read()
        self.assertIn("**Plan: 7 to add, 0 to change, 0 to destroy.**", md)
        self.assertNotIn("\033", md)
        # the artifact travels from the review job to the apply job
        work = os.path.join(self.tmp, "apply-job")
        shutil.copytree(repo, work, ignore=shutil.ignore_patterns("keywarden-*"))
        shutil.copy(os.path.join(repo, "keywarden.plan"), work)
        self.ep.reset_counts()
        outs = self.run_job(apply, work, apply_env)
        self.assertIn("Apply complete: 7 steps done and confirmed; 1 access key issued", outs[-1].stdout)
        self.assert_converged(keys=1)
        seed_files = glob.glob(os.path.join(seeds, "*.seed"))
        self.assertEqual([os.path.basename(s) for s in seed_files], [USER + ".seed"])
        with open(seed_files[0]) as f:
            seed = f.read().strip()
        self.assertRegex(seed, r"^[A-Z2-7]{16,}=*$")
        self.assert_secret_nowhere(seed)
        self.assert_secret_nowhere(self.profile()["aws_secret_access_key"])

        # the next review of the merged state: no changes
        os.unlink(os.path.join(repo, "keywarden.plan"))
        self.run_job(review, repo, review_env)
        with open(os.path.join(repo, "keywarden-plan.md")) as f:
            self.assertIn("**No changes.**", f.read())
        # the same saved plan applied again, after IAM moved on (its own apply), is refused
        self.ep.reset_counts()
        p = subprocess.run(["bash", "-e", "-c", keywarden_lines(apply)[-1]], cwd=work, env=apply_env,
                           capture_output=True, text=True, timeout=240)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("changed in IAM since the plan", p.stderr)
        self.assertEqual(self.writes(), {})

    def test_github_pipeline_simulation(self):
        jobs = github_jobs()
        self.simulate(jobs["plan"], jobs["apply"])

    def test_gitlab_pipeline_simulation(self):
        jobs = gitlab_jobs()
        self.simulate(jobs["keywarden-plan"], jobs["keywarden-apply"])


if __name__ == "__main__":
    unittest.main()
