"""The providers that need no profile keys, end to end through `keywarden whoami` against the
local endpoint: web identity (an RS256 JWT in a token file, from the environment and from a
profile, re-read on refresh; a wrong audience, an expired token), container credentials
(AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN),
and EC2 instance metadata (IMDSv2 token, role, credentials; a refused token PUT; disabled).
No secret on stdout or stderr."""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.environ.get('KW_SOURCE_DIR', '.'), 'tests', 'lib'))
import kwtest  # noqa: E402

KEYWARDEN = os.environ.get('KEYWARDEN', 'build/test/keywarden')
ISSUER = 'https://gitlab.example.com'


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


class Providers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ep = kwtest.Endpoint().__enter__()
        cls.keydir = tempfile.TemporaryDirectory()
        cls.key = os.path.join(cls.keydir.name, 'issuer.pem')
        subprocess.run(['openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048',
                        '-out', cls.key], check=True, capture_output=True)
        cls.pub = subprocess.run(['openssl', 'pkey', '-in', cls.key, '-pubout'], check=True,
                                 capture_output=True, text=True).stdout

    @classmethod
    def tearDownClass(cls):
        cls.ep.__exit__(None, None, None)
        cls.keydir.cleanup()

    def setUp(self):
        self.ep.reset_state()
        self.ep.set_clock_offset(0)
        self.tmp = tempfile.TemporaryDirectory()
        self.env = kwtest.aws_env(self.ep, self.tmp.name)
        self.acct = self.ep.account_id
        with kwtest.AwsCli(self.env) as cli:
            cli('iam', 'create-role', '--role-name', 'ci', '--assume-role-policy-document', json.dumps(
                {'Version': '2012-10-17', 'Statement': [{
                    'Effect': 'Allow', 'Action': 'sts:AssumeRoleWithWebIdentity',
                    'Principal': {'Federated': 'arn:aws:iam::%s:oidc-provider/gitlab.example.com'
                                  % self.acct},
                    'Condition': {'StringEquals': {'gitlab.example.com:aud': 'sts.amazonaws.com'},
                                  'StringLike': {'gitlab.example.com:sub': 'project_path:ops/*'}}}]}))
            cli('iam', 'create-role', '--role-name', 'instance', '--assume-role-policy-document',
                kwtest.trust_policy(self.acct))
        self.ep.settle()
        self.ep.control('PUT', 'oidc', {'issuer': ISSUER, 'public_key_pem': self.pub,
                                        'audiences': ['sts.amazonaws.com']})
        # keys of the admin out of the way: these providers come after the profile's
        for k in ('AWS_SHARED_CREDENTIALS_FILE',):
            with open(self.env[k], 'w') as f:
                f.write('')
        self.env.pop('AWS_ENDPOINT_URL')            # the endpoint comes from the profile's config
        with open(self.env['AWS_CONFIG_FILE'], 'w') as f:
            f.write('[default]\nregion = us-east-1\nendpoint_url = %s\n' % self.ep.url)

    def tearDown(self):
        self.tmp.cleanup()

    def jwt(self, aud='sts.amazonaws.com', sub='project_path:ops/keys:ref_type:branch:ref:main',
            exp=None, iss=ISSUER):
        header = b64url(json.dumps({'alg': 'RS256', 'typ': 'JWT', 'kid': 'k1'}).encode())
        claims = b64url(json.dumps({'iss': iss, 'aud': aud, 'sub': sub, 'iat': int(time.time()),
                                    'exp': exp or int(time.time()) + 600}).encode())
        sig = subprocess.run(['openssl', 'dgst', '-sha256', '-sign', self.key], check=True,
                             input=('%s.%s' % (header, claims)).encode(), capture_output=True).stdout
        return '%s.%s.%s' % (header, claims, b64url(sig))

    def token_file(self, token):
        path = os.path.join(self.tmp.name, 'token')
        with open(path, 'w') as f:
            f.write(token + '\n')
        return path

    def whoami(self, env, code=0, *args):
        r = subprocess.run([KEYWARDEN, '-vv', *args, 'whoami', '-o', 'json'], capture_output=True,
                           text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
        self.assertNotIn(self.ep.secret_access_key, r.stdout + r.stderr)
        self.assertEqual(r.returncode, code, r.stderr)
        return (json.loads(r.stdout) if code == 0 else None), r

    def test_web_identity_from_the_environment(self):
        token = self.jwt()
        env = dict(self.env, AWS_WEB_IDENTITY_TOKEN_FILE=self.token_file(token),
                   AWS_ROLE_ARN='arn:aws:iam::%s:role/ci' % self.acct, AWS_ROLE_SESSION_NAME='pipeline-7')
        self.ep.reset_counts()
        out, r = self.whoami(env)
        self.assertEqual(out['Arn'], 'arn:aws:sts::%s:assumed-role/ci/pipeline-7' % self.acct)
        self.assertEqual(out['Provider'], 'assume-role-with-web-identity')
        self.assertIn('web identity token', out['Chain'])
        self.assertNotIn(token, r.stdout + r.stderr)
        self.assertEqual(self.ep.counts().get('AssumeRoleWithWebIdentity'), 1)
        log = [e for e in self.ep.log() if e.get('action') == 'AssumeRoleWithWebIdentity']
        self.assertNotIn('access_key_id', log[0])           # the call is not signed
        # --profile negates the environment (botocore's disable_env_vars): no credentials
        with open(self.env['AWS_CONFIG_FILE'], 'a') as f:
            f.write('[profile other]\nregion = us-east-1\n')
        env['AWS_EC2_METADATA_DISABLED'] = 'true'
        _, r = self.whoami(env, 1, '--profile', 'other')
        self.assertIn('no AWS credentials found', r.stderr)

    def test_web_identity_from_a_profile_and_its_errors(self):
        path = self.token_file(self.jwt(sub='project_path:ops/keys'))
        with open(self.env['AWS_CONFIG_FILE'], 'a') as f:
            f.write('[profile gitlab]\nrole_arn = arn:aws:iam::%s:role/ci\nweb_identity_token_file = %s\n'
                    'endpoint_url = %s\n' % (self.acct, path, self.ep.url))
        out, _ = self.whoami(self.env, 0, '--profile', 'gitlab')
        self.assertIn(':assumed-role/ci/keywarden-session-', out['Arn'])
        # a token for another audience, for a subject the trust policy does not name, expired
        for token, code in ((self.jwt(aud='other'), 'InvalidIdentityToken'),
                            (self.jwt(sub='project_path:other/x'), 'AccessDenied'),
                            (self.jwt(exp=int(time.time()) - 5), 'ExpiredTokenException')):
            self.token_file(token)
            _, r = self.whoami(self.env, 1, '--profile', 'gitlab')
            self.assertIn(code, r.stderr)
            self.assertNotIn(token, r.stderr)
        # a token signed by another key
        other = self.jwt()
        parts = other.split('.')
        self.token_file('%s.%s.%s' % (parts[0], parts[1], b64url(b'x' * 256)))
        _, r = self.whoami(self.env, 1, '--profile', 'gitlab')
        self.assertIn('InvalidIdentityToken', r.stderr)

    def test_web_identity_refresh_rereads_the_token_file(self):
        path = self.token_file(self.jwt())
        env = dict(self.env, AWS_WEB_IDENTITY_TOKEN_FILE=path,
                   AWS_ROLE_ARN='arn:aws:iam::%s:role/ci' % self.acct)
        # the endpoint's clock 59 minutes behind: credentials end 60 s from now, and are
        # refreshed before the first call with a token file read again
        self.ep.set_clock_offset(-(3600 - 60))
        self.ep.reset_counts()
        out, r = self.whoami(env)
        self.assertEqual(self.ep.counts().get('AssumeRoleWithWebIdentity'), 2)
        self.assertIn('expire: refreshing', r.stderr)

    def test_container_credentials_full_uri_with_a_token_file(self):
        self.ep.control('PUT', 'container', {'id': 'task-1', 'role': 'instance', 'token': 'tok-123'})
        tok = os.path.join(self.tmp.name, 'eks-token')
        with open(tok, 'w') as f:
            f.write('tok-123\n')
        env = dict(self.env, AWS_CONTAINER_CREDENTIALS_FULL_URI=self.ep.url + '/v2/credentials/task-1',
                   AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=tok)
        out, r = self.whoami(env)
        self.assertEqual(out['Provider'], 'container-role')
        self.assertIn(':assumed-role/instance/container-task-1', out['Arn'])
        self.assertNotIn('tok-123', r.stdout + r.stderr)
        # the token in the variable, and a wrong one
        del env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE']
        env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] = 'tok-123'
        self.whoami(env)
        env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] = 'wrong'
        _, r = self.whoami(env, 1)
        self.assertIn('HTTP 401', r.stderr)
        # a full URI that is neither https nor loopback nor a container address is refused
        env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] = 'http://192.0.2.10/creds'
        _, r = self.whoami(env, 1)
        self.assertIn('AWS_CONTAINER_CREDENTIALS_FULL_URI', r.stderr)

    def imds_env(self):
        env = dict(self.env, AWS_EC2_METADATA_SERVICE_ENDPOINT=self.ep.url)
        del env['AWS_EC2_METADATA_DISABLED']
        return env

    def test_instance_metadata_imdsv2(self):
        self.ep.control('PUT', 'imds', {'role': 'instance', 'require_token': True,
                                        'refuse_token': False})
        self.ep.reset_counts()
        out, r = self.whoami(self.imds_env())
        self.assertEqual(out['Provider'], 'iam-role')
        self.assertIn(':assumed-role/instance/i-0123456789abcdef0', out['Arn'])
        self.assertIn('role instance', out['Chain'])
        c = self.ep.counts()
        self.assertEqual((c.get('IMDS:Token'), c.get('IMDS:RoleName'), c.get('IMDS:Credentials')),
                         (1, 1, 1))
        # disabled: the chain ends without asking
        env = dict(self.imds_env(), AWS_EC2_METADATA_DISABLED='true')
        self.ep.reset_counts()
        _, r = self.whoami(env, 1)
        self.assertIn('no AWS credentials found', r.stderr)
        self.assertEqual(self.ep.counts(), {})

    def test_instance_metadata_refusing_the_token_put(self):
        # IMDSv2 off, IMDSv1 answering: botocore goes on without a token, and so does keywarden
        self.ep.control('PUT', 'imds', {'role': 'instance', 'require_token': False,
                                        'refuse_token': True})
        out, r = self.whoami(self.imds_env())
        self.assertIn(':assumed-role/instance/', out['Arn'])
        self.assertIn('refused an IMDSv2 token (HTTP 403): trying IMDSv1', r.stderr)
        # the token PUT refused and tokens required: a clear error, nothing signed
        self.ep.control('PUT', 'imds', {'require_token': True})
        _, r = self.whoami(self.imds_env(), 1)
        self.assertIn('without an IMDSv2 token (HTTP 401)', r.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
