"""The command line's words and formats: "did you mean" for an unknown command or subcommand,
-o FORMAT a command does not write refused (with the formats it does), and the configured
default output (AWS_DEFAULT_OUTPUT, the profile's `output`) taken only where the command takes
it: whoami and validate follow it, apply's progress stays text, a format a command lacks is
ignored; -o on the command line wins. --help names the installed documentation."""
import json
import os
import unittest

from e2e_fixture import KEYWARDEN, USER, EngineCase


class CommandLine(EngineCase):

    def kw_env(self, *args, **env):
        e = dict(self.env)
        e.update(env)
        import subprocess
        p = subprocess.run([KEYWARDEN, *args], env=e, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=240)
        self.outputs.append(p.stdout + p.stderr)
        return p

    def set_config_output(self, value):
        with open(self.config, "a") as f:
            f.write("output = %s\n" % value)

    def test_unknown_command_did_you_mean(self):
        for typed, meant in (("destory", "destroy"), ("rotat", "rotate"), ("aply", "apply"),
                             ("whoam", "whoami"), ("val", "validate")):
            with self.subTest(typed=typed):
                p = self.kw(typed)
                self.assertEqual(p.returncode, 1)
                self.assertIn("unknown command '%s' (did you mean '%s'?)" % (typed, meant), p.stderr)
        p = self.kw("frobnicate")
        self.assertIn("unknown command 'frobnicate'\n", p.stderr)  # nothing close: no guess
        p = self.kw("help", "plam")
        self.assertIn("did you mean 'plan'?", p.stderr)
        p = self.kw("policy", "lnt", "x.json")
        self.assertIn("unknown subcommand 'lnt' (did you mean 'lint'?)", p.stderr)

    def test_output_a_command_does_not_write_is_an_error(self):
        for args, fmt, writes in ((["plan", self.manifest], "table", "text, json, sarif, github, markdown"),
                                  (["apply", "--auto-approve", self.manifest], "table", "text, json"),
                                  (["validate", self.manifest], "table", "text, json, sarif, github"),
                                  (["policy", "fmt", "x.json"], "json", "text"),
                                  (["whoami"], "markdown", "text, table, json")):
            with self.subTest(args=args, fmt=fmt):
                self.ep.reset_counts()
                p = self.kw("-o", fmt, *args)
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertEqual(p.stdout, "")
                self.assertIn("-o %s is not a format of this command (it writes %s)" % (fmt, writes), p.stderr)
                self.assertEqual(self.ep.counts(), {})  # refused before anything ran

    def test_configured_output_where_the_command_takes_it(self):
        # the profile's `output` in the shared config file
        self.set_config_output("json")
        p = self.kw("whoami")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["Account"], "123456789012")
        p = self.kw("validate", self.manifest)
        self.assertEqual(p.returncode, 0, p.stderr)
        json.loads(p.stdout)
        # -o on the command line wins
        p = self.kw("-o", "text", "whoami")
        self.assertRaises(ValueError, json.loads, p.stdout)
        # apply's progress stays text (and its run works)
        p = self.apply()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("create user %s" % USER, p.stdout + p.stderr)
        self.assertFalse(p.stdout.lstrip().startswith("{"), p.stdout)

    def test_aws_default_output_over_the_config_and_ignored_where_lacking(self):
        self.set_config_output("json")
        p = self.kw_env("whoami", AWS_DEFAULT_OUTPUT="text")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRaises(ValueError, json.loads, p.stdout)
        self.assertIn("123456789012", p.stdout)
        # table: whoami writes it; validate does not, so it keeps its own default there
        p = self.kw_env("whoami", AWS_DEFAULT_OUTPUT="table")
        self.assertIn("+", p.stdout)
        p = self.kw_env("validate", self.manifest, AWS_DEFAULT_OUTPUT="table")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("is not a format", p.stderr)
        # yaml is the AWS CLI's, not keywarden's: ignored, not an error
        p = self.kw_env("whoami", AWS_DEFAULT_OUTPUT="yaml")
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_help_names_the_installed_documentation(self):
        p = self.kw("--help")
        self.assertIn("man keywarden-COMMAND", p.stdout)
        self.assertIn("/share/doc/keywarden", p.stdout)
        self.assertNotIn("Documentation: docs/", p.stdout)


if __name__ == "__main__":
    unittest.main()
