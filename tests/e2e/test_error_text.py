"""Error text never quotes secret content, and bad input is refused before the first write
(issue 18, item 9): a parse error of a file that is not a policy names the position, not the
text; the redactor leaves file:line:col after names ending in seed or secret; outputs given on
the command line are checked before any IAM write; a negative number is out of range."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase, manifest_text  # noqa: E402

SECRET_INI = ("[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
              "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")


class ErrorText(EngineCase):
    def point_inline_at(self, name, text):
        with open(os.path.join(self.mdir, name), "w") as f:
            f.write(text)
        self.write_manifest()
        with open(self.manifest) as f:
            m = f.read().replace("inline: e2e-policy.json", "inline: " + name)
        with open(self.manifest, "w") as f:
            f.write(m)

    def test_an_inline_path_at_a_secret_file_names_the_position_not_the_text(self):
        self.point_inline_at("credentials", SECRET_INI)
        self.secrets |= {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
        r = self.kw("validate", self.manifest)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"credentials:1:\d+: invalid JSON: .*text not shown")
        for piece in ("default", "AKIAIOSFODNN7EXAMPLE", "wJalr"):
            self.assertNotIn(piece, r.stderr)
        # a key file keywarden wrote (JSON) is not quoted either
        self.point_inline_at("key.json", '{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": '
                                         '"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" oops}')
        r = self.kw("validate", self.manifest)
        self.assertEqual(r.returncode, 1)
        self.assertIn("text not shown", r.stderr)
        self.assertNotIn("oops", r.stderr)

    def test_a_policy_error_still_quotes_the_token_and_keeps_its_position_after_seed(self):
        # a real policy's error names its token; a file named *.seed keeps file:line:col
        self.point_inline_at("mfa.seed", '{"Version": "2012-10-17", "Statement": tru}')
        r = self.kw("validate", self.manifest)
        self.assertEqual(r.returncode, 1)
        self.assertIn("mfa.seed:1:40: invalid JSON: invalid token near 'tru'", r.stderr)
        self.point_inline_at("secret", "{\n  \"Version\": 1,,\n}")
        r = self.kw("validate", self.manifest)
        self.assertRegex(r.stderr, r"error: \S*secret:2:\d+: invalid JSON")

    def test_outputs_on_the_command_line_are_checked_before_any_write(self):
        for args in (["--mfa-seed-out", ""], ["--qr-png", ""],
                     ["--mfa-seed-out", self.seed, "--qr-png", os.path.join(self.tmp, "no", "such", "qr.png")]):
            with self.subTest(args=args):
                r = self.kw("apply", "--auto-approve", *args, self.manifest)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertEqual(self.writes(), {}, "an IAM write before the refusal: %s" % args)

    def test_a_negative_or_malformed_number_is_called_so(self):
        for value, said in (("-1", "must be between 1 and 3650, found -1"), ("7x", "malformed")):
            with self.subTest(value=value):
                with open(self.manifest, "w") as f:
                    f.write(manifest_text().replace("maxAgeDays: 90", "maxAgeDays: " + value))
                r = self.kw("validate", self.manifest)
                self.assertEqual(r.returncode, 1)
                self.assertIn(said, r.stderr)
                self.assertNotIn("a string", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
