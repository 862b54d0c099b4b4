"""audit --notify against the local endpoint: the summary reaches SNS (read back from the
endpoint's record of Publish) and an exec command, with the findings and never a secret; a
clean audit sends nothing; a target that cannot be reached fails before anything is read;
AWS_ENDPOINT_URL_SNS and the config services section route SNS; audit -o json carries AWS
Config's access-keys-rotated verdicts."""
import json
import os
import unittest

from e2e_fixture import DAY, LifecycleCase


class AuditNotify(LifecycleCase):
    def setUp(self):
        super().setUp()
        self.topic = self.ep.sns_create_topic('kw-audit')
        self.out = os.path.join(self.work, 'exec-summary.json')
        self.envfile = os.path.join(self.work, 'exec-env')
        # the exec command records its stdin, subject and environment
        self.exec_target = 'exec:cat > %s && env > %s' % (self.out, self.envfile)

    def accounts(self):
        """service-old: a key of 120 days used yesterday (key-too-old); service-new: clean."""
        self.make_user('service-old')
        old, _ = self.make_key('service-old', age_days=120, used_days_ago=1)
        self.make_user('service-new')
        new, _ = self.make_key('service-new', age_days=10, used_days_ago=1)
        return old, new, [self.manifest('old'), self.manifest('new')]

    def assert_no_secret(self, text):
        for s in self.secrets:
            self.assertNotIn(s, text)

    def test_findings_reach_sns_and_exec_without_secrets(self):
        old, new, names = self.accounts()
        # keywarden runs with the admin key in its environment: the command must not see it
        # (the admin's own key pair either way: the environment's or the profile's)
        env = dict(self.env, AWS_ACCESS_KEY_ID=self.ep.access_key_id,
                   AWS_SECRET_ACCESS_KEY=self.ep.secret_access_key, AWS_PROFILE='default')
        since = len(self.ep.sns_messages())
        p = self.kw('audit', '--notify', 'sns:' + self.topic, '--notify', self.exec_target, *names,
                    env=env)
        self.assertEqual(p.returncode, 3, p.stderr)
        (msg,) = self.ep.sns_messages(since)
        self.assertEqual(msg['topic_arn'], self.topic)
        self.assertEqual(msg['subject'], 'keywarden audit: 1 finding in 1 account')
        data = json.loads(msg['message'])
        self.assertEqual((data['source'], data['kind'], data['findings']), ('keywarden', 'audit', 1))
        self.assertEqual(data['accounts_audited'], 2)
        self.assertEqual(data['codes'], {'key-too-old': 1})
        (acct,) = data['accounts']
        self.assertEqual(acct['user'], 'service-old')
        self.assertTrue(acct['manifest'].endswith('old.yaml'))
        (key,) = acct['keys']
        self.assertEqual((key['access_key_id'], key['age_days']), (old, 120))
        self.assertEqual((key['last_used_service'], key['last_used_region']), ('sts', 'us-east-1'))
        self.assertEqual(key['access_keys_rotated'], 'NON_COMPLIANT')
        self.assertEqual([f['code'] for f in acct['findings']], ['key-too-old'])
        self.assertNotIn(new, msg['message'])
        self.assert_no_secret(msg['message'])
        self.assertNotIn('SecretAccessKey', msg['message'])
        # the same JSON on the command's stdin, the subject in its environment, no credentials
        with open(self.out) as f:
            text = f.read()
        self.assertEqual(json.loads(text), data)
        self.assert_no_secret(text)
        with open(self.envfile) as f:
            cmd_env = f.read()
        self.assertIn('KEYWARDEN_SUBJECT=keywarden audit: 1 finding in 1 account', cmd_env)
        self.assertIn('AWS_PROFILE=default', cmd_env)
        self.assertIn('AWS_CONFIG_FILE=', cmd_env)
        for gone in ('AWS_ACCESS_KEY_ID=', 'AWS_SECRET_ACCESS_KEY='):
            self.assertNotIn(gone, cmd_env)
        self.assert_no_secret(cmd_env)
        # published through SNS's API, signed for sns, by the operator's credentials
        pubs = [e for e in self.ep.log() if e['action'] == 'Publish']
        self.assertEqual([(e['service'], e['status']) for e in pubs], [('sns', 200)])

    def test_clean_audit_sends_nothing(self):
        self.make_user('service-new')
        self.make_key('service-new', age_days=10, used_days_ago=1)
        since = len(self.ep.sns_messages())
        p = self.kw('audit', '--notify', 'sns:' + self.topic, '--notify', self.exec_target,
                    self.manifest('new'))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.ep.sns_messages(since), [])
        self.assertFalse(os.path.exists(self.out))
        self.assertNotIn('Publish', self.ep.counts())

    def test_unreachable_topic_fails_before_reading(self):
        _, _, names = self.accounts()
        gone = self.topic + '-gone'
        p = self.kw('audit', '--notify', 'sns:' + gone, *names)
        self.assertEqual(p.returncode, 1)
        self.assertIn('Topic does not exist', p.stderr)
        counts = self.ep.counts()
        self.assertEqual(counts.get('GetTopicAttributes'), 1)
        self.assertNotIn('ListAccessKeys', counts)
        self.assertNotIn('GetAccountAuthorizationDetails', counts)
        # a bad target is a usage error before any call
        self.ep.reset_counts()
        for bad in ('mail:ops@example.com', 'sns:not-an-arn', 'exec:'):
            p = self.kw('audit', '--notify', bad, *names)
            self.assertEqual(p.returncode, 1, bad)
            self.assertIn('--notify', p.stderr)
        self.assertEqual(self.ep.counts(), {})

    def test_failing_command_is_an_error(self):
        _, _, names = self.accounts()
        since = len(self.ep.sns_messages())
        p = self.kw('audit', '--notify', 'exec:cat >/dev/null; exit 4', '--notify', 'sns:' + self.topic,
                    *names)
        self.assertEqual(p.returncode, 1)
        self.assertIn('status 4', p.stderr)
        self.assertEqual(len(self.ep.sns_messages(since)), 1, 'the other target still got it')

    def test_sns_endpoint_from_its_own_variable_and_the_services_section(self):
        _, _, names = self.accounts()
        dead = 'http://127.0.0.1:9'
        env = dict(self.env, AWS_ENDPOINT_URL=dead, AWS_ENDPOINT_URL_IAM=self.ep.url,
                   AWS_ENDPOINT_URL_STS=self.ep.url, AWS_ENDPOINT_URL_SNS=self.ep.url, AWS_MAX_ATTEMPTS='1')
        since = len(self.ep.sns_messages())
        p = self.kw('audit', '--notify', 'sns:' + self.topic, *names, env=env)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(len(self.ep.sns_messages(since)), 1)
        # without AWS_ENDPOINT_URL_SNS, SNS goes to the dead AWS_ENDPOINT_URL: it fails, loudly
        del env['AWS_ENDPOINT_URL_SNS']
        p = self.kw('audit', '--notify', 'sns:' + self.topic, *names, env=env)
        self.assertEqual(p.returncode, 1)
        self.assertIn('sns:GetTopicAttributes', p.stderr)
        # the profile's services section names SNS's endpoint
        config = os.path.join(self.work, 'config')
        with open(config, 'w') as f:
            f.write('[default]\nregion = us-east-1\nservices = local\n\n'
                    '[services local]\nsns =\n  endpoint_url = %s\n' % self.ep.url)
        env = dict(self.env, AWS_CONFIG_FILE=config, AWS_ENDPOINT_URL_IAM=self.ep.url,
                   AWS_ENDPOINT_URL_STS=self.ep.url)
        del env['AWS_ENDPOINT_URL']
        since = len(self.ep.sns_messages())
        p = self.kw('audit', '--notify', 'sns:' + self.topic, *names, env=env)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(len(self.ep.sns_messages(since)), 1)

    def test_topic_in_another_region(self):
        _, _, names = self.accounts()
        west = self.ep.sns_create_topic('kw-audit', region='eu-west-1')
        since = len(self.ep.sns_messages())
        p = self.kw('audit', '--notify', 'sns:' + west, *names)
        self.assertEqual(p.returncode, 3, p.stderr)
        (msg,) = self.ep.sns_messages(since)
        self.assertEqual((msg['topic_arn'], msg['region']), (west, 'eu-west-1'))


class ConfigAlignment(LifecycleCase):
    def test_json_carries_days_since_creation_and_compliance(self):
        self.make_user('service-a')
        a, _ = self.make_key('service-a', age_days=100, used_days_ago=1)
        self.make_user('service-b')
        b, _ = self.make_key('service-b', age_days=40, used_days_ago=1)
        names = [self.manifest('a', max_age=30), self.manifest('b', max_age=30)]
        data, _ = self.kw_json('audit', *names, code=3)
        keys = {k['access_key_id']: k for k in data['keys']}
        self.assertEqual(keys[a]['days_since_creation'], 100)
        self.assertEqual(keys[b]['days_since_creation'], 40)
        self.assertEqual((keys[a]['max_access_key_age'], keys[a]['access_keys_rotated']), (90, 'NON_COMPLIANT'))
        self.assertEqual(keys[b]['access_keys_rotated'], 'COMPLIANT')
        # keywarden's own limit (maxAgeDays 30) is stricter than the rule's default 90
        self.assertEqual(sorted(f['user'] for f in data['findings'] if f['code'] == 'key-too-old'),
                         ['service-a', 'service-b'])
        self.assertEqual(data['aws_config']['rule'], 'access-keys-rotated')
        users = {u['user']: u['compliance_type'] for u in data['aws_config']['users']}
        self.assertEqual(users, {'service-a': 'NON_COMPLIANT', 'service-b': 'COMPLIANT'})
        # the team's rule with maxAccessKeyAge 30
        data, _ = self.kw_json('audit', '--max-access-key-age', '30', *names, code=3)
        users = {u['user']: u['compliance_type'] for u in data['aws_config']['users']}
        self.assertEqual(users, {'service-a': 'NON_COMPLIANT', 'service-b': 'NON_COMPLIANT'})
        p = self.kw('audit', '--max-access-key-age', '0', *names)
        self.assertEqual(p.returncode, 1)


if __name__ == '__main__':
    unittest.main()
