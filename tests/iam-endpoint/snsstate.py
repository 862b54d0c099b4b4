"""Amazon SNS (API version 2010-03-31, AWS Query protocol) for the local endpoint: topics and
Publish, recorded for tests.

Operations: CreateTopic, GetTopicAttributes, ListTopics, DeleteTopic, Publish. Requests are
decoded and validated against botocore's `sns` model by iamproto (the same Query decoder as
IAM's); what the model cannot say (ARN forms, Subject, message size, message attributes, FIFO
rules) is checked here as the SNS API Reference describes, with SNS's error codes
(InvalidParameter, ParameterValueInvalid, NotFound) and messages.

Every accepted Publish is kept in `messages` (message, subject, attributes, topic, who sent it,
which region signed it) and shown on the control route /_endpoint/sns, so tests can read what
a program published. Nothing is delivered to subscribers: there are no subscriptions.

Standard library only; the server holds the lock (IAMState.lock) around every call here.
"""
import json
import re
import time
import uuid

from iamproto import APIError, error, iso8601

API_VERSION = '2010-03-31'
MAX_MESSAGE_BYTES = 262144          # 256 KiB, message and attributes together
MAX_MESSAGE_ATTRIBUTES = 10
LIST_PAGE = 100                     # ListTopics: up to 100 a call
MESSAGES_KEPT = 1000

_TOPIC_NAME = re.compile(r'[A-Za-z0-9_-]{1,256}')
_TOPIC_ARN = re.compile(r'arn:(aws|aws-cn|aws-us-gov):sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]+)')
_ATTR_NAME = re.compile(r'[A-Za-z0-9_.-]{1,256}')
TOPIC_ATTRIBUTES = {'DeliveryPolicy', 'DisplayName', 'FifoTopic', 'Policy', 'SignatureVersion',
                    'TracingConfig', 'KmsMasterKeyId', 'ContentBasedDeduplication',
                    'ArchivePolicy', 'DataProtectionPolicy'}


def _invalid(what):
    return error('InvalidParameter', 'Invalid parameter: %s' % what, 'sns')


def _value_invalid(message):
    return error('ParameterValueInvalid', message, 'sns')


def partition_of(region):
    if region.startswith('cn-'):
        return 'aws-cn'
    if region.startswith('us-gov-'):
        return 'aws-us-gov'
    return 'aws'


def check_subject(subject):
    """SNS: ASCII text that begins with a letter, number or punctuation mark, without line
    breaks or control characters, less than 100 characters."""
    if not subject or len(subject) >= 100 or not subject.isascii():
        return False
    if not (subject[0].isalnum() or (subject[0].isprintable() and not subject[0].isspace())):
        return False
    return all(0x20 <= ord(c) < 0x7f for c in subject)


class SNSState:
    def __init__(self, account_id):
        self.account_id = account_id
        self.reset()

    def reset(self):
        self.topics = {}        # ARN -> {'Name', 'Region', 'Attributes', 'Tags', 'Created'}
        self.messages = []      # every accepted Publish, oldest first
        self.seq = 0

    # -- helpers -------------------------------------------------------------------
    def topic_arn(self, region, name):
        return 'arn:%s:sns:%s:%s:%s' % (partition_of(region), region, self.account_id, name)

    def _topic(self, ctx, arn, param='TopicArn'):
        """The topic named by arn for a request signed for ctx.region, or the error SNS gives."""
        m = _TOPIC_ARN.fullmatch(arn or '')
        if not m:
            raise _invalid(param)
        if m.group(2) != ctx.region or m.group(1) != partition_of(ctx.region):
            # a topic of another region is not reachable through this region's endpoint
            raise _invalid(param)
        t = self.topics.get(arn)
        if t is None or m.group(3) != self.account_id:
            raise error('NotFound', 'Topic does not exist', 'sns')
        return t

    def create(self, region, name, attributes=None, tags=None):
        """CreateTopic's work (also for the control route). Returns the ARN."""
        attributes = dict(attributes or {})
        fifo = attributes.get('FifoTopic', 'false').lower() == 'true'
        base = name[:-5] if name.endswith('.fifo') else name
        if not _TOPIC_NAME.fullmatch(base) or len(name) > 256 or (name.endswith('.fifo') != fifo):
            raise _invalid('Topic Name')
        for k in attributes:
            if k not in TOPIC_ATTRIBUTES:
                raise _invalid('AttributeName')
        if 'FifoTopic' in attributes:
            attributes['FifoTopic'] = 'true' if fifo else 'false'
        if 'ContentBasedDeduplication' in attributes and not fifo:
            raise _invalid('ContentBasedDeduplication Reason: Content based deduplication can '
                           'only be set for FIFO topics')
        arn = self.topic_arn(region, name)
        tags = [dict(t) for t in (tags or [])]
        old = self.topics.get(arn)
        if old is not None:       # idempotent, unless asked for something different
            if attributes and attributes != old['Attributes']:
                raise _invalid('Attributes Reason: Topic already exists with different '
                               'attributes')
            if tags and tags != old['Tags']:
                raise _invalid('Tags Reason: Topic already exists with different tags')
            return arn
        self.topics[arn] = {'Name': name, 'Region': region, 'Attributes': attributes,
                            'Tags': tags, 'Created': time.time()}
        return arn

    # -- operations ----------------------------------------------------------------
    def op_CreateTopic(self, ctx, p):
        return {'TopicArn': self.create(ctx.region, p['Name'], p.get('Attributes'),
                                        p.get('Tags'))}

    def op_GetTopicAttributes(self, ctx, p):
        t = self._topic(ctx, p['TopicArn'])
        arn = p['TopicArn']
        policy = {'Version': '2008-10-17', 'Id': '__default_policy_ID', 'Statement': [{
            'Sid': '__default_statement_ID', 'Effect': 'Allow', 'Principal': {'AWS': '*'},
            'Action': ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission',
                       'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe',
                       'SNS:ListSubscriptionsByTopic', 'SNS:Publish'],
            'Resource': arn, 'Condition': {'StringEquals': {'AWS:SourceOwner': self.account_id}}}]}
        attrs = {'TopicArn': arn, 'Owner': self.account_id, 'Policy': json.dumps(policy),
                 'DisplayName': '', 'SubscriptionsPending': '0', 'SubscriptionsConfirmed': '0',
                 'SubscriptionsDeleted': '0', 'EffectiveDeliveryPolicy': json.dumps({
                     'http': {'defaultHealthyRetryPolicy': {
                         'minDelayTarget': 20, 'maxDelayTarget': 20, 'numRetries': 3,
                         'numMaxDelayRetries': 0, 'numNoDelayRetries': 0,
                         'numMinDelayRetries': 0, 'backoffFunction': 'linear'},
                         'disableSubscriptionOverrides': False}})}
        attrs.update(t['Attributes'])
        return {'Attributes': attrs}

    def op_ListTopics(self, ctx, p):
        arns = sorted(a for a, t in self.topics.items() if t['Region'] == ctx.region)
        start = 0
        if p.get('NextToken'):
            if p['NextToken'] not in arns:
                raise _invalid('NextToken')
            start = arns.index(p['NextToken'])
        page = arns[start:start + LIST_PAGE]
        out = {'Topics': [{'TopicArn': a} for a in page]}
        if start + LIST_PAGE < len(arns):
            out['NextToken'] = arns[start + LIST_PAGE]
        return out

    def op_DeleteTopic(self, ctx, p):
        try:
            self._topic(ctx, p['TopicArn'])
        except APIError as e:
            if e.code != 'NotFound':    # idempotent: deleting what is gone succeeds
                raise
        self.topics.pop(p['TopicArn'], None)
        return {}

    def _attributes(self, attrs):
        """Check MessageAttributes as SNS does; returns their size in bytes."""
        if len(attrs) > MAX_MESSAGE_ATTRIBUTES:
            raise _value_invalid('Number of message attributes [%d] exceeds the allowed '
                                 'maximum [%d].' % (len(attrs), MAX_MESSAGE_ATTRIBUTES))
        size = 0
        for name, v in attrs.items():
            if not _ATTR_NAME.fullmatch(name) or name.startswith(('AWS.', 'Amazon.')) or \
                    name.startswith('.') or name.endswith('.') or '..' in name:
                raise _value_invalid("The message attribute name '%s' is invalid." % name)
            v = v or {}
            dtype = v.get('DataType', '')
            kind = dtype.split('.', 1)[0]
            if kind not in ('String', 'Number', 'Binary'):
                raise _value_invalid("The message attribute '%s' has an invalid message "
                                     "attribute type, the set of supported type prefixes is "
                                     "Binary, Number, and String." % name)
            value = v.get('BinaryValue') if kind == 'Binary' else v.get('StringValue')
            if not value:
                raise _value_invalid("The message attribute '%s' must contain non-empty "
                                     "message attribute value for message attribute type "
                                     "'%s'." % (name, kind))
            if kind == 'Number':
                try:
                    float(value)
                except ValueError:
                    raise _value_invalid("Could not cast message attribute '%s' value to "
                                         "number." % name)
            size += len(name.encode()) + len(dtype.encode()) + \
                (len(value) if isinstance(value, bytes) else len(value.encode()))
        return size

    def op_Publish(self, ctx, p):
        targets = [k for k in ('TopicArn', 'TargetArn', 'PhoneNumber') if p.get(k)]
        if not targets:
            raise _invalid('TopicArn or TargetArn Reason: no value for required parameter')
        if len(targets) > 1:
            raise _invalid('%s Reason: Only one of TopicArn, TargetArn or PhoneNumber may be '
                           'specified' % targets[1])
        if targets[0] == 'PhoneNumber':
            raise APIError('NotImplemented', 'The local endpoint does not send SMS messages.',
                           501, sender=False)
        arn = p[targets[0]]
        if ':sns:' in arn and arn.count(':') == 5 and '/' in arn.split(':', 5)[5]:
            raise error('NotFound', 'Endpoint does not exist', 'sns')   # a platform endpoint
        topic = self._topic(ctx, arn, targets[0])
        message = p['Message']
        if message == '':
            raise _invalid('Empty message')
        if p.get('Subject') is not None and not check_subject(p['Subject']):
            raise _invalid('Subject')
        if p.get('MessageStructure') is not None:
            if p['MessageStructure'] != 'json':
                raise _invalid('MessageStructure')
            try:
                doc = json.loads(message)
            except ValueError:
                doc = None
            if not isinstance(doc, dict):
                raise _invalid('Message Structure - JSON message body failed to parse')
            if not isinstance(doc.get('default'), str):
                raise _invalid('Message Structure - No default entry in JSON message body')
        attrs = p.get('MessageAttributes') or {}
        size = len(message.encode('utf-8')) + self._attributes(attrs)
        if size > MAX_MESSAGE_BYTES:
            raise _invalid('Message too long')
        fifo = topic['Attributes'].get('FifoTopic') == 'true'
        out = {'MessageId': str(uuid.uuid4())}
        if fifo:
            if not p.get('MessageGroupId'):
                raise _invalid('The MessageGroupId parameter is required for FIFO topics')
            if not p.get('MessageDeduplicationId') and \
                    topic['Attributes'].get('ContentBasedDeduplication') != 'true':
                raise _invalid('The topic should either have ContentBasedDeduplication enabled '
                               'or MessageDeduplicationId provided explicitly')
            out['SequenceNumber'] = '%020d' % (10000000000000000000 + self.seq + 1)
        elif p.get('MessageDeduplicationId'):
            raise _invalid('MessageDeduplicationId Reason: The request includes '
                           'MessageDeduplicationId parameter that is not valid for this topic '
                           'type')
        self.seq += 1
        self.messages.append({
            'seq': self.seq, 'time': iso8601(time.time()), 'topic_arn': arn,
            'target': targets[0], 'message_id': out['MessageId'], 'message': message,
            'subject': p.get('Subject'), 'message_structure': p.get('MessageStructure'),
            'message_attributes': {k: {kk: (vv.decode('latin-1') if isinstance(vv, bytes)
                                            else vv) for kk, vv in (v or {}).items()}
                                   for k, v in attrs.items()},
            'message_group_id': p.get('MessageGroupId'), 'region': ctx.region,
            'principal': ctx.principal_name})
        del self.messages[:-MESSAGES_KEPT]
        return out

    # -- control route /_endpoint/sns ------------------------------------------------
    def control(self, method, data, query):
        """GET: topics and published messages (since=SEQ); PUT/POST {"topics": [{"name",
        "region", "attributes"}]} creates topics; DELETE: forget messages (and topics with
        {"topics": true})."""
        if method in ('PUT', 'POST'):
            created = []
            for t in data.get('topics', []):
                try:
                    created.append(self.create(t.get('region', 'us-east-1'), t['name'],
                                               t.get('attributes')))
                except APIError as e:
                    raise ValueError('%s: %s' % (e.code, e.message))
            return {'created': created}
        if method == 'DELETE':
            self.messages.clear()
            if data.get('topics'):
                self.topics.clear()
        since = int(query.get('since', 0))
        return {'topics': [{'arn': a, 'name': t['Name'], 'region': t['Region'],
                            'attributes': t['Attributes']} for a, t in sorted(self.topics.items())],
                'messages': [m for m in self.messages if m['seq'] > since]}
