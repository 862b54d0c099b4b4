"""The endpoint's other user credentials (iamusercreds.py) through botocore, whose iam model
parses every answer: SSH public keys, signing certificates, service-specific credentials and a
hardware MFA token; their limits and errors; DeleteUser's DeleteConflict while any remains."""
import base64
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))
import botocore.session     # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
import kwtest               # noqa: E402


def ssh_key(tmp, name):
    path = os.path.join(tmp, name)
    subprocess.run(['ssh-keygen', '-t', 'rsa', '-b', '2048', '-N', '', '-q', '-f', path], check=True)
    with open(path + '.pub') as f:
        return f.read()


def certificate(tmp, name):
    out = os.path.join(tmp, name + '.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=' + name,
                    '-keyout', os.path.join(tmp, name + '.key'), '-out', out, '-days', '1'],
                   check=True, capture_output=True)
    with open(out) as f:
        return f.read()


class UserCreds(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ep = kwtest.Endpoint().__enter__()
        cls.tmp = tempfile.mkdtemp(prefix='kw-usercreds-')
        cls.iam = botocore.session.get_session().create_client(
            'iam', region_name='us-east-1', endpoint_url=cls.ep.url,
            aws_access_key_id=cls.ep.access_key_id, aws_secret_access_key=cls.ep.secret_access_key,
            config=Config(retries={'max_attempts': 1}))

    @classmethod
    def tearDownClass(cls):
        cls.ep.__exit__(None, None, None)

    def setUp(self):
        self.ep.reset_state()
        self.iam.create_user(UserName='u')

    def code(self, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        return cm.exception.response['Error']['Code']

    def test_ssh_public_keys(self):
        body = ssh_key(self.tmp, 'k1')
        k = self.iam.upload_ssh_public_key(UserName='u', SSHPublicKeyBody=body)['SSHPublicKey']
        self.assertTrue(k['SSHPublicKeyId'].startswith('APKA'))
        self.assertRegex(k['Fingerprint'], r'^([0-9a-f]{2}:){15}[0-9a-f]{2}$')
        self.assertEqual(k['Status'], 'Active')
        self.assertEqual(self.code(self.iam.upload_ssh_public_key, UserName='u', SSHPublicKeyBody=body),
                         'DuplicateSSHPublicKey')
        self.assertEqual(self.code(self.iam.upload_ssh_public_key, UserName='u',
                                   SSHPublicKeyBody='ssh-ed25519 AAAAC3Nza x'), 'UnrecognizedPublicKeyEncoding')
        self.assertEqual(self.code(self.iam.upload_ssh_public_key, UserName='u',
                                   SSHPublicKeyBody='ssh-rsa !!!notbase64'), 'InvalidPublicKey')
        for i in range(4):
            self.iam.upload_ssh_public_key(UserName='u', SSHPublicKeyBody=ssh_key(self.tmp, 'm%d' % i))
        self.assertEqual(self.code(self.iam.upload_ssh_public_key, UserName='u',
                                   SSHPublicKeyBody=ssh_key(self.tmp, 'k6')), 'LimitExceeded')
        listed = self.iam.list_ssh_public_keys(UserName='u')['SSHPublicKeys']
        self.assertEqual(len(listed), 5)
        self.assertEqual(self.code(self.iam.delete_user, UserName='u'), 'DeleteConflict')
        for key in listed:
            self.iam.delete_ssh_public_key(UserName='u', SSHPublicKeyId=key['SSHPublicKeyId'])
        self.assertEqual(self.code(self.iam.delete_ssh_public_key, UserName='u',
                                   SSHPublicKeyId=listed[0]['SSHPublicKeyId']), 'NoSuchEntity')
        self.iam.delete_user(UserName='u')

    def test_signing_certificates(self):
        pem = certificate(self.tmp, 'c1')
        c = self.iam.upload_signing_certificate(UserName='u', CertificateBody=pem)['Certificate']
        self.assertEqual(c['Status'], 'Active')
        self.assertEqual(self.code(self.iam.upload_signing_certificate, UserName='u', CertificateBody=pem),
                         'DuplicateCertificate')
        self.assertEqual(self.code(self.iam.upload_signing_certificate, UserName='u',
                                   CertificateBody='-----BEGIN CERTIFICATE-----\nxx\n'), 'MalformedCertificate')
        self.iam.upload_signing_certificate(UserName='u', CertificateBody=certificate(self.tmp, 'c2'))
        self.assertEqual(self.code(self.iam.upload_signing_certificate, UserName='u',
                                   CertificateBody=certificate(self.tmp, 'c3')), 'LimitExceeded')
        self.assertEqual(self.code(self.iam.delete_user, UserName='u'), 'DeleteConflict')
        for cert in self.iam.list_signing_certificates(UserName='u')['Certificates']:
            self.iam.delete_signing_certificate(UserName='u', CertificateId=cert['CertificateId'])
        self.iam.delete_user(UserName='u')

    def test_service_specific_credentials(self):
        c = self.iam.create_service_specific_credential(UserName='u', ServiceName='codecommit.amazonaws.com')
        c = c['ServiceSpecificCredential']
        self.assertTrue(c['ServiceSpecificCredentialId'].startswith('ACCA'))
        self.assertEqual(c['ServiceUserName'], 'u-at-%s' % self.ep.account_id)
        self.assertTrue(c['ServicePassword'])
        self.assertEqual(self.code(self.iam.create_service_specific_credential, UserName='u',
                                   ServiceName='s3.amazonaws.com'), 'NotSupportedService')
        self.iam.create_service_specific_credential(UserName='u', ServiceName='codecommit.amazonaws.com')
        self.assertEqual(self.code(self.iam.create_service_specific_credential, UserName='u',
                                   ServiceName='codecommit.amazonaws.com'), 'LimitExceeded')
        listed = self.iam.list_service_specific_credentials(UserName='u')['ServiceSpecificCredentials']
        self.assertEqual(len(listed), 2)
        self.assertNotIn('ServicePassword', listed[0])  # only Create returns it
        self.assertEqual(self.code(self.iam.delete_user, UserName='u'), 'DeleteConflict')
        for cred in listed:
            self.iam.delete_service_specific_credential(
                UserName='u', ServiceSpecificCredentialId=cred['ServiceSpecificCredentialId'])
        self.iam.delete_user(UserName='u')

    def test_hardware_mfa_token(self):
        seed = base64.b32encode(os.urandom(20)).decode()
        self.assertEqual(self.code(self.iam.enable_mfa_device, UserName='u', SerialNumber='GAHT00000001',
                                   AuthenticationCode1='123456', AuthenticationCode2='234567'), 'NoSuchEntity')
        self.ep.register_hardware_mfa('GAHT00000001', seed)
        self.assertEqual(self.code(self.iam.enable_mfa_device, UserName='u', SerialNumber='GAHT00000001',
                                   AuthenticationCode1='123456', AuthenticationCode2='234567'),
                         'InvalidAuthenticationCode')
        c1, c2 = kwtest.totp_pair(seed, time.time() - 30)
        self.iam.enable_mfa_device(UserName='u', SerialNumber='GAHT00000001', AuthenticationCode1=c1,
                                   AuthenticationCode2=c2)
        self.assertEqual([d['SerialNumber'] for d in self.iam.list_mfa_devices(UserName='u')['MFADevices']],
                         ['GAHT00000001'])
        self.assertEqual(self.iam.list_virtual_mfa_devices()['VirtualMFADevices'], [])
        self.assertEqual(self.code(self.iam.delete_virtual_mfa_device, SerialNumber='GAHT00000001'),
                         'NoSuchEntity')
        self.assertEqual(self.code(self.iam.delete_user, UserName='u'), 'DeleteConflict')
        self.iam.deactivate_mfa_device(UserName='u', SerialNumber='GAHT00000001')
        self.assertEqual(self.iam.list_mfa_devices(UserName='u')['MFADevices'], [])
        self.iam.delete_user(UserName='u')


if __name__ == '__main__':
    unittest.main()
