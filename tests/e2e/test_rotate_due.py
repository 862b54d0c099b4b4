"""rotate --due against the local endpoint: IAM's clock moved forward between key creations makes
some keys due and not others; rotate --due rotates exactly those (read back from IAM and the
endpoint's counts), says one line for each account it leaves alone, and --within brings keys
due soon forward; --all-profiles --due --max-age for local profiles; rotate --notify reaches
SNS and an exec command with what was rotated or failed and no secret; nothing due, nothing sent."""
import json
import os
import unittest

from e2e_fixture import DAY, LifecycleCase

class RotateDue(LifecycleCase):
    def setUp(self):
        super().setUp()
        # IAM's clock starts 100 days ago and moves forward: service-old's key is made at
        # day 0, service-mid's at day 50, service-new's at day 100 (today)
        self.ep.set_clock_offset(-100 * DAY)
        self.old = self.account('old')
        self.ep.advance_clock(50 * DAY)
        self.mid = self.account('mid')
        self.ep.advance_clock(50 * DAY)
        self.new = self.account('new')
        self.assertEqual(self.ep.control('GET', 'clock')['offset_seconds'], 0)
        self.folder = self.work  # the three manifests (maxAgeDays 90) are in it

    def account(self, name):
        user = 'service-' + name
        self.make_user(user)
        k = self.iam('create-access-key', '--user-name', user)['AccessKey']
        self.secrets.add(k['SecretAccessKey'])
        self.use_key(k['AccessKeyId'], k['SecretAccessKey'])  # in use, as a delivered key is
        self.manifest(name, max_age=90)
        return k['AccessKeyId']

    def rotate(self, *args, code=0, env=None):
        p = self.kw('rotate', '--confirm-timeout', '10', *args, env=env)
        self.assertEqual(p.returncode, code, p.stdout + p.stderr)
        return p

    def test_only_due_keys_rotate(self):
        self.ep.reset_counts()
        p = self.rotate('--due', self.folder)
        self.assertEqual(self.ep.counts().get('CreateAccessKey'), 1)
        # service-old (100 days > 90): rotated; its old key inactive, the new one in the profile
        new_old, _ = self.profile('service-old')
        self.assertEqual(self.keys('service-old'), {self.old: 'Inactive', new_old: 'Active'})
        # the others untouched, one line each
        self.assertEqual(self.keys('service-mid'), {self.mid: 'Active'})
        self.assertEqual(self.keys('service-new'), {self.new: 'Active'})
        lines = [l for l in p.stderr.splitlines() if 'not due' in l]
        self.assertEqual(len(lines), 2, p.stderr)
        mid = next(l for l in lines if 'service-mid' in l)
        self.assertIn(self.mid, mid)
        self.assertIn('50 days old', mid)
        self.assertIn('maxAgeDays 90', mid)
        self.assertIn('due in 41 days', mid)
        # a second run: nothing is due any more
        self.ep.reset_counts()
        p = self.rotate('--due', self.folder)
        self.assertNotIn('CreateAccessKey', self.ep.counts())
        self.assertEqual(len([l for l in p.stderr.splitlines() if 'not due' in l]), 3)

    def test_plan_notes_the_due_keys_only(self):
        p = self.kw('plan', '-o', 'json', self.folder)
        self.assertIn(p.returncode, (0, 2), p.stderr)
        notes = [n['text'] for n in json.loads(p.stdout)['notes']]
        due = [n for n in notes if 'due for rotation' in n]
        self.assertEqual(len(due), 1, notes)
        self.assertIn(self.old, due[0])
        self.assertIn('over maxAgeDays 90', due[0])
        self.assertIn('100 days old', due[0])

    def test_within_brings_keys_due_soon_forward(self):
        p = self.rotate('--due', '--within', '45', '-o', 'json', self.folder)
        self.assertEqual(set(self.keys('service-old').values()), {'Inactive', 'Active'})
        self.assertEqual(set(self.keys('service-mid').values()), {'Inactive', 'Active'})
        self.assertEqual(self.keys('service-new'), {self.new: 'Active'})
        self.assertIn('service-new', p.stderr)
        # --within needs --due
        self.rotate('--within', '3', self.folder, code=1)

    def test_notify_rotations_done_and_failed_without_secrets(self):
        topic = self.ep.sns_create_topic('kw-rotations')
        out = os.path.join(self.work, 'rotations.json')
        # service-mid delivers to a command that fails: its rotation fails (within 45: due)
        self.manifest('mid', max_age=90, deliver=({'exec': 'cat >/dev/null; exit 3'},))
        since = len(self.ep.sns_messages())
        self.rotate('--due', '--within', '45', '--notify', 'sns:' + topic,
                    '--notify', 'exec:cat > ' + out, self.folder, code=1)
        (msg,) = self.ep.sns_messages(since)
        self.assertEqual(msg['subject'], 'keywarden rotate: 1 rotated, 1 failed')
        data = json.loads(msg['message'])
        self.assertEqual((data['kind'], data['rotated'], data['failed']), ('rotate', 1, 1))
        by = {r['account']: r for r in data['rotations']}
        self.assertEqual(set(by), {'service-old', 'service-mid'})
        new_old, _ = self.profile('service-old')
        self.assertEqual((by['service-old']['result'], by['service-old']['old_access_key_id'],
                          by['service-old']['new_access_key_id']), ('rotated', self.old, new_old))
        self.assertEqual(by['service-mid']['result'], 'failed')
        self.assertIn('status 3', by['service-mid']['error'])
        self.assertEqual(self.keys('service-mid'), {self.mid: 'Active'}, 'the failed rotation kept the key')
        with open(out) as f:
            text = f.read()
        self.assertEqual(json.loads(text), data)
        for s in self.secrets:
            self.assertNotIn(s, msg['message'])
            self.assertNotIn(s, text)
        # nothing due: nothing sent
        os.unlink(out)
        since = len(self.ep.sns_messages())
        self.rotate('--due', '--notify', 'sns:' + topic, '--notify', 'exec:cat > ' + out,
                    self.manifest('new', max_age=90))
        self.assertEqual(self.ep.sns_messages(since), [])
        self.assertFalse(os.path.exists(out))


class ProfilesDue(LifecycleCase):
    def self_service_key(self, name):
        """A self-service user and its key, made on IAM's clock as the test set it."""
        self.make_self_service_user(name)
        k = self.iam('create-access-key', '--user-name', name)['AccessKey']
        self.secrets.add(k['SecretAccessKey'])
        return k['AccessKeyId'], k['SecretAccessKey']

    def test_all_profiles_due_with_max_age(self):
        self.ep.set_clock_offset(-40 * DAY)
        a = self.self_service_key('alice-ci')
        self.ep.advance_clock(30 * DAY)
        b = self.self_service_key('bob-ci')
        self.ep.advance_clock(10 * DAY)
        path = os.path.join(self.work, 'credentials')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write('[a]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n'
                    '[b]\naws_access_key_id = %s\naws_secret_access_key = %s\n' % (a + b))
        env = dict(self.env, AWS_SHARED_CREDENTIALS_FILE=path)
        p = self.kw('rotate', '--all-profiles', '--due', '--max-age', '30', env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.creds = path
        na, nb = self.profile('a'), self.profile('b')
        self.assertNotEqual(na[0], a[0])                 # 40 days > 30: rotated
        self.assertEqual(nb[0], b[0])                    # 10 days: left alone
        self.assertEqual(self.keys('bob-ci'), {b[0]: 'Active'})
        self.assertIn('profile b', next(l for l in p.stderr.splitlines() if 'not due' in l))
        # profiles have no manifest: --due for profiles needs --max-age, and --max-age needs --due
        self.assertEqual(self.kw('rotate', '--all-profiles', '--due', env=env).returncode, 1)
        self.assertEqual(self.kw('rotate', '--all-profiles', '--max-age', '30', env=env).returncode, 1)


if __name__ == '__main__':
    unittest.main()
