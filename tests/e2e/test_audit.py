"""keywarden audit against the local IAM endpoint: each finding on a crafted state (JSON output
checked), the credential report with --all-users, and --prune-unused never touching a key used
within its threshold."""
import unittest

from e2e_fixture import DAY, LifecycleCase


def codes(data, user):
    return sorted(f['code'] for f in data['findings'] if f['user'] == user)


class AuditFindings(LifecycleCase):
    def test_clean_account_exits_0(self):
        self.make_user('service-clean')
        k, _ = self.make_key('service-clean', age_days=5, used_days_ago=1)
        data, p = self.kw_json('audit', self.manifest('clean'), code=0)
        self.assertEqual(data['findings'], [])
        (key,) = data['keys']
        self.assertEqual((key['user'], key['access_key_id'], key['status']), ('service-clean', k, 'Active'))
        self.assertEqual(key['age_days'], 5)
        self.assertEqual((key['last_used_service'], key['last_used_region']), ('sts', 'us-east-1'))
        self.assertNotIn('SecretAccessKey', p.stdout)

    def test_each_finding_on_a_crafted_state(self):
        # key older than maxAgeDays (30 here), last used 40 days ago (threshold 35)
        self.make_user('service-old')
        old, _ = self.make_key('service-old', age_days=45, used_days_ago=40)
        # never used and older than the threshold
        self.make_user('service-never')
        never, _ = self.make_key('service-never', age_days=50)
        # two active keys, the newer a day old: outside a rotation
        self.make_user('service-two')
        self.make_key('service-two', age_days=3, used_days_ago=1)
        self.make_key('service-two', age_days=1, used_days_ago=1)
        # console password, policies on the user, not in its group
        self.make_user('service-loose')
        self.iam('create-login-profile', '--user-name', 'service-loose', '--password', 'Xy9!correct-horse-battery')
        self.iam('put-user-policy', '--user-name', 'service-loose', '--policy-name', 'p',
                 '--policy-document', '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                 '"Action": "s3:ListBucket", "Resource": "*"}]}')
        self.iam('attach-user-policy', '--user-name', 'service-loose', '--policy-arn',
                 'arn:aws:iam::aws:policy/ReadOnlyAccess')
        self.iam('remove-user-from-group', '--group-name', 'service-loose', '--user-name', 'service-loose')
        # the manifest wants MFA, none is enrolled
        self.make_user('service-mfa')
        # missing managed-by tag
        self.make_user('service-untagged', managed=False)

        names = [self.manifest('old', max_age=30), self.manifest('never'), 'service-two',
                 self.manifest('loose'), self.manifest('mfa', mfa='virtual'), 'service-untagged']
        data, _ = self.kw_json('audit', '--unused-days', '35', *names, code=3)
        self.assertEqual(codes(data, 'service-old'), ['key-too-old', 'key-unused'])
        # 50 days < maxAgeDays 90; never used and never tagged delivered: nobody may hold it
        self.assertEqual(codes(data, 'service-never'), ['key-never-used', 'key-undelivered'])
        self.assertEqual(codes(data, 'service-two'), ['two-active-keys'])
        self.assertEqual(codes(data, 'service-loose'), ['console-enabled', 'not-in-group', 'user-policy'])
        self.assertEqual(codes(data, 'service-mfa'), ['no-mfa'])
        self.assertEqual(codes(data, 'service-untagged'), ['not-managed'])
        by = {(f['user'], f['code']): f for f in data['findings']}
        self.assertEqual(by[('service-old', 'key-too-old')]['resource'], old)
        self.assertIn('45 days', by[('service-old', 'key-too-old')]['message'])
        self.assertEqual(by[('service-never', 'key-never-used')]['resource'], never)
        self.assertIn('2 policies', by[('service-loose', 'user-policy')]['message'])
        ages = {k['access_key_id']: k for k in data['keys']}
        self.assertIsNone(ages[never]['last_used'])
        self.assertEqual(ages[old]['age_days'], 45)

        # text output: one line per record with its kind
        p = self.kw('-o', 'text', 'audit', 'service-two')
        self.assertEqual(p.returncode, 3)
        self.assertEqual(sorted(line.split('\t')[0] for line in p.stdout.splitlines()),
                         ['FINDING', 'KEY', 'KEY'])

    def test_key_undelivered_needs_no_tag_and_no_use(self):
        self.make_user('service-a')
        fresh, _ = self.make_key('service-a')        # as a lost CreateAccessKey answer leaves it
        data, _ = self.kw_json('audit', 'service-a', code=3)
        (f,) = data['findings']
        self.assertEqual((f['code'], f['resource']), ('key-undelivered', fresh))
        # tagged as apply and rotate tag a delivered key: no finding
        self.iam('tag-user', '--user-name', 'service-a', '--tags',
                 'Key=keywarden:delivered:%s,Value=2026-11-29T19:50:00Z' % fresh)
        self.kw_json('audit', 'service-a', code=0)
        # untagged but used (a key from before the tag existed): held by someone, no finding
        self.make_user('service-b')
        self.make_key('service-b', age_days=3, used_days_ago=1)
        self.kw_json('audit', 'service-b', code=0)
        # a user keywarden does not manage: not-managed only
        self.make_user('person-x', managed=False, group=False)
        self.make_key('person-x')
        data, _ = self.kw_json('audit', 'person-x', code=3)
        self.assertEqual(codes(data, 'person-x'), ['not-managed'])

    def test_a_user_name_iam_does_not_know_is_an_error(self):
        p = self.kw('audit', 'no-such-user')
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn('error: no-such-user: no such IAM user', p.stderr)
        # the other names are still audited; the bad one still makes it exit 1
        self.make_user('service-a')
        k, _ = self.make_key('service-a', age_days=1, used_days_ago=1)
        data, p = self.kw_json('audit', 'service-a', 'no-such-user', code=1)
        self.assertEqual([key['access_key_id'] for key in data['keys']], [k])
        self.assertIn('error: no-such-user: no such IAM user', p.stderr)
        # a manifest whose user apply has not created yet is not an error
        data, p = self.kw_json('audit', self.manifest('later'), code=0)
        self.assertIn('service-later: no such user yet (apply creates it)', p.stderr)

    def test_no_name_audits_every_managed_user(self):
        self.make_user('service-a')
        self.make_key('service-a', age_days=200, used_days_ago=1)
        self.make_user('person', managed=False, group=False)
        self.make_key('person', age_days=200)
        data, _ = self.kw_json('audit', code=3)
        self.assertEqual({k['user'] for k in data['keys']}, {'service-a'})
        self.assertEqual(codes(data, 'service-a'), ['key-too-old'])

    def test_all_users_reads_the_credential_report(self):
        self.make_user('service-a')
        self.make_key('service-a', age_days=100, used_days_ago=95)
        self.make_user('person', managed=False, group=False)
        self.make_key('person', age_days=2, used_days_ago=1)
        self.ep.reset_counts()
        data, p = self.kw_json('audit', '--all-users', code=3)
        counts = self.ep.counts()
        self.assertGreaterEqual(counts.get('GenerateCredentialReport', 0), 1)
        self.assertEqual(counts.get('GetCredentialReport'), 1)
        self.assertNotIn('ListAccessKeys', counts)       # no calls per user
        self.assertNotIn('GetAccessKeyLastUsed', counts)
        self.assertIn('credential report generated', p.stderr)
        self.assertIn('age_seconds', data['credential_report'])
        self.assertEqual(codes(data, 'service-a'), ['key-too-old', 'key-unused'])
        self.assertEqual(codes(data, 'person'), [])
        self.assertEqual({k['access_key_id'] for k in data['keys']}, {'access_key_1'})
        self.assertEqual(len(data['keys']), 2)


    def test_all_users_waits_for_the_report(self):
        self.make_user('service-a')
        self.make_key('service-a', age_days=1, used_days_ago=1)
        self.ep.set_consistency(report_delay_ms=1200)
        try:
            data, _ = self.kw_json('audit', '--all-users', code=0)
        finally:
            self.ep.set_consistency(report_delay_ms=0)
        self.assertGreaterEqual(self.ep.counts().get('GenerateCredentialReport', 0), 2)
        self.assertEqual([k['user'] for k in data['keys']], ['service-a'])

class Prune(LifecycleCase):
    def test_prune_never_touches_a_recently_used_key(self):
        self.make_user('service-a')
        recent, _ = self.make_key('service-a', age_days=400, used_days_ago=2)
        stale, _ = self.make_key('service-a', age_days=300, used_days_ago=100)
        self.make_user('service-b')
        never, _ = self.make_key('service-b', age_days=60)
        young, _ = self.make_key('service-b', age_days=1)
        self.make_user('person', managed=False, group=False)
        human, _ = self.make_key('person', age_days=500)

        # without a terminal and without --yes: listed only
        data, p = self.kw_json('audit', '--prune-unused', '--older-than', '30', code=3)
        self.assertEqual(sorted((x['access_key_id'], x['reason'], x['result']) for x in data['prune']),
                         sorted([(stale, 'unused', 'would delete'), (never, 'never-used', 'would delete')]))
        self.assertIn('no terminal', p.stderr)
        self.assertEqual(len(self.keys('service-a')) + len(self.keys('service-b')), 4)
        # the text format: a PRUNE line per key (user, key, reason, result: no LastUsed column)
        p = self.kw('-o', 'text', 'audit', '--prune-unused', '--older-than', '30')
        self.assertEqual(p.returncode, 3, p.stderr)
        lines = [line.split('\t') for line in p.stdout.splitlines()]
        self.assertEqual(sorted(f for f in lines if f[0] == 'PRUNE'),
                         sorted([['PRUNE', 'service-a', stale, 'unused', 'would delete'],
                                 ['PRUNE', 'service-b', never, 'never-used', 'would delete']]))
        # KEY: user, key, status, age in days, last used, service, region
        self.assertIn(['KEY', 'service-b', never, 'Active', '60', 'never', '-', '-'], lines)

        data, _ = self.kw_json('audit', '--prune-unused', '--older-than', '30', '--yes', code=3)
        self.assertEqual(sorted(x['result'] for x in data['prune']), ['deleted', 'deleted'])
        self.assertEqual(self.keys('service-a'), {recent: 'Active'})
        self.assertEqual(self.keys('service-b'), {young: 'Active'})
        self.assertEqual(self.keys('person'), {human: 'Active'})  # not keywarden's

        # with --all-users too: a key used 2 days ago stays with a 3-day threshold
        data, _ = self.kw_json('audit', '--all-users', '--prune-unused', '--older-than', '3', '--yes')
        self.assertEqual(data['prune'], [])
        self.assertEqual(self.keys('service-a'), {recent: 'Active'})
        self.assertEqual(self.keys('service-b'), {young: 'Active'})
        self.assertEqual(self.keys('person'), {human: 'Active'})

    def test_prune_asks_on_a_terminal(self):
        self.make_user('service-a')
        recent, _ = self.make_key('service-a', age_days=400, used_days_ago=2)
        stale, _ = self.make_key('service-a', age_days=300, used_days_ago=100)
        rc, _, shown = self.kw_tty('n', 'audit', '--prune-unused', 'service-a')
        self.assertIn('Delete these keys? [y/N]', shown)
        self.assertIn(stale, shown)
        self.assertNotIn(recent, shown.split('Unused keys:')[1])
        self.assertEqual(len(self.keys('service-a')), 2)
        rc, out, _ = self.kw_tty('y', 'audit', '--prune-unused', 'service-a')
        self.assertEqual(rc, 3, out)   # the findings stand: they were found
        self.assertEqual(self.keys('service-a'), {recent: 'Active'})

class GraceAfterRotate(LifecycleCase):
    def test_grace_expired_found_and_pruned(self):
        old, old_secret = self.delivered_key('app')
        m = self.manifest('app')
        self.ep.set_clock_offset(-8 * DAY)   # the rotation happened 8 days ago (IAM's clock)
        p = self.kw('rotate', '--grace', '7', m)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.ep.set_clock_offset(0)
        mid, _ = self.profile('service-app')
        # audit shows it, prune deletes it (its grace period is over), and its tag goes too
        data, _ = self.kw_json('audit', m, code=3)
        self.assertIn(('grace-expired', old), [(f['code'], f['resource']) for f in data['findings']])
        data, _ = self.kw_json('audit', '--prune-unused', '--yes', m, code=3)
        self.assertEqual([(x['access_key_id'], x['result']) for x in data['prune']], [(old, 'deleted')])
        self.assertEqual(self.keys('service-app'), {mid: 'Active'})
        self.assertNotIn('keywarden:inactive:' + old, self.tags('service-app'))


if __name__ == '__main__':
    unittest.main(verbosity=2)
