"""The AWS client end to end through `keywarden whoami` against the local IAM endpoint:
profiles in a temporary HOME, the environment, credential_process, config-file endpoints,
errors (wrong secret, broken config, missing profile, refused endpoint), retries under faults,
and no secret on stderr even at -vv."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get('KW_SOURCE_DIR', '.'), 'tests', 'lib'))
import kwtest  # noqa: E402

KEYWARDEN = os.environ.get('KEYWARDEN', 'build/test/keywarden')


class AwsClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ep = kwtest.Endpoint().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.ep.__exit__(None, None, None)

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.env = kwtest.aws_env(self.ep, self.tmp.name)
        self.home = self.env['HOME']
        # rely on HOME/.aws like a user would
        del self.env['AWS_SHARED_CREDENTIALS_FILE']
        del self.env['AWS_CONFIG_FILE']
        self.ep.clear_faults()

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text, mode=0o600):
        path = os.path.join(self.home, '.aws', name)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def run_kw(self, *args, env=None):
        return subprocess.run([KEYWARDEN, *args], capture_output=True, text=True,
                              env=env or self.env, timeout=120)

    def assert_no_secret(self, r):
        self.assertNotIn(self.ep.secret_access_key, r.stdout + r.stderr)

    def whoami_json(self, *args, env=None):
        r = self.run_kw(*args, 'whoami', '-o', 'json', env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_no_secret(r)
        return json.loads(r.stdout)

    def test_whoami_default_profile_from_home(self):
        out = self.whoami_json()
        self.assertEqual(out, {'UserId': self.ep.account_id, 'Account': self.ep.account_id,
                               'Arn': 'arn:aws:iam::%s:root' % self.ep.account_id,
                               'Provider': 'shared-credentials-file'})
        r = self.run_kw('whoami')
        self.assertEqual(r.stdout, '%s\tarn:aws:iam::%s:root\t%s\tshared-credentials-file\n'
                         % (self.ep.account_id, self.ep.account_id, self.ep.account_id))

    def test_whoami_through_a_named_profile(self):
        self.write('credentials',
                   '# only a named profile\n[service-ci]\r\naws_access_key_id = %s\r\n'
                   'aws_secret_access_key=%s\r\n' % (self.ep.access_key_id, self.ep.secret_access_key))
        self.write('config', '[profile service-ci]\nregion = eu-west-1\n')
        self.assertEqual(self.whoami_json('--profile', 'service-ci')['Account'], self.ep.account_id)
        env = dict(self.env, AWS_PROFILE='service-ci')
        r = self.run_kw('-v', 'whoami', env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('shared-credentials-file', r.stderr)
        # [default] is gone: without a profile there are no credentials
        r = self.run_kw('whoami')
        self.assertEqual(r.returncode, 1)
        self.assertIn('no AWS credentials found', r.stderr)

    def test_whoami_with_a_user_key_created_through_the_api(self):
        with kwtest.AwsCli(self.env) as cli:
            cli('iam', 'create-user', '--user-name', 'service-whoami')
            key = cli('iam', 'create-access-key', '--user-name', 'service-whoami')['AccessKey']
        env = dict(self.env, AWS_ACCESS_KEY_ID=key['AccessKeyId'],
                   AWS_SECRET_ACCESS_KEY=key['SecretAccessKey'])
        self.ep.settle()
        out = self.whoami_json(env=env)
        self.assertEqual(out['Arn'], 'arn:aws:iam::%s:user/service-whoami' % self.ep.account_id)
        # --profile negates the environment
        self.assertEqual(self.whoami_json('--profile', 'default', env=env)['Arn'],
                         'arn:aws:iam::%s:root' % self.ep.account_id)

    def test_shared_files_with_a_bom_crlf_and_an_inline_comment(self):
        """Issue 17: a BOM is skipped, CRLF read, and `region = x # comment` refused at its line."""
        self.write('credentials', '\ufeff[default]\r\naws_access_key_id = %s\r\n'
                   'aws_secret_access_key = %s\r\n' % (self.ep.access_key_id, self.ep.secret_access_key))
        cfg = self.write('config', '\ufeff[default]\r\nregion = eu-west-1\r\n')
        self.assertEqual(self.whoami_json()['Account'], self.ep.account_id)
        self.write('config', '\ufeff[default]\r\nregion = eu-west-1 # primary\r\n')
        self.ep.reset_counts()
        env = {k: v for k, v in self.env.items() if k not in ('AWS_REGION', 'AWS_DEFAULT_REGION')}
        r = self.run_kw('whoami', env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn('%s:2: region:' % cfg, r.stderr)
        self.assertEqual(self.ep.counts(), {})  # nothing signed, nothing sent

    def test_wrong_secret_is_signature_does_not_match(self):
        self.write('credentials', '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n'
                   % (self.ep.access_key_id, 'W' * 40))
        r = self.run_kw('-vv', 'whoami')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, '')
        self.assertIn('SignatureDoesNotMatch', r.stderr)
        self.assertNotIn('W' * 40, r.stderr)

    def test_credential_process(self):
        script = self.write('creds.sh', '#!/bin/sh\nprintf \'{"Version": 1, "AccessKeyId": "%s", '
                            '"SecretAccessKey": "%s", "Expiration": "2999-01-01T00:00:00Z"}\'\n'
                            % (self.ep.access_key_id, self.ep.secret_access_key), 0o700)
        self.write('credentials', '')
        self.write('config', '[profile proc]\ncredential_process = %s\n' % script)
        r = self.run_kw('-vv', '--profile', 'proc', 'whoami')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('credential-process', r.stderr)
        self.assert_no_secret(r)
        self.write('config', '[profile proc]\ncredential_process = /nonexistent/tool --x\n')
        r = self.run_kw('--profile', 'proc', 'whoami')
        self.assertEqual(r.returncode, 1)
        self.assertIn("credential_process '/nonexistent/tool' could not be run", r.stderr)

    def test_endpoint_from_the_config_file(self):
        env = dict(self.env)
        del env['AWS_ENDPOINT_URL']
        self.write('config', '[default]\nregion = us-east-1\nservices = local\n\n'
                   '[services local]\nsts =\n  endpoint_url = %s\n' % self.ep.url)
        self.assertEqual(self.whoami_json(env=env)['Account'], self.ep.account_id)
        # ignoring configured endpoints sends it to AWS: refuse the network, check the URL
        env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'] = 'true'
        r = self.run_kw('-vv', '--region', 'eu-west-1', 'whoami', env=dict(env, AWS_MAX_ATTEMPTS='1',
                        HTTPS_PROXY='http://127.0.0.1:9'))
        self.assertEqual(r.returncode, 1)
        self.assertIn('https://sts.eu-west-1.amazonaws.com/', r.stderr)

    def test_errors_name_file_and_line(self):
        path = self.write('config', '[default]\nregion = us-east-1\nthis line is broken\n')
        r = self.run_kw('whoami')
        self.assertEqual(r.returncode, 1)
        self.assertIn('error: %s:3: expected \'key = value\'' % path, r.stderr)
        self.write('config', '[default]\nregion = us-east-1\n')
        r = self.run_kw('--profile', 'nope', 'whoami')
        self.assertEqual(r.returncode, 1)
        self.assertIn("profile 'nope' not found", r.stderr)
        r = self.run_kw('--endpoint-url', 'http://iam.example.com', 'whoami')
        self.assertEqual(r.returncode, 1)
        self.assertIn('http:// is accepted only for loopback', r.stderr)

    def test_retries_under_faults(self):
        self.ep.reset_counts()
        self.ep.set_faults('seed=11,throttle=0.3,error503=0.1')
        env = dict(self.env, AWS_MAX_ATTEMPTS='10')
        retried = 0
        for _ in range(8):
            r = self.run_kw('-v', 'whoami', env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            retried += r.stderr.count('retrying after')
        self.assertGreater(self.ep.faults().get('injected', 0), 0)
        self.assertEqual(retried, self.ep.faults().get('injected'))  # each fault cost one retry
        self.ep.clear_faults()
        self.assertEqual(self.ep.counts().get('GetCallerIdentity'), 8 + retried)


if __name__ == '__main__':
    unittest.main(verbosity=2)
