"""keywarden rotate against the local IAM endpoint: zero, one and two existing keys, a failure
injected at each step, the grace period on IAM's clock, and self-rotation of local profiles."""
import calendar
import json
import os
import stat
import subprocess
import time
import unittest

from e2e_fixture import DAY, KEYWARDEN, LifecycleCase


class RotateServiceAccount(LifecycleCase):
    def rotate(self, *args, code=0):
        p = self.kw('rotate', '--confirm-timeout', '10', *args)
        self.assertEqual(p.returncode, code, p.stderr)
        return p

    def test_zero_keys_creates_delivers_and_confirms(self):
        self.make_user('service-app')
        m = self.manifest('app')
        p = self.rotate('-o', 'json', m)
        key_id, secret = self.profile('service-app')
        self.assertEqual(self.keys('service-app'), {key_id: 'Active'})
        self.assertTrue(self.use_key(key_id, secret).endswith(':user/service-app'))
        self.assertIn(key_id, p.stdout)
        self.assertEqual(self.ep.counts().get('GetCallerIdentity', 0), 2)  # ours + use_key

    def test_one_key_old_one_kept_inactive_with_grace_tag(self):
        old, old_secret = self.delivered_key('app')
        p = self.rotate(self.manifest('app'))
        new, secret = self.profile('service-app')
        self.assertNotEqual(new, old)
        self.assertEqual(self.keys('service-app'), {old: 'Inactive', new: 'Active'})
        tag = self.tags('service-app')['keywarden:inactive:' + old]
        self.assertRegex(tag, r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ grace=7d$')
        self.assertIn('inactive until', p.stdout)
        self.use_key(new, secret)

    def test_file_target_is_replaced(self):
        self.make_user('service-app')
        old, old_secret = self.make_key('service-app')
        path = os.path.join(self.work, 'app-key.json')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, 'w') as f:
            json.dump({'AccessKeyId': old, 'SecretAccessKey': old_secret}, f)
        self.rotate('--delete-old', self.manifest('app', deliver=({'file': path},)))
        with open(path) as f:
            data = json.load(f)
        self.secrets.add(data['SecretAccessKey'])
        self.assertEqual(self.keys('service-app'), {data['AccessKeyId']: 'Active'})
        self.assertEqual(data['UserName'], 'service-app')
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.use_key(data['AccessKeyId'], data['SecretAccessKey'])

    def test_confirm_waits_for_propagation(self):
        self.make_user('service-app')
        self.ep.set_consistency(key_propagation_ms=800)
        try:
            p = self.kw('-v', 'rotate', '--confirm-timeout', '20', self.manifest('app'))
        finally:
            self.ep.set_consistency(key_propagation_ms=0)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('not usable yet', p.stderr)
        self.assertGreaterEqual(self.ep.counts().get('GetCallerIdentity', 0), 2)
        self.assertEqual(list(self.keys('service-app').values()), ['Active'])

    def test_user_name_needs_stdout_and_gets_the_key_there(self):
        self.make_user('service-app')
        old, _ = self.make_key('service-app')
        p = self.rotate('service-app', code=1)
        self.assertIn('--stdout', p.stderr)
        self.assertEqual(self.keys('service-app'), {old: 'Active'})
        p = subprocess.run([KEYWARDEN, 'rotate', '--stdout', '--delete-old', 'service-app'], env=self.env,
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr)
        key = json.loads(p.stdout)          # stdout holds the key's JSON alone
        self.secrets.add(key['SecretAccessKey'])
        self.assertNotIn(key['SecretAccessKey'], p.stderr)
        self.assertIn(key['AccessKeyId'], p.stderr)  # the summary went to stderr
        self.assertEqual(self.keys('service-app'), {key['AccessKeyId']: 'Active'})

    def test_bad_name_is_an_error(self):
        p = self.rotate('no/such/manifest.yaml', code=1)
        self.assertIn('no such file', p.stderr)

    def test_a_folder_rotates_every_account_in_it(self):
        for name in ('app', 'web'):
            self.make_user('service-' + name)
            self.manifest(name)
        p = self.kw('-o', 'json', 'rotate', self.work)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = json.loads(p.stdout)
        self.assertEqual(sorted(r['Account'] for r in rows), ['service-app', 'service-web'])
        for name in ('app', 'web'):
            key_id, _ = self.profile('service-' + name)
            self.assertEqual(self.keys('service-' + name), {key_id: 'Active'})

    def test_delete_old(self):
        old, old_secret = self.delivered_key('app')
        self.rotate('--delete-old', self.manifest('app'))
        new, _ = self.profile('service-app')
        self.assertEqual(self.keys('service-app'), {new: 'Active'})

    def test_two_keys_stop_unless_an_inactive_one_may_go(self):
        self.make_user('service-app')
        old, old_secret = self.make_key('service-app')
        idle, _ = self.make_key('service-app')
        self.iam('update-access-key', '--user-name', 'service-app', '--access-key-id', idle, '--status', 'Inactive')
        self.write_profile('service-app', old, old_secret)
        m = self.manifest('app')
        p = self.rotate(m, code=1)
        self.assertIn('--delete-inactive', p.stderr)
        self.assertEqual(self.keys('service-app'), {old: 'Active', idle: 'Inactive'})
        self.assertEqual(self.ep.counts().get('CreateAccessKey', 0), 2)  # only make_key's
        self.rotate('--delete-inactive', m)
        new, _ = self.profile('service-app')
        self.assertEqual(self.keys('service-app'), {old: 'Inactive', new: 'Active'})

    def test_two_active_keys_never_a_third(self):
        self.make_user('service-app')
        a, a_secret = self.make_key('service-app')
        b, _ = self.make_key('service-app')
        # neither held by the target (the profile holds another key): refused, naming one
        self.write_profile('service-app', 'AKIAOTHEROTHEROTHER2', 'x' * 40)
        p = self.rotate('--delete-inactive', self.manifest('app'), code=1)
        self.assertIn('two active keys', p.stderr)
        self.assertIn('neither is held', p.stderr)
        self.assertEqual(self.keys('service-app'), {a: 'Active', b: 'Active'})
        # the profile holds a: b, never delivered and held by no target, is a stopped rotation's
        # new key (issue 18): deleted, and the rotation runs; never a third key at once
        with open(self.creds) as f:
            text = f.read()
        with open(self.creds, 'w') as f:
            f.write(text.replace('AKIAOTHEROTHEROTHER2', a).replace('x' * 40, a_secret))
        p = self.rotate('--delete-inactive', self.manifest('app'))
        new, _ = self.profile('service-app')
        self.assertEqual(self.keys('service-app'), {a: 'Inactive', new: 'Active'})
        self.assertNotIn(b, self.keys('service-app'))

    def test_unmanaged_user_is_left_alone(self):
        self.make_user('service-app', managed=False)
        old, _ = self.make_key('service-app')
        p = self.rotate(self.manifest('app'), code=1)
        self.assertIn('managed-by', p.stderr)
        self.assertEqual(self.keys('service-app'), {old: 'Active'})

    def test_grace_period_on_iams_clock(self):
        old, old_secret = self.delivered_key('app')
        m = self.manifest('app')
        self.ep.set_clock_offset(-8 * DAY)   # the rotation happened 8 days ago (IAM's clock)
        self.rotate('--grace', '7', m)
        self.ep.set_clock_offset(0)
        mid, _ = self.profile('service-app')
        self.assertEqual(self.keys('service-app'), {old: 'Inactive', mid: 'Active'})
        # the deactivation time is IAM's (8 days ago), so the grace period is already over
        since = self.tags('service-app')['keywarden:inactive:' + old].split()[0]
        when = calendar.timegm(time.strptime(since, '%Y-%m-%dT%H:%M:%SZ'))
        self.assertLess(abs(when - (time.time() - 8 * DAY)), 120)

    def test_later_rotate_deletes_an_expired_inactive_key(self):
        old, old_secret = self.delivered_key('app')
        m = self.manifest('app')
        self.ep.set_clock_offset(-3 * DAY)
        self.rotate('--grace', '2', m)
        self.ep.set_clock_offset(0)
        mid, _ = self.profile('service-app')
        p = self.rotate(m)   # two keys, one inactive past its grace: deleted without asking
        new, _ = self.profile('service-app')
        self.assertEqual(self.keys('service-app'), {mid: 'Inactive', new: 'Active'})
        self.assertIn(old, p.stderr)
        tags = self.tags('service-app')
        self.assertNotIn('keywarden:inactive:' + old, tags)
        self.assertNotIn('keywarden:delivered:' + old, tags)  # a deleted key loses its tags
        self.assertEqual({k for k in tags if k.startswith('keywarden:delivered:')},
                         {'keywarden:delivered:' + mid, 'keywarden:delivered:' + new})

    def test_new_key_tagged_delivered_and_a_deleted_key_untagged(self):
        old, old_secret = self.delivered_key('app')
        # as apply leaves it: the key it delivered carries keywarden:delivered:<id>
        self.iam('tag-user', '--user-name', 'service-app', '--tags',
                 'Key=keywarden:delivered:%s,Value=2026-11-01T00:00:00Z' % old)
        self.rotate('--delete-old', self.manifest('app'))
        new, _ = self.profile('service-app')
        tags = self.tags('service-app')
        self.assertRegex(tags.pop('keywarden:delivered:' + new), r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
        self.assertEqual(tags, {'managed-by': 'keywarden'})  # the old key's tag went with it
        # a delivery that fails leaves no tag: the new key is deleted, nothing claims it
        self.rotate(self.manifest('app', deliver=({'exec': 'exit 3'},)), code=1)
        self.assertEqual(self.keys('service-app'), {new: 'Active'})
        self.assertEqual(set(self.tags('service-app')), {'managed-by', 'keywarden:delivered:' + new})

    def test_secret_never_in_output_with_verbose(self):
        old, old_secret = self.delivered_key('app')
        p = self.kw('-vv', 'rotate', self.manifest('app'))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.profile('service-app')   # remembers the new secret
        self.kw('-vv', 'audit', 'service-app')  # checked by kw() for every secret


class RotateFailures(LifecycleCase):
    """A failure injected at each step leaves a working key and no key that nobody holds."""

    def setUp(self):
        super().setUp()
        self.make_user('service-app')
        self.old, self.old_secret = self.make_key('service-app')
        self.write_profile('service-app', self.old, self.old_secret)

    def rotate_failing(self, deliver=('profile',), faults=None):
        if faults:
            self.ep.set_faults(**faults)
        # one attempt per call: the injected failure is final at once (no retries to wait for)
        env = dict(self.env, AWS_MAX_ATTEMPTS='1')
        p = self.kw('rotate', '--confirm-timeout', '5', self.manifest('app', deliver=deliver), env=env)
        if faults:  # the fault was injected, or the test proves nothing
            self.assertGreater(self.ep.faults().get('injected', 0), 0, p.stderr)
        self.ep.clear_faults()
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn('note: service-app:', p.stderr)
        return p

    def assert_untouched(self):
        """The old key is active, the only key, and still in the profile: it works."""
        self.assertEqual(self.keys('service-app'), {self.old: 'Active'})
        self.assertEqual(self.profile('service-app'), (self.old, self.old_secret))
        self.use_key(self.old, self.old_secret)

    def test_making_room_fails(self):
        idle, _ = self.make_key('service-app')
        self.iam('update-access-key', '--user-name', 'service-app', '--access-key-id', idle, '--status', 'Inactive')
        self.ep.set_faults(error500=1.0, actions=['DeleteAccessKey'])
        p = self.kw('rotate', '--delete-inactive', self.manifest('app'), env=dict(self.env, AWS_MAX_ATTEMPTS='1'))
        self.assertGreater(self.ep.faults().get('injected', 0), 0, p.stderr)
        self.ep.clear_faults()
        self.assertEqual(p.returncode, 1)
        self.assertIn('nothing created', p.stderr)
        self.assertEqual(self.keys('service-app'), {self.old: 'Active', idle: 'Inactive'})
        self.assertEqual(self.profile('service-app'), (self.old, self.old_secret))

    def test_create_fails(self):
        self.rotate_failing(faults={'error500': 1.0, 'actions': ['CreateAccessKey']})
        self.assert_untouched()

    def test_confirm_fails_new_key_deleted(self):
        p = self.rotate_failing(faults={'error500': 1.0, 'actions': ['GetCallerIdentity']})
        self.assertIn('deleted', p.stderr)
        self.assert_untouched()

    def test_delivery_fails_before_any_target_new_key_deleted(self):
        self.rotate_failing(deliver=({'exec': 'exit 3'}, 'profile'))
        self.assert_untouched()

    def test_delivery_fails_after_a_target_both_keys_kept(self):
        p = self.rotate_failing(deliver=('profile', {'exec': 'exit 3'}))
        new, secret = self.profile('service-app')
        self.assertNotEqual(new, self.old)
        self.assertEqual(self.keys('service-app'), {self.old: 'Active', new: 'Active'})
        self.use_key(new, secret)          # the profile's new key works
        self.use_key(self.old, self.old_secret)  # the old one, held by the failed target, too
        self.assertIn('1 target', p.stderr)

    def test_deactivate_fails(self):
        self.rotate_failing(faults={'error500': 1.0, 'actions': ['UpdateAccessKey']})
        new, secret = self.profile('service-app')
        self.assertEqual(self.keys('service-app'), {self.old: 'Active', new: 'Active'})
        self.use_key(new, secret)

    def test_grace_tag_fails(self):
        p = self.rotate_failing(faults={'error500': 1.0, 'actions': ['TagUser']})
        new, secret = self.profile('service-app')
        self.assertEqual(self.keys('service-app'), {self.old: 'Inactive', new: 'Active'})
        self.assertIn('grace tag', p.stderr)
        self.use_key(new, secret)


class RotateLostAnswers(LifecycleCase):
    """CreateAccessKey carried out but its answer lost (drop_after): rotate lists the keys again
    after every attempt and deletes the one nobody received, so that afterwards every key in IAM
    is held by the profile or existed before the run."""

    def lost(self, *args, losses=2):
        old, old_secret = self.delivered_key('app')
        self.ep.reset_counts()
        self.ep.set_faults('seed=3,drop_after=1,actions=CreateAccessKey,limit=%d' % losses)
        p = self.kw('rotate', '--confirm-timeout', '20', *args, self.manifest('app'))
        self.assertEqual(self.ep.faults().get('injected'), losses, p.stderr)   # the faults happened
        counts = self.ep.counts()
        self.assertEqual(counts.get('CreateAccessKey'), losses + 1, p.stderr)  # never re-sent blindly
        self.assertEqual(counts.get('DeleteAccessKey', 0) - (1 if '--delete-old' in args else 0), losses,
                         p.stderr)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('answer was lost', self.kw('-v', 'audit', 'service-app').stderr + p.stderr)
        new, secret = self.profile('service-app')
        self.assertNotEqual(new, old)
        self.use_key(new, secret)
        return old, new

    def test_without_delete_old_only_the_held_key_and_the_old_one_remain(self):
        old, new = self.lost()
        self.assertEqual(self.keys('service-app'), {new: 'Active', old: 'Inactive'})

    def test_with_delete_old_only_the_held_key_remains(self):
        old, new = self.lost('--delete-old')
        self.assertEqual(self.keys('service-app'), {new: 'Active'})

    def test_every_answer_lost_fails_with_no_new_key_left(self):
        old, old_secret = self.delivered_key('app')
        self.ep.set_faults('seed=3,drop_after=1,actions=CreateAccessKey')
        p = self.kw('rotate', '--confirm-timeout', '3', '--delete-old', self.manifest('app'))
        self.assertGreaterEqual(self.ep.faults().get('injected'), 2)
        self.ep.clear_faults()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(self.keys('service-app'), {old: 'Active'})   # unchanged, nothing orphaned
        self.assertEqual(self.profile('service-app')[0], old)
        self.assertIn('unchanged', p.stderr)


class SelfRotation(LifecycleCase):
    def self_service_key(self, name):
        self.make_self_service_user(name)
        return self.make_key(name)

    def test_two_profiles_in_place_every_other_byte_kept(self):
        a = self.self_service_key('alice-ci')
        b = self.self_service_key('bob-ci')
        path = os.path.join(self.work, 'credentials')
        text = ('# team credentials; do not share\r\n'
                '[a]\r\naws_access_key_id = %s\r\naws_secret_access_key = %s\r\n\r\n'
                '; other profiles stay as they are\r\n'
                '[other]\r\naws_access_key_id=AKIAOTHEROTHEROTHER1\r\n'
                'aws_secret_access_key=otherotherotherotherotherotherotherother\r\nregion = eu-west-1\r\n\r\n'
                '[b]\r\naws_secret_access_key   =   %s\r\n  # indented comment\r\naws_access_key_id = %s\r\n'
                % (a[0], a[1], b[1], b[0]))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w', newline='') as f:
            f.write(text)
        env = dict(self.env, AWS_SHARED_CREDENTIALS_FILE=path)
        p = self.kw('rotate', '--profile', 'a', '--profile', 'b', env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(path, newline='') as f:
            after = f.read()
        self.creds = path
        na, nb = self.profile('a'), self.profile('b')
        self.assertNotEqual(na[0], a[0])
        self.assertNotEqual(nb[0], b[0])
        expect = text.replace(a[0], na[0]).replace(a[1], na[1]).replace(b[0], nb[0]).replace(b[1], nb[1])
        self.assertEqual(after, expect)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        # old keys gone (deleted with the new key's own rights), new ones work
        self.assertEqual(self.keys('alice-ci'), {na[0]: 'Active'})
        self.assertEqual(self.keys('bob-ci'), {nb[0]: 'Active'})
        self.use_key(*na)
        self.use_key(*nb)

    def test_all_profiles_skips_profiles_without_static_keys(self):
        a = self.self_service_key('alice-ci')
        path = os.path.join(self.work, 'credentials')
        with open(path, 'w') as f:
            f.write('[a]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n'
                    '[temp]\naws_access_key_id = ASIATEMPTEMPTEMPTEMP\naws_secret_access_key = x\n'
                    'aws_session_token = y\n\n[empty]\nregion = us-east-1\n' % a)
        os.chmod(path, 0o600)
        env = dict(self.env, AWS_SHARED_CREDENTIALS_FILE=path)
        p = self.kw('rotate', '--all-profiles', env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('profile temp skipped: temporary credentials', p.stderr)
        self.assertIn('profile empty skipped: no static keys', p.stderr)
        self.creds = path
        na = self.profile('a')
        self.assertEqual(self.keys('alice-ci'), {na[0]: 'Active'})

    def test_profile_with_a_legacy_security_token_is_refused(self):
        """aws_security_token (botocore's legacy name) is a session token: not rotated."""
        path = os.path.join(self.work, 'credentials')
        with open(path, 'w') as f:
            f.write('[legacy]\naws_access_key_id = ASIALEGACYLEGACY0001\naws_secret_access_key = x\n'
                    'aws_security_token = y\n')
        os.chmod(path, 0o600)
        self.ep.reset_counts()
        p = self.kw('rotate', '--profile', 'legacy', env=dict(self.env, AWS_SHARED_CREDENTIALS_FILE=path))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn('profile legacy skipped: temporary credentials (a session token) are not rotated',
                      p.stderr)
        self.assertEqual(self.ep.counts().get('CreateAccessKey', 0), 0)


if __name__ == '__main__':
    unittest.main(verbosity=2)
