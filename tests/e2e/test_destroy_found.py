"""destroy by bare user name and apply --prune-accounts remove the secrets and parameters
keywarden tagged for the account (managed-by: keywarden and keywarden:user), found with
ListSecrets and DescribeParameters (every page) in the operator's region and in the regions the
run's manifests name; they keep what is not keywarden's for that user. Its key files and profiles
come from the local target record (keys/record.h; test_target_record.py): without one, they say,
rather than guess, that those are not known here. Read back with the AWS CLI; the endpoint's
counts show the searches and removals."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import SOURCE, EngineCase, LifecycleCase, _botocore, manifest_text  # noqa: E402

import kwtest  # noqa: E402

OURS = ['Key=managed-by,Value=keywarden', 'Key=keywarden:user,Value=service-app']
NOT_KNOWN = ('key files and profiles: not removed: no record of them in %s/targets (each machine records '
             'where it delivered; destroy there, or destroy the manifest); secrets and parameters tagged for '
             'it were looked for in ')


def in_region(case, service, region):
    """A botocore client of the admin for another region (the shared CLI keeps its region)."""
    return _botocore().create_client(service, region_name=region, endpoint_url=case.ep.url,
                                     aws_access_key_id=case.ep.access_key_id,
                                     aws_secret_access_key=case.ep.secret_access_key)


class DestroyByName(LifecycleCase):
    def names(self, *args, key='SecretList', field='Name'):
        return sorted(x[field] for x in self.cli(*args)[key])

    def eu_secrets(self):
        c = in_region(self, 'secretsmanager', 'eu-west-1')
        try:
            return sorted(x['Name'] for x in c.list_secrets()['SecretList'])
        finally:
            c.close()

    def test_bare_name_removes_what_is_tagged_for_the_user(self):
        key_file = os.path.join(self.work, 'app.json')
        m = self.manifest('app', deliver=({'secretsManager': {'name': 'service/app/aws'}},
                                          {'ssmParameter': {'name': '/service/app/aws-key'}},
                                          {'secretsManager': {'name': 'service/app/eu', 'region': 'eu-west-1'}},
                                          {'file': key_file}, 'profile'))
        p = self.kw('apply', '--auto-approve', '--confirm-timeout', '10', m)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # more of the user's parameters than one DescribeParameters page (50) holds
        for i in range(51):
            self.cli('ssm', 'put-parameter', '--name', '/service/app/extra-%02d' % i, '--type', 'SecureString',
                     '--value', 'x', '--tags', *OURS)
        # not keywarden's for service-app: another user's (a prefix of its name), no managed-by
        self.cli('secretsmanager', 'create-secret', '--name', 'service/apple/aws', '--secret-string', '{}',
                 '--tags', 'Key=managed-by,Value=keywarden', 'Key=keywarden:user,Value=service-apple')
        self.cli('secretsmanager', 'create-secret', '--name', 'handmade/app', '--secret-string', '{}',
                 '--tags', OURS[1])
        self.cli('ssm', 'put-parameter', '--name', '/service/handmade', '--type', 'String', '--value', 'x',
                 '--tags', OURS[1])
        self.ep.reset_counts()

        p = self.kw('destroy', '--auto-approve', 'service-app')
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('service-app: removed secretsManager service/app/aws (us-east-1)', p.stderr)
        self.assertIn('service-app: removed ssmParameter /service/app/aws-key (us-east-1)', p.stderr)
        for i in range(51):
            self.assertIn('service-app: removed ssmParameter /service/app/extra-%02d (us-east-1)' % i, p.stderr)
        self.assertIn('note: service-app: kept ssmParameter /service/handmade (us-east-1): not keywarden', p.stderr)
        # its key file and profile: from the target record of the apply
        self.assertIn('service-app: removed file ' + key_file, p.stderr)
        self.assertIn('service-app: removed profile service-app', p.stderr)
        self.assertNotIn('not removed', p.stderr)
        self.assertNotIn('apple', p.stderr)
        self.assertNotIn('handmade/app', p.stderr)
        counts = self.ep.counts()
        self.assertEqual(counts.get('ListSecrets'), 1, counts)
        self.assertEqual(counts.get('DescribeParameters'), 2, counts)  # 53 tagged parameters: two pages
        self.assertEqual((counts.get('DeleteSecret'), counts.get('DeleteParameter')), (1, 52), counts)
        self.assert_gone('get-user', '--user-name', 'service-app')
        self.assertEqual(self.names('secretsmanager', 'list-secrets'), ['handmade/app', 'service/apple/aws'])
        self.assertEqual(self.names('ssm', 'describe-parameters', key='Parameters'), ['/service/handmade'])
        self.assertFalse(os.path.exists(key_file))
        with open(self.creds) as f:
            self.assertNotIn('[service-app]', f.read())
        # a region no manifest of the run names is not searched: the other region's secret stays
        self.assertEqual(self.eu_secrets(), ['service/app/eu'])

        # the manifest names it: its destroy finishes the job (the user is gone: --missing-ok)
        p = self.kw('destroy', '--auto-approve', '--missing-ok', m)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('service-app: removed secretsManager service/app/eu (eu-west-1)', p.stderr)
        self.assertEqual(self.eu_secrets(), [])
        self.assertNotIn('removed file', p.stderr)  # gone already
        self.assertNotIn('not removed', p.stderr)

    def test_without_a_record_key_files_and_profiles_are_said_not_known(self):
        key_file = os.path.join(self.work, 'app.json')
        m = self.manifest('app', deliver=({'file': key_file}, 'profile'))
        p = self.kw('apply', '--auto-approve', '--confirm-timeout', '10', m)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # another machine prunes: its state folder holds no record of this account
        elsewhere = os.path.join(self.work, 'other-machine')
        p = self.kw('destroy', '--auto-approve', '--state-dir', elsewhere, 'service-app')
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('note: service-app: ' + NOT_KNOWN % elsewhere + 'us-east-1\n', p.stderr)
        self.assertTrue(os.path.exists(key_file))
        with open(self.creds) as f:
            self.assertIn('[service-app]', f.read())

    def test_an_unknown_name_is_an_error_that_searches_no_store(self):
        p = self.kw('destroy', '--auto-approve', 'service-nobody')
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn('service-nobody: IAM has no such user', p.stderr)
        self.assertNotIn('key files and profiles', p.stderr)
        counts = self.ep.counts()
        self.assertEqual((counts.get('ListSecrets', 0), counts.get('DescribeParameters', 0)), (0, 0), counts)

    def operator(self, without=None):
        """A profile 'operator' whose identity has policies/keywarden-operator.json (without the
        statement whose Sid is without)."""
        with open(os.path.join(SOURCE, 'policies', 'keywarden-operator.json')) as f:
            doc = json.load(f)
        doc['Statement'] = [st for st in doc['Statement'] if st['Sid'] != without]
        arn = self.iam('create-policy', '--policy-name', 'operator', '--policy-document', json.dumps(doc))['Policy']['Arn']
        self.iam('create-user', '--user-name', 'operator')
        self.iam('attach-user-policy', '--user-name', 'operator', '--policy-arn', arn)
        key = self.iam('create-access-key', '--user-name', 'operator')['AccessKey']
        self.secrets.add(key['SecretAccessKey'])
        self.write_profile('operator', key['AccessKeyId'], key['SecretAccessKey'])

    def make_app_with_secret(self):
        self.make_user('service-app')
        self.cli('secretsmanager', 'create-secret', '--name', 'service/app/aws', '--secret-string', '{}',
                 '--tags', *OURS)
        self.cli('ssm', 'put-parameter', '--name', '/service/app/aws-key', '--type', 'SecureString',
                 '--value', 'x', '--tags', *OURS)

    def test_the_operator_policy_lets_destroy_find_and_remove_them(self):
        self.operator()
        self.make_app_with_secret()
        p = self.kw('--profile', 'operator', 'destroy', '--auto-approve', 'service-app')
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('service-app: removed secretsManager service/app/aws (us-east-1)', p.stderr)
        self.assertIn('service-app: removed ssmParameter /service/app/aws-key (us-east-1)', p.stderr)
        self.assertNotIn('AccessDenied', p.stderr)

    def test_a_denied_search_is_an_error_naming_it(self):
        self.operator(without='FindTaggedStoresOnDestroy')
        self.make_app_with_secret()
        p = self.kw('--profile', 'operator', 'destroy', '--auto-approve', 'service-app')
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn('AccessDeniedException', p.stderr)
        self.assertIn('note: service-app: secretsManager secrets tagged keywarden:user: service-app (us-east-1) '
                      'was not removed', p.stderr)
        self.assertIn('note: service-app: ssmParameter parameters tagged keywarden:user: service-app '
                      '(us-east-1) was not removed', p.stderr)
        self.assertIn('destroyed; targets left', p.stdout)
        self.assert_gone('get-user', '--user-name', 'service-app')
        # a rerun with the whole policy (the user already gone) finds and removes them
        p = self.kw('destroy', '--auto-approve', '--missing-ok', 'service-app')
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('service-app: removed secretsManager service/app/aws (us-east-1)', p.stderr)
        self.assertIn('service-app: removed ssmParameter /service/app/aws-key (us-east-1)', p.stderr)


class PruneStores(EngineCase):
    def setUp(self):
        super().setUp()
        self.old = os.path.join(self.mdir, 'service-old.yaml')
        with open(self.old, 'w') as f:
            f.write(manifest_text(name='old', deliver=[
                'secretsManager: {name: service/old/aws}',
                'ssmParameter: {name: /service/old/aws-key, region: eu-west-1}',
                'file: old-key.json']))
        # the manifest that stays names a store in eu-west-1: pruning looks there too
        self.write_manifest(deliver=['profile: service-e2e',
                                     'ssmParameter: {name: /service/e2e/aws-key, region: eu-west-1}'])
        with open(os.path.join(self.mdir, 'keywarden.yaml'), 'w') as f:
            f.write('owner: platform-team\n')
        os.makedirs(os.path.join(self.tmp, 'seeds'))

    def run_apply(self, *extra):
        return self.kw('apply', '--auto-approve', '--confirm-timeout', '5', '--mfa-seed-out',
                       os.path.join(self.tmp, 'seeds') + '/', *extra)

    def test_prune_accounts_removes_the_stores_of_the_account(self):
        r = self.run_apply(self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.mdir, 'old-key.json')))
        os.unlink(self.old)  # the manifest is deleted in the repository
        self.ep.reset_counts()
        r = self.run_apply('--prune-accounts', self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('destroy account service-old (no manifest names it)', r.stdout)
        self.assertIn('service-old: removed secretsManager service/old/aws (us-east-1)', r.stdout)
        self.assertIn('service-old: removed ssmParameter /service/old/aws-key (eu-west-1)', r.stdout)
        self.assertIn('service-old: removed file %s/old-key.json' % self.mdir, r.stdout)  # its record's
        self.assertNotIn('not removed', r.stdout + r.stderr)
        counts = self.ep.counts()
        self.assertEqual((counts.get('ListSecrets'), counts.get('DescribeParameters')), (2, 2), counts)
        self.assertEqual((counts.get('DeleteSecret'), counts.get('DeleteParameter')), (1, 1), counts)
        self.assertEqual(counts.get('DeleteUser'), 1, counts)
        with self.assertRaises(kwtest.AwsError) as cm:
            self.cli('secretsmanager', 'describe-secret', '--secret-id', 'service/old/aws')
        self.assertEqual(cm.exception.code, 'ResourceNotFoundException')
        c = in_region(self, 'ssm', 'eu-west-1')
        left = c.describe_parameters()['Parameters']
        c.close()
        self.assertEqual([p['Name'] for p in left], ['/service/e2e/aws-key'])  # the other account's stays
        self.assertFalse(os.path.exists(os.path.join(self.mdir, 'old-key.json')))

    def test_prune_accounts_json_events(self):
        self.assertEqual(self.run_apply(self.mdir).returncode, 0)
        os.unlink(self.old)
        r = self.kw('-o', 'json', 'apply', '--auto-approve', '--confirm-timeout', '5', '--prune-accounts', self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        events = [json.loads(line) for line in r.stdout.splitlines()]
        removed = [(e['user'], e['target'], e['status']) for e in events if e['event'] == 'target-removed']
        self.assertEqual(removed, [('service-old', 'file %s/old-key.json' % self.mdir, 'removed'),
                                   ('service-old', 'secretsManager service/old/aws (us-east-1)', 'removed'),
                                   ('service-old', 'ssmParameter /service/old/aws-key (eu-west-1)', 'removed')])
        self.assertEqual([e for e in events if e.get('why')], [])


if __name__ == '__main__':
    unittest.main()
