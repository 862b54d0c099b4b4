"""IAM roles and STS AssumeRole in the local endpoint, driven by botocore's own clients: the
trust policy decides who may assume a role, temporary ASIA credentials work only with their
session token and until their Expiration (the endpoint's clock), GetCallerIdentity answers
the assumed-role ARN, and sessions act with the role's policies."""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))
import iamstate             # noqa: E402
import kwtest               # noqa: E402


class Roles(kwtest.BotocoreCase):
    def setUp(self):
        super().setUp()
        self.acct = self.ep.account_id

    def make_role(self, name, doc, **kw):
        return self.client('iam').create_role(RoleName=name, AssumeRolePolicyDocument=doc,
                                              **kw)['Role']

    def test_role_crud_keeps_the_trust_policy(self):
        doc = kwtest.trust_policy('arn:aws:iam::%s:root' % self.acct)
        r = self.make_role('deployer', doc, Path='/ops/', MaxSessionDuration=7200)
        self.assertEqual(r['Arn'], 'arn:aws:iam::%s:role/ops/deployer' % self.acct)
        self.assertTrue(r['RoleId'].startswith('AROA'))
        iam = self.client('iam')
        got = iam.get_role(RoleName='deployer')['Role']
        self.assertEqual(got['AssumeRolePolicyDocument'], json.loads(doc))  # botocore decodes it
        self.assertEqual(got['MaxSessionDuration'], 7200)
        self.assertEqual(self.code(self.make_role, 'deployer', doc), 'EntityAlreadyExists')
        iam.put_role_policy(RoleName='deployer', PolicyName='p', PolicyDocument=json.dumps(
            {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'iam:List*',
                                                     'Resource': '*'}]}))
        self.assertEqual(iam.list_role_policies(RoleName='deployer')['PolicyNames'], ['p'])
        self.assertEqual(self.code(iam.delete_role, RoleName='deployer'), 'DeleteConflict')
        iam.delete_role_policy(RoleName='deployer', PolicyName='p')
        iam.delete_role(RoleName='deployer')
        self.assertEqual(self.code(iam.get_role, RoleName='deployer'), 'NoSuchEntity')
        # a trust policy with a Resource, or without a Principal, is malformed
        bad = json.dumps({'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole',
                                         'Resource': '*'}]})
        self.assertEqual(self.code(self.make_role, 'x', bad), 'MalformedPolicyDocument')

    def test_role_policies_read_back_within_the_role_quotas(self):
        self.make_role('ops', kwtest.trust_policy(self.acct))
        iam = self.client('iam')

        def doc(n):   # a policy document of about n characters
            return json.dumps({'Version': '2012-10-17', 'Statement': [
                {'Sid': 'S' + 'x' * n, 'Effect': 'Allow', 'Action': 'iam:List*', 'Resource': '*'}]})
        iam.put_role_policy(RoleName='ops', PolicyName='big', PolicyDocument=doc(8000))
        got = iam.get_role_policy(RoleName='ops', PolicyName='big')
        self.assertEqual((got['RoleName'], got['PolicyName']), ('ops', 'big'))
        self.assertEqual(self.code(iam.get_role_policy, RoleName='ops', PolicyName='none'),
                         'NoSuchEntity')
        self.assertEqual(self.code(iam.put_role_policy, RoleName='ops', PolicyName='more',
                                   PolicyDocument=doc(3000)), 'LimitExceeded')   # 10240 in all
        for i in range(10):
            arn = iam.create_policy(PolicyName='p%d' % i, PolicyDocument=doc(10))['Policy']['Arn']
            iam.attach_role_policy(RoleName='ops', PolicyArn=arn)
        self.assertEqual(len(iam.list_attached_role_policies(RoleName='ops')['AttachedPolicies']),
                         10)
        with self.assertRaises(Exception) as cm:
            iam.attach_role_policy(RoleName='ops',
                                   PolicyArn='arn:aws:iam::aws:policy/ReadOnlyAccess')
        self.assertIn('PoliciesPerRole: 10', str(cm.exception))
        iam.detach_role_policy(RoleName='ops', PolicyArn=arn)
        self.assertEqual(self.code(iam.detach_role_policy, RoleName='ops', PolicyArn=arn),
                         'NoSuchEntity')

    def assume(self, arn, client=None, **kw):
        return (client or self.client('sts')).assume_role(RoleArn=arn, RoleSessionName='s1', **kw)

    def test_assume_role_gives_working_temporary_credentials(self):
        arn = self.make_role('ops', kwtest.trust_policy(self.acct))['Arn']
        out = self.assume(arn, DurationSeconds=900)
        c = out['Credentials']
        self.assertTrue(c['AccessKeyId'].startswith('ASIA'))
        self.assertEqual(out['AssumedRoleUser']['Arn'],
                         'arn:aws:sts::%s:assumed-role/ops/s1' % self.acct)
        sts = self.client('sts', c['AccessKeyId'], c['SecretAccessKey'], c['SessionToken'])
        me = sts.get_caller_identity()
        self.assertEqual(me['Arn'], 'arn:aws:sts::%s:assumed-role/ops/s1' % self.acct)
        self.assertTrue(me['UserId'].endswith(':s1'))
        # without the token, or with another, the key is not accepted
        self.assertEqual(self.code(self.client('sts', c['AccessKeyId'], c['SecretAccessKey'])
                                   .get_caller_identity), 'InvalidClientTokenId')
        self.assertEqual(self.code(self.client('sts', c['AccessKeyId'], c['SecretAccessKey'],
                                               'x' + c['SessionToken']).get_caller_identity),
                         'InvalidClientTokenId')
        # the session acts with the role's policies: none yet
        iam = self.client('iam', c['AccessKeyId'], c['SecretAccessKey'], c['SessionToken'])
        self.assertEqual(self.code(iam.list_users), 'AccessDenied')
        self.client('iam').put_role_policy(RoleName='ops', PolicyName='read', PolicyDocument=json.dumps(
            {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'iam:ListUsers',
                                                     'Resource': '*'}]}))
        self.ep.settle()
        iam.list_users()
        # after the Expiration (the endpoint's clock) the token is expired
        self.ep.advance_clock(901)
        self.assertEqual(self.code(sts.get_caller_identity), 'ExpiredToken')

    def test_trust_policy_refuses_callers_it_does_not_name(self):
        iam = self.client('iam')
        iam.create_user(UserName='alice')
        iam.put_user_policy(UserName='alice', PolicyName='assume', PolicyDocument=json.dumps(
            {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole',
                                                     'Resource': '*'}]}))
        k = iam.create_access_key(UserName='alice')['AccessKey']
        self.ep.settle()
        alice = self.client('sts', k['AccessKeyId'], k['SecretAccessKey'])
        only_bob = self.make_role('bobs', kwtest.trust_policy('arn:aws:iam::%s:user/bob' % self.acct))['Arn']
        self.assertEqual(self.code(self.assume, only_bob, alice), 'AccessDenied')
        alices = self.make_role('alices', kwtest.trust_policy('arn:aws:iam::%s:user/alice' % self.acct))['Arn']
        self.assume(alices, alice)
        # external id condition
        ext = self.make_role('ext', kwtest.trust_policy(self.acct, StringEquals={'sts:ExternalId': 'e-1'}))['Arn']
        self.assertEqual(self.code(self.assume, ext), 'AccessDenied')
        self.assertEqual(self.code(self.assume, ext, ExternalId='e-2'), 'AccessDenied')
        self.assume(ext, ExternalId='e-1')
        # a role that does not exist is refused the same way
        self.assertEqual(self.code(self.assume, 'arn:aws:iam::%s:role/none' % self.acct),
                         'AccessDenied')
        # durations outside the role's limit
        self.assertEqual(self.code(self.assume, alices, alice, DurationSeconds=7200),
                         'ValidationError')

    def test_role_chaining_and_mfa(self):
        a = self.make_role('a', kwtest.trust_policy(self.acct))['Arn']
        b = self.make_role('b', kwtest.trust_policy(a), MaxSessionDuration=7200)['Arn']
        c = self.assume(a)['Credentials']
        sts_a = self.client('sts', c['AccessKeyId'], c['SecretAccessKey'], c['SessionToken'])
        self.client('iam').put_role_policy(RoleName='a', PolicyName='chain', PolicyDocument=json.dumps(
            {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole',
                                                     'Resource': '*'}]}))
        self.ep.settle()
        out = self.assume(b, sts_a)
        self.assertEqual(out['AssumedRoleUser']['Arn'],
                         'arn:aws:sts::%s:assumed-role/b/s1' % self.acct)
        self.assertEqual(self.code(self.assume, b, sts_a, DurationSeconds=7200), 'ValidationError')
        self.assertEqual(self.code(self.assume, b), 'AccessDenied')  # root is not named by b
        # MFA: a role that needs it, a user with a device
        iam = self.client('iam')
        m = self.make_role('m', kwtest.trust_policy(self.acct, Bool={'aws:MultiFactorAuthPresent': 'true'}))['Arn']
        iam.create_user(UserName='carol')
        iam.put_user_policy(UserName='carol', PolicyName='assume', PolicyDocument=json.dumps(
            {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole',
                                                     'Resource': '*'}]}))
        dev = iam.create_virtual_mfa_device(VirtualMFADeviceName='carol')['VirtualMFADevice']
        seed = dev['Base32StringSeed'].decode()
        c1, c2 = kwtest.totp_pair(seed)
        iam.enable_mfa_device(UserName='carol', SerialNumber=dev['SerialNumber'],
                              AuthenticationCode1=c1, AuthenticationCode2=c2)
        k = iam.create_access_key(UserName='carol')['AccessKey']
        self.ep.settle()
        carol = self.client('sts', k['AccessKeyId'], k['SecretAccessKey'])
        self.assertEqual(self.code(self.assume, m, carol), 'AccessDenied')
        self.assertEqual(self.code(self.assume, m, carol, SerialNumber=dev['SerialNumber'],
                                   TokenCode='000000' if kwtest.totp(seed) != '000000' else '111111'),
                         'AccessDenied')
        self.assume(m, carol, SerialNumber=dev['SerialNumber'], TokenCode=kwtest.totp(seed))

    def test_botocore_fetchers_read_the_metadata_routes(self):
        """botocore's own IMDS and container fetchers accept what the routes answer."""
        from botocore.utils import ContainerMetadataFetcher, InstanceMetadataFetcher
        self.make_role('inst', kwtest.trust_policy(self.acct))
        self.ep.control('PUT', 'imds', {'role': 'inst', 'require_token': True, 'refuse_token': False})
        creds = InstanceMetadataFetcher(
            num_attempts=1, config={'ec2_metadata_service_endpoint': self.ep.url}
        ).retrieve_iam_role_credentials()
        self.assertEqual(creds['role_name'], 'inst')
        sts = self.client('sts', creds['access_key'], creds['secret_key'], creds['token'])
        self.assertIn(':assumed-role/inst/', sts.get_caller_identity()['Arn'])
        self.ep.control('PUT', 'container', {'id': 'c1', 'role': 'inst', 'token': 'abc'})
        c = ContainerMetadataFetcher().retrieve_full_uri(self.ep.url + '/v2/credentials/c1',
                                                         headers={'Authorization': 'abc'})
        self.assertTrue(c['AccessKeyId'].startswith('ASIA'))
        self.ep.control('PUT', 'imds', {'refuse_token': True})
        self.assertEqual(InstanceMetadataFetcher(
            num_attempts=1, config={'ec2_metadata_service_endpoint': self.ep.url}
        ).retrieve_iam_role_credentials(), {})     # PUT refused, tokens required: nothing

    def test_sessions_never_in_the_state_view(self):
        c = self.assume(self.make_role('v', kwtest.trust_policy(self.acct))['Arn'])['Credentials']
        view = json.dumps(self.ep.state())
        self.assertNotIn(c['SecretAccessKey'], view)
        self.assertNotIn(c['SessionToken'], view)
        self.assertIsNotNone(iamstate)


if __name__ == '__main__':
    unittest.main(verbosity=2)
