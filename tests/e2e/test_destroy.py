"""keywarden destroy against the local IAM endpoint: a fully dressed service account leaves
nothing behind, a second destroy changes nothing, and only keywarden's users are touched."""
import base64
import os
import subprocess
import time
import unittest

from e2e_fixture import LifecycleCase, kwtest

POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", '
          '"Resource": "*"}]}')
WRITES = ('Delete', 'Detach', 'Remove', 'Deactivate', 'Update', 'Put', 'Create', 'Tag', 'Untag', 'Attach',
          'Add', 'Enable')


def writes(counts):
    return {a: n for a, n in counts.items() if a.startswith(WRITES)}


class Destroy(LifecycleCase):
    def test_destroy_leaves_nothing_and_a_second_run_changes_nothing(self):
        self.make_user('service-app')
        self.make_key('service-app')
        self.make_key('service-app')
        self.iam('put-group-policy', '--group-name', 'service-app', '--policy-name', 'inline',
                 '--policy-document', POLICY)
        self.iam('attach-group-policy', '--group-name', 'service-app', '--policy-arn',
                 'arn:aws:iam::aws:policy/ReadOnlyAccess')
        self.iam('put-user-policy', '--user-name', 'service-app', '--policy-name', 'stray',
                 '--policy-document', POLICY)
        self.iam('attach-user-policy', '--user-name', 'service-app', '--policy-arn',
                 'arn:aws:iam::aws:policy/IAMReadOnlyAccess')
        self.iam('put-user-permissions-boundary', '--user-name', 'service-app', '--permissions-boundary',
                 'arn:aws:iam::aws:policy/ReadOnlyAccess')
        self.iam('create-login-profile', '--user-name', 'service-app', '--password', 'Xy9!correct-horse-battery')
        self.iam('create-group', '--group-name', 'other-team')
        self.iam('add-user-to-group', '--group-name', 'other-team', '--user-name', 'service-app')
        # an enabled virtual MFA device (seed from the file the CLI writes)
        seedfile = self.work + '/seed'
        dev = self.iam('create-virtual-mfa-device', '--virtual-mfa-device-name', 'service-app',
                       '--outfile', seedfile, '--bootstrap-method', 'Base32StringSeed')
        serial = dev['VirtualMFADevice']['SerialNumber']
        with open(seedfile) as f:
            seed = f.read().strip()
        self.secrets.add(seed)
        c1, c2 = kwtest.totp_pair(seed, time.time() - 30)
        self.iam('enable-mfa-device', '--user-name', 'service-app', '--serial-number', serial,
                 '--authentication-code1', c1, '--authentication-code2', c2)

        m = self.manifest('app')
        p = self.kw('destroy', m)               # no terminal, no --auto-approve: refused
        self.assertEqual(p.returncode, 1)
        self.assertIn('--auto-approve', p.stderr)
        self.iam('get-user', '--user-name', 'service-app')

        p = self.kw('destroy', '--auto-approve', m)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('destroyed', p.stdout)
        self.assert_gone('get-user', '--user-name', 'service-app')
        self.assert_gone('get-group', '--group-name', 'service-app')
        self.assertEqual(self.iam('list-virtual-mfa-devices')['VirtualMFADevices'], [])
        self.assertEqual(self.iam('get-group', '--group-name', 'other-team')['Users'], [])

        self.ep.reset_counts()
        p = self.kw('destroy', '--auto-approve', m)   # a name IAM does not know: an error
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn('service-app: IAM has no such user', p.stderr)
        self.assertIn('--missing-ok', p.stderr)
        p = self.kw('destroy', '--auto-approve', '--missing-ok', m)   # a pipeline's rerun
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('nothing', p.stdout + p.stderr)
        self.assertEqual(writes(self.ep.counts()), {})

    def test_credentials_keywarden_never_made_are_removed_too(self):
        # what DeleteUser also requires gone: an SSH public key, a signing certificate, a
        # service-specific credential, and a hardware MFA token (deactivated, not deleted)
        self.make_user('service-app')
        key = os.path.join(self.work, 'id_rsa')
        subprocess.run(['ssh-keygen', '-t', 'rsa', '-b', '2048', '-N', '', '-q', '-f', key], check=True)
        with open(key + '.pub') as f:
            self.iam('upload-ssh-public-key', '--user-name', 'service-app', '--ssh-public-key-body', f.read())
        cert = os.path.join(self.work, 'cert.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=service-app',
                        '-keyout', os.path.join(self.work, 'cert.key'), '-out', cert, '-days', '1'],
                       check=True, capture_output=True)
        with open(cert) as f:
            self.iam('upload-signing-certificate', '--user-name', 'service-app', '--certificate-body', f.read())
        self.iam('create-service-specific-credential', '--user-name', 'service-app',
                 '--service-name', 'codecommit.amazonaws.com')
        seed = base64.b32encode(os.urandom(20)).decode()
        self.ep.register_hardware_mfa('GAHT12345678', seed)
        c1, c2 = kwtest.totp_pair(seed, time.time() - 30)
        self.iam('enable-mfa-device', '--user-name', 'service-app', '--serial-number', 'GAHT12345678',
                 '--authentication-code1', c1, '--authentication-code2', c2)
        self.ep.reset_counts()
        p = self.kw('destroy', '--auto-approve', self.manifest('app'))
        self.assertEqual(p.returncode, 0, p.stderr)
        counts = self.ep.counts()
        for action in ('DeleteSSHPublicKey', 'DeleteSigningCertificate', 'DeleteServiceSpecificCredential',
                       'DeactivateMFADevice', 'DeleteUser'):
            self.assertEqual(counts.get(action), 1, counts)
        self.assertNotIn('DeleteVirtualMFADevice', counts)  # a hardware token is not deleted
        self.assert_gone('get-user', '--user-name', 'service-app')

    def test_asks_on_a_terminal(self):
        self.make_user('service-app')
        self.make_key('service-app')
        rc, _, shown = self.kw_tty('n', 'destroy', 'service-app')
        self.assertEqual(rc, 1)
        self.assertIn('Destroy these accounts? [y/N]', shown)
        self.assertIn('delete user service-app', shown)
        self.iam('get-user', '--user-name', 'service-app')
        rc, out, _ = self.kw_tty('y', 'destroy', 'service-app')
        self.assertEqual(rc, 0, out)
        self.assert_gone('get-user', '--user-name', 'service-app')

    def test_group_with_other_members_stays(self):
        self.make_user('service-app')
        self.iam('create-user', '--user-name', 'someone')
        self.iam('add-user-to-group', '--group-name', 'service-app', '--user-name', 'someone')
        p = self.kw('destroy', '--auto-approve', 'service-app')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_gone('get-user', '--user-name', 'service-app')
        members = self.iam('get-group', '--group-name', 'service-app')['Users']
        self.assertEqual([u['UserName'] for u in members], ['someone'])

    def test_only_keywarden_users_are_touched(self):
        self.make_user('service-theirs', managed=False)
        self.make_key('service-theirs')
        self.make_user('service-ours')
        self.ep.reset_counts()
        p = self.kw('destroy', '--auto-approve', 'service-theirs', 'service-ours')
        self.assertEqual(p.returncode, 1)
        self.assertIn('managed-by', p.stderr)
        self.iam('get-user', '--user-name', 'service-theirs')
        self.iam('get-group', '--group-name', 'service-theirs')
        self.assertEqual(len(self.keys('service-theirs')), 1)
        self.assert_gone('get-user', '--user-name', 'service-ours')


if __name__ == '__main__':
    unittest.main(verbosity=2)
