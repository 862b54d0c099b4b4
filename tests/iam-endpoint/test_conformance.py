"""Conformance: Debian's AWS CLI drives every operation in the order a provisioning takes,
and every answer parses and reads back as written.

Most calls run the CLI in-process (kwtest.AwsCli: the code behind /usr/bin/aws, ~20 ms a
call); a few run the /usr/bin/aws binary itself to prove the real command works end to end.
"""
import base64
import csv
import io
import json
import os
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))
import kwtest     # noqa: E402
import rawclient  # noqa: E402

ACCOUNT = '123456789012'
EC2_RO = 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess'
INLINE = {'Version': '2012-10-17', 'Statement': [
    {'Sid': 'Inventory', 'Effect': 'Allow', 'Action': ['ec2:DescribeInstances', 'ec2:DescribeTags'],
     'Resource': '*'}]}
BOUNDARY = {'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Action': ['ec2:*', 'sts:GetCallerIdentity'], 'Resource': '*'}]}


class Provisioning(kwtest.CliCase):
    endpoint_kwargs = {'account_id': ACCOUNT}

    def assertAwsError(self, code, *args, cli=None):
        e = self.aws_error(*args, cli=cli)
        self.assertEqual(e.code, code, str(e))
        return e

    def test_provisioning_in_order_then_destroy(self):
        cli = self.cli
        name = 'service-ansible'
        # 1. user, with tags -> GetUser
        out = cli('iam', 'create-user', '--user-name', name, '--path', '/service/',
                  '--tags', 'Key=managed-by,Value=keywarden', 'Key=owner,Value=platform-team')
        user = out['User']
        self.assertEqual(user['Arn'], 'arn:aws:iam::%s:user/service/%s' % (ACCOUNT, name))
        self.assertRegex(user['UserId'], r'^AIDA[A-Z2-7]{17}$')
        got = cli('iam', 'get-user', '--user-name', name)['User']
        self.assertEqual(got['UserId'], user['UserId'])
        self.assertEqual(got['Path'], '/service/')
        self.assertEqual(sorted((t['Key'], t['Value']) for t in got['Tags']),
                         [('managed-by', 'keywarden'), ('owner', 'platform-team')])
        # 2. group -> GetGroup
        group = cli('iam', 'create-group', '--group-name', name, '--path', '/service/')['Group']
        self.assertEqual(group['Arn'], 'arn:aws:iam::%s:group/service/%s' % (ACCOUNT, name))
        got = cli('iam', 'get-group', '--group-name', name)
        self.assertEqual(got['Group']['GroupId'], group['GroupId'])
        self.assertEqual(got['Users'], [])
        # 3. membership -> ListGroupsForUser, GetGroup
        cli('iam', 'add-user-to-group', '--group-name', name, '--user-name', name)
        groups = cli('iam', 'list-groups-for-user', '--user-name', name)['Groups']
        self.assertEqual([g['GroupName'] for g in groups], [name])
        self.assertEqual([u['UserName'] for u in cli('iam', 'get-group', '--group-name', name)['Users']],
                         [name])
        # 4. group policies: inline and managed (AWS and customer) -> read back
        cli('iam', 'put-group-policy', '--group-name', name, '--policy-name', 'ec2-inventory',
            '--policy-document', json.dumps(INLINE))
        got = cli('iam', 'get-group-policy', '--group-name', name, '--policy-name', 'ec2-inventory')
        self.assertEqual(got['PolicyDocument'], INLINE)   # the CLI URL-decodes and parses it
        self.assertEqual(cli('iam', 'list-group-policies', '--group-name', name)['PolicyNames'],
                         ['ec2-inventory'])
        cli('iam', 'attach-group-policy', '--group-name', name, '--policy-arn', EC2_RO)
        pol = cli('iam', 'create-policy', '--policy-name', 'service-boundary', '--path', '/kw/',
                  '--policy-document', json.dumps(BOUNDARY), '--description', 'boundary')['Policy']
        self.assertEqual(pol['Arn'], 'arn:aws:iam::%s:policy/kw/service-boundary' % ACCOUNT)
        self.assertEqual(pol['DefaultVersionId'], 'v1')
        attached = cli('iam', 'list-attached-group-policies', '--group-name', name)['AttachedPolicies']
        self.assertEqual(attached, [{'PolicyName': 'AmazonEC2ReadOnlyAccess', 'PolicyArn': EC2_RO}])
        got = cli('iam', 'get-policy', '--policy-arn', EC2_RO)['Policy']
        self.assertEqual(got['AttachmentCount'], 1)
        ver = cli('iam', 'get-policy-version', '--policy-arn', pol['Arn'], '--version-id', 'v1')
        self.assertEqual(ver['PolicyVersion']['Document'], BOUNDARY)
        self.assertTrue(ver['PolicyVersion']['IsDefaultVersion'])
        v2 = cli('iam', 'create-policy-version', '--policy-arn', pol['Arn'], '--policy-document',
                 json.dumps(BOUNDARY), '--set-as-default')['PolicyVersion']
        self.assertEqual(v2['VersionId'], 'v2')
        versions = cli('iam', 'list-policy-versions', '--policy-arn', pol['Arn'])['Versions']
        self.assertEqual([(v['VersionId'], v['IsDefaultVersion']) for v in versions],
                         [('v2', True), ('v1', False)])
        cli('iam', 'delete-policy-version', '--policy-arn', pol['Arn'], '--version-id', 'v1')
        local = cli('iam', 'list-policies', '--scope', 'Local')['Policies']
        self.assertEqual([p['PolicyName'] for p in local], ['service-boundary'])
        # permissions boundary on the user
        cli('iam', 'put-user-permissions-boundary', '--user-name', name,
            '--permissions-boundary', pol['Arn'])
        got = cli('iam', 'get-user', '--user-name', name)['User']
        self.assertEqual(got['PermissionsBoundary'], {'PermissionsBoundaryType': 'PermissionsBoundaryPolicy',
                                                      'PermissionsBoundaryArn': pol['Arn']})
        ents = cli('iam', 'list-entities-for-policy', '--policy-arn', EC2_RO)
        self.assertEqual([g['GroupName'] for g in ents['PolicyGroups']], [name])
        # 5. console: a login profile made by someone (drift), then removed
        cli('iam', 'create-login-profile', '--user-name', name, '--password', 'Drift-Passw0rd!')
        lp = cli('iam', 'get-login-profile', '--user-name', name)['LoginProfile']
        self.assertEqual(lp['UserName'], name)
        self.assertFalse(lp['PasswordResetRequired'])
        cli('iam', 'delete-login-profile', '--user-name', name)
        self.assertAwsError('NoSuchEntity', 'iam', 'get-login-profile', '--user-name', name)
        # 6. tags
        cli('iam', 'tag-user', '--user-name', name, '--tags', 'Key=software,Value=ansible',
            'Key=owner,Value=infra')
        cli('iam', 'untag-user', '--user-name', name, '--tag-keys', 'managed-by')
        tags = cli('iam', 'list-user-tags', '--user-name', name)['Tags']
        self.assertEqual(sorted((t['Key'], t['Value']) for t in tags),
                         [('owner', 'infra'), ('software', 'ansible')])
        cli('iam', 'tag-user', '--user-name', name, '--tags', 'Key=managed-by,Value=keywarden')
        # 7. MFA: virtual device, two consecutive TOTP codes
        seed_file = os.path.join(self.tmp.name, 'seed.txt')
        dev = cli('iam', 'create-virtual-mfa-device', '--virtual-mfa-device-name', name,
                  '--outfile', seed_file, '--bootstrap-method', 'Base32StringSeed')['VirtualMFADevice']
        serial = dev['SerialNumber']
        self.assertEqual(serial, 'arn:aws:iam::%s:mfa/%s' % (ACCOUNT, name))
        with open(seed_file) as f:
            seed = f.read()
        png_file = os.path.join(self.tmp.name, 'qr.png')
        cli('iam', 'create-virtual-mfa-device', '--virtual-mfa-device-name', 'spare',
            '--outfile', png_file, '--bootstrap-method', 'QRCodePNG')
        with open(png_file, 'rb') as f:
            self.assertEqual(f.read(8), b'\x89PNG\r\n\x1a\n')
        cli('iam', 'delete-virtual-mfa-device', '--serial-number',
            'arn:aws:iam::%s:mfa/spare' % ACCOUNT)
        self.assertRegex(seed, r'^[A-Z2-7]{64}$')
        unassigned = cli('iam', 'list-virtual-mfa-devices', '--assignment-status', 'Unassigned')
        self.assertEqual([d['SerialNumber'] for d in unassigned['VirtualMFADevices']], [serial])
        c1, c2 = kwtest.totp_pair(seed)
        cli('iam', 'enable-mfa-device', '--user-name', name, '--serial-number', serial,
            '--authentication-code1', c1, '--authentication-code2', c2)
        devices = cli('iam', 'list-mfa-devices', '--user-name', name)['MFADevices']
        self.assertEqual([(d['UserName'], d['SerialNumber']) for d in devices], [(name, serial)])
        assigned = cli('iam', 'list-virtual-mfa-devices', '--assignment-status', 'Assigned')
        self.assertEqual(assigned['VirtualMFADevices'][0]['User']['UserName'], name)
        self.assertNotIn('Base32StringSeed', assigned['VirtualMFADevices'][0])
        # 8. only now: the access key, confirmed usable by calling STS as itself
        key = cli('iam', 'create-access-key', '--user-name', name)['AccessKey']
        self.assertRegex(key['AccessKeyId'], r'^AKIA[A-Z2-7]{16}$')
        self.assertEqual(key['Status'], 'Active')
        self.assertEqual(len(key['SecretAccessKey']), 40)
        meta = cli('iam', 'list-access-keys', '--user-name', name)['AccessKeyMetadata']
        self.assertEqual([m['AccessKeyId'] for m in meta], [key['AccessKeyId']])
        self.assertNotIn('SecretAccessKey', meta[0])
        last = cli('iam', 'get-access-key-last-used', '--access-key-id', key['AccessKeyId'])
        self.assertEqual(last['AccessKeyLastUsed'], {'ServiceName': 'N/A', 'Region': 'N/A'})
        svc_env = dict(self.env, AWS_ACCESS_KEY_ID=key['AccessKeyId'],
                       AWS_SECRET_ACCESS_KEY=key['SecretAccessKey'])
        svc = kwtest.AwsCli(svc_env)
        self.addCleanup(svc.close)
        me = svc('sts', 'get-caller-identity')
        self.assertEqual(me, {'UserId': user['UserId'], 'Account': ACCOUNT, 'Arn': user['Arn']})
        last = cli('iam', 'get-access-key-last-used', '--access-key-id', key['AccessKeyId'])
        self.assertEqual(last['UserName'], name)
        self.assertEqual(last['AccessKeyLastUsed']['ServiceName'], 'sts')
        self.assertEqual(last['AccessKeyLastUsed']['Region'], 'us-east-1')
        self.assertIn('LastUsedDate', last['AccessKeyLastUsed'])
        # Its policies do not allow IAM writes.
        self.assertAwsError('AccessDenied', 'iam', 'list-users', cli=svc)
        # Account-wide views
        details = cli('iam', 'get-account-authorization-details')
        ud = details['UserDetailList'][0]
        self.assertEqual(ud['GroupList'], [name])
        self.assertEqual(ud['PermissionsBoundary']['PermissionsBoundaryArn'], pol['Arn'])
        gd = details['GroupDetailList'][0]
        self.assertEqual(gd['GroupPolicyList'], [{'PolicyName': 'ec2-inventory', 'PolicyDocument': INLINE}])
        self.assertEqual(gd['AttachedManagedPolicies'], attached)
        self.assertEqual(sorted(p['Arn'] for p in details['Policies']), sorted([EC2_RO, pol['Arn']]))
        self.assertEqual(cli('iam', 'generate-credential-report')['State'], 'STARTED')
        self.assertEqual(cli('iam', 'generate-credential-report')['State'], 'COMPLETE')
        report = cli('iam', 'get-credential-report')
        self.assertEqual(report['ReportFormat'], 'text/csv')
        rows = list(csv.DictReader(io.StringIO(base64.b64decode(report['Content']).decode())))
        self.assertEqual([r['user'] for r in rows], ['<root_account>', name])
        row = rows[1]
        self.assertEqual((row['password_enabled'], row['mfa_active'], row['access_key_1_active'],
                          row['access_key_1_last_used_service'], row['access_key_2_active']),
                         ('false', 'true', 'true', 'iam', 'false'))   # iam: the denied ListUsers
        # Rotation and deactivation: an inactive key is refused.
        cli('iam', 'update-access-key', '--user-name', name, '--access-key-id', key['AccessKeyId'],
            '--status', 'Inactive')
        self.assertAwsError('InvalidClientTokenId', 'sts', 'get-caller-identity',
                            cli=svc)
        # destroy, in the order IAM requires
        cli('iam', 'delete-access-key', '--user-name', name, '--access-key-id', key['AccessKeyId'])
        cli('iam', 'deactivate-mfa-device', '--user-name', name, '--serial-number', serial)
        cli('iam', 'delete-virtual-mfa-device', '--serial-number', serial)
        cli('iam', 'remove-user-from-group', '--group-name', name, '--user-name', name)
        cli('iam', 'delete-user-permissions-boundary', '--user-name', name)
        cli('iam', 'delete-user', '--user-name', name)
        cli('iam', 'detach-group-policy', '--group-name', name, '--policy-arn', EC2_RO)
        cli('iam', 'delete-group-policy', '--group-name', name, '--policy-name', 'ec2-inventory')
        cli('iam', 'delete-group', '--group-name', name)
        cli('iam', 'delete-policy', '--policy-arn', pol['Arn'])
        self.assertEqual(cli('iam', 'list-users')['Users'], [])
        self.assertEqual(cli('iam', 'list-groups')['Groups'], [])
        self.assertEqual(cli('iam', 'list-virtual-mfa-devices')['VirtualMFADevices'], [])
        self.assertEqual(cli('iam', 'list-policies', '--scope', 'Local')['Policies'], [])

    def test_user_policies_inline_and_attached(self):
        cli = self.cli
        cli('iam', 'create-user', '--user-name', 'drifted')
        cli('iam', 'put-user-policy', '--user-name', 'drifted', '--policy-name', 'direct',
            '--policy-document', json.dumps(INLINE))
        cli('iam', 'attach-user-policy', '--user-name', 'drifted', '--policy-arn',
            'arn:aws:iam::aws:policy/ReadOnlyAccess')
        self.assertEqual(cli('iam', 'get-user-policy', '--user-name', 'drifted', '--policy-name',
                             'direct')['PolicyDocument'], INLINE)
        self.assertEqual(cli('iam', 'list-user-policies', '--user-name', 'drifted')['PolicyNames'],
                         ['direct'])
        att = cli('iam', 'list-attached-user-policies', '--user-name', 'drifted')['AttachedPolicies']
        self.assertEqual([a['PolicyName'] for a in att], ['ReadOnlyAccess'])
        self.assertAwsError('DeleteConflict', 'iam', 'delete-user', '--user-name', 'drifted')
        cli('iam', 'delete-user-policy', '--user-name', 'drifted', '--policy-name', 'direct')
        cli('iam', 'detach-user-policy', '--user-name', 'drifted', '--policy-arn',
            'arn:aws:iam::aws:policy/ReadOnlyAccess')
        cli('iam', 'delete-user', '--user-name', 'drifted')

    def test_aws_managed_policies_exist(self):
        names = {p['PolicyName'] for p in self.cli('iam', 'list-policies', '--scope', 'AWS',
                                                    '--max-items', '1000')['Policies']}
        for n in ('ReadOnlyAccess', 'AmazonEC2ReadOnlyAccess', 'AmazonS3ReadOnlyAccess',
                  'AmazonRoute53FullAccess', 'IAMUserChangePassword', 'AdministratorAccess'):
            self.assertIn(n, names)

    def test_the_real_aws_binary(self):
        """/usr/bin/aws as a subprocess, with the environment tests give keywarden."""
        me = kwtest.aws(self.env, 'sts', 'get-caller-identity')
        self.assertEqual(me['Arn'], 'arn:aws:iam::%s:root' % ACCOUNT)
        kwtest.aws(self.env, 'iam', 'create-group', '--group-name', 'via-binary')
        got = self.cli('iam', 'get-group', '--group-name', 'VIA-BINARY')
        self.assertEqual(got['Group']['GroupName'], 'via-binary')
        with self.assertRaises(kwtest.AwsError) as cm:
            kwtest.aws(self.env, 'iam', 'get-user', '--user-name', 'nobody')
        self.assertEqual(cm.exception.code, 'NoSuchEntity')
        self.cli('iam', 'delete-group', '--group-name', 'via-binary')


class Fixture(unittest.TestCase):
    def test_startup_is_fast_and_stop_is_clean(self):
        ep = kwtest.Endpoint()
        t0 = time.monotonic()
        ep.start()
        startup = time.monotonic() - t0
        self.assertTrue(ep.url.startswith('http://127.0.0.1:'))
        self.assertEqual(ep.control('GET', 'health')['ok'], True)
        with open('/proc/%d/cmdline' % ep.process.pid, 'rb') as f:
            self.assertNotIn(ep.secret_access_key.encode(), f.read())
        proc = ep.process
        ep.stop()
        self.assertEqual(proc.returncode, 0)
        sys.stderr.write('endpoint startup: %.2f s\n' % startup)

    def test_state_file_survives_a_restart(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'state.json')
            with kwtest.Endpoint(state=path) as ep:
                self.assertEqual(rawclient.call(ep, 'CreateUser', {'UserName': 'persisted'}).status, 200)
            with kwtest.Endpoint(state=path) as ep:
                a = rawclient.call(ep, 'GetUser', {'UserName': 'persisted'})
                self.assertEqual(a.parsed['User']['UserName'], 'persisted')


if __name__ == '__main__':
    unittest.main(verbosity=2)
