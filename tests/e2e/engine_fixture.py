"""Shared fixture for the plan/apply end-to-end tests (tests/e2e/test_apply_*.py).

A test case gets a local IAM endpoint with empty state (one endpoint per test class), a temporary HOME with AWS config and credentials
(the admin key as [default]), a manifest for the account `service-e2e` with an inline policy, a
managed policy, tags, MFA and a profile delivery target, and helpers to run keywarden and to
read the end state back with Debian's AWS CLI (/usr/bin/aws for the checks that matter, and the
same CLI in-process where a test makes many calls).
"""
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE = os.environ.get("KW_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE, "tests", "lib"))
import kwtest  # noqa: E402

KEYWARDEN = os.environ.get("KEYWARDEN", os.path.join(SOURCE, "build", "test", "keywarden"))
USER = "service-e2e"
ACCOUNT = "123456789012"
MANAGED = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Inventory",
            "Effect": "Allow",
            "Action": ["ec2:DescribeInstances", "ec2:DescribeRegions", "ec2:DescribeTags"],
            "Resource": "*",
        }
    ],
}
WRITE_PREFIXES = ("Create", "Delete", "Put", "Attach", "Detach", "Add", "Remove", "Tag", "Untag", "Enable",
                  "Deactivate", "Update", "Upload", "Set", "Change", "Reset", "Generate")

# Credentials file content that must survive delivery byte for byte (comments, other profiles).
CREDENTIALS_EXTRA = (
    "# managed by hand: do not lose this comment\n"
    "[other]\n"
    "aws_access_key_id = AKIAOTHEROTHEROTHER1\n"
    "aws_secret_access_key = otherSecretOtherSecretOtherSecretOther12\n"
    "; a second comment style\n"
    "\n"
)


def manifest_text(deliver=None, mfa="virtual", tags=None, name="e2e"):
    deliver = deliver if deliver is not None else ["profile: service-e2e"]
    tags = tags if tags is not None else {"owner": "platform-team", "software": "e2e"}
    lines = [
        "apiVersion: keywarden/v1",
        "kind: ServiceAccount",
        "metadata:",
        "  name: %s" % name,
        "spec:",
        "  path: /service/",
        "  tags:",
    ]
    lines += ["    %s: %s" % (k, v) for k, v in tags.items()]
    lines += [
        "  policies:",
        "    - inline: e2e-policy.json",
        "    - managed: %s" % MANAGED,
        "  console: disabled",
        "  mfa: %s" % mfa,
        "  accessKeys:",
        "    maxAgeDays: 90",
        "    deliver:",
    ]
    lines += ["      - %s" % d for d in deliver]
    return "\n".join(lines) + "\n"


class EngineCase(unittest.TestCase):
    """One endpoint (and one in-process AWS CLI) per test class; IAM state, faults, lag, clock,
    the credentials file and the manifest folder are reset for every test."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="kw-e2e-")
        cls.ep = kwtest.Endpoint().start()
        cls.env = kwtest.aws_env(cls.ep, cls.root)
        cls.env["NO_COLOR"] = "1"
        cls.creds = cls.env["AWS_SHARED_CREDENTIALS_FILE"]
        cls.config = cls.env["AWS_CONFIG_FILE"]
        with open(cls.creds) as f:
            cls.creds_base = f.read() + CREDENTIALS_EXTRA
        with open(cls.config) as f:
            cls.config_base = f.read()
        cls.cli = kwtest.AwsCli(cls.env)

    @classmethod
    def tearDownClass(cls):
        cls.ep.stop()
        shutil.rmtree(cls.root, True)

    def setUp(self):
        self.ep.reset_state()
        self.ep.clear_faults()
        self.ep.set_consistency(lag_ms=0, key_propagation_ms=0)
        self.ep.set_clock_offset(0)
        self.ep.reset_counts()
        for path, text in ((self.creds, self.creds_base), (self.config, self.config_base)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
        self.tmp = tempfile.mkdtemp(prefix="case-", dir=self.root)
        self.mdir = os.path.join(self.tmp, "manifests")
        os.makedirs(self.mdir)
        with open(os.path.join(self.mdir, "e2e-policy.json"), "w") as f:
            json.dump(POLICY, f, indent=2)
        self.manifest = os.path.join(self.mdir, "service-e2e.yaml")
        self.write_manifest()
        self.seed = os.path.join(self.tmp, "mfa-seed")
        self.outputs = []  # every stdout+stderr keywarden produced, for secret checks
        self.aws_binary_used = False

    def write_manifest(self, **kw):
        with open(self.manifest, "w") as f:
            f.write(manifest_text(**kw))

    # -- running keywarden ------------------------------------------------------------------
    def kw(self, *args, stdin=subprocess.DEVNULL, timeout=240):
        p = subprocess.run([KEYWARDEN, *args], env=self.env, stdin=stdin, capture_output=True, text=True,
                           timeout=timeout)
        self.outputs.append(p.stdout + p.stderr)
        return p

    def on_terminal(self, args, respond, timeout=120):
        """Run keywarden with stdin, stdout and stderr on a pseudo-terminal. respond(output so
        far) returns bytes to type, or None. Returns (exit status, everything shown)."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(KEYWARDEN, [KEYWARDEN, *args], self.env)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
            typed = respond(out)
            while typed:
                os.write(fd, typed)
                typed = respond(out)
        os.close(fd)
        _, status = os.waitpid(pid, 0)
        text = out.decode(errors="replace")
        self.outputs.append(text)
        return os.waitstatus_to_exitcode(status), text

    @staticmethod
    def stale_codes_responder(typed):
        """A respond() for on_terminal that IAM refuses: at the first prompt it asks for the
        secret (s, shown in groups of four), then types the device's own consecutive codes of
        4 minutes ago. They pass apply's check made before IAM is called (5 minutes either side
        of now); IAM (the endpoint: 90 s) refuses them. typed collects what was typed."""
        def respond(out):
            text = out.decode(errors="replace")
            prompts = text.count("first code: ") + text.count("next code:  ")
            if len(typed) >= prompts:
                return None
            if not typed:
                typed.append(b"s\n")
                return typed[-1]
            secret = "".join(re.findall(r"[A-Z2-7]{4}(?: [A-Z2-7]{4}){3}", text)[:4]).replace(" ", "")
            assert len(secret) == 64, text
            step = -8 if len(typed) % 2 == 1 else -7
            typed.append(kwtest.totp(secret, time.time() + 30 * step).encode() + b"\n")
            return typed[-1]
        return respond

    def apply(self, *extra, seed=True, timeout_s="5"):
        args = ["apply", "--auto-approve", "--confirm-timeout", timeout_s]
        if seed:
            if os.path.exists(self.seed):
                os.unlink(self.seed)
            args += ["--mfa-seed-out", self.seed]
        return self.kw(*args, *extra, self.manifest)

    def start_apply(self, wait_for):
        """Start apply (its own process group, output piped as text) and return the Popen once
        the endpoint has received a request for the action wait_for, plus 0.3 s."""
        args = [KEYWARDEN, "apply", "--auto-approve", "--confirm-timeout", "5", "--mfa-seed-out", self.seed,
                self.manifest]
        p = subprocess.Popen(args, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        while not self.ep.counts().get(wait_for):
            self.assertIsNone(p.poll(), "apply ended before %s" % wait_for)
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        time.sleep(0.3)
        return p

    def plan(self, *extra):
        return self.kw("plan", *extra, self.manifest)

    # -- reading IAM back -------------------------------------------------------------------
    def aws(self, *args):
        """/usr/bin/aws itself (a subprocess)."""
        return kwtest.aws(self.env, *args)

    def writes(self):
        return {a: n for a, n in self.ep.counts().items() if a.startswith(WRITE_PREFIXES)}

    def keys(self):
        return self.cli("iam", "list-access-keys", "--user-name", USER)["AccessKeyMetadata"]

    def assert_converged(self, keys=1):
        """The end state the manifest asks for, read back with the AWS CLI."""
        # /usr/bin/aws itself once per test (about 4 s a call); the same CLI in-process otherwise
        if not self.aws_binary_used:
            self.aws_binary_used = True
            user = self.aws("iam", "get-user", "--user-name", USER)["User"]
        else:
            user = self.cli("iam", "get-user", "--user-name", USER)["User"]
        self.assertEqual(user["Path"], "/service/")
        tags = {t["Key"]: t["Value"] for t in self.cli("iam", "list-user-tags", "--user-name", USER)["Tags"]
                if not t["Key"].startswith("keywarden:")}  # keywarden's bookkeeping (delivered keys)
        self.assertEqual(tags, {"owner": "platform-team", "software": "e2e", "managed-by": "keywarden"})
        groups = [g["GroupName"] for g in self.cli("iam", "list-groups-for-user", "--user-name", USER)["Groups"]]
        self.assertEqual(groups, [USER])
        self.assertEqual(self.cli("iam", "list-group-policies", "--group-name", USER)["PolicyNames"], ["e2e-policy"])
        doc = self.cli("iam", "get-group-policy", "--group-name", USER, "--policy-name", "e2e-policy")["PolicyDocument"]
        self.assertEqual(doc["Statement"][0]["Action"], POLICY["Statement"][0]["Action"])
        attached = self.cli("iam", "list-attached-group-policies", "--group-name", USER)["AttachedPolicies"]
        self.assertEqual([a["PolicyArn"] for a in attached], [MANAGED])
        self.assertEqual(self.cli("iam", "list-user-policies", "--user-name", USER)["PolicyNames"], [])
        with self.assertRaises(kwtest.AwsError) as cm:
            self.cli("iam", "get-login-profile", "--user-name", USER)
        self.assertEqual(cm.exception.code, "NoSuchEntity")
        mfa = self.cli("iam", "list-mfa-devices", "--user-name", USER)["MFADevices"]
        self.assertEqual(len(mfa), 1)
        self.assertTrue(mfa[0]["SerialNumber"].endswith(":mfa/service/" + USER), mfa[0]["SerialNumber"])
        tags = {t["Key"]: t["Value"] for t in self.ep.state()["mfa"][mfa[0]["SerialNumber"]]["Tags"]}
        self.assertEqual(tags.get("managed-by"), "keywarden")  # the device is tagged too
        unassigned = self.cli("iam", "list-virtual-mfa-devices", "--assignment-status", "Unassigned")
        self.assertEqual(unassigned["VirtualMFADevices"], [])
        active = [k for k in self.keys() if k["Status"] == "Active"]
        self.assertEqual(len(active), keys)
        return active

    def profile(self, name="service-e2e"):
        """The [name] section of the credentials file as a dict."""
        out, on = {}, False
        with open(self.creds) as f:
            for line in f:
                s = line.strip()
                if s.startswith("["):
                    on = s == "[%s]" % name
                elif on and "=" in s:
                    k, v = s.split("=", 1)
                    out[k.strip()] = v.strip()
        return out

    def converge_or_stop_then_converge(self, spec=None, lag_ms=None, timeout_s="5"):
        """Apply under faults: it converges, or it stops (exit 1) without any access key; then
        an apply without faults converges."""
        self.ep.reset_state()
        if spec:
            self.ep.set_faults(spec)
        if lag_ms:
            self.ep.set_consistency(lag_ms=lag_ms)
        r = self.apply(timeout_s=timeout_s)
        if spec:  # the faults were injected, or the test proves nothing
            self.assertGreater(self.ep.faults().get("injected", 0), 0, "no fault was injected")
        if lag_ms:  # some read saw the lag (a stale NoSuchEntity), or the test proves nothing
            self.assertTrue(any(e.get("error") == "NoSuchEntity" for e in self.ep.log()),
                            "no read-back saw the lag")
        self.ep.clear_faults()
        self.ep.set_consistency(lag_ms=0)
        self.ep.settle()  # writes made under lag: visible to the checks below at once
        if r.returncode == 0:
            self.assert_converged(keys=1)
        else:
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("error:", r.stderr)
            if "keywarden will perform" in r.stdout:  # it got past reading live state
                self.assertIn("Apply stopped", r.stdout)
            self.assertEqual(self.keys(), [], "a failed apply left an access key\n" + r.stdout + r.stderr)
        r2 = self.apply()
        self.assertEqual(r2.returncode, 0, r2.stdout + r2.stderr)
        self.assert_converged(keys=1)
        return r

    def assert_secret_nowhere(self, secret, allowed=()):
        """secret is in no captured keywarden output except those listed in allowed."""
        self.assertTrue(secret)
        for i, text in enumerate(self.outputs):
            if i in allowed:
                continue
            self.assertNotIn(secret, text, "a secret leaked into output #%d" % i)
