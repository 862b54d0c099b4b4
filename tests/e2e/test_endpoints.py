"""Endpoint resolution against botocore's own endpoint data: for each partition (aws, aws-cn,
aws-us-gov, aws-iso, aws-iso-b), the aws-global region, and with AWS_USE_FIPS_ENDPOINT /
use_fips_endpoint, keywarden picks the IAM and STS URLs and signing regions that Debian's
botocore resolves (and refuses where botocore's data has no real FIPS host).
AWS_ENDPOINT_URL_STS and the services section override them. No request leaves the machine:
https_proxy points at a closed local port."""
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get('KW_SOURCE_DIR', '.'), 'tests', 'lib'))

KEYWARDEN = os.environ.get('KEYWARDEN', 'build/test/keywarden')

BOTOCORE = r'''
import sys
import botocore.session
from botocore.config import Config
s = botocore.session.get_session()
for line in sys.stdin:
    svc, region, fips = line.split()
    c = s.create_client(svc, region_name=region, aws_access_key_id='a', aws_secret_access_key='b',
                        config=Config(use_fips_endpoint=fips == 'true'))
    print(svc, region, fips, c.meta.endpoint_url, c._request_signer._region_name)
'''

REGIONS = ['us-east-1', 'eu-west-1', 'aws-global', 'cn-north-1', 'us-gov-west-1', 'us-gov-east-1',
           'us-iso-east-1', 'us-isob-east-1']
# where botocore's data yields a host that does not exist, keywarden refuses instead
NO_FIPS = {('iam', 'cn-north-1'), ('iam', 'us-iso-east-1'), ('iam', 'us-isob-east-1'),
           ('sts', 'aws-global')}


class Endpoints(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        self.env.update(HOME=self.tmp.name, AWS_ACCESS_KEY_ID='AKIAEXAMPLEEXAMPLE01',
                        AWS_SECRET_ACCESS_KEY='x' * 40, AWS_MAX_ATTEMPTS='1',
                        AWS_CONFIG_FILE=os.path.join(self.tmp.name, 'config'),
                        AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.tmp.name, 'credentials'),
                        AWS_STS_REGIONAL_ENDPOINTS='regional',
                        https_proxy='http://127.0.0.1:9', HTTPS_PROXY='http://127.0.0.1:9')

    def tearDown(self):
        self.tmp.cleanup()

    def resolved(self, region, env=None):
        """(iam url, iam signing region, sts url, sts signing region) keywarden logs at -vv."""
        r = subprocess.run([KEYWARDEN, '-vv', '--region', region, 'whoami'], capture_output=True,
                           text=True, env=env or self.env, timeout=60, stdin=subprocess.DEVNULL)
        m = re.search(r'aws: region (\S+), iam (\S+) \(([^,]+), signed (\S+)\), sts (\S+) \(([^)]+)\)',
                      r.stderr)
        return (m.groups() if m else None), r

    def test_partitions_and_fips_as_botocore_resolves_them(self):
        lines = ['%s %s %s' % (svc, reg, fips) for reg in REGIONS for svc in ('iam', 'sts')
                 for fips in ('false', 'true')]
        b = subprocess.run(['/usr/bin/python3', '-c', BOTOCORE], input='\n'.join(lines) + '\n',
                           capture_output=True, text=True, check=True, env=self.env)
        expect = {}
        for line in b.stdout.splitlines():
            svc, reg, fips, url, signing = line.split()
            expect[(svc, reg, fips)] = (url.rstrip('/') + '/', signing)
        for reg in REGIONS:
            for fips in ('false', 'true'):
                with self.subTest(region=reg, fips=fips):
                    env = dict(self.env, AWS_USE_FIPS_ENDPOINT=fips)
                    got, r = self.resolved(reg, env)
                    if fips == 'true' and any((s, reg) in NO_FIPS for s in ('iam', 'sts')):
                        self.assertIsNone(got)
                        self.assertIn('no FIPS endpoint', r.stderr)
                        continue
                    self.assertIsNotNone(got, r.stderr)
                    _, iam, _, iam_signed, sts, _ = got
                    self.assertEqual((iam, iam_signed), expect[('iam', reg, fips)])
                    self.assertEqual(sts, expect[('sts', reg, fips)][0])

    def test_fips_from_the_profile_and_bad_values(self):
        with open(self.env['AWS_CONFIG_FILE'], 'w') as f:
            f.write('[default]\nuse_fips_endpoint = true\n')
        got, r = self.resolved('us-west-2')
        self.assertEqual((got[1], got[4]), ('https://iam-fips.amazonaws.com/',
                                            'https://sts-fips.us-west-2.amazonaws.com/'), r.stderr)
        with open(self.env['AWS_CONFIG_FILE'], 'w') as f:
            f.write('[default]\nuse_fips_endpoint = yes\n')
        got, r = self.resolved('us-west-2')
        self.assertIsNone(got)
        self.assertIn("%s:2: use_fips_endpoint: 'yes' is not true or false"
                      % self.env['AWS_CONFIG_FILE'], r.stderr)

    def test_overrides_win_over_fips(self):
        with open(self.env['AWS_CONFIG_FILE'], 'w') as f:
            f.write('[default]\nservices = local\n[services local]\niam =\n'
                    '  endpoint_url = https://iam.example.test\n')
        env = dict(self.env, AWS_USE_FIPS_ENDPOINT='true', AWS_ENDPOINT_URL_STS='https://sts.example.test')
        got, r = self.resolved('eu-west-1', env)
        self.assertEqual(got[1:], ('https://iam.example.test', 'config services section', 'us-east-1',
                                   'https://sts.example.test', 'AWS_ENDPOINT_URL_STS'), r.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
