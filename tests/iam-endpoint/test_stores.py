"""Secrets Manager and SSM Parameter Store in the local endpoint, driven by the real AWS CLI
(/usr/bin/aws, whose botocore serializes requests and parses answers with the secretsmanager
and ssm models): versions and staging labels as AWS keeps them, idempotent ClientRequestToken,
deletion, tags, AccessDeniedException from IAM policies, SSM's naming, tier and overwrite
rules, validation against the model, and the JSON protocol's error shape (__type)."""
import json
import os
import sys
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))
import kwtest             # noqa: E402


class Stores(kwtest.CliCase):
    """Both stores, driven through the AWS CLI on one endpoint (kwtest.CliCase)."""

    def test_secret_versions_and_staging_labels(self):
        cli = self.cli
        c = cli('secretsmanager', 'create-secret', '--name', 'app/one', '--secret-string', 'v1',
                '--kms-key-id', 'alias/app', '--tags', 'Key=managed-by,Value=keywarden')
        self.assertRegex(c['ARN'], r'^arn:aws:secretsmanager:us-east-1:123456789012:secret:'
                                   r'app/one-[A-Za-z0-9]{6}$')
        p = cli('secretsmanager', 'put-secret-value', '--secret-id', c['ARN'],
                '--secret-string', 'v2')
        self.assertEqual(p['VersionStages'], ['AWSCURRENT'])
        p3 = cli('secretsmanager', 'put-secret-value', '--secret-id', 'app/one',
                 '--secret-string', 'v3')
        cur = cli('secretsmanager', 'get-secret-value', '--secret-id', 'app/one')
        prev = cli('secretsmanager', 'get-secret-value', '--secret-id', 'app/one',
                   '--version-stage', 'AWSPREVIOUS')
        self.assertEqual((cur['SecretString'], cur['VersionId']), ('v3', p3['VersionId']))
        self.assertEqual((prev['SecretString'], prev['VersionId']), ('v2', p['VersionId']))
        old = cli('secretsmanager', 'get-secret-value', '--secret-id', 'app/one',
                  '--version-id', c['VersionId'])
        self.assertEqual((old['SecretString'], old['VersionStages']), ('v1', []))
        d = cli('secretsmanager', 'describe-secret', '--secret-id', 'app/one')
        self.assertEqual(d['VersionIdsToStages'], {p3['VersionId']: ['AWSCURRENT'],
                                                   p['VersionId']: ['AWSPREVIOUS']})
        self.assertEqual(d['KmsKeyId'], 'alias/app')
        self.assertEqual(d['Tags'], [{'Key': 'managed-by', 'Value': 'keywarden'}])
        listed = cli('secretsmanager', 'list-secrets', '--filters', 'Key=tag-key,Values=managed-by')
        self.assertIn('app/one', [s['Name'] for s in listed['SecretList']])
        self.assertEqual(self.aws_error('secretsmanager', 'create-secret', '--name', 'app/one',
                                  '--secret-string', 'x').code, 'ResourceExistsException')
        # a token sent again with the same value is ignored, with another value refused
        t = '0123456789abcdef0123456789abcdef'
        a = cli('secretsmanager', 'put-secret-value', '--secret-id', 'app/one',
                '--secret-string', 'v4', '--client-request-token', t)
        b = cli('secretsmanager', 'put-secret-value', '--secret-id', 'app/one',
                '--secret-string', 'v4', '--client-request-token', t)
        self.assertEqual(a['VersionId'], t)
        self.assertEqual(b['VersionId'], t)
        self.assertEqual(cli('secretsmanager', 'get-secret-value', '--secret-id', 'app/one',
                             '--version-stage', 'AWSPREVIOUS')['SecretString'], 'v3')
        self.assertEqual(self.aws_error('secretsmanager', 'put-secret-value', '--secret-id', 'app/one',
                                  '--secret-string', 'v5', '--client-request-token', t).code,
                         'ResourceExistsException')
        # scheduled deletion, then restore; forced deletion is at once
        cli('secretsmanager', 'delete-secret', '--secret-id', 'app/one',
            '--recovery-window-in-days', '7')
        self.assertEqual(self.aws_error('secretsmanager', 'get-secret-value', '--secret-id',
                                  'app/one').code, 'InvalidRequestException')
        self.assertIn('DeletedDate', cli('secretsmanager', 'describe-secret', '--secret-id',
                                         'app/one'))
        cli('secretsmanager', 'restore-secret', '--secret-id', 'app/one')
        cli('secretsmanager', 'delete-secret', '--secret-id', 'app/one',
            '--force-delete-without-recovery')
        self.assertEqual(self.aws_error('secretsmanager', 'describe-secret', '--secret-id',
                                  'app/one').code, 'ResourceNotFoundException')

    def test_secret_model_validation(self):
        e = self.aws_error('secretsmanager', 'delete-secret', '--secret-id', 'x',
                     '--recovery-window-in-days', '3')
        self.assertEqual(e.code, 'InvalidParameterException')
        # straight to the endpoint: an unknown member and a missing required one
        for body, code in (({'Name': 'n', 'Bogus': 1}, 'SerializationException'),
                           ({}, 'ValidationException')):
            status, answer = self.raw('secretsmanager.CreateSecret', body)
            self.assertEqual((status, answer['__type']), (400, code))

    def raw(self, target, body):
        """A signed JSON request with botocore's signer; returns (status, JSON answer)."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        data = json.dumps(body).encode()
        req = AWSRequest(method='POST', url=self.ep.url + '/', data=data,
                         headers={'Content-Type': 'application/x-amz-json-1.1',
                                  'X-Amz-Target': target})
        service = 'secretsmanager' if target.startswith('secretsmanager') else 'ssm'
        SigV4Auth(Credentials(self.ep.access_key_id, self.ep.secret_access_key), service,
                  'us-east-1').add_auth(req)
        r = urllib.request.Request(req.url, data=data, headers=dict(req.headers.items()),
                                   method='POST')
        try:
            with urllib.request.urlopen(r, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def test_parameters(self):
        cli = self.cli
        self.assertEqual(cli('ssm', 'put-parameter', '--name', '/app/key', '--value', 'one',
                             '--type', 'SecureString', '--tags', 'Key=managed-by,Value=keywarden'
                             )['Version'], 1)
        self.assertEqual(self.aws_error('ssm', 'put-parameter', '--name', '/app/key', '--value', 'x',
                                  '--type', 'SecureString').code, 'ParameterAlreadyExists')
        self.assertEqual(self.aws_error('ssm', 'put-parameter', '--name', '/app/key', '--value', 'x',
                                  '--type', 'SecureString', '--overwrite', '--tags',
                                  'Key=a,Value=b').code, 'ValidationException')
        self.assertEqual(cli('ssm', 'put-parameter', '--name', '/app/key', '--value', 'two',
                             '--type', 'SecureString', '--overwrite', '--key-id', 'alias/app'
                             )['Version'], 2)
        got = cli('ssm', 'get-parameter', '--name', '/app/key', '--with-decryption')['Parameter']
        self.assertEqual((got['Value'], got['Version'], got['Type']), ('two', 2, 'SecureString'))
        self.assertEqual(got['ARN'], 'arn:aws:ssm:us-east-1:123456789012:parameter/app/key')
        self.assertNotEqual(cli('ssm', 'get-parameter', '--name', '/app/key')['Parameter']
                            ['Value'], 'two')
        self.assertEqual(cli('ssm', 'get-parameter', '--name', '/app/key:1',
                             '--with-decryption')['Parameter']['Value'], 'one')
        self.assertEqual(cli('ssm', 'get-parameter', '--name', got['ARN'],
                             '--with-decryption')['Parameter']['Value'], 'two')
        cli('ssm', 'add-tags-to-resource', '--resource-type', 'Parameter', '--resource-id',
            '/app/key', '--tags', 'Key=owner,Value=me')
        self.assertEqual(cli('ssm', 'list-tags-for-resource', '--resource-type', 'Parameter',
                             '--resource-id', '/app/key')['TagList'],
                         [{'Key': 'managed-by', 'Value': 'keywarden'}, {'Key': 'owner', 'Value': 'me'}])
        for name in ('awsKey', '/SSM/key', 'a/b'):
            self.assertEqual(self.aws_error('ssm', 'put-parameter', '--name', name, '--value', 'x',
                                      '--type', 'String').code, 'ValidationException', name)
        self.assertEqual(self.aws_error('ssm', 'put-parameter', '--name', '/big', '--value', 'x' * 4097,
                                  '--type', 'String').code, 'ValidationException')
        self.assertEqual(cli('ssm', 'put-parameter', '--name', '/big', '--value', 'x' * 4097,
                             '--type', 'String', '--tier', 'Advanced')['Tier'], 'Advanced')
        cli('ssm', 'delete-parameter', '--name', '/app/key')
        self.assertEqual(self.aws_error('ssm', 'get-parameter', '--name', '/app/key').code,
                         'ParameterNotFound')
        self.assertEqual(self.aws_error('ssm', 'delete-parameter', '--name', '/app/key').code,
                         'ParameterNotFound')

    def test_list_secrets_filters_and_pages(self):
        cli = self.cli
        for i, (user, managed) in enumerate([('service-a', True), ('service-ab', True),
                                             ('service-a', False), ('service-b', True)]):
            tags = ['Key=keywarden:user,Value=%s' % user] + \
                (['Key=managed-by,Value=keywarden'] if managed else [])
            cli('secretsmanager', 'create-secret', '--name', 'list/%d' % i, '--secret-string', 'x',
                '--description', 'Key of %s' % user, '--tags', *tags)
        names = lambda *f: [s['Name'] for s in cli('secretsmanager', 'list-secrets', '--filters',
                                                    *f)['SecretList'] if s['Name'].startswith('list/')]
        # tag-key and tag-value are prefix matches, each over all tags (not one tag's pair)
        self.assertEqual(names('Key=tag-key,Values=keywarden:user', 'Key=tag-value,Values=service-a'),
                         ['list/0', 'list/1', 'list/2'])
        self.assertEqual(names('Key=tag-value,Values=service-b'), ['list/3'])
        self.assertEqual(names('Key=tag-key,Values=keywarden:us'), ['list/0', 'list/1', 'list/2', 'list/3'])
        self.assertEqual(names('Key=tag-key,Values=!managed-by'), ['list/2'])
        self.assertEqual(names('Key=description,Values=key of service-b'), ['list/3'])
        self.assertEqual(names('Key=name,Values=list/1,list/3'), ['list/1', 'list/3'])
        # pages: MaxResults and the NextToken the answer carries, as botocore follows them
        first = cli('secretsmanager', 'list-secrets', '--no-paginate', '--max-results', '2',
                    '--filters', 'Key=name,Values=list/')
        self.assertEqual([s['Name'] for s in first['SecretList']], ['list/0', 'list/1'])
        self.assertIn('Tags', first['SecretList'][0])
        rest = cli('secretsmanager', 'list-secrets', '--no-paginate', '--max-results', '2',
                   '--filters', 'Key=name,Values=list/', '--next-token', first['NextToken'])
        self.assertEqual([s['Name'] for s in rest['SecretList']], ['list/2', 'list/3'])
        self.assertNotIn('NextToken', rest)
        self.ep.reset_counts()
        every = cli('secretsmanager', 'list-secrets', '--page-size', '1', '--filters',
                    'Key=name,Values=list/')
        self.assertEqual(len(every['SecretList']), 4)
        self.assertEqual(self.ep.counts()['ListSecrets'], 4)
        self.assertEqual(self.aws_error('secretsmanager', 'list-secrets', '--no-paginate', '--next-token',
                                  'bm9wZQ==').code, 'InvalidNextTokenException')
        # the model's pattern for filter values (no comma, no semicolon)
        self.assertEqual(self.aws_error('secretsmanager', 'list-secrets', '--filters',
                                  '[{"Key": "tag-value", "Values": ["a;b"]}]').code, 'ValidationException')

    def test_describe_parameters_filters_and_pages(self):
        cli = self.cli
        for i, user in enumerate(['service-a', 'service-ab', 'service-a', None]):
            cli('ssm', 'put-parameter', '--name', '/desc/p%d' % i, '--type', 'SecureString',
                '--value', 'x', *(['--tags', 'Key=keywarden:user,Value=%s' % user] if user else []))
        cli('ssm', 'put-parameter', '--name', '/desc/deep/q', '--type', 'String', '--value', 'y')
        names = lambda *f: [p['Name'] for p in cli('ssm', 'describe-parameters', '--parameter-filters',
                                                    *f)['Parameters'] if p['Name'].startswith('/desc/')]
        self.assertEqual(names('Key=tag:keywarden:user,Values=service-a'), ['/desc/p0', '/desc/p2'])
        self.assertEqual(names('Key=tag:keywarden:user,Option=BeginsWith,Values=service-a'),
                         ['/desc/p0', '/desc/p1', '/desc/p2'])
        self.assertEqual(names('Key=tag:keywarden:user'), ['/desc/p0', '/desc/p1', '/desc/p2'])
        self.assertEqual(names('Key=Path,Values=/desc'), ['/desc/p0', '/desc/p1', '/desc/p2', '/desc/p3'])
        self.assertEqual(names('Key=Path,Option=Recursive,Values=/desc', 'Key=Type,Values=String'),
                         ['/desc/deep/q'])
        self.assertEqual(names('Key=Name,Option=Contains,Values=deep'), ['/desc/deep/q'])
        p = cli('ssm', 'describe-parameters', '--parameter-filters', 'Key=Name,Values=/desc/p0')
        self.assertEqual(p['Parameters'][0]['Type'], 'SecureString')
        self.assertEqual(p['Parameters'][0]['KeyId'], 'alias/aws/ssm')
        self.assertNotIn('Value', p['Parameters'][0])
        first = cli('ssm', 'describe-parameters', '--no-paginate', '--max-results', '2',
                    '--parameter-filters', 'Key=Path,Values=/desc')
        self.assertEqual(len(first['Parameters']), 2)
        rest = cli('ssm', 'describe-parameters', '--no-paginate', '--max-results', '2',
                   '--parameter-filters', 'Key=Path,Values=/desc', '--next-token', first['NextToken'])
        self.assertEqual([q['Name'] for q in rest['Parameters']], ['/desc/p2', '/desc/p3'])
        self.assertNotIn('NextToken', rest)
        self.assertEqual(self.aws_error('ssm', 'describe-parameters', '--parameter-filters',
                                  'Key=Label,Values=x').code, 'InvalidFilterKey')
        self.assertEqual(self.aws_error('ssm', 'describe-parameters', '--parameter-filters',
                                  'Key=Type,Option=Recursive,Values=String').code, 'InvalidFilterOption')
        self.assertEqual(self.aws_error('ssm', 'describe-parameters', '--max-results', '51',
                                  '--no-paginate').code, 'ValidationException')

    def test_access_denied_follows_iam_policies(self):
        cli = self.cli
        cli('iam', 'create-user', '--user-name', 'store-writer')
        cli('iam', 'put-user-policy', '--user-name', 'store-writer', '--policy-name', 'p',
            '--policy-document', json.dumps({'Version': '2012-10-17', 'Statement': [
                {'Effect': 'Allow', 'Action': ['secretsmanager:DescribeSecret', 'ssm:Get*'],
                 'Resource': '*'}]}))
        key = cli('iam', 'create-access-key', '--user-name', 'store-writer')['AccessKey']
        env = dict(self.env, AWS_ACCESS_KEY_ID=key['AccessKeyId'],
                   AWS_SECRET_ACCESS_KEY=key['SecretAccessKey'])
        with kwtest.AwsCli(env) as user:
            with self.assertRaises(kwtest.AwsError) as cm:
                user('secretsmanager', 'create-secret', '--name', 'denied', '--secret-string', 'x')
            self.assertEqual(cm.exception.code, 'AccessDeniedException')
            self.assertIn('secretsmanager:CreateSecret', cm.exception.stderr)
            with self.assertRaises(kwtest.AwsError) as cm:
                user('secretsmanager', 'describe-secret', '--secret-id', 'nothing')
            self.assertEqual(cm.exception.code, 'ResourceNotFoundException')
            with self.assertRaises(kwtest.AwsError) as cm:
                user('ssm', 'put-parameter', '--name', '/denied', '--value', 'x', '--type', 'String')
            self.assertEqual(cm.exception.code, 'AccessDeniedException')
        counts = self.ep.counts()
        self.assertGreaterEqual(counts.get('CreateSecret', 0), 1)

    def test_secret_values_never_in_the_log_or_state(self):
        self.cli('secretsmanager', 'create-secret', '--name', 'app/hidden', '--secret-string',
                 'very-secret-value-1')
        self.cli('ssm', 'put-parameter', '--name', '/app/hidden', '--value',
                 'very-secret-value-2', '--type', 'SecureString')
        text = json.dumps(self.ep.log()) + json.dumps(self.ep.state())
        self.assertNotIn('very-secret-value', text)


if __name__ == '__main__':
    unittest.main()
