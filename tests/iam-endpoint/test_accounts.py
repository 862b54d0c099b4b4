"""Several AWS accounts on one local endpoint (accounts.py), driven by botocore's clients: an
added account has its own IAM state and root key, a role in it is assumed from the first
account when (and only when) its trust policy names the caller, the session acts in the role's
account (its users, its ARNs), and IAM state never leaks between accounts."""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))
import kwtest               # noqa: E402

OTHER = '222222222222'
ALLOW_ALL = json.dumps({'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]})


class Accounts(kwtest.BotocoreCase):
    def setUp(self):
        super().setUp()
        self.root2 = self.ep.add_account(OTHER)

    def other(self, service):
        return self.client(service, self.root2['access_key_id'], self.root2['secret_access_key'])

    def test_an_added_account_has_its_own_state_and_root_key(self):
        self.assertEqual(self.other('sts').get_caller_identity()['Arn'],
                         'arn:aws:iam::%s:root' % OTHER)
        self.other('iam').create_user(UserName='svc')
        self.assertEqual(self.other('iam').get_user(UserName='svc')['User']['Arn'],
                         'arn:aws:iam::%s:user/svc' % OTHER)
        self.assertEqual(self.code(self.client('iam').get_user, UserName='svc'), 'NoSuchEntity')
        self.assertEqual(self.ep.control('GET', 'accounts')['accounts'],
                         sorted([self.ep.account_id, OTHER]))
        with self.assertRaises(kwtest.EndpointError):
            self.ep.add_account(OTHER)                    # exists already
        self.ep.reset_state()                             # forgets added accounts
        self.assertEqual(self.code(self.other('sts').get_caller_identity), 'InvalidClientTokenId')

    def test_assume_role_across_accounts(self):
        # a user of the first account, allowed to assume roles
        iam1 = self.client('iam')
        iam1.create_user(UserName='ops')
        iam1.put_user_policy(UserName='ops', PolicyName='assume', PolicyDocument=json.dumps(
            {'Version': '2012-10-17', 'Statement': [
                {'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Resource': '*'}]}))
        k = iam1.create_access_key(UserName='ops')['AccessKey']
        sts_ops = self.client('sts', k['AccessKeyId'], k['SecretAccessKey'])
        # the role in the other account trusts the first account
        role = self.other('iam').create_role(
            RoleName='keywarden', AssumeRolePolicyDocument=kwtest.trust_policy(self.ep.account_id))
        self.other('iam').put_role_policy(RoleName='keywarden', PolicyName='all',
                                          PolicyDocument=ALLOW_ALL)
        arn = role['Role']['Arn']
        self.assertEqual(arn, 'arn:aws:iam::%s:role/keywarden' % OTHER)
        self.ep.settle()
        c = sts_ops.assume_role(RoleArn=arn, RoleSessionName='run-1')
        self.assertEqual(c['AssumedRoleUser']['Arn'],
                         'arn:aws:sts::%s:assumed-role/keywarden/run-1' % OTHER)
        cr = c['Credentials']
        iam2 = self.client('iam', cr['AccessKeyId'], cr['SecretAccessKey'], cr['SessionToken'])
        sts2 = self.client('sts', cr['AccessKeyId'], cr['SecretAccessKey'], cr['SessionToken'])
        self.assertEqual(sts2.get_caller_identity()['Account'], OTHER)
        # the session acts in the role's account
        iam2.create_user(UserName='service-x')
        self.assertIn('service-x', [u['UserName'] for u in self.other('iam').list_users()['Users']])
        self.assertNotIn('service-x', [u['UserName'] for u in iam1.list_users()['Users']])
        log = [e for e in self.ep.log() if e.get('action') == 'CreateUser']
        self.assertEqual(log[-1]['account'], OTHER)
        # without the session token it is refused, as for any temporary key
        bare = self.client('iam', cr['AccessKeyId'], cr['SecretAccessKey'])
        self.assertEqual(self.code(bare.list_users), 'InvalidClientTokenId')

    def test_the_rate_limit_is_per_account(self):
        # IAM throttles each AWS account on its own: one account's burst used up leaves the
        # other's whole
        iam1, iam2 = self.client('iam'), self.other('iam')
        self.ep.set_faults('rate=1')    # a burst of one request, one more a second
        try:
            iam1.list_users()
            self.assertEqual(self.code(iam1.list_users), 'Throttling')
            iam2.list_users()
            self.assertEqual(self.ep.faults()['rate_throttled'], 1)
        finally:
            self.ep.clear_faults()

    def test_a_trust_policy_that_names_someone_else_refuses(self):
        self.other('iam').create_role(
            RoleName='closed', AssumeRolePolicyDocument=kwtest.trust_policy('333333333333'))
        self.ep.settle()
        arn = 'arn:aws:iam::%s:role/closed' % OTHER
        self.assertEqual(self.code(self.client('sts').assume_role, RoleArn=arn,
                                   RoleSessionName='xy'), 'AccessDenied')
        # a role in an account the endpoint does not have
        self.assertEqual(self.code(self.client('sts').assume_role,
                                   RoleArn='arn:aws:iam::444444444444:role/x', RoleSessionName='xy'),
                         'AccessDenied')


if __name__ == '__main__':
    unittest.main()
