"""Keys delivered into secret stores (secretsManager:, ssmParameter:), formats, and the preflight
of every target, end to end against the local endpoint, read back with /usr/bin/aws
(secretsmanager get-secret-value, ssm get-parameter --with-decryption):

- apply creates the tagged secret and parameter holding the working key; rotate makes the new
  key AWSCURRENT and the old one AWSPREVIOUS, and a new parameter version;
- a store that cannot be written deletes the new IAM key (endpoint counts);
- every preflight refusal (missing or unwritable folder, symbolic link, read-only or foreign
  credentials file, missing command, store the operator may not read, a secret keywarden did not
  create) exits 1 naming the target, before any IAM write;
- the formats json, env, credentials and template; the secret in no output."""
import json
import os
import stat
import subprocess
import unittest

from e2e_fixture import LifecycleCase

import kwtest

SECRET = 'service/app/aws'
PARAM = '/service/app/aws-key'
STORES = ({'secretsManager': {'name': SECRET, 'region': 'us-east-1', 'kmsKeyId': 'alias/keywarden'}},
          {'ssmParameter': {'name': PARAM, 'region': 'us-east-1', 'tier': 'Standard'}})
IAM_WRITES = ('Create', 'Delete', 'Put', 'Attach', 'Detach', 'Add', 'Remove', 'Tag', 'Untag', 'Enable',
              'Update')
IAM_ACTIONS = {'CreateUser', 'CreateGroup', 'AddUserToGroup', 'PutGroupPolicy', 'TagUser', 'CreateAccessKey',
               'DeleteAccessKey', 'UpdateAccessKey', 'UntagUser', 'CreateVirtualMFADevice'}


class Stores(LifecycleCase):
    def setUp(self):
        super().setUp()
        self.outputs = []

    def run_kw(self, *args, code=0, env=None):
        p = self.kw(*args, env=env)
        self.outputs.append(p.stdout + p.stderr)
        self.assertEqual(p.returncode, code, p.stdout + p.stderr)
        return p

    def apply(self, manifest, code=0, env=None):
        return self.run_kw('apply', '--auto-approve', '--confirm-timeout', '10', manifest, code=code, env=env)

    def secret(self, stage='AWSCURRENT'):
        """The key in the secret, read with /usr/bin/aws itself."""
        v = kwtest.aws(self.env, 'secretsmanager', 'get-secret-value', '--secret-id', SECRET,
                       '--version-stage', stage)
        data = json.loads(v['SecretString'])
        self.secrets.add(data['SecretAccessKey'])
        return data, v

    def parameter(self):
        p = kwtest.aws(self.env, 'ssm', 'get-parameter', '--name', PARAM, '--with-decryption')['Parameter']
        data = json.loads(p['Value'])
        self.secrets.add(data['SecretAccessKey'])
        return data, p

    def assert_no_secret_in_outputs(self):
        for s in self.secrets:
            for out in self.outputs:
                self.assertNotIn(s, out)

    def iam_writes(self):
        return {a: n for a, n in self.ep.counts().items() if a in IAM_ACTIONS or
                (a.startswith(IAM_WRITES) and a not in ('CreateSecret', 'PutSecretValue', 'PutParameter',
                                                        'AddTagsToResource', 'DeleteSecret', 'DeleteParameter'))}

    # -- apply and rotate ------------------------------------------------------------------
    def test_apply_then_rotate_into_both_stores(self):
        m = self.manifest('app', deliver=STORES)
        self.apply(m)
        cur, v = self.secret()
        self.assertEqual(cur['UserName'], 'service-app')
        self.assertEqual(self.keys('service-app'), {cur['AccessKeyId']: 'Active'})
        self.assertTrue(self.use_key(cur['AccessKeyId'], cur['SecretAccessKey']).endswith(':user/service-app'))
        self.assertEqual(v['VersionStages'], ['AWSCURRENT'])
        d = self.cli('secretsmanager', 'describe-secret', '--secret-id', SECRET)
        self.assertEqual({t['Key']: t['Value'] for t in d['Tags']},
                         {'managed-by': 'keywarden', 'keywarden:user': 'service-app'})
        self.assertEqual(d['KmsKeyId'], 'alias/keywarden')
        par, p = self.parameter()
        self.assertEqual((par['AccessKeyId'], p['Type'], p['Version']), (cur['AccessKeyId'], 'SecureString', 1))
        tags = self.cli('ssm', 'list-tags-for-resource', '--resource-type', 'Parameter', '--resource-id', PARAM)
        self.assertEqual({t['Key']: t['Value'] for t in tags['TagList']},
                         {'managed-by': 'keywarden', 'keywarden:user': 'service-app'})
        counts = self.ep.counts()
        self.assertEqual((counts['CreateSecret'], counts.get('PutSecretValue', 0)), (1, 0))
        self.assertGreaterEqual(counts['GetSecretValue'], 1)   # the delivery's read-back
        # rotate: new key AWSCURRENT, the old one AWSPREVIOUS; a new parameter version
        self.run_kw('rotate', '--confirm-timeout', '10', m)
        new, v2 = self.secret()
        old, _ = self.secret('AWSPREVIOUS')
        self.assertNotEqual(new['AccessKeyId'], cur['AccessKeyId'])
        self.assertEqual(old['AccessKeyId'], cur['AccessKeyId'])
        self.assertEqual(self.keys('service-app'), {cur['AccessKeyId']: 'Inactive', new['AccessKeyId']: 'Active'})
        self.use_key(new['AccessKeyId'], new['SecretAccessKey'])
        par2, p2 = self.parameter()
        self.assertEqual((par2['AccessKeyId'], p2['Version']), (new['AccessKeyId'], 2))
        self.assertEqual(self.ep.counts()['PutSecretValue'], 1)
        # apply again: converged, nothing written anywhere
        self.ep.reset_counts()
        self.apply(m)
        self.assertEqual(self.iam_writes(), {})
        self.assertNotIn('PutSecretValue', self.ep.counts())
        self.assert_no_secret_in_outputs()

    def test_lost_create_secret_answer_makes_one_secret_and_no_orphan_key(self):
        # CreateSecret commits, its answer is lost: the retry carries the same ClientRequestToken,
        # so Secrets Manager makes no second version and the delivery converges on one key
        self.ep.set_faults("seed=1,drop_after=1,actions=CreateSecret,limit=1")
        m = self.manifest('app', deliver=STORES[:1])
        self.apply(m)
        self.assertEqual(self.ep.faults().get("injected"), 1)
        self.assertGreaterEqual(self.ep.counts()['CreateSecret'], 2)   # the answer was lost
        cur, v = self.secret()
        self.assertEqual(v['VersionStages'], ['AWSCURRENT'])
        stages = self.cli('secretsmanager', 'describe-secret', '--secret-id', SECRET)['VersionIdsToStages']
        self.assertEqual(stages, {v['VersionId']: ['AWSCURRENT']})   # one version, no second one
        self.assertEqual(self.keys('service-app'), {cur['AccessKeyId']: 'Active'})
        self.assert_no_secret_in_outputs()

    def test_secret_named_by_arn_and_store_profile(self):
        c = self.cli('secretsmanager', 'create-secret', '--name', 'given/by-arn', '--secret-string', '{}',
                     '--tags', 'Key=managed-by,Value=keywarden', 'Key=keywarden:user,Value=service-app')
        m = self.manifest('app', deliver=({'secretsManager': {'name': c['ARN'], 'format': 'env'}},))
        self.apply(m)
        v = self.cli('secretsmanager', 'get-secret-value', '--secret-id', c['ARN'])['SecretString']
        lines = v.splitlines()
        self.assertEqual(len(lines), 2, 'env format: two lines')
        self.assertTrue(lines[0].startswith('AWS_ACCESS_KEY_ID=AKIA'))
        self.assertTrue(lines[1].startswith('AWS_SECRET_ACCESS_KEY='))
        self.secrets.add(lines[1].split('=', 1)[1])
        self.assert_no_secret_in_outputs()

    def test_store_write_failure_deletes_the_new_key(self):
        m = self.manifest('app', deliver=STORES)
        self.ep.set_faults(error500=1.0, actions=['PutParameter'])
        p = self.apply(m, code=1)
        self.assertIn('ssmParameter %s' % PARAM, p.stderr)
        counts = self.ep.counts()
        self.assertEqual(counts['CreateAccessKey'], 1)
        self.assertEqual(counts['DeleteAccessKey'], 1)
        self.assertGreaterEqual(self.ep.faults()['injected'], 1)
        self.assertEqual(self.keys('service-app'), {})
        self.ep.clear_faults()
        self.apply(m)     # the next run converges; the secret gets the working key
        cur, _ = self.secret()
        self.assertEqual(self.keys('service-app'), {cur['AccessKeyId']: 'Active'})
        self.assert_no_secret_in_outputs()

    # -- preflight: refused before any IAM write ----------------------------------------
    def assert_refused(self, deliver, *needles, env=None):
        self.ep.reset_counts()
        m = self.manifest('app', deliver=deliver)
        p = self.apply(m, code=1, env=env)
        for n in needles:
            self.assertIn(n, p.stderr)
        self.assertEqual(self.iam_writes(), {}, p.stderr)
        self.assertNotIn('CreateAccessKey', self.ep.counts())
        return p

    def test_preflight_local_targets(self):
        w = self.work
        self.assert_refused(({'file': os.path.join(w, 'missing', 'key.json')},),
                            'key.json', 'does not exist')
        os.symlink(os.path.join(w, 'elsewhere.json'), os.path.join(w, 'link.json'))
        self.assert_refused(({'file': os.path.join(w, 'link.json')},), 'link.json', 'symbolic link')
        ro = os.path.join(w, 'ro')
        os.mkdir(ro, 0o500)
        if os.geteuid() != 0:   # root writes into any folder: the mode check below covers root
            self.assert_refused(({'file': os.path.join(ro, 'key.json')},), 'not writable')
        existing = os.path.join(w, 'existing.json')
        open(existing, 'w').close()
        self.assert_refused(({'file': existing},), 'existing.json', 'exists already')
        self.assert_refused(({'exec': 'no-such-command-kw --flag'},), "exec 'no-such-command-kw --flag'",
                            'not found')
        self.assert_refused(({'exec': './deliver.sh'},), "'./deliver.sh' does not exist")
        # the credentials file: read-only, another user's, a symbolic link
        os.chmod(self.creds, 0o400)
        try:
            self.assert_refused(('profile',), 'profile service-app', 'read-only')
        finally:
            os.chmod(self.creds, 0o600)
        if os.geteuid() == 0:
            os.chown(self.creds, 65534, 65534)
            try:
                self.assert_refused(('profile',), 'belongs to another user')
            finally:
                os.chown(self.creds, 0, 0)
        real = self.creds + '.real'
        os.rename(self.creds, real)
        os.symlink(real, self.creds)
        try:
            self.assert_refused(('profile',), 'symbolic link', 'AWS_SHARED_CREDENTIALS_FILE')
        finally:
            os.unlink(self.creds)
            os.rename(real, self.creds)
        self.assertEqual(self.ep.counts().get('CreateUser', 0), 0)

    def test_preflight_stores(self):
        # a secret and a parameter keywarden did not create
        self.cli('secretsmanager', 'create-secret', '--name', SECRET, '--secret-string', 'theirs')
        self.assert_refused(STORES[:1], 'secretsManager %s' % SECRET, 'not keywarden')
        self.cli('ssm', 'put-parameter', '--name', PARAM, '--value', 'theirs', '--type', 'String')
        self.assert_refused(STORES[1:], 'ssmParameter %s' % PARAM, 'not keywarden')
        self.cli('ssm', 'delete-parameter', '--name', PARAM)
        # another account's secret
        self.cli('secretsmanager', 'tag-resource', '--secret-id', SECRET, '--tags', 'Key=managed-by,Value=keywarden',
                 'Key=keywarden:user,Value=service-other')
        self.assert_refused(STORES[:1], 'holds the key of service-other')
        # a store profile that may not read the store: AccessDenied on the probe
        self.cli('iam', 'create-user', '--user-name', 'reader')
        key = self.cli('iam', 'create-access-key', '--user-name', 'reader')['AccessKey']
        self.secrets.add(key['SecretAccessKey'])
        self.write_profile('store-writer', key['AccessKeyId'], key['SecretAccessKey'])
        for target, probe in (({'secretsManager': {'name': 'other/name', 'profile': 'store-writer'}},
                               'DescribeSecret'),
                              ({'ssmParameter': {'name': '/other/name', 'profile': 'store-writer'}},
                               'GetParameter')):
            p = self.assert_refused((target,), 'the operator may not read it', 'AccessDeniedException')
            self.assertIn(next(iter(target.values()))['name'], p.stderr)
            # the probe, signed by the store profile (a parameter's GetParameter also reads the key
            # it holds, docs/key-state.md: one more)
            self.assertEqual(self.ep.counts()[probe], 1 if probe == 'DescribeSecret' else 2)
        self.assert_no_secret_in_outputs()

    # -- formats ---------------------------------------------------------------------------
    def test_formats_for_files_stdout_and_exec(self):
        w = self.work
        tmpl = 'id={{AccessKeyId}} user={{ UserName }}\\nsecret={{SecretAccessKey}}\\n'
        lines = ['apiVersion: keywarden/v1', 'kind: ServiceAccount', 'metadata:', '  name: app', 'spec:',
                 '  mfa: none', '  accessKeys:', '    deliver:',
                 '      - file: %s/key.env' % w, '        format: env',
                 '      - file: %s/credentials' % w, '        format: credentials',
                 '      - file: %s/key.txt' % w, '        template: "%s"' % tmpl,
                 '      - exec: cat > %s/exec.env' % w, '        format: env',
                 '      - stdout: true', '        format: env']
        m = os.path.join(w, 'formats.yaml')
        with open(m, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        self.run_kw('validate', m)
        p = self.apply(m)
        env = dict(line.split('=', 1) for line in open(os.path.join(w, 'key.env')).read().splitlines())
        self.secrets.add(env['AWS_SECRET_ACCESS_KEY'])
        key_id = env['AWS_ACCESS_KEY_ID']
        self.assertEqual(self.keys('service-app'), {key_id: 'Active'})
        self.assertEqual(open(os.path.join(w, 'exec.env')).read(), open(os.path.join(w, 'key.env')).read())
        self.assertIn('AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=' % key_id, p.stdout)
        self.assertEqual(open(os.path.join(w, 'credentials')).read(),
                         '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n'
                         % (key_id, env['AWS_SECRET_ACCESS_KEY']))
        self.assertEqual(open(os.path.join(w, 'key.txt')).read(), 'id=%s user=service-app\nsecret=%s\n'
                         % (key_id, env['AWS_SECRET_ACCESS_KEY']))
        for name in ('key.env', 'credentials', 'key.txt'):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(w, name)).st_mode), 0o600)
        # a template field that does not exist is a validate error at its line
        with open(m, 'w') as f:
            f.write('\n'.join(lines[:12] + ['        template: "{{SecretKey}}"']) + '\n')
        p = self.run_kw('validate', m, code=1)
        self.assertIn('formats.yaml:13', p.stdout + p.stderr)
        self.assertIn('{{SecretKey}}', p.stdout + p.stderr)


if __name__ == '__main__':
    unittest.main()
