"""Commands keywarden runs get a scrubbed environment (issue 18, item 7): an `exec:` delivery
target and `--mfa-seed-exec` see none of the operator's AWS credential variables (the access
key, secret, session token, nor the role and container variables that lead to them), while
AWS_PROFILE, AWS_REGION and the config-file variables pass; `--exec-env NAME` lets a named
variable through."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase  # noqa: E402

OPERATOR_ONLY = {
    "AWS_SESSION_TOKEN": "operator-session-token-do-not-pass",
    "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/operator",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/creds",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-token-do-not-pass",
}


class ExecEnv(EngineCase):
    def setUp(self):
        super().setUp()
        # the operator signs with credentials from the environment (as a pipeline would)
        self.env_run = dict(self.env, AWS_ACCESS_KEY_ID=self.ep.access_key_id,
                            AWS_SECRET_ACCESS_KEY=self.ep.secret_access_key, AWS_PROFILE="default",
                            AWS_REGION="us-east-1", **OPERATOR_ONLY)
        self.env_run.pop("AWS_SESSION_TOKEN")  # the endpoint's admin key has none
        self.seen_key = os.path.join(self.tmp, "delivery.env")
        self.seen_seed = os.path.join(self.tmp, "seed.env")
        self.write_manifest(deliver=["profile: service-e2e",
                                     "exec: cat >/dev/null && env > '%s'" % self.seen_key])

    def run_apply(self, *extra, env=None):
        r = self.kw("apply", "--auto-approve", "--confirm-timeout", "5", "--mfa-seed-exec",
                    "cat >/dev/null && env > '%s'" % self.seen_seed, *extra, self.manifest,
                    env=env or self.env_run)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = []
        for path in (self.seen_key, self.seen_seed):
            with open(path) as f:
                out.append(dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line))
        return out

    def test_exec_commands_see_no_operator_credentials(self):
        for seen in self.run_apply():
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ROLE_ARN",
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"):
                self.assertNotIn(name, seen)
            text = repr(seen)
            self.assertNotIn(self.ep.secret_access_key, text)
            self.assertNotIn(self.ep.access_key_id, text)
            # what a command needs to call AWS through its own profile is kept
            self.assertEqual(seen.get("AWS_PROFILE"), "default")
            self.assertEqual(seen.get("AWS_REGION"), "us-east-1")
            self.assertEqual(seen.get("AWS_CONFIG_FILE"), self.env["AWS_CONFIG_FILE"])
            self.assertEqual(seen.get("AWS_SHARED_CREDENTIALS_FILE"), self.env["AWS_SHARED_CREDENTIALS_FILE"])
        self.assert_converged(keys=1)

    def test_exec_env_lets_named_variables_through(self):
        env = dict(self.env_run, AWS_SESSION_TOKEN=OPERATOR_ONLY["AWS_SESSION_TOKEN"])
        env.pop("AWS_ACCESS_KEY_ID"), env.pop("AWS_SECRET_ACCESS_KEY")  # sign with the profile
        for seen in self.run_apply("--exec-env", "AWS_SESSION_TOKEN,AWS_ROLE_ARN", env=env):
            self.assertEqual(seen.get("AWS_SESSION_TOKEN"), OPERATOR_ONLY["AWS_SESSION_TOKEN"])
            self.assertEqual(seen.get("AWS_ROLE_ARN"), OPERATOR_ONLY["AWS_ROLE_ARN"])
            self.assertNotIn("AWS_CONTAINER_AUTHORIZATION_TOKEN", seen)  # not named: still kept out

    def test_exec_env_refuses_what_is_not_a_name(self):
        r = self.kw("--exec-env", "AWS_X,1=2", "validate", self.manifest)
        self.assertEqual(r.returncode, 1)
        self.assertIn("'1=2' is not an environment variable name", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
