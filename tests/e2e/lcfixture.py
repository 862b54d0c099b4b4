"""Shared fixture of the key-lifecycle end-to-end tests (test_rotate, test_audit, test_destroy).

One local IAM endpoint per test file (kwtest.Endpoint), state reset before every test; IAM
state is crafted and read back with the AWS CLI (kwtest.AwsCli: the code /usr/bin/aws runs,
in-process). Every secret the test creates or reads is remembered, and every keywarden run is
checked for them in its stdout and stderr.
"""
import atexit
import configparser
import json
import os
import pty
import select
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE = os.environ.get('KW_SOURCE_DIR', '.')
sys.path.insert(0, os.path.join(SOURCE, 'tests', 'lib'))
import kwtest  # noqa: E402

KEYWARDEN = os.environ.get('KEYWARDEN', 'build/test/keywarden')
DAY = 86400


_SESSION = []
_SHARED = {}


def _botocore():
    if not _SESSION:
        import botocore.session  # Debian's python3-botocore
        _SESSION.append(botocore.session.get_session())
    return _SESSION[0]


class LifecycleCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # one endpoint and one AWS CLI driver per test file (process): starting them is most
        # of a test's time; setUp resets the state between tests
        if not _SHARED:
            ep = kwtest.Endpoint().start()
            tmpdir = tempfile.TemporaryDirectory()
            atexit.register(tmpdir.cleanup)
            atexit.register(ep.stop)
            env = kwtest.aws_env(ep, tmpdir.name)
            with open(env['AWS_SHARED_CREDENTIALS_FILE']) as f:
                admin_creds = f.read()
            _SHARED.update(ep=ep, tmpdir=tmpdir, env=env, cli=kwtest.AwsCli(env), admin_creds=admin_creds)
        cls.ep, cls.tmpdir, cls.env, cls.cli = (_SHARED[k] for k in ('ep', 'tmpdir', 'env', 'cli'))
        cls.admin_creds = _SHARED['admin_creds']
        cls.creds = cls.env['AWS_SHARED_CREDENTIALS_FILE']

    def setUp(self):
        self.ep.reset_state()
        self.ep.reset_counts()
        self.ep.clear_faults()
        self.ep.set_clock_offset(0)
        fd = os.open(self.creds, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(self.admin_creds)
        self.secrets = {self.ep.secret_access_key}
        self.work = tempfile.mkdtemp(dir=self.tmpdir.name)

    # -- running keywarden ----------------------------------------------------------
    def kw(self, *args, env=None, stdin=subprocess.DEVNULL):
        """Run keywarden (no terminal); assert no known secret reaches its output."""
        p = subprocess.run([KEYWARDEN, *args], env=env or self.env, stdin=stdin, capture_output=True,
                           text=True, timeout=120)
        for s in self.secrets:
            self.assertNotIn(s, p.stdout, 'a secret on stdout of keywarden %s' % ' '.join(args))
            self.assertNotIn(s, p.stderr, 'a secret on stderr of keywarden %s' % ' '.join(args))
        return p

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

    def kw_json(self, *args, code=None):
        p = self.kw('-o', 'json', *args)
        if code is not None:
            self.assertEqual(p.returncode, code, p.stderr)
        return json.loads(p.stdout), p

    # -- crafting IAM state ------------------------------------------------------------
    def iam(self, *args):
        return self.cli('iam', *args)

    def make_user(self, name, managed=True, group=True):
        tags = ['Key=managed-by,Value=keywarden'] if managed else ['Key=owner,Value=someone']
        self.iam('create-user', '--user-name', name, '--tags', *tags)
        if group:
            self.iam('create-group', '--group-name', name)
            self.iam('add-user-to-group', '--group-name', name, '--user-name', name)

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
