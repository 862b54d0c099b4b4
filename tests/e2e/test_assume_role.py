"""The assume-role provider end to end through `keywarden whoami` against the local endpoint:
a chain of three role profiles, the AWS CLI's cache (~/.aws/cli/cache, 0600, the same file
names as botocore's, a torn entry ignored), a loop named, a trust policy that refuses the
caller, refresh before expiry, a role profile that also holds static keys, credential_source
Environment, external_id/role_session_name/duration_seconds, and mfa_serial with --mfa-code.
No secret on stdout or stderr, even at -vv."""
import glob
import json
import os
import pty
import select
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.environ.get('KW_SOURCE_DIR', '.'), 'tests', 'lib'))
import kwtest  # noqa: E402

KEYWARDEN = os.environ.get('KEYWARDEN', 'build/test/keywarden')
ALLOW_ASSUME = json.dumps({'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Resource': '*'}]})


class AssumeRole(kwtest.EndpointCase):
    def setUp(self):
        super().setUp()
        self.ep.set_clock_offset(0)
        self.tmp = tempfile.TemporaryDirectory()
        self.env = kwtest.aws_env(self.ep, self.tmp.name)
        self.home = self.env['HOME']
        self.acct = self.ep.account_id
        self.secrets = [self.ep.secret_access_key]
        self.cli = kwtest.AwsCli(self.env).__enter__()
        # a -> b -> c: each role trusts the one before it and may assume the next
        self.arn = {}
        prev = self.acct
        for name in ('a', 'b', 'c'):
            r = self.cli('iam', 'create-role', '--role-name', name,
                         '--assume-role-policy-document', kwtest.trust_policy(prev))['Role']
            self.cli('iam', 'put-role-policy', '--role-name', name, '--policy-name', 'chain',
                     '--policy-document', ALLOW_ASSUME)
            self.arn[name] = prev = r['Arn']
        self.ep.settle()

    def tearDown(self):
        self.cli.__exit__(None, None, None)
        self.tmp.cleanup()

    def write_config(self, text):
        with open(self.env['AWS_CONFIG_FILE'], 'w') as f:
            f.write('[default]\nregion = us-east-1\n' + text)

    def kw(self, *args, env=None):
        r = subprocess.run([KEYWARDEN, *args], capture_output=True, text=True,
                           env=env or self.env, timeout=120, stdin=subprocess.DEVNULL,
                           start_new_session=True)   # no controlling terminal: never prompts
        for s in self.secrets + self.session_secrets():
            self.assertNotIn(s, r.stdout + r.stderr)
        return r

    def session_secrets(self):
        out = []
        for path in glob.glob(os.path.join(self.home, '.aws', 'cli', 'cache', '*.json')):
            try:
                with open(path) as f:
                    c = json.load(f)['Credentials']
                out += [c['SecretAccessKey'], c['SessionToken']]
            except (ValueError, KeyError):
                pass
        return out

    def whoami(self, *args, env=None, code=0):
        r = self.kw('-vv', *args, 'whoami', '-o', 'json', env=env)
        self.assertEqual(r.returncode, code, r.stderr)
        return (json.loads(r.stdout) if code == 0 else None), r

    def assumes(self):
        return self.ep.counts().get('AssumeRole', 0)

    def chain_config(self):
        self.write_config('[profile ra]\nrole_arn = %s\nsource_profile = default\n'
                          '[profile rb]\nrole_arn = %s\nsource_profile = ra\n'
                          '[profile rc]\nrole_arn = %s\nsource_profile = rb\n'
                          'role_session_name = ops-session\n'
                          % (self.arn['a'], self.arn['b'], self.arn['c']))

    def test_three_profile_chain_and_the_cli_cache(self):
        self.chain_config()
        self.ep.reset_counts()
        out, r = self.whoami('--profile', 'rc')
        self.assertEqual(out['Arn'], 'arn:aws:sts::%s:assumed-role/c/ops-session' % self.acct)
        self.assertEqual(out['Provider'], 'assume-role')
        self.assertEqual(out['Chain'].count('→ assume'), 3, out['Chain'])
        self.assertTrue(out['Chain'].startswith('profile default (shared-credentials-file) → '
                                                'assume %s' % self.arn['a']), out['Chain'])
        self.assertIn('assume %s (assumed until ' % self.arn['c'], out['Chain'])
        self.assertIn('assume-role', r.stderr)            # -vv names the provider
        self.assertEqual(self.assumes(), 3)
        files = glob.glob(os.path.join(self.home, '.aws', 'cli', 'cache', '*.json'))
        self.assertEqual(len(files), 3)
        for f in files:
            self.assertEqual(stat.S_IMODE(os.stat(f).st_mode), 0o600)
        # the cache files are botocore's: same names, and botocore reads them
        self.assertIn(self.botocore_cache_key(self.arn['c'], RoleSessionName='ops-session'),
                      [os.path.basename(f)[:-5] for f in files])
        # a second run in the hour makes no AssumeRole call
        self.ep.reset_counts()
        out, _ = self.whoami('--profile', 'rc')
        self.assertEqual(self.assumes(), 0)
        self.assertIn('(cached until ', out['Chain'])
        self.assertEqual(self.ep.counts(), {'GetCallerIdentity': 1})

    def botocore_cache_key(self, role_arn, **extra):
        """The cache file name botocore (Debian's, run by /usr/bin/python3) gives this role."""
        code = ('import sys, json\n'
                'from botocore.credentials import AssumeRoleCredentialFetcher as F\n'
                'a = json.loads(sys.argv[2])\n'
                'f = F(client_creator=None, source_credentials=None, role_arn=sys.argv[1],\n'
                '      extra_args=a, cache={})\n'
                'print(f._create_cache_key())\n')
        r = subprocess.run(['/usr/bin/python3', '-c', code, role_arn, json.dumps(extra)],
                           capture_output=True, text=True, check=True)
        return r.stdout.strip()

    def test_torn_cache_entry_is_ignored_and_replaced(self):
        """A run killed mid-write by a writer that is not atomic leaves half a file: ignored."""
        self.write_config('[profile ra]\nrole_arn = %s\nsource_profile = default\n' % self.arn['a'])
        key = self.botocore_cache_key(self.arn['a'])
        cache = os.path.join(self.home, '.aws', 'cli', 'cache')
        os.makedirs(cache)
        path = os.path.join(cache, key + '.json')
        with open(path, 'w') as f:
            f.write('{"Credentials": {"AccessKeyId": "ASIA')
        self.ep.reset_counts()
        out, _ = self.whoami('--profile', 'ra')
        self.assertEqual(self.assumes(), 1)
        with open(path) as f:
            self.assertTrue(json.load(f)['Credentials']['AccessKeyId'].startswith('ASIA'))
        self.assertEqual(os.listdir(cache), [key + '.json'])   # no temporary file left

    def test_loop_is_named(self):
        self.write_config('[profile x]\nrole_arn = %s\nsource_profile = y\n'
                          '[profile y]\nrole_arn = %s\nsource_profile = z\n'
                          '[profile z]\nrole_arn = %s\nsource_profile = x\n'
                          % (self.arn['a'], self.arn['b'], self.arn['c']))
        self.ep.reset_counts()
        _, r = self.whoami('--profile', 'x', code=1)
        self.assertIn('source_profile loop: x -> y -> z -> x', r.stderr)
        self.assertEqual(self.ep.counts(), {})

    def test_trust_policy_refuses_the_caller(self):
        self.cli('iam', 'create-role', '--role-name', 'bobs', '--assume-role-policy-document',
                 kwtest.trust_policy('arn:aws:iam::%s:user/bob' % self.acct))
        self.ep.settle()
        self.write_config('[profile bobs]\nrole_arn = arn:aws:iam::%s:role/bobs\n'
                          'source_profile = default\n' % self.acct)
        _, r = self.whoami('--profile', 'bobs', code=1)
        self.assertIn('AccessDenied', r.stderr)
        self.assertIn("profile 'bobs': assume arn:aws:iam::%s:role/bobs" % self.acct, r.stderr)
        self.assertEqual(glob.glob(os.path.join(self.home, '.aws', 'cli', 'cache', '*')), [])

    def test_refresh_before_expiry(self):
        """Credentials that expire within the refresh margin are assumed again before use."""
        self.write_config('[profile ra]\nrole_arn = %s\nsource_profile = default\n'
                          'duration_seconds = 900\n' % self.arn['a'])
        # the endpoint's clock 14 minutes behind: it issues credentials that end in 60 s
        self.ep.set_clock_offset(-(900 - 60))
        self.ep.reset_counts()
        out, r = self.whoami('--profile', 'ra')
        self.assertEqual(out['Arn'].split('/')[1], 'a')
        self.assertEqual(self.assumes(), 2)
        self.assertIn('expire: refreshing', r.stderr)
        # the duration asked is the profile's
        log = [e for e in self.ep.log() if e.get('action') == 'AssumeRole']
        self.assertEqual(log[0]['params'].get('DurationSeconds'), '900')

    def test_role_wins_over_static_keys_of_the_same_profile(self):
        with open(self.env['AWS_SHARED_CREDENTIALS_FILE'], 'a') as f:
            f.write('[mixed]\naws_access_key_id = %s\naws_secret_access_key = %s\n'
                    % (self.ep.access_key_id, self.ep.secret_access_key))
        self.write_config('[profile mixed]\nrole_arn = %s\nsource_profile = mixed\n' % self.arn['a'])
        out, _ = self.whoami('--profile', 'mixed')
        self.assertIn(':assumed-role/a/', out['Arn'])
        self.assertIn('profile mixed (shared-credentials-file) → assume', out['Chain'])

    def test_credential_source_environment_and_settings(self):
        self.cli('iam', 'create-role', '--role-name', 'ext', '--assume-role-policy-document',
                 kwtest.trust_policy(self.acct, StringEquals={'sts:ExternalId': 'partner-7'}))
        self.ep.settle()
        self.write_config('[profile env]\nrole_arn = arn:aws:iam::%s:role/ext\n'
                          'credential_source = Environment\nexternal_id = partner-7\n'
                          'role_session_name = from-env\n' % self.acct)
        env = dict(self.env, AWS_ACCESS_KEY_ID=self.ep.access_key_id,
                   AWS_SECRET_ACCESS_KEY=self.ep.secret_access_key)
        out, _ = self.whoami('--profile', 'env', env=env)
        self.assertEqual(out['Arn'], 'arn:aws:sts::%s:assumed-role/ext/from-env' % self.acct)
        self.assertTrue(out['Chain'].startswith('environment → assume'))
        # without the environment's keys (and no cached role): a clear error, not "no
        # credentials found"
        for f in glob.glob(os.path.join(self.home, '.aws', 'cli', 'cache', '*')):
            os.unlink(f)
        _, r = self.whoami('--profile', 'env', code=1)
        self.assertIn('credential_source Environment', r.stderr)
        # settings that are not valid are errors naming file, line and setting
        cfg = self.env['AWS_CONFIG_FILE']
        for bad, line, msg in (('credential_source = Ec2Metadata\n', 5,
                                "credential_source: 'Ec2Metadata' is not"),
                               ('credential_source = Environment\nduration_seconds = 1h\n', 6,
                                "duration_seconds: '1h' is not"),
                               ('source_profile = default\ncredential_source = Environment\n', 6,
                                'both source_profile and credential_source'),
                               ('', 4, 'neither source_profile nor credential_source')):
            self.write_config('[profile env]\nrole_arn = arn:aws:iam::%s:role/ext\n' % self.acct + bad)
            _, r = self.whoami('--profile', 'env', env=env, code=1)
            self.assertIn('%s:%d: ' % (cfg, line), r.stderr)
            self.assertIn(msg, r.stderr)

    def mfa_profile(self):
        """User carol with an MFA device, role mfa that needs MFA, profile ops with mfa_serial;
        (seed, serial)."""
        self.cli('iam', 'create-user', '--user-name', 'carol')
        self.cli('iam', 'put-user-policy', '--user-name', 'carol', '--policy-name', 'assume',
                 '--policy-document', ALLOW_ASSUME)
        dev = self.cli('iam', 'create-virtual-mfa-device', '--virtual-mfa-device-name', 'carol',
                       '--outfile', os.path.join(self.tmp.name, 'seed'),
                       '--bootstrap-method', 'Base32StringSeed')['VirtualMFADevice']
        with open(os.path.join(self.tmp.name, 'seed')) as f:
            seed = f.read().strip()
        c1, c2 = kwtest.totp_pair(seed)
        self.cli('iam', 'enable-mfa-device', '--user-name', 'carol', '--serial-number',
                 dev['SerialNumber'], '--authentication-code1', c1, '--authentication-code2', c2)
        key = self.cli('iam', 'create-access-key', '--user-name', 'carol')['AccessKey']
        self.secrets.append(key['SecretAccessKey'])
        self.cli('iam', 'create-role', '--role-name', 'mfa', '--assume-role-policy-document',
                 kwtest.trust_policy(self.acct, Bool={'aws:MultiFactorAuthPresent': 'true'}))
        self.ep.settle()
        with open(self.env['AWS_SHARED_CREDENTIALS_FILE'], 'a') as f:
            f.write('[carol]\naws_access_key_id = %s\naws_secret_access_key = %s\n'
                    % (key['AccessKeyId'], key['SecretAccessKey']))
        self.write_config('[profile ops]\nrole_arn = arn:aws:iam::%s:role/mfa\n'
                          'source_profile = carol\nmfa_serial = %s\n' % (self.acct, dev['SerialNumber']))
        return seed, dev['SerialNumber']

    def test_mfa_serial_with_mfa_code(self):
        seed, serial = self.mfa_profile()
        dev = {'SerialNumber': serial}
        # no code and no terminal: a clear error
        _, r = self.whoami('--profile', 'ops', code=1)
        self.assertIn('needs an MFA code for mfa_serial %s' % dev['SerialNumber'], r.stderr)
        self.assertIn('--mfa-code', r.stderr)
        code = kwtest.totp(seed)
        out, r = self.whoami('--profile', 'ops', '--mfa-code', code)
        self.assertIn(':assumed-role/mfa/', out['Arn'])
        log = [e for e in self.ep.log() if e.get('action') == 'AssumeRole']
        self.assertEqual(log[-1]['params'].get('SerialNumber'), dev['SerialNumber'])
        self.assertEqual(log[-1]['params'].get('TokenCode'), '<redacted>')

    def test_mfa_code_asked_on_the_terminal(self):
        """Without --mfa-code, on a terminal: "Enter MFA code for SERIAL: ", not echoed."""
        seed, serial = self.mfa_profile()
        code = kwtest.totp(seed)
        pid, fd = pty.fork()
        if pid == 0:   # the child: the pty is its controlling terminal
            os.execve(KEYWARDEN, [KEYWARDEN, '--profile', 'ops', 'whoami', '-o', 'json'], self.env)
        shown, answered, deadline = b'', False, time.time() + 60
        while time.time() < deadline:
            if not select.select([fd], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
            if not answered and ('Enter MFA code for %s: ' % serial).encode() in shown:
                os.write(fd, (code + '\n').encode())
                answered = True
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        self.assertTrue(answered, shown)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, shown)
        self.assertIn(b':assumed-role/mfa/', shown)
        self.assertNotIn(code.encode(), shown)   # typed without echo


if __name__ == '__main__':
    unittest.main(verbosity=2)
