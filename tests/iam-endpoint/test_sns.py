"""SNS on the local endpoint: topics and Publish in the Query protocol, validated against
botocore's `sns` model, signed for service `sns`, answered as SNS does (codes, statuses,
messages), and recorded on /_endpoint/sns. Driven by Debian's AWS CLI (in-process for most
calls, the /usr/bin/aws binary once) and by botocore's own QuerySerializer."""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))
import kwtest              # noqa: E402
import rawclient           # noqa: E402
import snsstate            # noqa: E402

ACCOUNT = '123456789012'
ALLOW_PUBLISH = {'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Action': 'sns:Publish', 'Resource': '*'}]}


class SNS(kwtest.CliCase):
    endpoint_kwargs = {'account_id': ACCOUNT}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.arn = cls.cli('sns', 'create-topic', '--name', 'kw-alerts')['TopicArn']

    def assertSnsError(self, code, *args, cli=None, message=None):
        e = self.aws_error('sns', *args, cli=cli)
        self.assertEqual(e.code, code, str(e))
        if message:
            self.assertIn(message, e.stderr)
        return e

    def last(self):
        return self.ep.sns_messages()[-1]

    def test_create_topic_is_idempotent_and_regional(self):
        self.assertEqual(self.arn, 'arn:aws:sns:us-east-1:%s:kw-alerts' % ACCOUNT)
        again = self.cli('sns', 'create-topic', '--name', 'kw-alerts')['TopicArn']
        self.assertEqual(again, self.arn)
        # (a worker of its own: the CLI driver keeps a --region for its later calls)
        west_cli = kwtest.AwsCli(dict(self.env, AWS_REGION='eu-west-1',
                                      AWS_DEFAULT_REGION='eu-west-1'))
        self.addCleanup(west_cli.close)
        west = west_cli('sns', 'create-topic', '--name', 'kw-alerts')
        self.assertEqual(west['TopicArn'], 'arn:aws:sns:eu-west-1:%s:kw-alerts' % ACCOUNT)
        arns = [t['TopicArn'] for t in self.cli('sns', 'list-topics')['Topics']]
        self.assertIn(self.arn, arns)
        self.assertNotIn(west['TopicArn'], arns)
        attrs = self.cli('sns', 'get-topic-attributes', '--topic-arn', self.arn)['Attributes']
        self.assertEqual((attrs['TopicArn'], attrs['Owner']), (self.arn, ACCOUNT))
        self.assertSnsError('InvalidParameter', 'create-topic', '--name', 'bad name',
                            message='Invalid parameter: Topic Name')
        west_cli('sns', 'delete-topic', '--topic-arn', west['TopicArn'])
        west_cli('sns', 'delete-topic', '--topic-arn', west['TopicArn'])   # idempotent
        self.assertEqual(west_cli('sns', 'list-topics')['Topics'], [])

    def test_publish_is_recorded(self):
        out = self.cli('sns', 'publish', '--topic-arn', self.arn, '--subject',
                       'keywarden audit: 2 findings', '--message', '{"findings": 2}',
                       '--message-attributes',
                       '{"kind": {"DataType": "String", "StringValue": "audit"}}')
        rec = self.last()
        self.assertEqual(rec['message_id'], out['MessageId'])
        self.assertEqual(rec['topic_arn'], self.arn)
        self.assertEqual(rec['subject'], 'keywarden audit: 2 findings')
        self.assertEqual(json.loads(rec['message']), {'findings': 2})
        self.assertEqual(rec['message_attributes'],
                         {'kind': {'DataType': 'String', 'StringValue': 'audit'}})
        self.assertEqual((rec['region'], rec['principal']), ('us-east-1', 'root'))
        self.assertEqual(self.ep.sns_messages(since=rec['seq']), [])

    def test_real_aws_binary_publishes(self):
        out = kwtest.aws(self.env, 'sns', 'publish', '--topic-arn', self.arn, '--message', 'x')
        self.assertEqual(self.last()['message_id'], out['MessageId'])
        # the request was signed for sns in the client's region and validated as Publish
        entry = [e for e in self.ep.log() if e['action'] == 'Publish'][-1]
        self.assertEqual((entry['service'], entry['status']), ('sns', 200))

    def test_publish_errors(self):
        n = len(self.ep.sns_messages())
        self.assertSnsError('NotFound', 'publish', '--topic-arn', self.arn + '-gone',
                            '--message', 'm', message='Topic does not exist')
        self.assertSnsError('InvalidParameter', 'publish', '--topic-arn', 'not-an-arn',
                            '--message', 'm', message='Invalid parameter: TopicArn')
        self.assertSnsError('InvalidParameter', 'publish', '--topic-arn',
                            self.arn.replace('us-east-1', 'eu-west-1'), '--message', 'm')
        self.assertSnsError('InvalidParameter', 'publish', '--message', 'm',
                            message='TopicArn or TargetArn')
        for subject in ('two\nlines', 'x' * 100, ' leading space', 'caf\u00e9'):
            self.assertSnsError('InvalidParameter', 'publish', '--topic-arn', self.arn,
                                '--subject', subject, '--message', 'm',
                                message='Invalid parameter: Subject')
        self.assertSnsError('InvalidParameter', 'publish', '--topic-arn', self.arn,
                            '--message', 'x' * (snsstate.MAX_MESSAGE_BYTES + 1),
                            message='Message too long')
        self.assertSnsError('InvalidParameter', 'publish', '--topic-arn', self.arn,
                            '--message', '{"email": "x"}', '--message-structure', 'json',
                            message='No default entry')
        self.assertSnsError('ParameterValueInvalid', 'publish', '--topic-arn', self.arn,
                            '--message', 'm', '--message-attributes',
                            '{"n": {"DataType": "Number", "StringValue": "ten"}}')
        self.assertSnsError('ParameterValueInvalid', 'publish', '--topic-arn', self.arn,
                            '--message', 'm', '--message-attributes',
                            '{"n": {"DataType": "Date", "StringValue": "x"}}')
        self.assertSnsError('InvalidParameter', 'publish', '--topic-arn', self.arn,
                            '--message', 'm', '--message-deduplication-id', 'd1')
        self.assertEqual(len(self.ep.sns_messages()), n, 'a refused Publish is not recorded')

    def test_fifo_topic_rules(self):
        fifo = self.cli('sns', 'create-topic', '--name', 'kw.fifo', '--attributes',
                        'FifoTopic=true')['TopicArn']
        self.assertSnsError('InvalidParameter', 'publish', '--topic-arn', fifo, '--message', 'm',
                            message='MessageGroupId')
        self.assertSnsError('InvalidParameter', 'publish', '--topic-arn', fifo, '--message', 'm',
                            '--message-group-id', 'g', message='ContentBasedDeduplication')
        out = self.cli('sns', 'publish', '--topic-arn', fifo, '--message', 'm',
                       '--message-group-id', 'g', '--message-deduplication-id', 'd')
        self.assertRegex(out['SequenceNumber'], r'^\d{20}$')
        self.assertSnsError('InvalidParameter', 'create-topic', '--name', 'nofifo',
                            '--attributes', 'FifoTopic=true', message='Topic Name')

    def test_model_validation(self):
        # botocore's QuerySerializer with an unknown parameter, then without the required one
        a = rawclient.call(self.ep, 'Publish', {'TopicArn': self.arn, 'Message': 'm'},
                           service='sns', raw_params={'Bogus': '1'})
        self.assertEqual(a.status, 400)
        self.assertEqual(a.parsed['Error']['Code'], 'ValidationError')
        self.assertIn(b'http://sns.amazonaws.com/doc/2010-03-31/', a.body)
        a = rawclient.call(self.ep, 'Publish', {'TopicArn': self.arn}, service='sns')
        self.assertEqual((a.status, a.parsed['Error']['Code']), (400, 'ValidationError'))
        self.assertIn("'message' failed to satisfy constraint: Member must not be null",
                      a.parsed['Error']['Message'])
        # and a good one parses with botocore's QueryParser into the model's output shape
        a = rawclient.call(self.ep, 'Publish', {'TopicArn': self.arn, 'Message': 'm',
                                                'MessageAttributes': {'a': {
                                                    'DataType': 'Binary', 'BinaryValue': b'\x00\xff'}}},
                           service='sns')
        self.assertEqual(a.status, 200, a)
        self.assertEqual(a.parsed['MessageId'], self.last()['message_id'])
        # unsigned: refused before anything else
        a = rawclient.call(self.ep, 'Publish', {'TopicArn': self.arn, 'Message': 'm'},
                           service='sns', before_send=None, region='us-east-1',
                           raw_params={}, sign_it=False)
        self.assertEqual((a.status, a.parsed['Error']['Code']), (403, 'MissingAuthenticationToken'))

    def test_identity_policy_and_last_used(self):
        user = 'service-notifier'
        self.cli('iam', 'create-user', '--user-name', user)
        key = self.cli('iam', 'create-access-key', '--user-name', user)['AccessKey']
        env = dict(self.env, AWS_ACCESS_KEY_ID=key['AccessKeyId'],
                   AWS_SECRET_ACCESS_KEY=key['SecretAccessKey'])
        with kwtest.AwsCli(env) as svc:
            self.assertSnsError('AuthorizationError', 'publish', '--topic-arn', self.arn,
                                '--message', 'm', cli=svc, message='sns:Publish')
            self.cli('iam', 'put-user-policy', '--user-name', user, '--policy-name', 'publish',
                     '--policy-document', json.dumps(ALLOW_PUBLISH))
            svc('sns', 'publish', '--topic-arn', self.arn, '--message', 'm')
        self.assertEqual(self.last()['principal'], user)
        last = self.cli('iam', 'get-access-key-last-used', '--access-key-id', key['AccessKeyId'])
        self.assertEqual(last['AccessKeyLastUsed']['ServiceName'], 'sns')

    def test_bad_signature_is_refused(self):
        env = dict(self.env, AWS_ACCESS_KEY_ID=self.ep.access_key_id,
                   AWS_SECRET_ACCESS_KEY='wrong' + self.ep.secret_access_key)
        with kwtest.AwsCli(env) as bad:
            self.assertSnsError('SignatureDoesNotMatch', 'publish', '--topic-arn', self.arn,
                                '--message', 'm', cli=bad)

    def test_control_route(self):
        arn = self.ep.sns_create_topic('made-by-control', region='eu-central-1')
        self.assertEqual(arn, 'arn:aws:sns:eu-central-1:%s:made-by-control' % ACCOUNT)
        topics = self.ep.control('GET', 'sns')['topics']
        self.assertIn(arn, [t['arn'] for t in topics])
        with self.assertRaises(kwtest.EndpointError):
            self.ep.sns_create_topic('bad name')


if __name__ == '__main__':
    unittest.main()
