"""Negative cases: signatures, keys, dates, validation, limits, conflicts, MFA codes, and
pagination, each answered with AWS's error code and HTTP status."""
import datetime
import json
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))
import kwtest      # noqa: E402
from rawclient import call   # noqa: E402

DOC = json.dumps({'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Action': 'ec2:Describe*', 'Resource': '*'}]})


class Base(kwtest.SharedEndpointCase):
    """Tests share one endpoint; setUp puts it back to a clean state."""

    def ok(self, action, params=None, **kw):
        a = call(self.ep, action, params, **kw)
        self.assertEqual(a.status, 200, a)
        return a.parsed

    def err(self, status, code, action, params=None, **kw):
        a = call(self.ep, action, params, **kw)
        self.assertEqual((a.status, a.code), (status, code), a)
        self.assertIn(b'<ErrorResponse xmlns="https://', a.body)
        self.assertIn(b'<Type>Sender</Type>' if status < 500 else b'<Type>Receiver</Type>', a.body)
        return a


class Signatures(Base):
    def test_missing_authentication(self):
        self.err(403, 'MissingAuthenticationToken', 'ListUsers', sign_it=False)

    def test_wrong_secret(self):
        a = self.err(403, 'SignatureDoesNotMatch', 'ListUsers', secret='not-the-secret')
        self.assertIn('does not match the signature you provided', a.message)

    def test_body_changed_after_signing(self):
        def tamper(req):
            req.data = req.data.replace(b'MaxItems=5', b'MaxItems=6')
        self.err(403, 'SignatureDoesNotMatch', 'ListUsers', {'MaxItems': 5}, before_send=tamper)

    def test_signed_header_changed_after_signing(self):
        seen = {}

        def tamper(req):
            # always another second than the one signed (00 -> 01, anything else -> 00)
            signed = req.headers['X-Amz-Date']
            seen['signed'], seen['sent'] = signed, signed[:-3] + ('01Z' if signed.endswith('00Z') else '00Z')
            req.headers.replace_header('X-Amz-Date', seen['sent'])
        a = call(self.ep, 'ListUsers', before_send=tamper)
        self.assertNotEqual(seen['signed'], seen['sent'])
        self.assertEqual((a.status, a.code), (403, 'SignatureDoesNotMatch'))

    def test_unsigned_header_is_ignored(self):
        def add(req):
            req.headers['X-Unsigned-Extra'] = 'anything'
        self.ok('ListUsers', before_send=add)

    def test_unknown_key(self):
        a = self.err(403, 'InvalidClientTokenId', 'ListUsers', akid='AKIAUNKNOWNUNKNOWN00',
                     secret='x')
        self.assertEqual(a.message, 'The security token included in the request is invalid.')

    def test_expired_date(self):
        when = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
        a = self.err(403, 'SignatureDoesNotMatch', 'ListUsers', when=when)
        self.assertRegex(a.message, r'^Signature expired: \d{8}T\d{6}Z is now earlier than '
                                    r'\d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$')

    def test_date_in_the_future(self):
        when = datetime.datetime.utcnow() + datetime.timedelta(minutes=20)
        a = self.err(403, 'SignatureDoesNotMatch', 'ListUsers', when=when)
        self.assertIn('Signature not yet current', a.message)

    def test_within_fifteen_minutes_is_accepted(self):
        self.ok('ListUsers', when=datetime.datetime.utcnow() - datetime.timedelta(minutes=10))

    def test_iam_must_be_signed_for_us_east_1(self):
        a = self.err(403, 'SignatureDoesNotMatch', 'ListUsers', region='eu-west-1')
        self.assertIn("not 'eu-west-1'", a.message)
        self.ok('GetCallerIdentity', service='sts', region='eu-west-1')

    def test_get_with_query_string(self):
        self.ok('CreateUser', {'UserName': 'by-get'}, method='GET')
        self.assertEqual(self.ok('GetUser', {'UserName': 'by-get'}, method='GET')['User']['UserName'],
                         'by-get')

    def test_presigned_get_url(self):
        import urllib.error
        import urllib.request
        from botocore.auth import SigV4QueryAuth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        def presign(secret, expires=60):
            req = AWSRequest(method='GET', url=self.ep.url + '/?Action=ListUsers&Version=2010-05-08')
            SigV4QueryAuth(Credentials(self.ep.access_key_id, secret), 'iam', 'us-east-1',
                           expires=expires).add_auth(req)
            try:
                with urllib.request.urlopen(req.url, timeout=30) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()
        status, body = presign(self.ep.secret_access_key)
        self.assertEqual(status, 200, body)
        self.assertIn(b'<ListUsersResult>', body)
        status, body = presign('wrong')
        self.assertEqual(status, 403)
        self.assertIn(b'<Code>SignatureDoesNotMatch</Code>', body)

    def test_inactive_and_deleted_keys_are_refused(self):
        self.ok('CreateUser', {'UserName': 'svc'})
        key = self.ok('CreateAccessKey', {'UserName': 'svc'})['AccessKey']
        me = self.ok('GetCallerIdentity', service='sts', akid=key['AccessKeyId'],
                     secret=key['SecretAccessKey'])
        self.assertTrue(me['Arn'].endswith(':user/svc'))
        self.ok('UpdateAccessKey', {'UserName': 'svc', 'AccessKeyId': key['AccessKeyId'],
                                    'Status': 'Inactive'})
        self.err(403, 'InvalidClientTokenId', 'GetCallerIdentity', service='sts',
                 akid=key['AccessKeyId'], secret=key['SecretAccessKey'])
        self.ok('DeleteAccessKey', {'UserName': 'svc', 'AccessKeyId': key['AccessKeyId']})
        self.err(403, 'InvalidClientTokenId', 'GetCallerIdentity', service='sts',
                 akid=key['AccessKeyId'], secret=key['SecretAccessKey'])

    def test_new_key_accepted_only_after_propagation_delay(self):
        self.ep.set_consistency(key_propagation_ms=300)
        self.ok('CreateUser', {'UserName': 'svc'})
        key = self.ok('CreateAccessKey', {'UserName': 'svc'})['AccessKey']
        creds = dict(service='sts', akid=key['AccessKeyId'], secret=key['SecretAccessKey'])
        first = call(self.ep, 'GetCallerIdentity', **creds)
        deadline = time.monotonic() + 30
        while True:
            a = call(self.ep, 'GetCallerIdentity', **creds)
            if a.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(a.status, 200, a)
        # The first call came well inside 300 ms on any sane machine; if not, it was accepted.
        self.assertIn((first.status, first.code), [(403, 'InvalidClientTokenId'), (200, None)])


class Protocol(Base):
    def test_unknown_action(self):
        a = self.err(400, 'InvalidAction', 'ListUsers', raw_params={'Action': 'ListUnicorns'})
        self.assertEqual(a.message, 'Could not find operation ListUnicorns for version 2010-05-08')

    def test_unimplemented_model_action(self):
        self.err(501, 'NotImplemented', 'ListSAMLProviders')

    def test_unknown_parameter(self):
        self.err(400, 'ValidationError', 'ListUsers', raw_params={'Colour': 'blue'})

    def test_missing_required_member(self):
        a = self.err(400, 'ValidationError', 'CreateUser')
        self.assertEqual(a.message, "1 validation error detected: Value null at 'userName' "
                                    "failed to satisfy constraint: Member must not be null")

    def test_invalid_names(self):
        a = self.err(400, 'ValidationError', 'CreateUser', {'UserName': 'has space'})
        self.assertIn("Value 'has space' at 'userName' failed to satisfy constraint: Member must "
                      "satisfy regular expression pattern: [\\w+=,.@-]+", a.message)
        a = self.err(400, 'ValidationError', 'CreateUser', {'UserName': 'u' * 65})
        self.assertIn('Member must have length less than or equal to 64', a.message)
        self.err(400, 'ValidationError', 'CreateGroup', {'GroupName': 'bad/name'})
        self.err(400, 'ValidationError', 'CreateUser', {'UserName': 'é'})   # \w is ASCII in Java
        a = self.err(400, 'ValidationError', 'CreateUser', {'UserName': 'ok', 'Path': 'no-slash'})
        self.assertIn("at 'path'", a.message)
        a = self.err(400, 'ValidationError', 'ListUsers', {'MaxItems': 0})
        self.assertIn('Member must have value greater than or equal to 1', a.message)

    def test_two_errors_are_both_reported(self):
        a = self.err(400, 'ValidationError', 'CreateUser', {'UserName': 'x y', 'Path': 'bad'})
        self.assertTrue(a.message.startswith('2 validation errors detected: '), a.message)

    def test_tag_with_unicode_letters_is_valid(self):
        self.ok('CreateUser', {'UserName': 'tagged', 'Tags': [{'Key': 'équipe', 'Value': 'Zürich 1'}]})
        self.err(400, 'ValidationError', 'TagUser', {'UserName': 'tagged',
                                                     'Tags': [{'Key': 'bad*key', 'Value': 'v'}]})

    def test_malformed_policy_document(self):
        self.ok('CreateGroup', {'GroupName': 'g'})
        self.err(400, 'MalformedPolicyDocument', 'PutGroupPolicy',
                 {'GroupName': 'g', 'PolicyName': 'p', 'PolicyDocument': '{not json'})
        self.err(400, 'MalformedPolicyDocument', 'PutGroupPolicy',
                 {'GroupName': 'g', 'PolicyName': 'p',
                  'PolicyDocument': json.dumps({'Version': '2012-10-17', 'Statement': [
                      {'Effect': 'Allow', 'Action': 'ec2:*'}]})})


class Semantics(Base):
    def test_third_access_key_is_limit_exceeded(self):
        self.ok('CreateUser', {'UserName': 'svc'})
        self.ok('CreateAccessKey', {'UserName': 'svc'})
        self.ok('CreateAccessKey', {'UserName': 'svc'})
        a = self.err(409, 'LimitExceeded', 'CreateAccessKey', {'UserName': 'svc'})
        self.assertEqual(a.message, 'Cannot exceed quota for AccessKeysPerUser: 2')

    def test_names_are_unique_regardless_of_case(self):
        self.ok('CreateUser', {'UserName': 'Service-X'})
        a = self.err(409, 'EntityAlreadyExists', 'CreateUser', {'UserName': 'service-x'})
        self.assertEqual(a.message, 'User with name service-x already exists.')
        self.ok('CreateGroup', {'GroupName': 'G'})
        self.err(409, 'EntityAlreadyExists', 'CreateGroup', {'GroupName': 'g'})
        self.ok('CreatePolicy', {'PolicyName': 'P', 'PolicyDocument': DOC})
        self.err(409, 'EntityAlreadyExists', 'CreatePolicy', {'PolicyName': 'p', 'PolicyDocument': DOC,
                                                              'Path': '/other/'})

    def test_no_such_entity_is_404(self):
        a = self.err(404, 'NoSuchEntity', 'GetUser', {'UserName': 'ghost'})
        self.assertEqual(a.message, 'The user with name ghost cannot be found.')
        self.err(404, 'NoSuchEntity', 'GetGroup', {'GroupName': 'ghost'})
        self.err(404, 'NoSuchEntity', 'AttachGroupPolicy',
                 {'GroupName': 'ghost', 'PolicyArn': 'arn:aws:iam::aws:policy/ReadOnlyAccess'})
        self.ok('CreateGroup', {'GroupName': 'g'})
        self.err(404, 'NoSuchEntity', 'AttachGroupPolicy',
                 {'GroupName': 'g', 'PolicyArn': 'arn:aws:iam::aws:policy/NoSuchPolicy'})

    def test_delete_user_with_dependants_is_delete_conflict(self):
        self.ok('CreateUser', {'UserName': 'u'})
        self.ok('CreateGroup', {'GroupName': 'g'})
        steps = [
            ('CreateLoginProfile', {'UserName': 'u', 'Password': 'Aa1!aaaaaaaa'},
             'DeleteLoginProfile', {'UserName': 'u'}),
            ('AddUserToGroup', {'UserName': 'u', 'GroupName': 'g'},
             'RemoveUserFromGroup', {'UserName': 'u', 'GroupName': 'g'}),
            ('PutUserPolicy', {'UserName': 'u', 'PolicyName': 'p', 'PolicyDocument': DOC},
             'DeleteUserPolicy', {'UserName': 'u', 'PolicyName': 'p'}),
            ('AttachUserPolicy', {'UserName': 'u', 'PolicyArn': 'arn:aws:iam::aws:policy/ReadOnlyAccess'},
             'DetachUserPolicy', {'UserName': 'u', 'PolicyArn': 'arn:aws:iam::aws:policy/ReadOnlyAccess'}),
        ]
        for make, mp, undo, up in steps:
            self.ok(make, mp)
            self.err(409, 'DeleteConflict', 'DeleteUser', {'UserName': 'u'})
            self.ok(undo, up)
        key = self.ok('CreateAccessKey', {'UserName': 'u'})['AccessKey']
        self.err(409, 'DeleteConflict', 'DeleteUser', {'UserName': 'u'})
        self.ok('DeleteAccessKey', {'UserName': 'u', 'AccessKeyId': key['AccessKeyId']})
        serial = self._enable_mfa('u')
        a = self.err(409, 'DeleteConflict', 'DeleteUser', {'UserName': 'u'})
        self.assertIn('MFA', a.message)
        self.err(409, 'DeleteConflict', 'DeleteVirtualMFADevice', {'SerialNumber': serial})
        self.ok('DeactivateMFADevice', {'UserName': 'u', 'SerialNumber': serial})
        self.ok('DeleteUser', {'UserName': 'u'})

    def test_delete_group_and_policy_with_dependants(self):
        self.ok('CreateUser', {'UserName': 'u'})
        self.ok('CreateGroup', {'GroupName': 'g'})
        arn = self.ok('CreatePolicy', {'PolicyName': 'p', 'PolicyDocument': DOC})['Policy']['Arn']
        self.ok('AddUserToGroup', {'UserName': 'u', 'GroupName': 'g'})
        self.err(409, 'DeleteConflict', 'DeleteGroup', {'GroupName': 'g'})
        self.ok('RemoveUserFromGroup', {'UserName': 'u', 'GroupName': 'g'})
        self.ok('AttachGroupPolicy', {'GroupName': 'g', 'PolicyArn': arn})
        self.err(409, 'DeleteConflict', 'DeleteGroup', {'GroupName': 'g'})
        self.err(409, 'DeleteConflict', 'DeletePolicy', {'PolicyArn': arn})
        self.ok('DetachGroupPolicy', {'GroupName': 'g', 'PolicyArn': arn})
        self.ok('PutGroupPolicy', {'GroupName': 'g', 'PolicyName': 'i', 'PolicyDocument': DOC})
        self.err(409, 'DeleteConflict', 'DeleteGroup', {'GroupName': 'g'})
        self.ok('DeleteGroupPolicy', {'GroupName': 'g', 'PolicyName': 'i'})
        self.ok('DeleteGroup', {'GroupName': 'g'})
        self.ok('CreatePolicyVersion', {'PolicyArn': arn, 'PolicyDocument': DOC})
        self.err(409, 'DeleteConflict', 'DeletePolicy', {'PolicyArn': arn})
        self.err(409, 'DeleteConflict', 'DeletePolicyVersion', {'PolicyArn': arn, 'VersionId': 'v1'})
        self.ok('DeletePolicyVersion', {'PolicyArn': arn, 'VersionId': 'v2'})
        self.ok('DeletePolicy', {'PolicyArn': arn})

    def test_limits(self):
        self.ok('CreateGroup', {'GroupName': 'g'})
        aws = [p['Arn'] for p in self.ok('ListPolicies', {'Scope': 'AWS'})['Policies']]
        self.assertGreaterEqual(len(aws), 11)
        for arn in aws[:10]:
            self.ok('AttachGroupPolicy', {'GroupName': 'g', 'PolicyArn': arn})
        a = self.err(409, 'LimitExceeded', 'AttachGroupPolicy', {'GroupName': 'g', 'PolicyArn': aws[10]})
        self.assertEqual(a.message, 'Cannot exceed quota for PoliciesPerGroup: 10')
        tags = [{'Key': 'k%d' % i, 'Value': 'v'} for i in range(51)]
        self.err(400, 'ValidationError', 'CreateUser', {'UserName': 'u', 'Tags': tags})  # model: max 50
        self.ok('CreateUser', {'UserName': 'u', 'Tags': tags[:50]})
        self.err(409, 'LimitExceeded', 'TagUser', {'UserName': 'u', 'Tags': tags[50:]})
        big = json.dumps({'Version': '2012-10-17', 'Statement': [
            {'Effect': 'Allow', 'Action': ['ec2:Describe%04d' % i for i in range(400)], 'Resource': '*'}]})
        self.err(409, 'LimitExceeded', 'PutGroupPolicy', {'GroupName': 'g', 'PolicyName': 'big',
                                                          'PolicyDocument': big})
        for v in range(2, 6):
            self.ok('CreatePolicy' if v == 2 else 'CreatePolicyVersion',
                    {'PolicyName': 'p', 'PolicyDocument': DOC} if v == 2 else
                    {'PolicyArn': 'arn:aws:iam::123456789012:policy/p', 'PolicyDocument': DOC})
        self.ok('CreatePolicyVersion', {'PolicyArn': 'arn:aws:iam::123456789012:policy/p',
                                        'PolicyDocument': DOC})
        self.err(409, 'LimitExceeded', 'CreatePolicyVersion',
                 {'PolicyArn': 'arn:aws:iam::123456789012:policy/p', 'PolicyDocument': DOC})

    def _enable_mfa(self, user):
        dev = self.ok('CreateVirtualMFADevice', {'VirtualMFADeviceName': user})['VirtualMFADevice']
        seed = dev['Base32StringSeed'].decode()
        c1, c2 = kwtest.totp_pair(seed)
        self.ok('EnableMFADevice', {'UserName': user, 'SerialNumber': dev['SerialNumber'],
                                    'AuthenticationCode1': c1, 'AuthenticationCode2': c2})
        return dev['SerialNumber']

    def test_mfa_codes_are_checked(self):
        self.ok('CreateUser', {'UserName': 'u'})
        dev = self.ok('CreateVirtualMFADevice', {'VirtualMFADeviceName': 'u'})['VirtualMFADevice']
        seed = dev['Base32StringSeed'].decode()
        self.assertRegex(seed, r'^[A-Z2-7]{64}$')
        now = time.time()
        c1, c2 = kwtest.totp_pair(seed, now)
        base = {'UserName': 'u', 'SerialNumber': dev['SerialNumber']}
        wrong = [(c2, c1),                                        # swapped
                 (c1, c1),                                        # not consecutive
                 ('%06d' % ((int(c1) + 1) % 10 ** 6), c2),        # wrong first code
                 kwtest.totp_pair(seed, now - 3600)]              # an hour old
        for a, b in wrong:
            if (a, b) == (c1, c2):
                continue
            r = self.err(403, 'InvalidAuthenticationCode', 'EnableMFADevice',
                         dict(base, AuthenticationCode1=a, AuthenticationCode2=b))
            self.assertEqual(r.message, 'Authentication code for device is not valid.')
        self.err(400, 'ValidationError', 'EnableMFADevice',
                 dict(base, AuthenticationCode1='12345', AuthenticationCode2=c2))
        # The previous pair (a device read 30 s ago) is still accepted.
        p1, p2 = kwtest.totp_pair(seed, time.time() - 30)
        self.ok('EnableMFADevice', dict(base, AuthenticationCode1=p1, AuthenticationCode2=p2))
        self.err(409, 'EntityAlreadyExists', 'EnableMFADevice',
                 dict(base, AuthenticationCode1=c1, AuthenticationCode2=c2))


class Pagination(Base):
    def test_250_users_in_pages_of_100(self):
        for i in range(250):
            self.ok('CreateUser', {'UserName': 'user-%03d' % i, 'Path': '/p/'})
        seen, markers, params = [], [], {'MaxItems': 100}
        while True:
            page = self.ok('ListUsers', params)
            seen += [u['UserName'] for u in page['Users']]
            if not page['IsTruncated']:
                self.assertNotIn('Marker', page)
                break
            markers.append(page['Marker'])
            params = {'MaxItems': 100, 'Marker': page['Marker']}
        self.assertEqual(len(markers), 2)
        self.assertEqual(seen, ['user-%03d' % i for i in range(250)])
        # Default page size is 100 as well.
        first = self.ok('ListUsers')
        self.assertEqual((len(first['Users']), first['IsTruncated']), (100, True))
        # The CLI's own paginator follows the markers.
        env = kwtest.aws_env(self.ep, os.environ.get('TMPDIR', '/tmp') + '/kw-neg-%d' % os.getpid())
        users = kwtest.AwsCli(env)('iam', 'list-users', '--page-size', '100')['Users']
        self.assertEqual(len(users), 250)

    def test_every_list_paginates(self):
        self.ok('CreateUser', {'UserName': 'u'})
        for i in range(3):
            self.ok('CreateGroup', {'GroupName': 'g%d' % i})
            self.ok('AddUserToGroup', {'GroupName': 'g%d' % i, 'UserName': 'u'})
            self.ok('PutUserPolicy', {'UserName': 'u', 'PolicyName': 'p%d' % i, 'PolicyDocument': DOC})
            self.ok('CreateVirtualMFADevice', {'VirtualMFADeviceName': 'd%d' % i})
        cases = [('ListGroups', {}, 'Groups'), ('ListGroupsForUser', {'UserName': 'u'}, 'Groups'),
                 ('GetGroup', {'GroupName': 'g0'}, 'Users'),
                 ('ListUserPolicies', {'UserName': 'u'}, 'PolicyNames'),
                 ('ListVirtualMFADevices', {}, 'VirtualMFADevices'),
                 ('ListPolicies', {'Scope': 'AWS'}, 'Policies'),
                 ('GetAccountAuthorizationDetails', {'Filter': ['Group']}, 'GroupDetailList')]
        for action, params, member in cases:
            total = len(self.ok(action, dict(params, MaxItems=1000))[member])
            got, p = [], dict(params, MaxItems=2)
            while True:
                page = self.ok(action, p)
                got += page[member]
                if not page['IsTruncated']:
                    break
                p = dict(params, MaxItems=2, Marker=page['Marker'])
            self.assertEqual(len(got), total, action)

    def test_bad_marker(self):
        self.err(400, 'ValidationError', 'ListUsers', {'Marker': 'garbage!'})


if __name__ == '__main__':
    unittest.main(verbosity=2)
