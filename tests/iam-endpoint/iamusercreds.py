"""A user's other credentials for the local endpoint: SSH public keys, signing certificates,
service-specific credentials and hardware (non-virtual) MFA devices; a subclass of
iamroles.RoleState.

Follows the IAM API Reference (UploadSSHPublicKey, ListSSHPublicKeys, DeleteSSHPublicKey,
UploadSigningCertificate, ListSigningCertificates, DeleteSigningCertificate,
CreateServiceSpecificCredential, ListServiceSpecificCredentials, DeleteServiceSpecificCredential,
EnableMFADevice and DeactivateMFADevice for a hardware TOTP token), with botocore's model
validating every request (server.py) and naming the error codes. Semantics kept:

- DeleteUser answers DeleteConflict while the user still has any of them ("Cannot delete
  entity, must delete SSH public keys first." and so on), as IAM does: they are what the IAM
  User Guide's "Deleting an IAM user (AWS API)" lists besides keys, MFA, policies and groups.
- SSH public keys: "ssh-rsa" in OpenSSH format (what CodeCommit takes), else
  UnrecognizedPublicKeyEncoding; a body that does not decode is InvalidPublicKey; the same key
  twice DuplicateSSHPublicKey; 5 per user (LimitExceeded). Ids APKA..., the fingerprint the MD5
  of the key blob as colon-separated hex, Status Active.
- Signing certificates: a PEM X.509 certificate (checked with openssl), else
  MalformedCertificate; the same certificate twice DuplicateCertificate; 2 per user
  (LimitExceeded). UserName omitted: the caller.
- Service-specific credentials: ServiceName codecommit.amazonaws.com or cassandra.amazonaws.com,
  else NotSupportedService; 2 per user and service (LimitExceeded); ServiceUserName
  "<user>-at-<account>", ServicePassword returned only by Create. Ids ACCA....
- Hardware TOTP tokens: IAM knows a token's seed from its vendor; here a test registers one
  (serial, seed) on the control route /_endpoint/mfa-hardware. EnableMFADevice with its serial
  and two consecutive codes assigns it (the serial is no ARN); ListMFADevices lists it,
  ListVirtualMFADevices does not, DeleteVirtualMFADevice does not know it, DeactivateMFADevice
  unassigns it (the token stays registered).
"""
import base64
import hashlib
import secrets
import struct
import subprocess

import iamroles
from iamproto import error
from iamstate import _unique_id, paginate, totp_pair_ok

SSH_KEYS_PER_USER = 5
CERTIFICATES_PER_USER = 2
SERVICE_CREDENTIALS_PER_SERVICE = 2
SERVICES = ('codecommit.amazonaws.com', 'cassandra.amazonaws.com')
_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'


def _ssh_blob(body):
    """The key blob of an OpenSSH "ssh-rsa AAAA... comment" line; raises the IAM errors."""
    parts = body.strip().split()
    if len(parts) < 2 or parts[0] != 'ssh-rsa':
        raise error('UnrecognizedPublicKeyEncoding', 'The specified public key is not in a '
                    'recognized format; only ssh-rsa keys in OpenSSH format are accepted.')
    try:
        blob = base64.b64decode(parts[1], validate=True)
        n = struct.unpack('>I', blob[:4])[0]
        if blob[4:4 + n] != b'ssh-rsa':
            raise ValueError
    except (ValueError, struct.error):
        raise error('InvalidPublicKey', 'The specified public key is not valid.')
    return blob


def _certificate_der(body):
    p = subprocess.run(['openssl', 'x509', '-noout', '-outform', 'DER'], input=body.encode(),
                       capture_output=True, timeout=30)
    if p.returncode != 0:
        raise error('MalformedCertificate', 'The certificate is not a valid X.509 certificate '
                    'in PEM format.')
    d = subprocess.run(['openssl', 'x509', '-outform', 'DER'], input=body.encode(),
                       capture_output=True, timeout=30)
    return d.stdout


class UserCredsState(iamroles.RoleState):
    def _empty(self):
        d = super()._empty()
        d.update({'ssh': {}, 'certs': {}, 'ssc': {}, 'hw_tokens': {}})
        return d

    def _owned(self, table, lname):
        return [c for c in self.data[table].values() if c['User'] == lname]

    def _delete_owned(self, u, table, cid, missing):
        """Delete user u's credential cid of table; NoSuchEntity (missing % cid) when u has
        no such credential."""
        c = self.data[table].get(cid)
        if c is None or c['User'] != u['UserName'].lower():
            raise error('NoSuchEntity', missing % cid)
        del self.data[table][cid]
        return {}

    # -- DeleteUser needs all of them gone --------------------------------------------------
    def op_DeleteUser(self, ctx, p):
        lname = self._user(ctx, p['UserName'])['UserName'].lower()
        for table, what in (('ssh', 'SSH public keys'), ('certs', 'signing certificates'),
                            ('ssc', 'service specific credentials')):
            if self._owned(table, lname):
                raise error('DeleteConflict', 'Cannot delete entity, must delete %s first.' % what)
        return super().op_DeleteUser(ctx, p)

    # -- SSH public keys --------------------------------------------------------------------
    def op_UploadSSHPublicKey(self, ctx, p):
        u = self._user(ctx, p['UserName'])
        lname = u['UserName'].lower()
        blob = _ssh_blob(p['SSHPublicKeyBody'])
        mine = self._owned('ssh', lname)
        if any(k['Blob'] == base64.b64encode(blob).decode() for k in mine):
            raise error('DuplicateSSHPublicKey', 'The public key is already associated with the '
                        'specified IAM user.')
        if len(mine) >= SSH_KEYS_PER_USER:
            raise error('LimitExceeded', 'Cannot exceed quota for PublicKeysPerUser: %d'
                        % SSH_KEYS_PER_USER)
        kid = 'APKA' + ''.join(secrets.choice(_ALNUM) for _ in range(16))
        md5 = hashlib.md5(blob).hexdigest()
        key = {'User': lname, 'SSHPublicKeyId': kid, 'Body': p['SSHPublicKeyBody'],
               'Blob': base64.b64encode(blob).decode(),
               'Fingerprint': ':'.join(md5[i:i + 2] for i in range(0, 32, 2)),
               'Status': 'Active', 'UploadDate': ctx.now}
        self.data['ssh'][kid] = key
        return {'SSHPublicKey': {'UserName': u['UserName'], 'SSHPublicKeyId': kid,
                                 'Fingerprint': key['Fingerprint'],
                                 'SSHPublicKeyBody': key['Body'], 'Status': 'Active',
                                 'UploadDate': ctx.now}}

    def op_ListSSHPublicKeys(self, ctx, p):
        u = self._target_user(ctx, p)
        page, extra = paginate(self._owned('ssh', u['UserName'].lower()), p,
                               lambda k: k['SSHPublicKeyId'])
        return dict(SSHPublicKeys=[{'UserName': u['UserName'], 'SSHPublicKeyId': k['SSHPublicKeyId'],
                                    'Status': k['Status'], 'UploadDate': k['UploadDate']}
                                   for k in page], **extra)

    def op_DeleteSSHPublicKey(self, ctx, p):
        return self._delete_owned(self._user(ctx, p['UserName']), 'ssh', p['SSHPublicKeyId'],
                                  'The Public Key with id %s cannot be found.')

    # -- signing certificates ---------------------------------------------------------------
    def op_UploadSigningCertificate(self, ctx, p):
        u = self._target_user(ctx, p)
        lname = u['UserName'].lower()
        der = base64.b64encode(_certificate_der(p['CertificateBody'])).decode()
        mine = self._owned('certs', lname)
        if any(c['Der'] == der for c in self.data['certs'].values()):
            raise error('DuplicateCertificate', 'The certificate is already registered.')
        if len(mine) >= CERTIFICATES_PER_USER:
            raise error('LimitExceeded', 'Cannot exceed quota for SigningCertificatesPerUser: %d'
                        % CERTIFICATES_PER_USER)
        cid = ''.join(secrets.choice(_ALNUM) for _ in range(28))
        self.data['certs'][cid] = {'User': lname, 'CertificateId': cid, 'Der': der,
                                   'Body': p['CertificateBody'], 'Status': 'Active',
                                   'UploadDate': ctx.now}
        return {'Certificate': self._cert_out(u, self.data['certs'][cid])}

    @staticmethod
    def _cert_out(u, c):
        return {'UserName': u['UserName'], 'CertificateId': c['CertificateId'],
                'CertificateBody': c['Body'], 'Status': c['Status'], 'UploadDate': c['UploadDate']}

    def op_ListSigningCertificates(self, ctx, p):
        u = self._target_user(ctx, p)
        page, extra = paginate(self._owned('certs', u['UserName'].lower()), p,
                               lambda c: c['CertificateId'])
        return dict(Certificates=[self._cert_out(u, c) for c in page], **extra)

    def op_DeleteSigningCertificate(self, ctx, p):
        return self._delete_owned(self._target_user(ctx, p), 'certs', p['CertificateId'],
                                  'The Certificate with id %s cannot be found.')

    # -- service-specific credentials -------------------------------------------------------
    def op_CreateServiceSpecificCredential(self, ctx, p):
        u = self._user(ctx, p['UserName'])
        lname = u['UserName'].lower()
        if p['ServiceName'] not in SERVICES:
            raise error('NotSupportedService', 'The specified service (%s) is not supported.'
                        % p['ServiceName'])
        mine = [c for c in self._owned('ssc', lname) if c['ServiceName'] == p['ServiceName']]
        if len(mine) >= SERVICE_CREDENTIALS_PER_SERVICE:
            raise error('LimitExceeded', 'Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: %d'
                        % SERVICE_CREDENTIALS_PER_SERVICE)
        cid = _unique_id('ACCA')
        c = {'User': lname, 'UserName': u['UserName'], 'ServiceSpecificCredentialId': cid,
             'ServiceName': p['ServiceName'],
             'ServiceUserName': '%s-at-%s' % (u['UserName'], self.account_id),
             'Status': 'Active', 'CreateDate': ctx.now}
        self.data['ssc'][cid] = c
        out = self._ssc_out(c)
        out['ServicePassword'] = base64.b64encode(secrets.token_bytes(33)).decode()
        return {'ServiceSpecificCredential': out}

    @staticmethod
    def _ssc_out(c):
        return {k: c[k] for k in ('UserName', 'Status', 'ServiceUserName', 'CreateDate',
                                  'ServiceSpecificCredentialId', 'ServiceName')}

    def op_ListServiceSpecificCredentials(self, ctx, p):
        u = self._target_user(ctx, p)
        if p.get('ServiceName') and p['ServiceName'] not in SERVICES:
            raise error('NotSupportedService', 'The specified service (%s) is not supported.'
                        % p['ServiceName'])
        creds = [c for c in self._owned('ssc', u['UserName'].lower())
                 if not p.get('ServiceName') or c['ServiceName'] == p['ServiceName']]
        creds.sort(key=lambda c: c['ServiceSpecificCredentialId'])
        return {'ServiceSpecificCredentials': [self._ssc_out(c) for c in creds]}

    def op_DeleteServiceSpecificCredential(self, ctx, p):
        return self._delete_owned(self._target_user(ctx, p), 'ssc',
                                  p['ServiceSpecificCredentialId'], 'No such credential %s.')

    # -- hardware MFA -----------------------------------------------------------------------
    def register_hardware_mfa(self, data):
        """Control route: a hardware TOTP token IAM knows (its vendor gave IAM the seed)."""
        serial, seed = data['serial'], data['seed']
        self.data['hw_tokens'][serial] = seed
        return {'serial': serial}

    def op_EnableMFADevice(self, ctx, p):
        serial = p['SerialNumber']
        if serial.startswith('arn:'):
            return super().op_EnableMFADevice(ctx, p)
        u = self._user(ctx, p['UserName'])
        seed = self.data['hw_tokens'].get(serial)
        if seed is None:
            raise error('NoSuchEntity', 'MFA Device with serial number %s does not exist.' % serial)
        d = self.mfa.get(serial)
        if d is not None and d['User'] is not None:
            raise error('EntityAlreadyExists', 'MFA Device is already in use.')
        if not totp_pair_ok(seed, p['AuthenticationCode1'], p['AuthenticationCode2'], ctx.real):
            raise error('InvalidAuthenticationCode', 'Authentication code for device is not valid.')
        self.mfa[serial] = {'SerialNumber': serial, 'Seed': seed, 'User': u['UserName'].lower(),
                            'EnableDate': ctx.now, 'CreateDate': ctx.now, 'Tags': [],
                            'Hardware': True, 't': ctx.visible_at, 'te': ctx.visible_at}
        return {}

    def op_DeactivateMFADevice(self, ctx, p):
        out = super().op_DeactivateMFADevice(ctx, p)
        if self.mfa.get(p['SerialNumber'], {}).get('Hardware'):
            del self.mfa[p['SerialNumber']]   # the token itself stays in hw_tokens
        return out

    def op_DeleteVirtualMFADevice(self, ctx, p):
        if self.mfa.get(p['SerialNumber'], {}).get('Hardware'):
            raise error('NoSuchEntity', 'VirtualMFADevice with serial number %s does not exist.'
                        % p['SerialNumber'])
        return super().op_DeleteVirtualMFADevice(ctx, p)

    def op_ListVirtualMFADevices(self, ctx, p):
        hardware = {s: d for s, d in self.mfa.items() if d.get('Hardware')}
        for s in hardware:
            del self.mfa[s]
        try:
            return super().op_ListVirtualMFADevices(ctx, p)
        finally:
            self.mfa.update(hardware)
