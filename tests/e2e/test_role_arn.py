"""--role-arn 'arn:aws:iam::{account}:role/NAME': one run for manifests of several AWS accounts.

Two more accounts on the local endpoint (tests/iam-endpoint/accounts.py), each with a role
`keywarden` that trusts the operator user `ci` of the first account. plan, apply, rotate and
destroy assume that role per account from ci's credentials (AssumeRole once per account,
through the AWS CLI's cache: a second run in the hour assumes nothing), ask GetCallerIdentity
once per account, and run each manifest in its own account. Before any write every account
must be reachable: a role that refuses, a manifest without metadata.account, a bad --role-arn
and a bare user name are errors that change nothing in any account.
"""
import json
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import LifecycleCase, _botocore  # noqa: E402

B, C = '222222222222', '333333333333'
ROLE = 'arn:aws:iam::{account}:role/keywarden'
ALLOW_ALL = json.dumps({'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]})
WRITES = ('Create', 'Delete', 'Put', 'Attach', 'Detach', 'Add', 'Remove', 'Tag', 'Untag', 'Enable',
          'Deactivate', 'Update')


class RoleArn(LifecycleCase):
    def setUp(self):
        super().setUp()
        # the AWS CLI's cache of roles assumed by an earlier case (whose sessions the endpoint
        # has forgotten since)
        shutil.rmtree(os.path.join(self.env['HOME'], '.aws', 'cli'), ignore_errors=True)
        self.roots = {a: self.ep.add_account(a) for a in (B, C)}
        # the operator: a user of the first account that may assume roles, nothing else
        self.iam('create-user', '--user-name', 'ci')
        self.iam('put-user-policy', '--user-name', 'ci', '--policy-name', 'assume',
                 '--policy-document', json.dumps({'Version': '2012-10-17', 'Statement': [
                     {'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Resource': '*'}]}))
        k = self.iam('create-access-key', '--user-name', 'ci')['AccessKey']
        self.secrets.add(k['SecretAccessKey'])
        self.write_profile('ci', k['AccessKeyId'], k['SecretAccessKey'])
        self.ci_arn = 'arn:aws:iam::%s:user/ci' % self.ep.account_id
        for a in (B, C):
            self.make_role(a, self.ci_arn)
        self.ep.settle()
        self.ep.reset_counts()

    def client(self, account, service='iam'):
        r = self.roots[account]
        return _botocore().create_client(service, region_name='us-east-1', endpoint_url=self.ep.url,
                                         aws_access_key_id=r['access_key_id'],
                                         aws_secret_access_key=r['secret_access_key'])

    def make_role(self, account, trusted, name='keywarden'):
        iam = self.client(account)
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(
            {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole',
                                                     'Principal': {'AWS': trusted}}]}))
        iam.put_role_policy(RoleName=name, PolicyName='admin', PolicyDocument=ALLOW_ALL)
        iam.close()

    def users(self, account):
        iam = self.client(account)
        try:
            return sorted(u['UserName'] for u in iam.list_users()['Users'])
        finally:
            iam.close()

    def run_kw(self, *args, code=0):
        p = self.kw('--profile', 'ci', *args)
        self.assertEqual(p.returncode, code, (args, p.stdout, p.stderr))
        return p

    def log(self, action):
        return [e for e in self.ep.log() if e.get('action') == action and e.get('status') == 200]

    def writes(self):
        return {a: n for a, n in self.ep.counts().items() if a.startswith(WRITES)}

    def test_apply_rotate_destroy_across_two_accounts(self):
        one, two = self.pinned('one', B), self.pinned('two', C)
        # without --role-arn the folder is refused: one run reaches one account
        p = self.run_kw('plan', one, two, code=1)
        self.assertIn('one job per account', p.stderr)
        self.ep.reset_counts()
        p = self.run_kw('apply', '--auto-approve', '--stats', '--role-arn', ROLE, one, two)
        self.assertEqual(self.users(B), ['service-one'])
        self.assertEqual(self.users(C), ['service-two'])
        self.assertNotIn('service-one', [u['UserName'] for u in self.iam('list-users')['Users']])
        # AssumeRole once per account, by ci, of that account's role
        assumed = self.log('AssumeRole')
        self.assertEqual(sorted(e['params']['RoleArn'] for e in assumed),
                         ['arn:aws:iam::%s:role/keywarden' % a for a in (B, C)])
        self.assertEqual({e['principal'] for e in assumed}, {'ci'})
        # GetCallerIdentity once per account by its role session (the new keys prove themselves
        # with GetCallerIdentity too, as their users)
        sessions = [e for e in self.log('GetCallerIdentity') if e['principal'].startswith('session:')]
        self.assertEqual(sorted(e['account'] for e in sessions), [B, C])
        # every IAM write ran in the manifest's own account, signed by that account's session
        for e in self.ep.log():
            if e.get('action', '').startswith(('CreateUser', 'CreateGroup', 'CreateAccessKey')):
                self.assertIn(e['account'], (B, C), e)
        self.assertIn('stats: account %s' % B, p.stderr)
        self.assertIn('stats: account %s' % C, p.stderr)
        # the keys were delivered and work in their accounts
        for name, account in (('one', B), ('two', C)):
            key_id, secret = self.profile('service-' + name)
            self.assertEqual(self.use_key(key_id, secret),
                             'arn:aws:iam::%s:user/service-%s' % (account, name))
        # a second run in the hour: the roles from the CLI cache, nothing to do
        self.ep.reset_counts()
        p = self.run_kw('plan', '--role-arn', ROLE, one, two)
        self.assertNotIn('AssumeRole', self.ep.counts())
        self.assertEqual(self.writes(), {})
        # rotate: each account's key, in its account
        old = self.profile('service-one')[0]
        self.run_kw('rotate', '--delete-old', '--role-arn', ROLE, one, two)
        self.assertNotEqual(self.profile('service-one')[0], old)
        iam = self.client(B)
        self.assertEqual(len(iam.list_access_keys(UserName='service-one')['AccessKeyMetadata']), 1)
        iam.close()
        # destroy: both users gone, each from its own account
        self.run_kw('destroy', '--auto-approve', '--role-arn', ROLE, one, two)
        self.assertEqual(self.users(B), [])
        self.assertEqual(self.users(C), [])

    def test_the_same_service_in_two_accounts(self):
        one_b = self.pinned('one', B)
        one_c = os.path.join(self.work, 'one-prod.yaml')
        with open(one_b) as f:
            text = f.read()
        with open(one_c, 'w') as f:
            f.write(text.replace('"%s"' % B, '"%s"' % C).replace('profile: service-one',
                                                              'profile: service-one-prod'))
        self.run_kw('apply', '--auto-approve', '--role-arn', ROLE, one_b, one_c)
        self.assertEqual(self.users(B), ['service-one'])
        self.assertEqual(self.users(C), ['service-one'])
        self.assertEqual(self.use_key(*self.profile('service-one-prod')),
                         'arn:aws:iam::%s:user/service-one' % C)
        self.run_kw('destroy', '--auto-approve', '--role-arn', ROLE, one_b, one_c)
        self.assertEqual((self.users(B), self.users(C)), ([], []))

    def test_a_secret_store_target_is_the_accounts_own(self):
        path = self.manifest('one', deliver=({'secretsManager': {'name': 'svc/one', 'region': 'us-east-1'}},))
        with open(path) as f:
            text = f.read()
        with open(path, 'w') as f:
            f.write(text.replace('  name: one\n', '  name: one\n  account: "%s"\n' % B))
        self.run_kw('apply', '--auto-approve', '--role-arn', ROLE, path)
        sm = self.client(B, 'secretsmanager')
        names = [x['Name'] for x in sm.list_secrets()['SecretList']]
        self.assertEqual(names, ['svc/one'])
        # the secret holds the key of the account's own user, and the first account has none
        key = json.loads(sm.get_secret_value(SecretId='svc/one')['SecretString'])
        self.secrets.add(key['SecretAccessKey'])
        self.assertEqual(self.use_key(key['AccessKeyId'], key['SecretAccessKey']),
                         'arn:aws:iam::%s:user/service-one' % B)
        self.assertEqual(self.aws('secretsmanager', 'list-secrets')['SecretList'], [])
        self.run_kw('destroy', '--auto-approve', '--role-arn', ROLE, path)
        self.assertEqual(sm.list_secrets()['SecretList'], [])
        sm.close()

    def test_a_saved_plan_across_accounts(self):
        one, two = self.pinned('one', B), self.pinned('two', C)
        saved = os.path.join(self.work, 'plan.json')
        self.run_kw('plan', '--role-arn', ROLE, '--out', saved, one, two, code=2)
        with open(saved) as f:
            doc = json.load(f)
        self.assertEqual(doc['account'], '%s,%s' % (B, C))
        self.assertEqual(doc['options']['role_arn'], ROLE)
        # apply --plan takes --role-arn from the plan, and reaches the same accounts
        self.run_kw('apply', '--auto-approve', '--plan', saved)
        self.assertEqual(self.users(B), ['service-one'])
        self.assertEqual(self.users(C), ['service-two'])
        # applied: IAM changed since, so the plan is refused now, naming the account's user
        p = self.run_kw('apply', '--auto-approve', '--plan', saved, code=1)
        self.assertIn('changed in IAM since the plan', p.stderr)

    def test_an_account_that_cannot_be_reached_stops_the_run_before_any_write(self):
        d = '444444444444'
        self.roots[d] = self.ep.add_account(d)
        self.make_role(d, 'arn:aws:iam::%s:user/someone-else' % self.ep.account_id)
        self.ep.settle()
        one, four = self.pinned('one', B), self.pinned('four', d)
        for args in (('plan',), ('apply', '--auto-approve'), ('rotate',), ('destroy', '--auto-approve')):
            self.ep.reset_counts()
            p = self.run_kw(*args, '--role-arn', ROLE, one, four, code=1)
            self.assertIn('account %s (metadata.account) cannot be reached' % d, p.stderr)
            self.assertIn('AccessDenied', p.stderr)
            self.assertIn(four, p.stderr)
            self.assertEqual(self.writes(), {}, args)
            self.assertNotIn('GetAccountAuthorizationDetails', self.ep.counts(), args)

    def test_what_role_arn_refuses(self):
        one = self.pinned('one', B)
        bare = self.manifest('bare')
        p = self.run_kw('plan', '--role-arn', ROLE, one, bare, code=1)
        self.assertIn('names no metadata.account', p.stderr)
        self.assertIn(bare, p.stderr)
        for bad in ('arn:aws:iam::%s:role/keywarden' % B, 'arn:aws:iam::{account}:user/x',
                    'keywarden', 'arn:aws:iam::{account}:role/'):
            p = self.run_kw('plan', '--role-arn', bad, one, code=1)
            self.assertIn('--role-arn', p.stderr)
            self.assertIn('arn:aws:iam::{account}:role/NAME', p.stderr)
        p = self.run_kw('destroy', '--auto-approve', '--role-arn', ROLE, 'service-x', code=1)
        self.assertIn('name its manifest', p.stderr)
        p = self.run_kw('apply', '--auto-approve', '--prune-accounts', '--owner', 'team',
                        '--role-arn', ROLE, one, code=1)
        self.assertIn('--prune-accounts does not work with --role-arn', p.stderr)
        self.assertEqual(self.writes(), {})
        self.assertNotIn('AssumeRole', self.ep.counts())


if __name__ == '__main__':
    unittest.main(verbosity=2)
