"""IAM Identity Center (SSO) profiles end to end through `keywarden whoami`: the sso_session
form and the legacy sso_start_url form read the token `aws sso login` cached in
~/.aws/sso/cache/<sha1>.json and call the portal's GetRoleCredentials (the local endpoint's
/federation/credentials); an expired token is a clear error that says to run aws sso login."""
import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get('KW_SOURCE_DIR', '.'), 'tests', 'lib'))
import kwtest  # noqa: E402

KEYWARDEN = os.environ.get('KEYWARDEN', 'build/test/keywarden')
START = 'https://my-org.awsapps.com/start'


class Sso(kwtest.EndpointCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory()
        self.env = kwtest.aws_env(self.ep, self.tmp.name)
        self.env.pop('AWS_ENDPOINT_URL')
        self.acct = self.ep.account_id
        with kwtest.AwsCli(dict(self.env, AWS_ENDPOINT_URL=self.ep.url)) as cli:
            cli('iam', 'create-role', '--role-name', 'AWSReservedSSO_Admin_0123',
                '--assume-role-policy-document', kwtest.trust_policy(self.acct))
        self.ep.settle()
        self.token = 'aoaAAAAAGZ-sso-access-token-%s' % os.urandom(8).hex()
        self.ep.control('PUT', 'sso', {'access_token': self.token, 'account_id': self.acct,
                                       'role_name': 'AWSReservedSSO_Admin_0123'})
        with open(self.env['AWS_SHARED_CREDENTIALS_FILE'], 'w') as f:
            f.write('')

    def tearDown(self):
        self.tmp.cleanup()

    def cache(self, key, expires_in=3600, fmt='%Y-%m-%dT%H:%M:%SZ', token=None):
        d = os.path.join(self.env['HOME'], '.aws', 'sso', 'cache')
        os.makedirs(d, exist_ok=True)
        exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in)
        path = os.path.join(d, hashlib.sha1(key.encode()).hexdigest() + '.json')
        with open(path, 'w') as f:
            json.dump({'startUrl': START, 'region': 'eu-west-1', 'accessToken': token or self.token,
                       'expiresAt': exp.strftime(fmt)}, f)
        return path

    def config(self, text):
        with open(self.env['AWS_CONFIG_FILE'], 'w') as f:
            f.write('[default]\nregion = us-east-1\n[services local]\nsso =\n  endpoint_url = %s\n'
                    'sts =\n  endpoint_url = %s\n' % (self.ep.url, self.ep.url) + text)

    def whoami(self, code=0):
        r = subprocess.run([KEYWARDEN, '-v', '--profile', 'ops', 'whoami', '-o', 'json'],
                           capture_output=True, text=True, env=self.env, timeout=60,
                           stdin=subprocess.DEVNULL)
        self.assertNotIn(self.token, r.stdout + r.stderr)
        self.assertEqual(r.returncode, code, r.stderr)
        return (json.loads(r.stdout) if code == 0 else None), r

    def test_sso_session_profile(self):
        self.config('[profile ops]\nsso_session = my-org\nsso_account_id = %s\n'
                    'sso_role_name = AWSReservedSSO_Admin_0123\nservices = local\n'
                    '[sso-session my-org]\nsso_start_url = %s\nsso_region = eu-west-1\n'
                    % (self.acct, START))
        self.cache('my-org')
        self.ep.reset_counts()
        out, _ = self.whoami()
        self.assertEqual(out['Provider'], 'sso')
        self.assertIn(':assumed-role/AWSReservedSSO_Admin_0123/', out['Arn'])
        self.assertIn('account %s role AWSReservedSSO_Admin_0123' % self.acct, out['Chain'])
        self.assertEqual(self.ep.counts().get('SSO:GetRoleCredentials'), 1)

    def test_legacy_profile_and_the_older_expiry_format(self):
        self.config('[profile ops]\nsso_start_url = %s\nsso_region = eu-west-1\nsso_account_id = %s\n'
                    'sso_role_name = AWSReservedSSO_Admin_0123\nservices = local\n' % (START, self.acct))
        self.cache(START, fmt='%Y-%m-%dT%H:%M:%SUTC')
        out, _ = self.whoami()
        self.assertIn(':assumed-role/AWSReservedSSO_Admin_0123/', out['Arn'])

    def test_expired_or_missing_token_says_to_log_in(self):
        self.config('[profile ops]\nsso_session = my-org\nsso_account_id = %s\n'
                    'sso_role_name = AWSReservedSSO_Admin_0123\nservices = local\n'
                    '[sso-session my-org]\nsso_start_url = %s\nsso_region = eu-west-1\n'
                    % (self.acct, START))
        _, r = self.whoami(1)
        self.assertIn('run aws sso login --profile ops', r.stderr)
        self.cache('my-org', expires_in=-60)
        self.ep.reset_counts()
        _, r = self.whoami(1)
        self.assertIn('has expired: run aws sso login --profile ops', r.stderr)
        self.assertEqual(self.ep.counts(), {})
        # a token the portal does not know (revoked) is the same advice
        self.cache('my-org', token='revoked-token-0000')
        _, r = self.whoami(1)
        self.assertIn('UnauthorizedException', r.stderr)
        self.assertIn('run aws sso login --profile ops', r.stderr)

    def test_missing_settings_are_named(self):
        self.config('[profile ops]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = r\n')
        _, r = self.whoami(1)
        self.assertIn('no [sso-session nope] section', r.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
