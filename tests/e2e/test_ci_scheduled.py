"""The scheduled templates in docs/ci (github-scheduled.yml, gitlab-scheduled.yml): each parses,
is scheduled (a valid cron line; GitLab jobs only in schedule pipelines), runs as the operator
role through web identity, runs rotate --due and audit with --notify, and names only keywarden
commands and options that exist: every keywarden line is checked with test_ci_templates' own
check (the command list and each command's --help), not a second copy of it."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_ci_templates as ci  # noqa: E402  (gitops14's checks of docs/ci)
from e2e_fixture import LifecycleCase  # noqa: E402

GITHUB = os.path.join(ci.CI, "github-scheduled.yml")
GITLAB = os.path.join(ci.CI, "gitlab-scheduled.yml")
CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")


def check_cron(case, cron):
    fields = cron.split()
    case.assertEqual(len(fields), 5, "cron %r needs 5 fields" % cron)
    for f, (lo, hi) in zip(fields, [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]):
        case.assertRegex(f, CRON_FIELD, "cron %r" % cron)
        for n in re.findall(r"\d+", f.split("/")[0]):
            case.assertTrue(lo <= int(n) <= hi, "cron %r: %s out of %d-%d" % (cron, n, lo, hi))


def text_of(path):
    with open(path) as f:
        return f.read()


def shell_lines(doc):
    """Every line of a GitHub step's run and of GitLab's before_script/script."""
    lines = []
    for job in doc.get("jobs", {}).values():
        for step in job.get("steps", []):
            lines += step.get("run", "").splitlines()
    for job in doc.values():
        if isinstance(job, dict):
            for key in ("before_script", "script"):
                lines += job.get(key, [])
    return lines


class ScheduledTemplates(unittest.TestCase):
    # the same check as test_ci_templates.CiTemplates, on these files
    help_of = ci.CiTemplates.help_of
    check_line = ci.CiTemplates.check_line

    @classmethod
    def setUpClass(cls):
        out = subprocess.run([ci.KEYWARDEN, "--help"], capture_output=True, text=True).stdout
        cls.commands = set(re.findall(r"^  ([a-z]+) {2,}", out, re.M))

    def test_every_keywarden_line_names_real_commands_and_options(self):
        seen = []
        for path in (GITHUB, GITLAB):
            for line in ci.keywarden_lines(shell_lines(ci.load(path))):
                args = self.check_line(line)
                seen.append(" ".join(args))
        self.assertGreaterEqual(len(seen), 6, seen)
        for cmd in ("rotate --due", "audit"):
            self.assertEqual(sum(1 for s in seen if s.startswith(cmd) and "--notify" in s), 2, (cmd, seen))
        # the check can fail on what these templates use
        with self.assertRaises(AssertionError):
            self.check_line("keywarden rotate --due-only manifests/")
        with self.assertRaises(AssertionError):
            self.check_line("keywarden audit --notify-sns x manifests/")

    def test_scripts_and_folders_they_name_exist(self):
        for path in (GITHUB, GITLAB):
            text = "\n".join(shell_lines(ci.load(path)))
            for script in re.findall(r"(?:^|\s)(scripts/[\w.-]+)", text):
                self.assertTrue(os.access(os.path.join(ci.SOURCE, script), os.X_OK), (path, script))
            self.assertTrue(os.path.isdir(os.path.join(ci.SOURCE, "manifests")))

    def test_github_workflow_is_scheduled_with_web_identity(self):
        doc = ci.load(GITHUB)
        on = doc.get("on", doc.get(True))  # YAML 1.1 reads the key `on` as true
        self.assertTrue(on["schedule"])
        for s in on["schedule"]:
            check_cron(self, s["cron"])
        self.assertEqual(doc["permissions"]["id-token"], "write")
        self.assertTrue(doc["env"]["AWS_ROLE_ARN"].startswith("arn:aws:iam::"))
        self.assertIn("keywarden", doc["concurrency"]["group"])
        self.assertFalse(doc["concurrency"]["cancel-in-progress"])
        self.assertIn("AWS_WEB_IDENTITY_TOKEN_FILE=", "\n".join(shell_lines(doc)))
        self.assertNotIn("aws-access-key-id", text_of(GITHUB))

    def test_gitlab_jobs_run_only_on_schedules_with_web_identity(self):
        doc = ci.load(GITLAB)
        base = doc[".keywarden"]
        self.assertEqual(next(iter(base["id_tokens"].values()))["aud"], "sts.amazonaws.com")
        self.assertTrue(any("AWS_WEB_IDENTITY_TOKEN_FILE=" in line for line in base["before_script"]))
        jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and v.get("extends") == ".keywarden"}
        self.assertEqual(set(jobs), {"keywarden-rotate-due", "keywarden-audit"})
        for name, job in jobs.items():
            rules = job.get("rules", base["rules"])
            self.assertTrue(all('$CI_PIPELINE_SOURCE == "schedule"' in r["if"] for r in rules), name)
            self.assertNotIn("when", job, "%s: GitLab refuses when beside rules" % name)
            self.assertIn(job["stage"], doc["stages"])
        self.assertEqual(base["resource_group"], "keywarden")
        check_cron(self, re.search(r'cron="([^"]+)"', text_of(GITLAB)).group(1))





class ScheduledRun(LifecycleCase):
    """The scheduled jobs' own keywarden lines, run in order with bash against the endpoint:
    a due account is rotated, a fresh one is left alone, and the summaries reach SNS."""

    def run_lines(self, lines, cwd, env):
        results = []
        for line in ci.keywarden_lines(lines):
            p = subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=cwd, env=env, capture_output=True,
                               text=True, timeout=240)
            for s in self.secrets:
                self.assertNotIn(s, p.stdout + p.stderr)
            results.append((line, p))
        return results

    def simulate(self, lines):
        repo = os.path.join(self.work, "repo")
        os.makedirs(os.path.join(repo, "manifests"))
        for name, age in (("old", 100), ("new", 10)):
            self.make_user("service-" + name)
            self.make_key("service-" + name, age_days=age, used_days_ago=1)
            os.rename(self.manifest(name, max_age=90), os.path.join(repo, "manifests", name + ".yaml"))
        topic = self.ep.sns_create_topic("keywarden-notifications")
        bindir = os.path.join(self.work, "bin")
        os.makedirs(bindir)
        os.symlink(os.path.abspath(ci.KEYWARDEN), os.path.join(bindir, "keywarden"))
        env = dict(self.env, PATH=bindir + os.pathsep + self.env["PATH"], KEYWARDEN_TOPIC=topic)
        since = len(self.ep.sns_messages())
        results = self.run_lines(lines, repo, env)
        by = {line.split()[1]: p for line, p in results}
        self.assertEqual(by["rotate"].returncode, 0, by["rotate"].stderr)
        self.assertIn("service-new: not due", by["rotate"].stderr)
        self.assertEqual(len(self.keys("service-old")), 2)      # rotated: old inactive, new active
        self.assertEqual(len(self.keys("service-new")), 1)      # left alone
        self.assertEqual(by["audit"].returncode, 0, by["audit"].stderr)  # clean after the rotation
        subjects = [m["subject"] for m in self.ep.sns_messages(since)]
        self.assertEqual(subjects, ["keywarden rotate: 1 rotated, 0 failed"])  # a clean audit: nothing

    def test_github_scheduled_job(self):
        doc = ci.load(GITHUB)
        self.simulate(shell_lines(doc))

    def test_gitlab_scheduled_jobs(self):
        self.simulate(shell_lines(ci.load(GITLAB)))


if __name__ == "__main__":
    unittest.main()
