"""Test fixture for keywarden: run the local IAM endpoint and point AWS clients at it.

    import sys; sys.path.insert(0, os.path.join(KW_SOURCE_DIR, 'tests', 'lib'))
    import kwtest

    with kwtest.Endpoint() as ep:                      # server.py on a free port
        env = kwtest.aws_env(ep, tmpdir)               # HOME, credentials, region, endpoint
        subprocess.run([os.environ['KEYWARDEN'], 'plan', ...], env=env)
        user = kwtest.aws(env, 'iam', 'get-user', '--user-name', 'service-ansible')
        assert ep.counts().get('CreateAccessKey') == 1

Standard library only; run by Debian's /usr/bin/python3. README: tests/iam-endpoint/README.md.
"""
import base64
import hashlib
import hmac
import json
import unittest
import os
import secrets
import select
import signal
import string
import struct
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

PYTHON = '/usr/bin/python3'
AWS = '/usr/bin/aws'
SOURCE_DIR = os.environ.get('KW_SOURCE_DIR') or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
SERVER = os.path.join(SOURCE_DIR, 'tests', 'iam-endpoint', 'server.py')
START_TIMEOUT = 30.0     # generous: CI machines are noisy; the server itself starts in < 1 s


class EndpointError(RuntimeError):
    pass


def _random_key_id():
    return 'AKIA' + ''.join(secrets.choice(string.ascii_uppercase + '234567') for _ in range(16))


class Endpoint:
    """The local IAM endpoint (tests/iam-endpoint/server.py) as a context manager.

    Attributes once started: url, port, access_key_id, secret_access_key (the admin key, i.e.
    the account root), account_id, process.
    Keyword arguments: faults (SPEC string for --faults), state (path for --state),
    account_id, lag_ms, key_propagation_ms, clock_offset (seconds), verbose (request lines
    on the test's stderr), extra_args (more server flags).
    """

    def __init__(self, faults=None, state=None, account_id='123456789012', lag_ms=None,
                 key_propagation_ms=None, clock_offset=None, verbose=False, extra_args=()):
        self.account_id = account_id
        self.access_key_id = _random_key_id()
        self.secret_access_key = base64.b64encode(secrets.token_bytes(30)).decode()
        # The secret goes by environment, not argv, so tests may grep process lists for it.
        self.args = ['--port', '0', '--access-key-id', self.access_key_id,
                     '--account-id', account_id]
        if faults:
            self.args += ['--faults', faults]
        if state:
            self.args += ['--state', state]
        if lag_ms is not None:
            self.args += ['--lag-ms', str(lag_ms)]
        if key_propagation_ms is not None:
            self.args += ['--key-propagation-ms', str(key_propagation_ms)]
        if clock_offset is not None:
            self.args += ['--clock-offset', str(clock_offset)]
        if verbose:
            self.args.append('--verbose')
        self.args += list(extra_args)
        self.process = None
        self.url = None
        self.port = None
        self.startup_seconds = None

    # -- life cycle --------------------------------------------------------------
    def start(self):
        t0 = time.monotonic()
        env = dict(os.environ, IAM_ENDPOINT_SECRET_ACCESS_KEY=self.secret_access_key)
        self.process = subprocess.Popen([PYTHON, SERVER] + self.args, stdout=subprocess.PIPE,
                                        stdin=subprocess.DEVNULL, cwd=SOURCE_DIR, env=env)
        line = b''
        deadline = t0 + START_TIMEOUT
        while not line.endswith(b'\n'):
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None:
                self.stop()
                raise EndpointError('IAM endpoint did not start (output so far: %r)' % line)
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 1)
                if not chunk:
                    continue
                line += chunk
        text = line.decode().strip()
        prefix = 'listening on '
        if not text.startswith(prefix):
            self.stop()
            raise EndpointError('unexpected first line from the IAM endpoint: %r' % text)
        self.url = text[len(prefix):]
        self.port = int(self.url.rsplit(':', 1)[1])
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self):
        p, self.process = self.process, None
        if p is None:
            return
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p.stdout:
            p.stdout.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- control routes (README: "Control routes") ----------------------------------
    def control(self, method, route, body=None):
        """Call /_endpoint/<route> with an optional JSON body; returns the parsed JSON."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request('%s/_endpoint/%s' % (self.url, route.lstrip('/')),
                                     data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b'null')
        except urllib.error.HTTPError as e:
            raise EndpointError('%s /_endpoint/%s: %s %s' % (method, route, e.code,
                                                              e.read().decode(errors='replace')))

    def set_faults(self, spec=None, **config):
        """set_faults('seed=1,throttle=0.5') or set_faults(seed=1, throttle=0.5, actions=[...]).
        Replaces the whole fault configuration and restarts the seeded sequence."""
        return self.control('PUT', 'faults', {'spec': spec} if spec is not None else config)

    def clear_faults(self):
        return self.control('DELETE', 'faults')

    def faults(self):
        return self.control('GET', 'faults')

    def counts(self):
        """{Action: number of requests received}, faulted and failed requests included."""
        return self.control('GET', 'counts')

    def reset_counts(self):
        """Zero the counts and empty the request log."""
        return self.control('DELETE', 'counts')

    def log(self, since=0):
        """Request log entries (secrets redacted) with seq greater than since."""
        return self.control('GET', 'log?since=%d' % since)

    def set_clock_offset(self, seconds):
        """IAM's clock = real time + seconds (ages keys, users, reports)."""
        return self.control('PUT', 'clock', {'offset_seconds': seconds})

    def advance_clock(self, seconds):
        return self.control('PUT', 'clock', {'advance_seconds': seconds})

    def set_consistency(self, lag_ms=None, key_propagation_ms=None, report_delay_ms=None):
        body = {k: v for k, v in (('lag_ms', lag_ms), ('key_propagation_ms', key_propagation_ms),
                                  ('report_delay_ms', report_delay_ms)) if v is not None}
        return self.control('PUT', 'consistency', body)

    def settle(self):
        """End pending eventual-consistency lag: every write so far becomes visible now."""
        return self.control('PUT', 'consistency', {'settle': True})

    def state(self):
        """The IAM state as JSON, secrets and MFA seeds redacted."""
        return self.control('GET', 'state')

    def register_hardware_mfa(self, serial, seed_base32):
        """A hardware TOTP token IAM knows (as its vendor registers it): EnableMFADevice with
        its serial and two codes of seed_base32 assigns it (tests/iam-endpoint/iamusercreds.py)."""
        return self.control('POST', 'mfa-hardware', {'serial': serial, 'seed': seed_base32})

    def reset_state(self):
        """Forget every user, group, policy, key and device (and SNS topics and messages)."""
        return self.control('DELETE', 'state')

    def add_account(self, account_id):
        """Another AWS account on this endpoint (tests/iam-endpoint/accounts.py), empty; returns
        {'account_id', 'access_key_id', 'secret_access_key'}: its root key. Forgotten by
        reset_state."""
        return self.control('PUT', 'accounts', {'account_id': account_id})

    def sns_create_topic(self, name, region='us-east-1', attributes=None):
        """Create an SNS topic without a signed call; returns its ARN."""
        body = {'topics': [{'name': name, 'region': region, 'attributes': attributes or {}}]}
        return self.control('PUT', 'sns', body)['created'][0]

    def sns_messages(self, since=0):
        """Every SNS Publish the endpoint accepted (seq > since), oldest first: dicts with
        topic_arn, subject, message, message_attributes, message_id, region, principal."""
        return self.control('GET', 'sns?since=%d' % since)['messages']


# ---------------------------------------------------------------------------
# Environments for AWS clients

def aws_env(endpoint, tmpdir, base=None):
    """An environment for subprocesses (/usr/bin/aws, keywarden) that talks to endpoint.

    HOME=<tmpdir>/home holding .aws/credentials ([default] = the admin key) and .aws/config
    (region us-east-1), also named by AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE;
    AWS_ENDPOINT_URL=endpoint.url; every other AWS_* variable and XDG_STATE_HOME removed; pyenv
    shims removed from PATH. Note: aws-cli 2.9 ignores AWS_ENDPOINT_URL, so use aws() below (which passes
    --endpoint-url) or give --endpoint-url yourself.
    """
    env = dict(os.environ if base is None else base)
    for k in list(env):
        if k.startswith('AWS_') or k.startswith('PYENV') or k == 'XDG_STATE_HOME':
            del env[k]  # (keywarden's target records go under HOME/.local/state)
    home = os.path.join(tmpdir, 'home')
    awsdir = os.path.join(home, '.aws')
    os.makedirs(awsdir, exist_ok=True)
    creds = os.path.join(awsdir, 'credentials')
    config = os.path.join(awsdir, 'config')
    fd = os.open(creds, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write('[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n'
                % (endpoint.access_key_id, endpoint.secret_access_key))
    with open(config, 'w') as f:
        # no `output =`: keywarden takes it as its default output where a command can (the AWS
        # CLI's default is json anyway); tests that want it set it themselves
        f.write('[default]\nregion = us-east-1\n')
    path = [p for p in env.get('PATH', '/usr/bin:/bin').split(os.pathsep)
            if p and 'pyenv' not in p]
    for p in ('/usr/bin', '/bin'):
        if p not in path:
            path.append(p)
    env.update({
        'HOME': home,
        'PATH': os.pathsep.join(path),
        'AWS_SHARED_CREDENTIALS_FILE': creds,
        'AWS_CONFIG_FILE': config,
        'AWS_DEFAULT_REGION': 'us-east-1',
        'AWS_REGION': 'us-east-1',
        'AWS_ENDPOINT_URL': endpoint.url,
        'AWS_EC2_METADATA_DISABLED': 'true',
        'AWS_PAGER': '',
        'AWS_CLI_AUTO_PROMPT': 'off',
    })
    return env


class AwsError(RuntimeError):
    def __init__(self, args, returncode, stderr):
        super().__init__('aws %s failed (%d): %s' % (' '.join(args), returncode, stderr.strip()))
        self.returncode = returncode
        self.stderr = stderr
        self.code = None
        # "An error occurred (NoSuchEntity) when calling the GetUser operation: ..."
        if 'An error occurred (' in stderr:
            self.code = stderr.split('An error occurred (', 1)[1].split(')', 1)[0]


def aws(endpoint_env, *args):
    """Run `/usr/bin/aws --output json --endpoint-url URL ARGS...` in endpoint_env and return
    the parsed JSON ({} for no output). Raises AwsError (with .code, e.g. 'NoSuchEntity')."""
    cmd = [AWS, '--output', 'json', '--endpoint-url', endpoint_env['AWS_ENDPOINT_URL']]
    p = subprocess.run(cmd + list(args), env=endpoint_env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    if p.returncode != 0:
        raise AwsError(list(args), p.returncode, p.stderr)
    return json.loads(p.stdout) if p.stdout.strip() else {}


_AWSCLI_WORKER = r"""
import contextlib, io, json, os, sys
import awscli.clidriver
proto = os.fdopen(os.dup(1), 'w')
driver = awscli.clidriver.create_clidriver()
for line in sys.stdin:
    argv = json.loads(line)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = driver.main(argv)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 1
        except Exception as e:
            err.write('%s: %s' % (type(e).__name__, e))
            rc = 255
    proto.write(json.dumps({'rc': rc, 'stdout': out.getvalue(), 'stderr': err.getvalue()}) + '\n')
    proto.flush()
"""


class AwsCli:
    """The same AWS CLI as /usr/bin/aws (Debian's awscli package run by /usr/bin/python3),
    kept running in one worker process: ~20 ms a call instead of ~1.2 s. Use it when a test
    makes many calls. The worker runs with endpoint_env (credentials fixed per instance).

        cli = kwtest.AwsCli(env)        # env from aws_env()
        cli('iam', 'list-users')        # -> parsed JSON, or raises AwsError
        cli.close()                     # also on garbage collection / with-block exit
    """

    def __init__(self, endpoint_env):
        self.env = endpoint_env
        self._lock = threading.Lock()
        self._proc = None

    def _start(self):
        self._proc = subprocess.Popen([PYTHON, '-c', _AWSCLI_WORKER], env=self.env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True)

    def __call__(self, *args):
        argv = ['--output', 'json', '--endpoint-url', self.env['AWS_ENDPOINT_URL']] + list(args)
        with self._lock:
            if self._proc is None:
                self._start()
            self._proc.stdin.write(json.dumps(argv) + '\n')
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        if not line:
            raise AwsError(list(args), -1, 'the aws-cli worker process ended')
        res = json.loads(line)
        if res['rc'] != 0:
            raise AwsError(list(args), res['rc'], res['stderr'])
        text = res['stdout']
        return json.loads(text) if text.strip() else {}

    def close(self):
        p, self._proc = self._proc, None
        if p is not None:
            p.stdin.close()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            p.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


# ---------------------------------------------------------------------------
# TOTP (RFC 6238), for tests that enable MFA devices themselves

class EndpointCase(unittest.TestCase):
    """A test case with one local endpoint for the whole class (cls.ep), reset per test:
    state, counts, faults and clock."""

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.ep.__exit__(None, None, None)

    def setUp(self):
        self.ep.reset_state()
        self.ep.reset_counts()
        self.ep.clear_faults()
        self.ep.set_clock_offset(0)


class BotocoreCase(EndpointCase):
    """An EndpointCase driving the endpoint with botocore's own clients (Debian's), one
    attempt per call: self.client(service[, key id, secret, token]) signs with the admin key
    unless told otherwise; self.code(fn, ...) is the error code fn's call answers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import botocore.session
        cls.session = botocore.session.get_session()

    def client(self, service, akid=None, secret=None, token=None):
        from botocore.config import Config
        return self.session.create_client(
            service, region_name='us-east-1', endpoint_url=self.ep.url,
            aws_access_key_id=akid or self.ep.access_key_id,
            aws_secret_access_key=secret or self.ep.secret_access_key, aws_session_token=token,
            config=Config(retries={'total_max_attempts': 1}))

    def code(self, fn, *a, **kw):
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as cm:
            fn(*a, **kw)
        return cm.exception.response['Error']['Code']


class SharedEndpointCase(unittest.TestCase):
    """Test cases of one test module that share one local endpoint (self.ep): started before
    the module's first test of such a class, stopped after its last (a module cleanup), and put
    back to a clean state before every test: state, counts, faults, no consistency lag, clock."""

    _shared = {}   # test module name -> its running Endpoint

    @classmethod
    def setUpClass(cls):
        shared, module = SharedEndpointCase._shared, cls.__module__
        if module not in shared:
            shared[module] = Endpoint().start()
            unittest.addModuleCleanup(lambda: shared.pop(module).stop())

    @property
    def ep(self):
        return SharedEndpointCase._shared[type(self).__module__]

    def setUp(self):
        self.ep.clear_faults()
        self.ep.reset_state()
        self.ep.reset_counts()
        self.ep.set_consistency(lag_ms=0, key_propagation_ms=0, report_delay_ms=0)
        self.ep.set_clock_offset(0)


class CliCase(unittest.TestCase):
    """A test case driving one local endpoint for the whole class (cls.ep, made with
    cls.endpoint_kwargs) through Debian's AWS CLI in-process (cls.cli), whose environment
    (cls.env: HOME, credentials, region) lives in a temporary directory (cls.tmp)."""

    endpoint_kwargs = {}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ep = Endpoint(**cls.endpoint_kwargs).start()
        cls.env = aws_env(cls.ep, cls.tmp.name)
        cls.cli = AwsCli(cls.env)

    @classmethod
    def tearDownClass(cls):
        cls.cli.close()
        cls.ep.stop()
        cls.tmp.cleanup()

    def aws_error(self, *args, cli=None):
        """The AwsError that the CLI call with args raises (cli: another AwsCli); the test fails
        when the call succeeds."""
        with self.assertRaises(AwsError) as cm:
            (cli or self.cli)(*args)
        return cm.exception


def trust_policy(*principals, **conditions):
    """A role trust policy: sts:AssumeRole allowed to the AWS principals given (account ids,
    user or role ARNs), with an optional Condition block, e.g.
    trust_policy('123456789012', StringEquals={'sts:ExternalId': 'x'})."""
    s = {'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Principal': {'AWS': list(principals)}}
    if conditions:
        s['Condition'] = conditions
    return json.dumps({'Version': '2012-10-17', 'Statement': [s]})


def totp(seed_base32, unix_time=None, digits=6, step=30):
    """The TOTP code of a base32 seed at unix_time (default now)."""
    if unix_time is None:
        unix_time = time.time()
    seed = seed_base32.strip().replace(' ', '').upper()
    key = base64.b32decode(seed + '=' * (-len(seed) % 8))
    mac = hmac.new(key, struct.pack('>Q', int(unix_time // step)), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = struct.unpack('>I', mac[off:off + 4])[0] & 0x7FFFFFFF
    return str(code % 10 ** digits).zfill(digits)


def totp_pair(seed_base32, unix_time=None):
    """Two consecutive codes (this step and the next), as EnableMFADevice wants them."""
    if unix_time is None:
        unix_time = time.time()
    return totp(seed_base32, unix_time), totp(seed_base32, unix_time + 30)
