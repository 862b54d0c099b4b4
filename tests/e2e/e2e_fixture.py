"""The one fixture of the end-to-end tests (tests/e2e/test_*.py), against the local IAM endpoint.

E2ECase: one endpoint and one in-process AWS CLI per test process (starting them is most of a
test's time), a temporary HOME with AWS config and credentials (the admin key as [default]);
before every test the IAM state, counts, faults, lag, propagation and clock are reset and the
credentials file rewritten. kw() runs keywarden without a terminal and checks that no secret the
test knows reaches its output; on_terminal() and kw_tty() run it on a pseudo-terminal.

EngineCase (plan/apply, tests/e2e/test_apply_*.py): a manifest for the account `service-e2e` with
an inline policy, a managed policy, tags, MFA and a profile target; apply/plan helpers and the
end state read back with Debian's AWS CLI (/usr/bin/aws for the checks that matter).
LifecycleCase (rotate, audit, destroy): IAM state crafted and read back with the AWS CLI
(make_user, make_key, ...), manifests for service-<name>.
"""
import atexit
import configparser
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
DAY = 86400
SELF_SERVICE = os.path.join(SOURCE, "policies", "self-service-manage-own-keys.json")
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


_SHARED = {}
_SESSION = []


def _botocore():
    if not _SESSION:
        import botocore.session  # Debian's python3-botocore
        _SESSION.append(botocore.session.get_session())
    return _SESSION[0]


class E2ECase(unittest.TestCase):
    """What every end-to-end test shares; subclasses set creds_extra (appended to the admin's
    credentials file) and add their own helpers."""

    creds_extra = ""

    @classmethod
    def setUpClass(cls):
        if not _SHARED:
            root = tempfile.mkdtemp(prefix="kw-e2e-")
            atexit.register(shutil.rmtree, root, True)
            ep = kwtest.Endpoint().start()
            atexit.register(ep.stop)
            env = kwtest.aws_env(ep, root)
            env["NO_COLOR"] = "1"
            with open(env["AWS_SHARED_CREDENTIALS_FILE"]) as f:
                admin_creds = f.read()
            with open(env["AWS_CONFIG_FILE"]) as f:
                config = f.read()
            _SHARED.update(root=root, ep=ep, env=env, cli=kwtest.AwsCli(env), admin_creds=admin_creds,
                           config=config)
        cls.root, cls.ep, cls.env, cls.cli = (_SHARED[k] for k in ("root", "ep", "env", "cli"))
        cls.creds = cls.env["AWS_SHARED_CREDENTIALS_FILE"]
        cls.config = cls.env["AWS_CONFIG_FILE"]
        cls.admin_creds = _SHARED["admin_creds"]
        cls.creds_base = cls.admin_creds + cls.creds_extra
        cls.config_base = _SHARED["config"]

    def setUp(self):
        self.reset_iam()
        self.ep.clear_faults()
        self.ep.set_consistency(lag_ms=0, key_propagation_ms=0, report_delay_ms=0)
        self.ep.set_clock_offset(0)
        self.ep.reset_counts()
        for path, text in ((self.creds, self.creds_base), (self.config, self.config_base)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
        self.tmp = tempfile.mkdtemp(prefix="case-", dir=self.root)
        self.work = self.tmp
        self.secrets = {self.ep.secret_access_key}
        self.outputs = []  # every stdout+stderr keywarden produced, for secret checks

    def reset_iam(self):
        """A new, empty IAM, and no target records of the old one: keywarden's records
        (src/keys/record.h, in the shared HOME) say what this machine delivered there, and a
        user the records name that IAM does not list is waited for as one not visible yet."""
        self.ep.reset_state()
        shutil.rmtree(os.path.join(self.env["HOME"], ".local", "state", "keywarden"), ignore_errors=True)

    # -- running keywarden ------------------------------------------------------------------
    def kw(self, *args, env=None, stdin=subprocess.DEVNULL, timeout=240):
        """Run keywarden (no terminal); assert that no known secret reaches its output."""
        p = subprocess.run([KEYWARDEN, *args], env=env or self.env, stdin=stdin, capture_output=True,
                           text=True, timeout=timeout)
        self.outputs.append(p.stdout + p.stderr)
        for s in self.secrets:
            self.assertNotIn(s, p.stdout, "a secret on stdout of keywarden %s" % " ".join(args))
            self.assertNotIn(s, p.stderr, "a secret on stderr of keywarden %s" % " ".join(args))
        return p

    def spawn(self, *args, stderr=subprocess.PIPE):
        """Start keywarden in its own session (so a group signal reaches only it and its
        children), stdin empty, stdout and (unless given) stderr piped as text; killed at cleanup
        if it still runs."""
        p = subprocess.Popen([KEYWARDEN, *args], env=self.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        return p

    def wait_for_request(self, p, action, timeout=60):
        """Wait until the endpoint has received a request for action; fail if p ends first."""
        deadline = time.monotonic() + timeout
        while not self.ep.counts().get(action):
            self.assertIsNone(p.poll(), "keywarden ended before %s" % action)
            self.assertLess(time.monotonic(), deadline, "no %s after %d s" % (action, timeout))
            time.sleep(0.02)

    def credentials(self):
        """{profile: {key: value}} of the shared credentials file, read line by line (a profile
        written twice: its keys merged, the later winning)."""
        out, section = {}, None
        with open(self.creds) as f:
            for line in f:
                s = line.strip()
                if s.startswith("["):
                    section = out.setdefault(s[1:-1], {})
                elif section is not None and "=" in s:
                    k, v = (x.strip() for x in s.split("=", 1))
                    section[k] = v
        return out

    def kw_json(self, *args, code=None):
        p = self.kw("-o", "json", *args)
        if code is not None:
            self.assertEqual(p.returncode, code, p.stderr)
        return json.loads(p.stdout), p

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

    def kw_tty(self, answer, *args):
        """Run keywarden with stdin and stderr on a terminal (a pty); when its question ends in
        '] ', type answer (or, when answer is a function, call it with the process instead, e.g.
        to signal it). Returns (exit status, stdout, what the terminal showed)."""
        master, slave = pty.openpty()
        p = subprocess.Popen([KEYWARDEN, *args], env=self.env, stdin=slave, stderr=slave,
                             stdout=subprocess.PIPE, text=True)
        os.close(slave)
        shown, deadline = b'', time.time() + 60
        try:
            while time.time() < deadline:
                r, _, _ = select.select([master], [], [], 0.5)
                if r:
                    try:
                        chunk = os.read(master, 4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    shown += chunk
                    if shown.rstrip(b' ').endswith(b']') and answer is not None:
                        if callable(answer):
                            answer(p)
                        else:
                            os.write(master, answer.encode() + b'\n')
                        answer = None
                elif p.poll() is not None:
                    break
            out = p.communicate(timeout=60)[0]
        finally:
            os.close(master)
        text = shown.decode(errors='replace')
        for s in self.secrets:
            self.assertNotIn(s, out)
            self.assertNotIn(s, text)
        return p.returncode, out, text

    # -- reading IAM back --------------------------------------------------------------------
    def iam(self, *args):
        return self.cli("iam", *args)

    def aws(self, *args):
        """/usr/bin/aws itself (a subprocess)."""
        return kwtest.aws(self.env, *args)


class EngineCase(E2ECase):
    """plan/apply of the manifest for service-e2e (self.manifest) in self.mdir."""

    creds_extra = CREDENTIALS_EXTRA

    def setUp(self):
        super().setUp()
        self.mdir = os.path.join(self.tmp, "manifests")
        os.makedirs(self.mdir)
        with open(os.path.join(self.mdir, "e2e-policy.json"), "w") as f:
            json.dump(POLICY, f, indent=2)
        self.manifest = os.path.join(self.mdir, "service-e2e.yaml")
        self.write_manifest()
        self.seed = os.path.join(self.tmp, "mfa-seed")
        self.aws_binary_used = False

    def write_manifest(self, **kw):
        with open(self.manifest, "w") as f:
            f.write(manifest_text(**kw))

    def manifest_accepting(self, code, reason):
        """The text of self.manifest with the lint finding code of e2e-policy.json accepted
        (allow: code, reason), for the test to write back (with more changes if it likes)."""
        with open(self.manifest) as f:
            return f.read().replace(
                "    - inline: e2e-policy.json\n",
                "    - inline: e2e-policy.json\n      allow:\n        - code: %s\n"
                "          reason: %s\n" % (code, reason))

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
        p = self.spawn("apply", "--auto-approve", "--confirm-timeout", "5", "--mfa-seed-out", self.seed,
                       self.manifest)
        self.wait_for_request(p, wait_for)
        time.sleep(0.3)
        return p

    def apply_injected(self, spec, injected):
        """apply under the endpoint's fault spec: asserts that exactly `injected` faults were
        injected (the endpoint's count) and that apply exited 0 all the same; returns the run."""
        self.ep.set_faults(spec)
        r = self.apply()
        self.assertEqual(self.ep.faults().get("injected"), injected)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def plan(self, *extra):
        return self.kw("plan", *extra, self.manifest)

    # -- reading IAM back -------------------------------------------------------------------
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
        return self.credentials().get(name, {})

    def converge_or_stop_then_converge(self, spec=None, lag_ms=None, timeout_s="5"):
        """Apply under faults: it converges, or it stops (exit 1) without any access key; then
        an apply without faults converges."""
        self.reset_iam()
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
            users = [u["UserName"] for u in self.cli("iam", "list-users")["Users"]]
            if USER in users:  # a run that stopped before its first write made no user
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


class LifecycleCase(E2ECase):
    """rotate, audit, destroy on IAM state the test crafts."""

    # -- crafting IAM state ------------------------------------------------------------
    def make_user(self, name, managed=True, group=True):
        tags = ['Key=managed-by,Value=keywarden'] if managed else ['Key=owner,Value=someone']
        self.iam('create-user', '--user-name', name, '--tags', *tags)
        if group:
            self.iam('create-group', '--group-name', name)
            self.iam('add-user-to-group', '--group-name', name, '--user-name', name)

    def delivered_key(self, name):
        """The managed user service-NAME (in its group) with one key, delivered to the profile
        service-NAME as a rotation finds it; returns (access key id, secret)."""
        user = 'service-' + name
        self.make_user(user)
        key = self.make_key(user)
        self.write_profile(user, *key)
        return key

    def make_self_service_user(self, name):
        """A user in no group whose own inline policy lets it manage its own access keys
        (policies/self-service-manage-own-keys.json), as a pipeline's own user is."""
        self.make_user(name, group=False)
        with open(SELF_SERVICE) as f:
            self.iam('put-user-policy', '--user-name', name, '--policy-name', 'manage-own-keys',
                     '--policy-document', f.read())

    def make_key(self, user, age_days=0, used_days_ago=None):
        """A key created age_days ago (IAM's clock), used used_days_ago (None: never)."""
        if age_days:
            self.ep.set_clock_offset(-age_days * DAY)
        k = self.iam('create-access-key', '--user-name', user)['AccessKey']
        self.secrets.add(k['SecretAccessKey'])
        if used_days_ago is not None:
            self.ep.set_clock_offset(-used_days_ago * DAY)
            self.use_key(k['AccessKeyId'], k['SecretAccessKey'])
        self.ep.set_clock_offset(0)
        return k['AccessKeyId'], k['SecretAccessKey']

    def use_key(self, key_id, secret):
        """Sign a request with the key (IAM records its last use); returns the caller's ARN.
        botocore directly (the library behind /usr/bin/aws): a new AwsCli per key costs seconds."""
        c = _botocore().create_client('sts', region_name='us-east-1', endpoint_url=self.ep.url,
                                      aws_access_key_id=key_id, aws_secret_access_key=secret)
        try:
            return c.get_caller_identity()['Arn']
        finally:
            c.close()

    def write_profile(self, name, key_id, secret):
        with open(self.creds, 'a') as f:
            f.write('\n[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n' % (name, key_id, secret))

    def manifest(self, name, deliver=('profile',), mfa='none', max_age=None):
        """A manifest for service-<name>; deliver entries: 'profile' (profile service-<name>),
        or a dict like {'exec': 'false'}."""
        lines = ['apiVersion: keywarden/v1', 'kind: ServiceAccount', 'metadata:', '  name: ' + name,
                 'spec:', '  mfa: ' + mfa, '  accessKeys:']
        if max_age:
            lines.append('    maxAgeDays: %d' % max_age)
        lines.append('    deliver:')
        for d in deliver:
            if d == 'profile':
                lines.append('      - profile: service-' + name)
            else:
                (k, v), = d.items()
                lines.append('      - %s: %s' % (k, json.dumps(v)))
        path = os.path.join(self.work, name + '.yaml')
        with open(path, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        return path

    def pinned(self, name, account):
        """A manifest for service-<name> (as manifest()) with metadata.account: account."""
        path = self.manifest(name)
        with open(path) as f:
            text = f.read()
        with open(path, 'w') as f:
            f.write(text.replace('  name: %s\n' % name, '  name: %s\n  account: "%s"\n' % (name, account)))
        return path

    # -- reading back ----------------------------------------------------------------------
    def keys(self, user):
        """{AccessKeyId: Status} of the user's keys."""
        return {k['AccessKeyId']: k['Status']
                for k in self.iam('list-access-keys', '--user-name', user)['AccessKeyMetadata']}

    def tags(self, user):
        return {t['Key']: t['Value'] for t in self.iam('list-user-tags', '--user-name', user)['Tags']}

    def profile(self, name):
        """(key id, secret) of a profile in the credentials file; the secret is remembered."""
        cp = configparser.RawConfigParser()
        cp.read(self.creds)
        key_id, secret = cp[name]['aws_access_key_id'], cp[name]['aws_secret_access_key']
        self.secrets.add(secret)
        return key_id, secret

    def assert_gone(self, *args):
        with self.assertRaises(kwtest.AwsError) as cm:
            self.iam(*args)
        self.assertEqual(cm.exception.code, 'NoSuchEntity')
