"""The credential chain's precedence, checked against botocore itself: for a table of config
files, environments and --profile choices that Debian's botocore supports, `keywarden whoami`
names the same identity as botocore's session (its own credential resolver, with its STS
client pointed at the local endpoint)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get('KW_SOURCE_DIR', '.'), 'tests', 'lib'))
import kwtest  # noqa: E402

KEYWARDEN = os.environ.get('KEYWARDEN', 'build/test/keywarden')

# botocore's session, as the AWS CLI builds it, with every client it makes (the assume-role
# provider's STS client too) sent to the local endpoint.
BOTOCORE = r'''
import json, sys
import botocore.session
profile = sys.argv[2] or None
s = botocore.session.Session(profile=profile)
create = s.create_client
def create_client(name, *a, **kw):
    kw['endpoint_url'] = sys.argv[1]
    return create(name, *a, **kw)
s.create_client = create_client
print(s.create_client('sts', region_name='us-east-1').get_caller_identity()['Arn'])
'''


class Precedence(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ep = kwtest.Endpoint().__enter__()
        cls.tmp = tempfile.TemporaryDirectory()
        env = kwtest.aws_env(cls.ep, cls.tmp.name)
        cls.keys, cls.arns = {}, {}
        with kwtest.AwsCli(env) as cli:
            for who in ('env', 'cred', 'cfg', 'proc', 'base'):
                name = 'u-' + who
                cls.arns[who] = cli('iam', 'create-user', '--user-name', name)['User']['Arn']
                cli('iam', 'put-user-policy', '--user-name', name, '--policy-name', 'assume',
                    '--policy-document', json.dumps({'Version': '2012-10-17', 'Statement': [
                        {'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Resource': '*'}]}))
                k = cli('iam', 'create-access-key', '--user-name', name)['AccessKey']
                cls.keys[who] = (k['AccessKeyId'], k['SecretAccessKey'])
            cli('iam', 'create-role', '--role-name', 'ops', '--assume-role-policy-document',
                kwtest.trust_policy(cls.ep.account_id))
            cli('iam', 'put-role-policy', '--role-name', 'ops', '--policy-name', 'chain',
                '--policy-document', json.dumps({'Version': '2012-10-17', 'Statement': [
                    {'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Resource': '*'}]}))
        cls.ep.settle()
        cls.arns['role'] = 'arn:aws:sts::%s:assumed-role/ops/' % cls.ep.account_id

    @classmethod
    def tearDownClass(cls):
        cls.ep.__exit__(None, None, None)
        cls.tmp.cleanup()

    def keys_of(self, who):
        return 'aws_access_key_id = %s\naws_secret_access_key = %s\n' % self.keys[who]

    def process(self, who, d):
        path = os.path.join(d, 'proc-%s.sh' % who)
        with open(path, 'w') as f:
            f.write('#!/bin/sh\nprintf \'{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}\'\n'
                    % self.keys[who])
        os.chmod(path, 0o700)
        return 'credential_process = %s\n' % path

    def case(self, credentials, config, env=(), profile=None):
        """(keywarden's Arn, botocore's Arn) for these files, environment and --profile."""
        with tempfile.TemporaryDirectory() as d:
            e = kwtest.aws_env(self.ep, d)
            with open(e['AWS_SHARED_CREDENTIALS_FILE'], 'w') as f:
                f.write(credentials(d) if callable(credentials) else credentials)
            with open(e['AWS_CONFIG_FILE'], 'w') as f:
                f.write('[default]\nregion = us-east-1\n' + (config(d) if callable(config) else config))
            for k, who in env:
                if k == 'KEYS':
                    e['AWS_ACCESS_KEY_ID'], e['AWS_SECRET_ACCESS_KEY'] = self.keys[who]
                else:
                    e[k] = who
            args = ['--profile', profile] if profile else []
            r = subprocess.run([KEYWARDEN, *args, 'whoami', '-o', 'json'], env=e, capture_output=True,
                               text=True, timeout=60, stdin=subprocess.DEVNULL)
            self.assertEqual(r.returncode, 0, r.stderr)
            kw = json.loads(r.stdout)['Arn']
            b = subprocess.run(['/usr/bin/python3', '-c', BOTOCORE, self.ep.url, profile or ''], env=e,
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(b.returncode, 0, b.stderr)
            return kw, b.stdout.strip()

    def check(self, expect, *a, **kw):
        mine, boto = self.case(*a, **kw)
        self.assertEqual(mine.rsplit('/', 1)[0] if expect == 'role' else mine,
                         boto.rsplit('/', 1)[0] if expect == 'role' else boto, 'botocore disagrees')
        self.assertTrue(mine.startswith(self.arns[expect]), (expect, mine))

    def test_table(self):
        role = 'role_arn = arn:aws:iam::%s:role/ops\n' % self.ep.account_id
        cases = [
            # (expected identity, credentials file, config after [default], env, --profile)
            ('env', '', '', [('KEYS', 'env')], None),
            ('cred', '[default]\n' + self.keys_of('cred'), '', [], None),
            ('env', '[default]\n' + self.keys_of('cred'), '', [('KEYS', 'env')], None),
            ('env', '[p]\n' + self.keys_of('cred'), '', [('KEYS', 'env'), ('AWS_PROFILE', 'p')], None),
            ('cred', '[p]\n' + self.keys_of('cred'), '', [('KEYS', 'env')], 'p'),
            ('cred', '[p]\n' + self.keys_of('cred'), '[profile p]\n' + self.keys_of('cfg'), [], 'p'),
            ('cfg', '', '[profile p]\n' + self.keys_of('cfg'), [('AWS_PROFILE', 'p')], None),
            ('proc', '', lambda d: '[profile p]\n' + self.keys_of('cfg') + self.process('proc', d), [], 'p'),
            ('cred', '[p]\n' + self.keys_of('cred'), lambda d: '[profile p]\n' + self.process('proc', d),
             [], 'p'),
            ('role', '[base]\n' + self.keys_of('base') + '[p]\n' + self.keys_of('cred'),
             '[profile p]\n' + role + 'source_profile = base\n', [], 'p'),
            ('role', '[p]\n' + self.keys_of('cred'), '[profile p]\n' + role + 'source_profile = p\n', [],
             'p'),
            ('env', '[base]\n' + self.keys_of('base'), '[profile p]\n' + role + 'source_profile = base\n',
             [('KEYS', 'env'), ('AWS_PROFILE', 'p')], None),
            ('role', '', '[profile p]\n' + role + 'credential_source = Environment\n',
             [('KEYS', 'env')], 'p'),
            ('role', '[base]\n' + self.keys_of('base'),
             '[profile mid]\n' + role + 'source_profile = base\n[profile p]\n' + role +
             'source_profile = mid\n', [], 'p'),
        ]
        for i, (expect, cred, cfg, env, profile) in enumerate(cases):
            with self.subTest(case=i, expect=expect):
                self.check(expect, cred, cfg, env, profile)


if __name__ == '__main__':
    unittest.main(verbosity=2)
