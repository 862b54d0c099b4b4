"""Round trip: for every operation the endpoint implements, botocore's own QueryParser parses
the XML the server writes back into the very dict that was serialized (timestamps to the
second, blobs as bytes, policy documents URL-encoded as IAM sends them)."""
import datetime
import json
import os
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))
import botocore.parsers   # noqa: E402
import iamproto           # noqa: E402
import iamstate           # noqa: E402
import kwtest             # noqa: E402

ACCOUNT = '123456789012'
DOC = json.dumps({'Version': '2012-10-17', 'Statement': [
    {'Sid': 'A b&c<d>', 'Effect': 'Allow', 'Action': ['ec2:Describe*'], 'Resource': '*'}]}, indent=2)


def canon(value, shape):
    """Comparable form of an output value: timestamps as whole epoch seconds, blobs as bytes."""
    t = shape.type_name
    if t == 'structure':
        return {k: canon(v, shape.members[k]) for k, v in value.items()
                if k in shape.members and v is not None}
    if t == 'list':
        return [canon(v, shape.member) for v in value]
    if t == 'map':
        return {k: canon(v, shape.value) for k, v in value.items()}
    if t == 'timestamp':
        if isinstance(value, datetime.datetime):
            return int(value.timestamp())
        return int(float(value))
    if t == 'blob':
        return value.encode() if isinstance(value, str) else bytes(value)
    return value


def expected(value, shape):
    """What the wire carries: policy documents URL-encoded."""
    t = shape.type_name
    if t == 'structure':
        return {k: expected(v, shape.members[k]) for k, v in value.items() if v is not None}
    if t == 'list':
        return [expected(v, shape.member) for v in value]
    if t == 'string' and shape.name in iamproto.POLICY_DOCUMENT_SHAPES:
        return urllib.parse.quote(value, safe='-_.~')
    return value


class RoundTrip(unittest.TestCase):
    def setUp(self):
        self.iam = iamproto.load_service('iam')
        self.sts = iamproto.load_service('sts')
        self.state = iamstate.IAMState(ACCOUNT)
        self.exercised = set()

    def run_op(self, action, params=None, principal=iamstate.ROOT, service='iam'):
        svc = self.iam if service == 'iam' else self.sts
        op = svc.operation_model(action)
        ctx = iamstate.Ctx(self.state, principal, iamstate.is_read_action(action), service)
        result = getattr(self.state, 'op_' + action)(ctx, params or {})
        body = iamproto.encode_result(svc, op, result, 'req-1')
        parsed = botocore.parsers.QueryParser().parse(
            {'status_code': 200, 'headers': {}, 'body': body}, op.output_shape)
        self.assertEqual(parsed.pop('ResponseMetadata')['RequestId'], 'req-1')
        if op.output_shape is None:
            self.assertEqual(parsed, {})
        else:
            self.assertEqual(canon(parsed, op.output_shape),
                             canon(expected(result, op.output_shape), op.output_shape), action)
        self.exercised.add(action)
        return result

    def test_every_operation_round_trips(self):
        r = self.run_op
        r('CreateUser', {'UserName': 'svc', 'Path': '/service/',
                         'Tags': [{'Key': 'owner', 'Value': 'a&b <team>'}]})
        r('GetUser', {'UserName': 'svc'})
        r('GetUser', {})
        r('TagUser', {'UserName': 'svc', 'Tags': [{'Key': 'x', 'Value': ''}]})
        r('ListUserTags', {'UserName': 'svc'})
        r('UntagUser', {'UserName': 'svc', 'TagKeys': ['x']})
        r('CreateGroup', {'GroupName': 'grp'})
        r('GetGroup', {'GroupName': 'grp'})
        r('AddUserToGroup', {'GroupName': 'grp', 'UserName': 'svc'})
        r('GetGroup', {'GroupName': 'grp'})
        r('ListGroups', {})
        r('ListGroupsForUser', {'UserName': 'svc'})
        r('PutGroupPolicy', {'GroupName': 'grp', 'PolicyName': 'inline', 'PolicyDocument': DOC})
        r('GetGroupPolicy', {'GroupName': 'grp', 'PolicyName': 'inline'})
        r('ListGroupPolicies', {'GroupName': 'grp'})
        r('PutUserPolicy', {'UserName': 'svc', 'PolicyName': 'inline', 'PolicyDocument': DOC})
        r('GetUserPolicy', {'UserName': 'svc', 'PolicyName': 'inline'})
        r('ListUserPolicies', {'UserName': 'svc'})
        pol = r('CreatePolicy', {'PolicyName': 'boundary', 'PolicyDocument': DOC,
                                 'Description': 'd', 'Tags': [{'Key': 'k', 'Value': 'v'}]})
        arn = pol['Policy']['Arn']
        r('GetPolicy', {'PolicyArn': arn})
        r('CreatePolicyVersion', {'PolicyArn': arn, 'PolicyDocument': DOC, 'SetAsDefault': True})
        r('GetPolicyVersion', {'PolicyArn': arn, 'VersionId': 'v2'})
        r('ListPolicyVersions', {'PolicyArn': arn})
        r('SetDefaultPolicyVersion', {'PolicyArn': arn, 'VersionId': 'v1'})
        r('DeletePolicyVersion', {'PolicyArn': arn, 'VersionId': 'v2'})
        r('ListPolicies', {'Scope': 'All', 'MaxItems': 3})
        r('AttachGroupPolicy', {'GroupName': 'grp', 'PolicyArn': 'arn:aws:iam::aws:policy/ReadOnlyAccess'})
        r('AttachUserPolicy', {'UserName': 'svc', 'PolicyArn': arn})
        r('ListAttachedGroupPolicies', {'GroupName': 'grp'})
        r('ListAttachedUserPolicies', {'UserName': 'svc'})
        r('ListEntitiesForPolicy', {'PolicyArn': arn})
        r('PutUserPermissionsBoundary', {'UserName': 'svc', 'PermissionsBoundary': arn})
        r('GetUser', {'UserName': 'svc'})
        r('CreateLoginProfile', {'UserName': 'svc', 'Password': 'Aa1!aaaaaaaa'})
        r('GetLoginProfile', {'UserName': 'svc'})
        r('UpdateLoginProfile', {'UserName': 'svc', 'PasswordResetRequired': True})
        key = r('CreateAccessKey', {'UserName': 'svc'})['AccessKey']
        r('ListAccessKeys', {'UserName': 'svc'})
        r('GetAccessKeyLastUsed', {'AccessKeyId': key['AccessKeyId']})
        self.state.record_key_use(key['AccessKeyId'], 'sts', 'us-east-1')
        r('GetAccessKeyLastUsed', {'AccessKeyId': key['AccessKeyId']})
        r('GetCallerIdentity', {}, principal='svc', service='sts')
        r('GetCallerIdentity', {}, service='sts')
        r('UpdateAccessKey', {'UserName': 'svc', 'AccessKeyId': key['AccessKeyId'], 'Status': 'Inactive'})
        dev = r('CreateVirtualMFADevice', {'VirtualMFADeviceName': 'svc',
                                           'Tags': [{'Key': 'k', 'Value': 'v'}]})['VirtualMFADevice']
        r('ListVirtualMFADevices', {})
        c1, c2 = kwtest.totp_pair(dev['Base32StringSeed'].decode(), time.time())
        r('EnableMFADevice', {'UserName': 'svc', 'SerialNumber': dev['SerialNumber'],
                              'AuthenticationCode1': c1, 'AuthenticationCode2': c2})
        r('ListMFADevices', {'UserName': 'svc'})
        r('ListVirtualMFADevices', {'AssignmentStatus': 'Assigned'})
        r('GenerateCredentialReport', {})
        r('GenerateCredentialReport', {})
        r('GetCredentialReport', {})
        r('GetAccountAuthorizationDetails', {})
        r('GetAccountAuthorizationDetails', {'Filter': ['User'], 'MaxItems': 1})
        r('ListUsers', {})
        # and tear it all down
        r('DeactivateMFADevice', {'UserName': 'svc', 'SerialNumber': dev['SerialNumber']})
        r('DeleteVirtualMFADevice', {'SerialNumber': dev['SerialNumber']})
        r('DeleteAccessKey', {'UserName': 'svc', 'AccessKeyId': key['AccessKeyId']})
        r('DeleteLoginProfile', {'UserName': 'svc'})
        r('DeleteUserPermissionsBoundary', {'UserName': 'svc'})
        r('DetachUserPolicy', {'UserName': 'svc', 'PolicyArn': arn})
        r('DetachGroupPolicy', {'GroupName': 'grp', 'PolicyArn': 'arn:aws:iam::aws:policy/ReadOnlyAccess'})
        r('DeleteUserPolicy', {'UserName': 'svc', 'PolicyName': 'inline'})
        r('DeleteGroupPolicy', {'GroupName': 'grp', 'PolicyName': 'inline'})
        r('RemoveUserFromGroup', {'GroupName': 'grp', 'UserName': 'svc'})
        r('DeleteGroup', {'GroupName': 'grp'})
        r('DeleteUser', {'UserName': 'svc'})
        r('DeletePolicy', {'PolicyArn': arn})
        implemented = {n[3:] for n in dir(self.state) if n.startswith('op_')}
        self.assertEqual(implemented - self.exercised, set())

    def test_errors_round_trip(self):
        op = self.iam.operation_model('GetUser')
        err = iamproto.error('NoSuchEntity', 'The user with name <a&b> cannot be found.')
        self.assertEqual((err.status, err.sender), (404, True))   # from the model
        body = iamproto.encode_error(err, 'req-2')
        parsed = botocore.parsers.QueryParser().parse(
            {'status_code': err.status, 'headers': {}, 'body': body}, op.output_shape)
        self.assertEqual(parsed['Error'], {'Type': 'Sender', 'Code': 'NoSuchEntity',
                                           'Message': 'The user with name <a&b> cannot be found.'})
        self.assertEqual(parsed['ResponseMetadata']['RequestId'], 'req-2')
        self.assertEqual(iamproto.error('ServiceFailure', 'x').status, 500)
        self.assertFalse(iamproto.error('ServiceFailure', 'x').sender)
        self.assertEqual(iamproto.error('LimitExceeded', 'x').status, 409)

    def test_seed_is_base64_of_the_base32_text(self):
        op = self.iam.operation_model('CreateVirtualMFADevice')
        ctx = iamstate.Ctx(self.state, iamstate.ROOT, False)
        result = self.state.op_CreateVirtualMFADevice(ctx, {'VirtualMFADeviceName': 'd'})
        body = iamproto.encode_result(self.iam, op, result, 'r').decode()
        b64 = body.split('<Base32StringSeed>')[1].split('</Base32StringSeed>')[0]
        import base64
        text = base64.b64decode(b64).decode('ascii')
        self.assertRegex(text, r'^[A-Z2-7]{64}$')
        self.assertEqual(len(base64.b32decode(text)), 40)


class QRCode(unittest.TestCase):
    def test_qr_png_holds_the_otpauth_uri(self):
        import base64
        import shutil
        import struct
        import subprocess
        import tempfile
        state = iamstate.IAMState(ACCOUNT)
        ctx = iamstate.Ctx(state, iamstate.ROOT, False)
        dev = state.op_CreateVirtualMFADevice(ctx, {'VirtualMFADeviceName': 'service-ansible'})
        dev = dev['VirtualMFADevice']
        png = dev['QRCodePNG']
        self.assertEqual(png[:8], b'\x89PNG\r\n\x1a\n')
        width, height = struct.unpack('>II', png[16:24])
        self.assertEqual(width, height)
        zbarimg = shutil.which('zbarimg')
        if not zbarimg:
            self.skipTest('zbarimg (zbar-tools) not installed: PNG not decoded')
        with tempfile.NamedTemporaryFile(suffix='.png') as f:
            f.write(png)
            f.flush()
            out = subprocess.run([zbarimg, '-q', '--raw', f.name], capture_output=True,
                                 text=True, timeout=60).stdout.strip()
        seed = dev['Base32StringSeed'].decode()
        self.assertEqual(out, 'otpauth://totp/Amazon%%20Web%%20Services:service-ansible@%s?secret=%s'
                              '&issuer=Amazon%%20Web%%20Services' % (ACCOUNT, seed))
        self.assertEqual(len(base64.b32decode(seed)), 40)


class Totp(unittest.TestCase):
    """The server's TOTP against RFC 6238 / RFC 4226 vectors in tests/data/totp."""

    def vectors(self, name):
        path = os.path.join(os.path.dirname(HERE), 'data', 'totp', name)
        with open(path) as f:
            lines = [l.rstrip('\n').split('\t') for l in f if l.strip() and not l.startswith('#')]
        head = lines[0]
        return [dict(zip(head, l)) for l in lines[1:]]

    def test_rfc6238_sha1_vectors(self):
        import base64
        rows = [r for r in self.vectors('rfc6238.tsv') if r['kind'] == 'TOTP' and r['mode'] == 'SHA1']
        self.assertTrue(rows)
        for row in rows:
            seed = base64.b32encode(bytes.fromhex(row['seed_hex'])).decode()
            code = iamstate.totp(seed, int(row['unix_time']), digits=int(row['digits']))
            self.assertEqual(code, row['otp'], row)

    def test_rfc4226_hotp_vectors(self):
        for row in self.vectors('rfc4226_appendix_d.tsv'):
            self.assertEqual(iamstate.hotp(b'12345678901234567890', int(row['count'])), row['hotp'])


if __name__ == '__main__':
    unittest.main(verbosity=2)
