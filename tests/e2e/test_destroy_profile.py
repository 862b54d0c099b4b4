"""destroy removes the delivered profile (issue 17, item 4): its section in the shared
credentials file and its section in the config file, when the manifest names the profile and the
profile holds one of the user's keys; every other byte of both files stays (other profiles,
comments, blank lines); the edit waits for the files' lock that deliveries hold; a profile that
holds another key is kept, and a config section with settings keywarden never writes keeps them."""
import fcntl
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import LifecycleCase  # noqa: E402

BEFORE_CREDS = ('# kept by hand: this comment stays\n[before]\naws_access_key_id = AKIABEFOREBEFOREBEF1\n'
                'aws_secret_access_key = beforeSecretBeforeSecretBeforeSecret1234\n')
AFTER_CREDS = '\n[after]\naws_access_key_id = AKIAAFTERAFTERAFTER1\naws_secret_access_key = afterSecret\n'
BEFORE_CONFIG = '; kept by hand\n[profile before]\nregion = eu-north-1\n'
AFTER_CONFIG = '\n[profile after]\nregion = ap-south-1\noutput = text\n'


class DestroyProfile(LifecycleCase):
    def profile_manifest(self, name):
        path = os.path.join(self.work, name + '.yaml')
        with open(path, 'w') as f:
            f.write('apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata:\n  name: %s\nspec:\n  mfa: none\n'
                    '  accessKeys:\n    deliver:\n      - profile: service-%s\n        region: eu-west-1\n'
                    '        output: json\n' % (name, name))
        return path

    def read(self, path):
        with open(path) as f:
            return f.read()

    def append(self, path, text):
        with open(path, 'a') as f:
            f.write(text)

    def applied(self, name):
        """Apply name's manifest between hand-kept profiles; returns (manifest, credentials and
        config texts as they must be once the profile is gone)."""
        self.append(self.creds, BEFORE_CREDS)
        self.append(self.config, BEFORE_CONFIG)
        creds0, config0 = self.read(self.creds), self.read(self.config)
        m = self.profile_manifest(name)
        p = self.kw('apply', '--auto-approve', '--confirm-timeout', '10', m)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.profile('service-' + name)  # remembers the secret: it must reach no output
        self.assertIn('[profile service-%s]\nregion = eu-west-1\noutput = json\n' % name, self.read(self.config))
        self.append(self.creds, AFTER_CREDS)
        self.append(self.config, AFTER_CONFIG)
        return m, creds0 + AFTER_CREDS, config0 + AFTER_CONFIG

    def test_destroy_removes_the_profile_and_its_config_section_only(self):
        m, creds, config = self.applied('app')
        p = self.kw('destroy', '--auto-approve', m)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('service-app: removed profile service-app', p.stderr)
        self.assertEqual(self.read(self.creds), creds)  # byte for byte: only the section went
        self.assertEqual(self.read(self.config), config)
        self.assertEqual(os.stat(self.creds).st_mode & 0o777, 0o600)
        self.assert_gone('get-user', '--user-name', 'service-app')
        # a rerun changes nothing and says nothing was removed
        p = self.kw('destroy', '--auto-approve', '--missing-ok', m)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn('removed', p.stderr)
        self.assertEqual((self.read(self.creds), self.read(self.config)), (creds, config))

    def test_the_removal_waits_for_the_lock_deliveries_hold(self):
        m, creds, config = self.applied('app')
        with open(self.creds + '.lock', 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a delivery into the same file, in progress
            d = self.spawn('destroy', '--auto-approve', m)
            self.wait_for_request(d, 'DeleteUser')
            time.sleep(1.0)
            self.assertIsNone(d.poll(), 'destroy did not wait for the lock')
            self.assertIn('[service-app]', self.read(self.creds))
        out, err = d.communicate(timeout=60)  # the lock is released: destroy goes on
        self.assertEqual(d.returncode, 0, out + err)
        self.assertIn('service-app: removed profile service-app', err)
        self.assertEqual((self.read(self.creds), self.read(self.config)), (creds, config))

    def test_accounts_destroyed_at_once_lose_their_profiles_and_no_other(self):
        # eight accounts delivered into one credentials file, destroyed side by side: each edit
        # takes the file's lock, so none is lost and none undone
        self.append(self.creds, BEFORE_CREDS)
        creds0, config0 = self.read(self.creds), self.read(self.config)
        names = ['app%d' % i for i in range(8)]
        manifests = [self.profile_manifest(n) for n in names]
        p = self.kw('apply', '--auto-approve', '--confirm-timeout', '10', *manifests)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for n in names:
            self.profile('service-' + n)
        p = self.kw('destroy', '--auto-approve', '--parallelism', '8', *manifests)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for n in names:
            self.assertIn('service-%s: removed profile service-%s' % (n, n), p.stderr)
        self.assertEqual(self.read(self.creds), creds0)
        self.assertEqual(self.read(self.config), config0)
        self.assertEqual(self.ep.counts().get('DeleteUser'), 8)

    def test_a_profile_holding_another_key_is_kept(self):
        m, _, _ = self.applied('app')
        key_id, _ = self.profile('service-app')
        text = self.read(self.creds).replace(key_id, 'AKIAREUSEDBYAHUMAN01')
        with open(self.creds, 'w') as f:
            f.write(text)
        config = self.read(self.config)
        p = self.kw('destroy', '--auto-approve', m)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("note: service-app: kept profile service-app: not keywarden's key", p.stderr)
        self.assertEqual((self.read(self.creds), self.read(self.config)), (text, config))

    def test_config_settings_keywarden_did_not_write_stay(self):
        m, creds, config = self.applied('app')
        text = self.read(self.config).replace('output = json\n', 'output = json\ncli_pager =\n')
        with open(self.config, 'w') as f:
            f.write(text)
        p = self.kw('destroy', '--auto-approve', m)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('service-app: removed profile service-app', p.stderr)
        self.assertIn('[profile service-app] stays: it holds cli_pager, which keywarden did not write', p.stderr)
        self.assertEqual(self.read(self.creds), creds)
        self.assertEqual(self.read(self.config),
                         text.replace('[profile service-app]\nregion = eu-west-1\noutput = json\n',
                                      '[profile service-app]\n'))


if __name__ == '__main__':
    unittest.main()
