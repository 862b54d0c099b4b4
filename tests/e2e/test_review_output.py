"""Review output: policy lint, validate and plan with -o sarif (validated against the SARIF 2.1.0
JSON schema shipped in tests/data/sarif), -o github (workflow commands) and plan -o markdown;
commands that do not document a review format refuse it."""
import json
import os
import re
import sys
import unittest

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import POLICY, SOURCE, EngineCase  # noqa: E402

SCHEMA_FILE = os.path.join(SOURCE, "tests", "data", "sarif", "sarif-schema-2.1.0.json")
with open(SCHEMA_FILE) as f:
    SCHEMA = json.load(f)
VALIDATOR = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())

# A policy with two findings at known places: KWP011 (line 6, "ec2:*") and KWP020 (s3:PutObject on *).
RISKY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "ec2:*",
      "Resource": "*"
    },
    {
      "Effect": "Allow",
      "Action": ["s3:PutObject"],
      "Resource": "*"
    }
  ]
}
"""
GH_LINE = re.compile(r"^::(error|warning|notice)( file=[^,:]*(,line=\d+(,col=\d+)?)?,| )title=([^:]+)::(.*)$")


class ReviewOutput(EngineCase):
    def sarif(self, *args, rc):
        p = self.kw(*args)
        self.assertEqual(p.returncode, rc, p.stdout + p.stderr)
        doc = json.loads(p.stdout)
        VALIDATOR.validate(doc)  # raises with the path of the first violation
        self.assertEqual(doc["version"], "2.1.0")
        self.assertEqual(len(doc["runs"]), 1)
        return doc["runs"][0]

    def write_policy(self, name, text):
        path = os.path.join(self.mdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_schema_rejects_what_it_must(self):
        # the shipped schema is the real one: a result without message, or a level SARIF does not
        # know, is invalid (so that validating our output is a test that can fail)
        bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                             "results": [{"ruleId": "a", "level": "fatal",
                                                          "message": {"text": "m"}}]}]}
        with self.assertRaises(jsonschema.ValidationError):
            VALIDATOR.validate(bad)
        del bad["runs"][0]["results"][0]["level"]
        VALIDATOR.validate(bad)
        del bad["runs"][0]["results"][0]["message"]
        with self.assertRaises(jsonschema.ValidationError):
            VALIDATOR.validate(bad)

    def test_policy_lint_sarif_matches_text_findings(self):
        path = self.write_policy("risky.json", RISKY)
        rel = os.path.relpath(path, SOURCE)
        text = self.kw("policy", "lint", rel)
        self.assertEqual(text.returncode, 3, text.stderr)
        expected = re.findall(r"^(\w+): [^:]+:(\d+):(\d+): (.*) \[(KWP\d+)\]$", text.stdout, re.M)
        self.assertGreaterEqual(len(expected), 2, text.stdout)

        run = self.sarif("policy", "lint", "-o", "sarif", rel, rc=3)
        rules = run["tool"]["driver"]["rules"]
        got = []
        for r in run["results"]:
            self.assertEqual(rules[r["ruleIndex"]]["id"], r["ruleId"])
            loc = r["locations"][0]["physicalLocation"]
            self.assertEqual(loc["artifactLocation"]["uri"], rel)
            self.assertEqual(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%")
            got.append((r["level"], str(loc["region"]["startLine"]), str(loc["region"]["startColumn"]),
                        r["message"]["text"], r["ruleId"]))
        self.assertEqual(got, [(lv, ln, col, msg, code) for lv, ln, col, msg, code in expected])
        self.assertIn(("warning", "6"), [(g[0], g[1]) for g in got])
        for rule in rules:
            self.assertTrue(rule["shortDescription"]["text"])
            self.assertIn(rule["id"], rule["help"]["text"])
            # the installed documentation (issue 17, item 6), not a path of keywarden's source tree
            self.assertIn("'man keywarden-policy'", rule["help"]["text"])
            self.assertNotIn("docs/", rule["help"]["text"])
            self.assertIn(rule["defaultConfiguration"]["level"], ("error", "warning", "note"))
        self.assertTrue(run["invocations"][0]["executionSuccessful"])

        gh = self.kw("policy", "lint", "-o", "github", rel)
        self.assertEqual(gh.returncode, 3)
        lines = gh.stdout.splitlines()
        self.assertEqual(len(lines), len(expected))
        for line, (lv, ln, col, msg, code) in zip(lines, expected):
            self.assertRegex(line, GH_LINE)
            self.assertEqual(line, "::%s file=%s,line=%s,col=%s,title=%s::%s" % (lv, rel, ln, col, code, msg))

    def test_policy_lint_unparsable_file_is_an_error_result(self):
        path = self.write_policy("broken.json", '{\n  "Version": "2012-10-17",\n  "Statement": [\n')
        run = self.sarif("policy", "lint", "-o", "sarif", path, rc=1)
        self.assertEqual([r["level"] for r in run["results"]], ["error"])
        self.assertEqual(run["results"][0]["ruleId"], "KWP001")
        self.assertTrue(run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        .startswith("file:///"))

    def test_github_escapes_properties_and_data(self):
        # a file name with a comma and a colon, a message with a newline cannot break the command
        path = self.write_policy("odd, name:1.json", RISKY)
        gh = self.kw("policy", "lint", "-o", "github", path)
        self.assertEqual(gh.returncode, 3, gh.stderr)
        for line in gh.stdout.splitlines():
            self.assertIn("file=" + path.replace(",", "%2C").replace(":", "%3A") + ",line=", line)
            self.assertRegex(line, GH_LINE)

    def test_validate_sarif_with_errors_and_accepted_findings(self):
        self.write_policy("e2e-policy.json", RISKY)
        text = self.manifest_accepting("KWP020", "objects are written by the app")
        with open(self.manifest, "w") as f:
            f.write(text + "  colour: blue\n")  # an unknown key: a manifest error
        run = self.sarif("validate", "-o", "sarif", self.mdir, rc=1)
        by_rule = {}
        for r in run["results"]:
            by_rule.setdefault(r["ruleId"], []).append(r)
        self.assertIn("KWM001", by_rule)
        bad = by_rule["KWM001"][0]
        self.assertEqual(bad["level"], "error")
        region = bad["locations"][0]["physicalLocation"]["region"]
        self.assertEqual(region["startLine"], len(text.splitlines()) + 1)
        self.assertIn("colour", bad["message"]["text"])
        accepted = by_rule["KWP020"][0]
        self.assertEqual(accepted["suppressions"], [{"kind": "inSource",
                                                     "justification": "objects are written by the app"}])
        self.assertNotIn("suppressions", by_rule["KWP011"][0])

        gh = self.kw("validate", "-o", "github", self.mdir)
        self.assertEqual(gh.returncode, 1)
        for line in gh.stdout.splitlines():
            self.assertRegex(line, GH_LINE)
        self.assertTrue(any(line.startswith("::notice ") and "title=KWP020" in line and "(accepted: " in line
                            for line in gh.stdout.splitlines()), gh.stdout)
        self.assertTrue(any(line.startswith("::error ") and "title=KWM001" in line
                            for line in gh.stdout.splitlines()), gh.stdout)

    def test_plan_sarif_github_and_markdown(self):
        run = self.sarif("plan", "-o", "sarif", self.manifest, rc=2)
        ids = [r["ruleId"] for r in run["results"]]
        self.assertIn("KWPLAN-create-user", ids)
        self.assertIn("KWPLAN-create-access-key", ids)
        for r in run["results"]:
            self.assertEqual(r["level"], "note")
            self.assertEqual(r["locations"][0]["physicalLocation"]["region"]["startLine"], 1)

        self.assertEqual(self.apply().returncode, 0)
        secret = self.profile()["aws_secret_access_key"]
        # change the policy: the markdown comment shows the semantic diff in a fenced block
        doc = dict(POLICY, Statement=[dict(POLICY["Statement"][0],
                                           Action=["ec2:DescribeInstances", "ec2:DescribeVolumes"])])
        with open(os.path.join(self.mdir, "e2e-policy.json"), "w") as f:
            json.dump(doc, f)
        self.write_manifest(tags={"owner": "other-team", "software": "e2e"})
        md = self.kw("--no-color", "plan", "-o", "markdown", self.manifest)
        self.assertEqual(md.returncode, 2, md.stderr)
        out = md.stdout
        self.assertIn("**Plan: 0 to add, 2 to change, 0 to destroy.**", out)
        self.assertIn("| account | manifest | add | change | destroy | notes |", out)
        self.assertRegex(out, r"\n\| e2e \| [^|]*service-e2e\.yaml \| 0 \| 2 \| 0 \| 0 \|\n")
        block = re.search(r"  ```diff\n(.*?)\n  ```\n", out, re.S)
        self.assertIsNotNone(block, out)
        self.assertIn("ec2:DescribeVolumes", block.group(1))
        self.assertIn("ec2:DescribeTags", block.group(1))
        self.assertIn("\"other-team\"", out)
        self.assertNotIn("\033", out)
        self.assertNotIn(secret, out)

        gh = self.kw("plan", "-o", "github", self.manifest)
        self.assertEqual(gh.returncode, 2)
        lines = gh.stdout.splitlines()
        self.assertEqual(len(lines), 2, gh.stdout)
        for line in lines:
            self.assertRegex(line, GH_LINE)
            self.assertTrue(line.startswith("::notice file=%s,line=1,title=KWPLAN-update-" % self.manifest), line)

        clean = self.kw("plan", "-o", "markdown", self.manifest.replace("service-e2e.yaml", "nothing.yaml"))
        self.assertEqual(clean.returncode, 1)

    def test_plan_error_is_reported_in_sarif(self):
        # an existing user without the managed-by tag: plan refuses; SARIF carries the error at
        # the manifest, and the exit status stays 1
        self.aws("iam", "create-user", "--user-name", "service-e2e")
        run = self.sarif("plan", "-o", "sarif", self.manifest, rc=1)
        errors = [r for r in run["results"] if r["level"] == "error"]
        self.assertEqual(len(errors), 1, run["results"])
        self.assertIn("--adopt", errors[0]["message"]["text"])
        self.assertEqual(errors[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                         "file://" + self.manifest)

    def test_plan_markdown_no_changes(self):
        self.assertEqual(self.apply().returncode, 0)
        md = self.kw("plan", "-o", "markdown", self.manifest)
        self.assertEqual(md.returncode, 0, md.stderr)
        self.assertIn("**No changes.** IAM matches the manifests (1 account).", md.stdout)
        self.assertNotIn("| account |", md.stdout)

    def test_other_commands_refuse_review_formats(self):
        for args in (("audit",), ("whoami",), ("policy", "fmt", "x.json"), ("validate",)):
            for fmt in ("sarif", "github", "markdown"):
                if args == ("validate",) and fmt != "markdown":
                    continue
                p = self.kw("-o", fmt, *args)
                self.assertEqual(p.returncode, 1, (args, fmt))
                self.assertIn("-o %s is not a format of this command" % fmt, p.stderr)
                self.assertEqual(self.ep.counts(), {})
        p = self.kw("-o", "yaml", "plan", self.manifest)
        self.assertEqual(p.returncode, 1)
        self.assertIn("expected text, table, json, sarif, github or markdown", p.stderr)


if __name__ == "__main__":
    unittest.main()
