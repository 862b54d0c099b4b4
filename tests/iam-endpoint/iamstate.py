"""IAM state and the semantics of each operation, for the local IAM endpoint.

Every public op_<Action>(ctx, params) takes the decoded request (a dict shaped like the
model's input shape) and returns a dict shaped like its output shape, or raises APIError.
Callers hold IAMState.lock around a call.

Times: IAM's clock (ctx.now, seconds since the epoch, with the test clock offset) for every
date IAM reports; the real clock (ctx.real) for eventual-consistency visibility and key
propagation. Every record written carries 't', the real time from which reads see it (the
write time plus the lag in force when it was written).
"""
import base64
import csv
import datetime
import fnmatch
import hashlib
import hmac
import io
import json
import os
import secrets
import string
import struct
import threading
import time
import urllib.parse

import qrpng
from iamproto import error

ROOT = '__root__'

# IAM quotas (IAM User Guide, "IAM and AWS STS quotas"), defaults.
LIMITS = {
    'Users': 5000, 'Groups': 300, 'GroupsPerUser': 10, 'PoliciesPerGroup': 10,
    'PoliciesPerUser': 10, 'AccessKeysPerUser': 2, 'TagsPerUser': 50,
    'MFADevicesPerUser': 8, 'CustomerManagedPolicies': 1500, 'VersionsPerPolicy': 5,
    'UserPolicySize': 2048, 'GroupPolicySize': 5120, 'PolicySize': 6144,
    'PoliciesPerRole': 10, 'RolePolicySize': 10240,   # roles: iamroles.py
}
MFA_ISSUER = 'Amazon%20Web%20Services'
REPORT_TTL = 4 * 3600          # a credential report is fresh for four hours
TOTP_STEP = 30
TOTP_DIGITS = 6

AWS_MANAGED = {
    'AdministratorAccess': ('Provides full access to AWS services and resources.',
                            [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]),
    'ReadOnlyAccess': ('Provides read-only access to AWS services and resources.',
                       [{'Effect': 'Allow', 'Action': ['*:Describe*', '*:Get*', '*:List*',
                                                       '*:BatchGet*', '*:Lookup*'],
                         'Resource': '*'}]),
    'IAMReadOnlyAccess': ('Provides read only access to IAM via the AWS Management Console.',
                          [{'Effect': 'Allow', 'Action': ['iam:GenerateCredentialReport',
                                                          'iam:GenerateServiceLastAccessedDetails',
                                                          'iam:Get*', 'iam:List*',
                                                          'iam:SimulateCustomPolicy',
                                                          'iam:SimulatePrincipalPolicy'],
                            'Resource': '*'}]),
    'IAMUserChangePassword': ('Provides the ability for an IAM user to change their own password.',
                              [{'Effect': 'Allow', 'Action': ['iam:ChangePassword'],
                                'Resource': ['arn:aws:iam::*:user/${aws:username}']},
                               {'Effect': 'Allow', 'Action': ['iam:GetAccountPasswordPolicy'],
                                'Resource': '*'}]),
    'AmazonEC2ReadOnlyAccess': ('Provides read only access to Amazon EC2 via the AWS Management Console.',
                                [{'Effect': 'Allow', 'Action': 'ec2:Describe*', 'Resource': '*'},
                                 {'Effect': 'Allow', 'Action': 'elasticloadbalancing:Describe*',
                                  'Resource': '*'},
                                 {'Effect': 'Allow', 'Action': ['cloudwatch:ListMetrics',
                                                                'cloudwatch:GetMetricStatistics',
                                                                'cloudwatch:Describe*'],
                                  'Resource': '*'},
                                 {'Effect': 'Allow', 'Action': 'autoscaling:Describe*',
                                  'Resource': '*'}]),
    'AmazonEC2FullAccess': ('Provides full access to Amazon EC2 via the AWS Management Console.',
                            [{'Effect': 'Allow', 'Action': ['ec2:*', 'elasticloadbalancing:*',
                                                            'cloudwatch:*', 'autoscaling:*'],
                              'Resource': '*'}]),
    'AmazonS3ReadOnlyAccess': ('Provides read only access to all buckets via the AWS Management Console.',
                               [{'Effect': 'Allow', 'Action': ['s3:Get*', 's3:List*',
                                                               's3-object-lambda:Get*',
                                                               's3-object-lambda:List*'],
                                 'Resource': '*'}]),
    'AmazonS3FullAccess': ('Provides full access to all buckets via the AWS Management Console.',
                           [{'Effect': 'Allow', 'Action': ['s3:*', 's3-object-lambda:*'],
                             'Resource': '*'}]),
    'AmazonRoute53FullAccess': ('Provides full access to all Amazon Route 53 via the AWS Management Console.',
                                [{'Effect': 'Allow', 'Action': ['route53:*', 'route53domains:*',
                                                                'cloudfront:ListDistributions',
                                                                'elasticloadbalancing:DescribeLoadBalancers',
                                                                'ec2:DescribeVpcs', 'ec2:DescribeRegions',
                                                                'sns:ListTopics', 'sns:ListSubscriptionsByTopic',
                                                                'cloudwatch:DescribeAlarms',
                                                                'cloudwatch:GetMetricStatistics'],
                                  'Resource': '*'}]),
    'AmazonRoute53ReadOnlyAccess': ('Provides read only access to all Amazon Route 53 via the AWS Management Console.',
                                    [{'Effect': 'Allow', 'Action': ['route53:Get*', 'route53:List*',
                                                                    'route53:TestDNSAnswer'],
                                      'Resource': ['*']}]),
    'AmazonSSMReadOnlyAccess': ('Provides read only access to Amazon SSM.',
                                [{'Effect': 'Allow', 'Action': ['ssm:Describe*', 'ssm:Get*', 'ssm:List*'],
                                  'Resource': '*'}]),
    'CloudWatchReadOnlyAccess': ('Provides read only access to CloudWatch.',
                                 [{'Effect': 'Allow', 'Action': ['autoscaling:Describe*', 'cloudwatch:Describe*',
                                                                 'cloudwatch:Get*', 'cloudwatch:List*',
                                                                 'logs:Get*', 'logs:List*', 'logs:Describe*',
                                                                 'logs:FilterLogEvents', 'sns:Get*', 'sns:List*'],
                                   'Resource': '*'}]),
    'SecretsManagerReadWrite': ('Provides read/write access to AWS Secrets Manager via the AWS Management Console.',
                                [{'Effect': 'Allow', 'Action': ['secretsmanager:*', 'kms:DescribeKey',
                                                                'kms:ListAliases', 'kms:ListKeys'],
                                  'Resource': '*'}]),
}
AWS_MANAGED_CREATED = 1423248000.0   # 2015-02-06T18:40:00Z, the date of AWS's first managed policies


def _aws_managed_catalog():
    catalog = {}
    for name, (desc, statements) in AWS_MANAGED.items():
        arn = 'arn:aws:iam::aws:policy/' + name
        pid = 'ANPA' + base64.b32encode(hashlib.sha256(arn.encode()).digest()).decode()[:17]
        doc = json.dumps({'Version': '2012-10-17', 'Statement': statements}, indent=4)
        catalog[arn.lower()] = {
            'PolicyName': name, 'PolicyId': pid, 'Arn': arn, 'Path': '/', 'Description': desc,
            'CreateDate': AWS_MANAGED_CREATED, 'UpdateDate': AWS_MANAGED_CREATED,
            'DefaultVersionId': 'v1', 'NextVersion': 2, 'Tags': [], 't': 0.0,
            'Versions': [{'VersionId': 'v1', 'Document': doc, 'CreateDate': AWS_MANAGED_CREATED}],
        }
    return catalog


AWS_MANAGED_POLICIES = _aws_managed_catalog()


# ---------------------------------------------------------------------------
# TOTP (RFC 6238 over RFC 4226 HOTP, HMAC-SHA1).

def hotp(key, counter, digits=TOTP_DIGITS):
    mac = hmac.new(key, struct.pack('>Q', counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = struct.unpack('>I', mac[off:off + 4])[0] & 0x7FFFFFFF
    return str(code % (10 ** digits)).zfill(digits)


def totp(seed_b32, unix_time, digits=TOTP_DIGITS, step=TOTP_STEP):
    key = base64.b32decode(seed_b32 + '=' * (-len(seed_b32) % 8), casefold=True)
    return hotp(key, int(unix_time // step), digits)


def totp_pair_ok(seed_b32, code1, code2, unix_time, window=3):
    """True when code1, code2 are the codes of consecutive steps T, T+1 with
    T in [now-window, now]: codes just read from a device, or the current and next."""
    now_step = int(unix_time // TOTP_STEP)
    for t in range(now_step - window, now_step + 1):
        if (hmac.compare_digest(totp(seed_b32, t * TOTP_STEP), code1)
                and hmac.compare_digest(totp(seed_b32, (t + 1) * TOTP_STEP), code2)):
            return True
    return False


# ---------------------------------------------------------------------------
# Identifiers in AWS's shapes.

_ID_ALPHABET = string.ascii_uppercase + '234567'


def _unique_id(prefix):
    return prefix + ''.join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def new_access_key_id():
    return 'AKIA' + ''.join(secrets.choice(_ID_ALPHABET) for _ in range(16))


def new_secret_key():
    return base64.b64encode(secrets.token_bytes(30)).decode()


def _norm_path(path):
    return path or '/'


def _marker_encode(key):
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _marker_decode(marker):
    try:
        return json.loads(base64.urlsafe_b64decode(marker.encode()))
    except (ValueError, TypeError):
        raise error('ValidationError', 'Invalid Marker: %s' % marker)


def paginate(items, params, sort_key):
    """Sort items by sort_key, skip to after Marker, cut at MaxItems (default 100).

    Returns (page, extra) where extra holds IsTruncated and, when truncated, Marker: the
    sort key of the last item returned, so pages stay stable while the list changes.
    """
    keyed = sorted(((sort_key(i), i) for i in items), key=lambda kv: kv[0])
    if params.get('Marker') is not None:
        after = _marker_decode(params['Marker'])
        after = tuple(after) if isinstance(after, list) else after
        keyed = [kv for kv in keyed if _cmp_key(kv[0]) > _cmp_key(after)]
    n = params.get('MaxItems') or 100
    page = keyed[:n]
    extra = {'IsTruncated': len(keyed) > n}
    if extra['IsTruncated']:
        extra['Marker'] = _marker_encode(page[-1][0])
    return [i for _, i in page], extra


def _cmp_key(k):
    return tuple(k) if isinstance(k, (list, tuple)) else (k,)


def _doc_size(doc):
    return sum(1 for c in doc if not c.isspace())


def _action_matches(pattern, action):
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


class Ctx:
    """What an operation needs to know about its request."""

    def __init__(self, state, principal, read, service='iam', region='us-east-1'):
        self.principal = principal        # ROOT, or a user's lower-cased name
        self.read = read                  # Get*/List*: eventual-consistency lag applies
        self.now = state.iam_now()
        self.real = time.time()
        # A write made now becomes visible to reads at visible_at (eventual consistency).
        self.visible_at = self.real + state.settings['lag_ms'] / 1000.0
        # A read served by a replica this much further behind (the 'stale' fault): it does not
        # see what became visible less than behind seconds ago.
        self.behind = 0.0
        self.service = service
        self.region = region


def _table(name):
    """A read-only attribute for the table self.data[name]."""
    return property(lambda self: self.data[name], doc='self.data[%r]' % name)


class IAMState:
    def __init__(self, account_id, state_file=None):
        self.lock = threading.RLock()
        self.account_id = account_id
        self.state_file = state_file
        self.settings = {'clock_offset': 0.0, 'lag_ms': 0, 'key_propagation_ms': 0,
                         'report_delay_ms': 0}
        self.data = self._empty()
        if state_file and os.path.exists(state_file):
            with open(state_file) as f:
                loaded = json.load(f)
            if loaded.get('account_id') == account_id:
                self.data = loaded['data']

    def _empty(self):
        return {'users': {}, 'groups': {}, 'policies': {}, 'keys': {}, 'mfa': {},
                'report': None, 'root': {'CreateDate': time.time(), 'KeyLastUsed': None}}

    def reset(self):
        self.data = self._empty()

    def save(self):
        if not self.state_file:
            return
        tmp = '%s.tmp.%d' % (self.state_file, os.getpid())
        # It holds secret keys and MFA seeds (the server needs them): owner-only.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            json.dump({'account_id': self.account_id, 'data': self.data}, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state_file)

    def settle(self):
        """End every pending eventual-consistency lag: all writes become visible now."""
        now = time.time()

        def walk(o):
            if isinstance(o, dict):
                for k, v in o.items():
                    if k in ('t', 'te') and isinstance(v, (int, float)) and v > now:
                        o[k] = now
                    else:
                        walk(v)
            elif isinstance(o, list):
                if len(o) == 2 and isinstance(o[0], str) and isinstance(o[1], float):
                    o[1] = min(o[1], now)
                else:
                    for v in o:
                        walk(v)
        walk(self.data)

    def iam_now(self):
        return time.time() + self.settings['clock_offset']

    # -- helpers -------------------------------------------------------------
    users, groups, keys, mfa = (_table(t) for t in ('users', 'groups', 'keys', 'mfa'))

    def _visible(self, ctx, t):
        return not ctx.read or ctx.real >= t + ctx.behind

    def _page_under_path(self, ctx, entities, p, name_key):
        """A page of the visible users, groups or roles under p's PathPrefix, in the order of
        their names (entity[name_key]) regardless of case, and the page's Marker/IsTruncated."""
        prefix = p.get('PathPrefix', '/')
        return paginate([e for e in entities
                         if self._visible(ctx, e['t']) and e['Path'].startswith(prefix)], p,
                        lambda e: e[name_key].lower())

    def user_arn(self, u):
        return 'arn:aws:iam::%s:user%s%s' % (self.account_id, u['Path'], u['UserName'])

    def group_arn(self, g):
        return 'arn:aws:iam::%s:group%s%s' % (self.account_id, g['Path'], g['GroupName'])

    def root_arn(self):
        return 'arn:aws:iam::%s:root' % self.account_id

    def _user(self, ctx, name):
        u = self.users.get(name.lower())
        if u is None or not self._visible(ctx, u['t']):
            raise error('NoSuchEntity', 'The user with name %s cannot be found.' % name)
        return u

    def _group(self, ctx, name):
        g = self.groups.get(name.lower())
        if g is None or not self._visible(ctx, g['t']):
            raise error('NoSuchEntity', 'The group with name %s cannot be found.' % name)
        return g

    def _target_user(self, ctx, p):
        """The user named by UserName, or the caller when it is omitted."""
        if p.get('UserName'):
            return self._user(ctx, p['UserName'])
        if ctx.principal == ROOT:
            raise error('ValidationError', 'Must specify userName when calling with non-User '
                        'credentials')
        return self._user(ctx, ctx.principal)

    def _policy(self, ctx, arn, attachable=False):
        p = AWS_MANAGED_POLICIES.get(arn.lower()) or self.data['policies'].get(arn.lower())
        if p is None or not self._visible(ctx, p['t']):
            if attachable:
                raise error('NoSuchEntity', 'Policy %s does not exist or is not attachable.' % arn)
            raise error('NoSuchEntity', 'Policy %s was not found.' % arn)
        return p

    def user_out(self, u, full=True):
        out = {'Path': u['Path'], 'UserName': u['UserName'], 'UserId': u['UserId'],
               'Arn': self.user_arn(u), 'CreateDate': u['CreateDate']}
        if u.get('PasswordLastUsed'):
            out['PasswordLastUsed'] = u['PasswordLastUsed']
        if full:
            if u.get('Boundary'):
                out['PermissionsBoundary'] = {'PermissionsBoundaryType': 'PermissionsBoundaryPolicy',
                                              'PermissionsBoundaryArn': u['Boundary']}
            if u['Tags']:
                out['Tags'] = [dict(t) for t in u['Tags']]
        return out

    def group_out(self, g):
        return {'Path': g['Path'], 'GroupName': g['GroupName'], 'GroupId': g['GroupId'],
                'Arn': self.group_arn(g), 'CreateDate': g['CreateDate']}

    def _members(self, ctx, g):
        return [self.users[m] for m, t in g['Members'] if m in self.users and self._visible(ctx, t)]

    def _groups_of(self, ctx, u):
        lname = u['UserName'].lower()
        return [g for g in self.groups.values() if self._visible(ctx, g['t'])
                and any(m == lname and self._visible(ctx, t) for m, t in g['Members'])]

    def _attached(self, ctx, entity):
        return [arn for arn, t in entity['Attached'] if self._visible(ctx, t)]

    def _inline(self, ctx, entity):
        """Visible inline policies as {name: document}; a recent replace shows its old text."""
        out = {}
        for name, rec in entity['Inline'].items():
            if self._visible(ctx, rec['t']):
                out[name] = rec['doc']
            elif rec.get('prev') is not None:
                out[name] = rec['prev']
        return out

    def _check_tags(self, tags, existing=()):
        merged = {t['Key'].lower(): t for t in existing}
        seen = set()
        for t in tags:
            k = t['Key']
            if k.lower() in seen:
                raise error('InvalidInput', 'Duplicate tag keys found. Please note that Tag keys '
                            'are case insensitive.')
            seen.add(k.lower())
            if k.lower().startswith('aws:'):
                raise error('InvalidInput', "User-provided tag keys can't start with 'aws:'.")
            merged[k.lower()] = {'Key': k, 'Value': t.get('Value', '')}
        if len(merged) > LIMITS['TagsPerUser']:
            raise error('LimitExceeded', 'Cannot exceed quota for TagsPerUser: %d'
                        % LIMITS['TagsPerUser'])
        return list(merged.values())

    def _check_policy_document(self, doc):
        try:
            d = json.loads(doc)
        except ValueError:
            raise error('MalformedPolicyDocument', 'Syntax errors in policy.')
        if not isinstance(d, dict):
            raise error('MalformedPolicyDocument', 'Syntax errors in policy.')
        if 'Version' in d and d['Version'] not in ('2012-10-17', '2008-10-17'):
            raise error('MalformedPolicyDocument', 'The policy failed legacy parsing')
        unknown = set(d) - {'Version', 'Id', 'Statement'}
        if unknown:
            raise error('MalformedPolicyDocument', 'Syntax errors in policy.')
        stmts = d.get('Statement')
        if stmts is None:
            raise error('MalformedPolicyDocument', 'Missing required field Statement')
        if isinstance(stmts, dict):
            stmts = [stmts]
        if not isinstance(stmts, list) or not stmts:
            raise error('MalformedPolicyDocument', 'Syntax errors in policy.')
        sids = set()
        for s in stmts:
            if not isinstance(s, dict):
                raise error('MalformedPolicyDocument', 'Syntax errors in policy.')
            if s.get('Effect') not in ('Allow', 'Deny'):
                raise error('MalformedPolicyDocument', 'Missing required field Effect'
                            if 'Effect' not in s else 'Invalid effect: %s' % s.get('Effect'))
            if ('Action' in s) == ('NotAction' in s):
                raise error('MalformedPolicyDocument', 'Policy statement must contain actions.')
            if ('Resource' in s) == ('NotResource' in s):
                raise error('MalformedPolicyDocument', 'Policy statement must contain resources.')
            if 'Principal' in s or 'NotPrincipal' in s:
                raise error('MalformedPolicyDocument', 'Policy document should not specify a '
                            'principal.')
            if 'Sid' in s:
                if s['Sid'] in sids:
                    raise error('MalformedPolicyDocument', 'Statement IDs (SID) in a single '
                                'policy must be unique.')
                sids.add(s['Sid'])
            for field in ('Action', 'NotAction'):
                acts = s.get(field)
                acts = [acts] if isinstance(acts, str) else acts
                if acts is not None:
                    for a in acts:
                        if not isinstance(a, str) or (a != '*' and ':' not in a):
                            raise error('MalformedPolicyDocument', 'Actions/Conditions must be '
                                        'prefaced by a vendor, e.g., iam, sdb, ec2, etc.')
        return d

    # -- policy evaluation for callers other than the admin (root) key ---------
    def _statements(self, doc):
        d = json.loads(doc)
        s = d.get('Statement', [])
        return [s] if isinstance(s, dict) else s

    @staticmethod
    def _stmt_matches(s, action):
        if 'Action' in s:
            acts = s['Action']
            acts = [acts] if isinstance(acts, str) else acts
            return any(_action_matches(a, action) for a in acts)
        acts = s['NotAction']
        acts = [acts] if isinstance(acts, str) else acts
        return not any(_action_matches(a, action) for a in acts)

    def _decide(self, docs, action):
        allowed = False
        for doc in docs:
            for s in self._statements(doc):
                if self._stmt_matches(s, action):
                    if s.get('Effect') == 'Deny':
                        return 'deny'
                    allowed = True
        return 'allow' if allowed else 'none'

    def _default_doc(self, p):
        for v in p['Versions']:
            if v['VersionId'] == p['DefaultVersionId']:
                return v['Document']
        return '{}'

    def authorize(self, principal, action):
        """Identity-policy evaluation (Action matching only; Resource and Condition ignored)."""
        if principal == ROOT or action == 'sts:GetCallerIdentity':
            return True
        u = self.users.get(principal)
        if u is None:
            return False
        ctx = Ctx(self, principal, read=False)
        docs = list(u['Inline'][n]['doc'] for n in u['Inline'])
        docs += [self._default_doc(self._policy(ctx, a)) for a in self._attached(ctx, u)]
        for g in self._groups_of(ctx, u):
            docs += list(g['Inline'][n]['doc'] for n in g['Inline'])
            docs += [self._default_doc(self._policy(ctx, a)) for a in self._attached(ctx, g)]
        if self._decide(docs, action) != 'allow':
            return False
        if u.get('Boundary'):
            bp = AWS_MANAGED_POLICIES.get(u['Boundary'].lower()) or \
                self.data['policies'].get(u['Boundary'].lower())
            if bp is None or self._decide([self._default_doc(bp)], action) != 'allow':
                return False
        return True

    # -- access keys as credentials --------------------------------------------
    def key_for_auth(self, akid):
        """The stored key record for akid (any status), or None."""
        return self.keys.get(akid)

    def record_key_use(self, akid, service, region):
        """Note that akid signed a request. Like AWS, only the first use in any 15-minute
        span is recorded (unless the service or region differs)."""
        now = self.iam_now()
        if akid in self.keys:
            rec, field = self.keys[akid], 'LastUsed'
        else:
            rec, field = self.data['root'], 'KeyLastUsed'
        last = rec.get(field)
        if last and 0 <= now - last['Date'] < 15 * 60 and last['Service'] == service \
                and last['Region'] == region:
            return False
        rec[field] = {'Date': now, 'Service': service, 'Region': region}
        return True

    # =======================================================================
    # Users
    @staticmethod
    def _check_new(table, kind, name, limit):
        """CreateUser, CreateGroup, CreateRole: the name is free (regardless of case) and the
        account's quota (<kind>sPerAccount) not reached."""
        if name.lower() in table:
            raise error('EntityAlreadyExists', '%s with name %s already exists.' % (kind, name))
        if len(table) >= limit:
            raise error('LimitExceeded', 'Cannot exceed quota for %ssPerAccount: %d'
                        % (kind, limit))

    def op_CreateUser(self, ctx, p):
        name = p['UserName']
        self._check_new(self.users, 'User', name, LIMITS['Users'])
        tags = self._check_tags(p.get('Tags', []))
        boundary = p.get('PermissionsBoundary')
        if boundary:
            self._boundary_policy(ctx, boundary)
        u = {'UserName': name, 'UserId': _unique_id('AIDA'), 'Path': _norm_path(p.get('Path')),
             'CreateDate': ctx.now, 'Tags': tags, 'Boundary': boundary, 'Inline': {},
             'Attached': [], 'Login': None, 'PasswordLastUsed': None, 't': ctx.visible_at}
        self.users[name.lower()] = u
        return {'User': self.user_out(u)}

    def _boundary_policy(self, ctx, arn):
        p = AWS_MANAGED_POLICIES.get(arn.lower()) or self.data['policies'].get(arn.lower())
        if p is None:
            raise error('NoSuchEntity', 'Scope ARN: %s does not exist or is not attachable.' % arn)
        return p

    def op_GetUser(self, ctx, p):
        if not p.get('UserName') and ctx.principal == ROOT:
            root = {'UserId': self.account_id, 'Arn': self.root_arn(),
                    'CreateDate': self.data['root']['CreateDate']}
            return {'User': root}
        return {'User': self.user_out(self._target_user(ctx, p))}

    def op_ListUsers(self, ctx, p):
        page, extra = self._page_under_path(ctx, self.users.values(), p, 'UserName')
        return dict(Users=[self.user_out(u, full=False) for u in page], **extra)

    def op_DeleteUser(self, ctx, p):
        u = self._user(ctx, p['UserName'])
        lname = u['UserName'].lower()
        if u['Login']:
            raise error('DeleteConflict', 'Cannot delete entity, must delete login profile first.')
        if any(k['User'] == lname for k in self.keys.values()):
            raise error('DeleteConflict', 'Cannot delete entity, must delete access keys first.')
        if any(d['User'] == lname for d in self.mfa.values()):
            raise error('DeleteConflict', 'Cannot delete entity, must delete MFA device first.')
        if u['Inline']:
            raise error('DeleteConflict', 'Cannot delete entity, must delete policies first.')
        if u['Attached']:
            raise error('DeleteConflict', 'Cannot delete entity, must detach all policies first.')
        if any(m == lname for g in self.groups.values() for m, _ in g['Members']):
            raise error('DeleteConflict', 'Cannot delete entity, must remove user from all '
                        'groups first.')
        del self.users[lname]
        return {}

    def op_TagUser(self, ctx, p):
        u = self._user(ctx, p['UserName'])
        u['Tags'] = self._check_tags(p['Tags'], u['Tags'])
        return {}

    def op_UntagUser(self, ctx, p):
        u = self._user(ctx, p['UserName'])
        drop = {k.lower() for k in p['TagKeys']}
        u['Tags'] = [t for t in u['Tags'] if t['Key'].lower() not in drop]
        return {}

    def op_ListUserTags(self, ctx, p):
        u = self._user(ctx, p['UserName'])
        idx = {t['Key'].lower(): i for i, t in enumerate(u['Tags'])}
        page, extra = paginate(u['Tags'], p, lambda t: idx[t['Key'].lower()])
        return dict(Tags=[dict(t) for t in page], **extra)

    def op_PutUserPermissionsBoundary(self, ctx, p):
        u = self._user(ctx, p['UserName'])
        self._boundary_policy(ctx, p['PermissionsBoundary'])
        u['Boundary'] = p['PermissionsBoundary']
        return {}

    def op_DeleteUserPermissionsBoundary(self, ctx, p):
        u = self._user(ctx, p['UserName'])
        if not u.get('Boundary'):
            raise error('NoSuchEntity', 'The user with name %s has no permissions boundary.'
                        % p['UserName'])
        u['Boundary'] = None
        return {}

    # =======================================================================
    # Groups
    def op_CreateGroup(self, ctx, p):
        name = p['GroupName']
        self._check_new(self.groups, 'Group', name, LIMITS['Groups'])
        g = {'GroupName': name, 'GroupId': _unique_id('AGPA'), 'Path': _norm_path(p.get('Path')),
             'CreateDate': ctx.now, 'Inline': {}, 'Attached': [], 'Members': [], 't': ctx.visible_at}
        self.groups[name.lower()] = g
        return {'Group': self.group_out(g)}

    def op_GetGroup(self, ctx, p):
        g = self._group(ctx, p['GroupName'])
        page, extra = paginate(self._members(ctx, g), p, lambda u: u['UserName'].lower())
        return dict(Group=self.group_out(g), Users=[self.user_out(u, full=False) for u in page],
                    **extra)

    def op_ListGroups(self, ctx, p):
        page, extra = self._page_under_path(ctx, self.groups.values(), p, 'GroupName')
        return dict(Groups=[self.group_out(g) for g in page], **extra)

    def op_DeleteGroup(self, ctx, p):
        g = self._group(ctx, p['GroupName'])
        if g['Members']:
            raise error('DeleteConflict', 'Cannot delete entity, must remove users from group '
                        'first.')
        if g['Inline']:
            raise error('DeleteConflict', 'Cannot delete entity, must delete policies first.')
        if g['Attached']:
            raise error('DeleteConflict', 'Cannot delete entity, must detach all policies first.')
        del self.groups[g['GroupName'].lower()]
        return {}

    def op_AddUserToGroup(self, ctx, p):
        g = self._group(ctx, p['GroupName'])
        u = self._user(ctx, p['UserName'])
        lname = u['UserName'].lower()
        if any(m == lname for m, _ in g['Members']):
            return {}
        count = sum(1 for x in self.groups.values() for m, _ in x['Members'] if m == lname)
        if count >= LIMITS['GroupsPerUser']:
            raise error('LimitExceeded', 'Cannot exceed quota for GroupsPerUser: %d'
                        % LIMITS['GroupsPerUser'])
        g['Members'].append([lname, ctx.visible_at])
        return {}

    def op_RemoveUserFromGroup(self, ctx, p):
        g = self._group(ctx, p['GroupName'])
        u = self._user(ctx, p['UserName'])
        lname = u['UserName'].lower()
        if not any(m == lname for m, _ in g['Members']):
            raise error('NoSuchEntity', 'The user with name %s cannot be found.' % p['UserName'])
        g['Members'] = [[m, t] for m, t in g['Members'] if m != lname]
        return {}

    def op_ListGroupsForUser(self, ctx, p):
        u = self._user(ctx, p['UserName'])
        page, extra = paginate(self._groups_of(ctx, u), p, lambda g: g['GroupName'].lower())
        return dict(Groups=[self.group_out(g) for g in page], **extra)

    # =======================================================================
    # Inline and attached managed policies: the same operations on users and groups (and
    # roles, iamroles.py), given to the class by add_identity_policy_ops below.
    def _identity(self, ctx, kind, p):
        """The user, group or role that p names (UserName, GroupName or RoleName)."""
        return getattr(self, '_' + kind.lower())(ctx, p[kind + 'Name'])

    def _put_inline(self, ctx, kind, p):
        entity = self._identity(ctx, kind, p)
        self._check_policy_document(p['PolicyDocument'])
        name = p['PolicyName']
        sizes = {n: _doc_size(r['doc']) for n, r in entity['Inline'].items() if n != name}
        limit = LIMITS[kind + 'PolicySize']
        if sum(sizes.values()) + _doc_size(p['PolicyDocument']) > limit:
            raise error('LimitExceeded', 'Maximum policy size of %d bytes exceeded for %s %s'
                        % (limit, kind.lower(), entity[kind + 'Name']))
        # Inline policy names are case-sensitive: keep the existing record's key if any.
        old = entity['Inline'].get(name)
        prev = old['doc'] if old and self._visible(ctx, old['t']) else (old or {}).get('prev')
        entity['Inline'][name] = {'doc': p['PolicyDocument'], 't': ctx.visible_at, 'prev': prev}
        return {}

    @staticmethod
    def _no_inline(kind, name):
        return error('NoSuchEntity', 'The %s policy with name %s cannot be found.'
                     % (kind.lower(), name))

    def _get_inline(self, ctx, kind, p):
        entity = self._identity(ctx, kind, p)
        docs = self._inline(ctx, entity)
        if p['PolicyName'] not in docs:
            raise self._no_inline(kind, p['PolicyName'])
        return {kind + 'Name': entity[kind + 'Name'], 'PolicyName': p['PolicyName'],
                'PolicyDocument': docs[p['PolicyName']]}

    def _delete_inline(self, ctx, kind, p):
        entity = self._identity(ctx, kind, p)
        if p['PolicyName'] not in entity['Inline']:
            raise self._no_inline(kind, p['PolicyName'])
        del entity['Inline'][p['PolicyName']]
        return {}

    def _list_inline(self, ctx, kind, p):
        page, extra = paginate(list(self._inline(ctx, self._identity(ctx, kind, p))), p,
                               lambda n: n)
        return dict(PolicyNames=page, **extra)

    def _attach(self, ctx, kind, p):
        entity = self._identity(ctx, kind, p)
        pol = self._policy(ctx, p['PolicyArn'], attachable=True)
        if any(a.lower() == pol['Arn'].lower() for a, _ in entity['Attached']):
            return {}
        quota = 'PoliciesPer' + kind
        if len(entity['Attached']) >= LIMITS[quota]:
            raise error('LimitExceeded', 'Cannot exceed quota for %s: %d' % (quota, LIMITS[quota]))
        entity['Attached'].append([pol['Arn'], ctx.visible_at])
        return {}

    def _detach(self, ctx, kind, p):
        entity, arn = self._identity(ctx, kind, p), p['PolicyArn']
        if not any(a.lower() == arn.lower() for a, _ in entity['Attached']):
            raise error('NoSuchEntity', 'Policy %s was not found.' % arn)
        entity['Attached'] = [[a, t] for a, t in entity['Attached'] if a.lower() != arn.lower()]
        return {}

    def _list_attached(self, ctx, kind, p):
        prefix = p.get('PathPrefix', '/')
        pols = [self._policy(ctx, a) for a in self._attached(ctx, self._identity(ctx, kind, p))]
        pols = [x for x in pols if x['Path'].startswith(prefix)]
        page, extra = paginate(pols, p, lambda x: x['PolicyName'].lower())
        return dict(AttachedPolicies=[{'PolicyName': x['PolicyName'], 'PolicyArn': x['Arn']}
                                      for x in page], **extra)

    # =======================================================================
    # Managed policies
    def _usage(self, arn):
        """(attachment count, permissions-boundary count) of a managed policy."""
        a = arn.lower()
        att = sum(1 for e in list(self.users.values()) + list(self.groups.values())
                  for x, _ in e['Attached'] if x.lower() == a)
        pb = sum(1 for u in self.users.values() if (u.get('Boundary') or '').lower() == a)
        return att, pb

    def policy_out(self, pol, tags=True):
        att, pb = self._usage(pol['Arn'])
        out = {'PolicyName': pol['PolicyName'], 'PolicyId': pol['PolicyId'], 'Arn': pol['Arn'],
               'Path': pol['Path'], 'DefaultVersionId': pol['DefaultVersionId'],
               'AttachmentCount': att, 'PermissionsBoundaryUsageCount': pb, 'IsAttachable': True,
               'CreateDate': pol['CreateDate'], 'UpdateDate': pol['UpdateDate']}
        if pol.get('Description'):
            out['Description'] = pol['Description']
        if tags and pol.get('Tags'):
            out['Tags'] = [dict(t) for t in pol['Tags']]
        return out

    def _version_out(self, pol, v, doc=True):
        out = {'VersionId': v['VersionId'], 'IsDefaultVersion': v['VersionId'] == pol['DefaultVersionId'],
               'CreateDate': v['CreateDate']}
        if doc:
            out['Document'] = v['Document']
        return out

    def _customer_policy(self, ctx, arn):
        if arn.lower() in AWS_MANAGED_POLICIES:
            raise error('UnmodifiableEntity', 'Cannot modify an AWS managed policy.')
        return self._policy(ctx, arn)

    def _check_policy_size(self, doc):
        if _doc_size(doc) > LIMITS['PolicySize']:
            raise error('LimitExceeded', 'Cannot exceed quota for PolicySize: %d'
                        % LIMITS['PolicySize'])

    def op_CreatePolicy(self, ctx, p):
        name = p['PolicyName']
        if any(x['PolicyName'].lower() == name.lower() for x in self.data['policies'].values()):
            raise error('EntityAlreadyExists', 'A policy called %s already exists. Duplicate '
                        'names are not allowed.' % name)
        if len(self.data['policies']) >= LIMITS['CustomerManagedPolicies']:
            raise error('LimitExceeded', 'Cannot exceed quota for PoliciesPerAccount: %d'
                        % LIMITS['CustomerManagedPolicies'])
        self._check_policy_document(p['PolicyDocument'])
        self._check_policy_size(p['PolicyDocument'])
        tags = self._check_tags(p.get('Tags', []))
        path = _norm_path(p.get('Path'))
        arn = 'arn:aws:iam::%s:policy%s%s' % (self.account_id, path, name)
        pol = {'PolicyName': name, 'PolicyId': _unique_id('ANPA'), 'Arn': arn, 'Path': path,
               'Description': p.get('Description'), 'CreateDate': ctx.now, 'UpdateDate': ctx.now,
               'DefaultVersionId': 'v1', 'NextVersion': 2, 'Tags': tags, 't': ctx.visible_at,
               'Versions': [{'VersionId': 'v1', 'Document': p['PolicyDocument'],
                             'CreateDate': ctx.now}]}
        self.data['policies'][arn.lower()] = pol
        out = self.policy_out(pol)
        out.pop('Description', None)   # CreatePolicy's answer omits the description
        return {'Policy': out}

    def op_GetPolicy(self, ctx, p):
        return {'Policy': self.policy_out(self._policy(ctx, p['PolicyArn']))}

    def op_DeletePolicy(self, ctx, p):
        pol = self._customer_policy(ctx, p['PolicyArn'])
        att, pb = self._usage(pol['Arn'])
        if att or pb:
            raise error('DeleteConflict', 'Cannot delete a policy attached to entities.')
        if len(pol['Versions']) > 1:
            raise error('DeleteConflict', "This policy has more than one version. Before you "
                        "delete a policy, you must delete the policy's versions. The default "
                        "version is deleted with the policy.")
        del self.data['policies'][pol['Arn'].lower()]
        return {}

    def op_ListPolicies(self, ctx, p):
        scope = p.get('Scope', 'All')
        prefix = p.get('PathPrefix', '/')
        pols = []
        if scope in ('All', 'AWS'):
            pols += list(AWS_MANAGED_POLICIES.values())
        if scope in ('All', 'Local'):
            pols += [x for x in self.data['policies'].values() if self._visible(ctx, x['t'])]
        pols = [x for x in pols if x['Path'].startswith(prefix)]
        if p.get('OnlyAttached'):
            pols = [x for x in pols if self._usage(x['Arn'])[0] > 0]
        if p.get('PolicyUsageFilter') == 'PermissionsPolicy':
            pass   # every policy here can be used as a permissions policy
        page, extra = paginate(pols, p, lambda x: x['Arn'].lower())
        return dict(Policies=[self.policy_out(x, tags=False) for x in page], **extra)

    def op_CreatePolicyVersion(self, ctx, p):
        pol = self._customer_policy(ctx, p['PolicyArn'])
        if len(pol['Versions']) >= LIMITS['VersionsPerPolicy']:
            raise error('LimitExceeded', 'A managed policy can have up to %d versions. Before '
                        'you create a new version, you must delete an existing version.'
                        % LIMITS['VersionsPerPolicy'])
        self._check_policy_document(p['PolicyDocument'])
        self._check_policy_size(p['PolicyDocument'])
        vid = 'v%d' % pol['NextVersion']
        pol['NextVersion'] += 1
        v = {'VersionId': vid, 'Document': p['PolicyDocument'], 'CreateDate': ctx.now}
        pol['Versions'].append(v)
        if p.get('SetAsDefault'):
            pol['DefaultVersionId'] = vid
        pol['UpdateDate'] = ctx.now
        return {'PolicyVersion': self._version_out(pol, v, doc=False)}

    def _version(self, pol, vid):
        for v in pol['Versions']:
            if v['VersionId'] == vid:
                return v
        raise error('NoSuchEntity', 'Policy %s version %s does not exist or is not attachable.'
                    % (pol['Arn'], vid))

    def op_GetPolicyVersion(self, ctx, p):
        pol = self._policy(ctx, p['PolicyArn'])
        return {'PolicyVersion': self._version_out(pol, self._version(pol, p['VersionId']))}

    def op_ListPolicyVersions(self, ctx, p):
        pol = self._policy(ctx, p['PolicyArn'])
        versions = sorted(pol['Versions'], key=lambda v: -int(v['VersionId'][1:]))
        order = {v['VersionId']: i for i, v in enumerate(versions)}
        page, extra = paginate(versions, p, lambda v: order[v['VersionId']])
        return dict(Versions=[self._version_out(pol, v, doc=False) for v in page], **extra)

    def op_DeletePolicyVersion(self, ctx, p):
        pol = self._customer_policy(ctx, p['PolicyArn'])
        v = self._version(pol, p['VersionId'])
        if v['VersionId'] == pol['DefaultVersionId']:
            raise error('DeleteConflict', 'Cannot delete the default version of a policy.')
        pol['Versions'].remove(v)
        return {}

    def op_SetDefaultPolicyVersion(self, ctx, p):
        pol = self._customer_policy(ctx, p['PolicyArn'])
        self._version(pol, p['VersionId'])
        pol['DefaultVersionId'] = p['VersionId']
        pol['UpdateDate'] = ctx.now
        return {}

    def op_ListEntitiesForPolicy(self, ctx, p):
        pol = self._policy(ctx, p['PolicyArn'])
        a = pol['Arn'].lower()
        flt = p.get('EntityFilter')
        usage = p.get('PolicyUsageFilter')
        prefix = p.get('PathPrefix', '/')
        items = []
        if flt in (None, 'User', 'LocalManagedPolicy', 'AWSManagedPolicy'):
            for u in self.users.values():
                if not self._visible(ctx, u['t']) or not u['Path'].startswith(prefix):
                    continue
                attached = any(x.lower() == a for x in self._attached(ctx, u))
                boundary = (u.get('Boundary') or '').lower() == a
                if (usage != 'PermissionsBoundary' and attached) or \
                        (usage != 'PermissionsPolicy' and boundary):
                    items.append(('u', u['UserName'].lower(), u))
        if flt in (None, 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy') and \
                usage != 'PermissionsBoundary':
            for g in self.groups.values():
                if self._visible(ctx, g['t']) and g['Path'].startswith(prefix) and \
                        any(x.lower() == a for x in self._attached(ctx, g)):
                    items.append(('g', g['GroupName'].lower(), g))
        page, extra = paginate(items, p, lambda i: [i[0], i[1]])
        return dict(PolicyGroups=[{'GroupName': e['GroupName'], 'GroupId': e['GroupId']}
                                  for k, _, e in page if k == 'g'],
                    PolicyUsers=[{'UserName': e['UserName'], 'UserId': e['UserId']}
                                 for k, _, e in page if k == 'u'],
                    PolicyRoles=[], **extra)

    # =======================================================================
    # Login profiles
    def _check_password(self, pw):
        classes = sum(1 for cls in (string.ascii_uppercase, string.ascii_lowercase, string.digits)
                      if any(c in cls for c in pw))
        classes += any(not c.isalnum() for c in pw)
        if len(pw) < 8 or classes < 3:
            raise error('PasswordPolicyViolation', 'Password does not conform to the account '
                        'password policy.')

    def op_CreateLoginProfile(self, ctx, p):
        u = self._target_user(ctx, p)
        if u['Login']:
            raise error('EntityAlreadyExists', 'Login Profile for user %s already exists.'
                        % u['UserName'])
        if 'Password' not in p:
            raise error('ValidationError', '1 validation error detected: Value null at '
                        "'password' failed to satisfy constraint: Member must not be null")
        self._check_password(p['Password'])
        salt = secrets.token_hex(8)
        u['Login'] = {'CreateDate': ctx.now, 'PasswordResetRequired': bool(p.get('PasswordResetRequired')),
                      'Salt': salt, 'Hash': hashlib.sha256((salt + p['Password']).encode()).hexdigest(),
                      'PasswordLastChanged': ctx.now, 't': ctx.visible_at}
        return {'LoginProfile': self._login_out(u)}

    def _login_out(self, u):
        return {'UserName': u['UserName'], 'CreateDate': u['Login']['CreateDate'],
                'PasswordResetRequired': u['Login']['PasswordResetRequired']}

    def _login(self, ctx, u):
        if not u['Login'] or not self._visible(ctx, u['Login']['t']):
            raise error('NoSuchEntity', 'Login Profile for User %s cannot be found.' % u['UserName'])
        return u['Login']

    def op_GetLoginProfile(self, ctx, p):
        u = self._target_user(ctx, p)
        self._login(ctx, u)
        return {'LoginProfile': self._login_out(u)}

    def op_UpdateLoginProfile(self, ctx, p):
        u = self._target_user(ctx, p)
        lp = self._login(ctx, u)
        if p.get('Password') is not None:
            self._check_password(p['Password'])
            lp['Hash'] = hashlib.sha256((lp['Salt'] + p['Password']).encode()).hexdigest()
            lp['PasswordLastChanged'] = ctx.now
        if p.get('PasswordResetRequired') is not None:
            lp['PasswordResetRequired'] = p['PasswordResetRequired']
        return {}

    def op_DeleteLoginProfile(self, ctx, p):
        u = self._target_user(ctx, p)
        self._login(ctx, u)
        u['Login'] = None
        return {}

    # =======================================================================
    # Access keys
    def _key_meta(self, k):
        return {'UserName': self.users[k['User']]['UserName'], 'AccessKeyId': k['AccessKeyId'],
                'Status': k['Status'], 'CreateDate': k['CreateDate']}

    def op_CreateAccessKey(self, ctx, p):
        u = self._target_user(ctx, p)
        lname = u['UserName'].lower()
        if sum(1 for k in self.keys.values() if k['User'] == lname) >= LIMITS['AccessKeysPerUser']:
            raise error('LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: %d'
                        % LIMITS['AccessKeysPerUser'])
        akid = new_access_key_id()
        k = {'AccessKeyId': akid, 'Secret': new_secret_key(), 'User': lname, 'Status': 'Active',
             'CreateDate': ctx.now, 'LastUsed': None, 't': ctx.visible_at, 'Issued': ctx.real}
        self.keys[akid] = k
        out = self._key_meta(k)
        out['SecretAccessKey'] = k['Secret']
        return {'AccessKey': out}

    def _user_key(self, ctx, u, akid):
        k = self.keys.get(akid)
        if k is None or k['User'] != u['UserName'].lower() or not self._visible(ctx, k['t']):
            raise error('NoSuchEntity', 'The Access Key with id %s cannot be found.' % akid)
        return k

    def op_ListAccessKeys(self, ctx, p):
        u = self._target_user(ctx, p)
        lname = u['UserName'].lower()
        keys = [k for k in self.keys.values() if k['User'] == lname and self._visible(ctx, k['t'])]
        page, extra = paginate(keys, p, lambda k: [k['CreateDate'], k['AccessKeyId']])
        return dict(AccessKeyMetadata=[self._key_meta(k) for k in page], **extra)

    def op_UpdateAccessKey(self, ctx, p):
        u = self._target_user(ctx, p)
        self._user_key(ctx, u, p['AccessKeyId'])['Status'] = p['Status']
        return {}

    def op_DeleteAccessKey(self, ctx, p):
        u = self._target_user(ctx, p)
        self._user_key(ctx, u, p['AccessKeyId'])
        del self.keys[p['AccessKeyId']]
        return {}

    def op_GetAccessKeyLastUsed(self, ctx, p):
        k = self.keys.get(p['AccessKeyId'])
        if k is None or not self._visible(ctx, k['t']):
            raise error('NoSuchEntity', 'The Access Key with id %s cannot be found.'
                        % p['AccessKeyId'])
        lu = k.get('LastUsed')
        out = {'ServiceName': 'N/A', 'Region': 'N/A'}
        if lu:
            out = {'LastUsedDate': lu['Date'], 'ServiceName': lu['Service'], 'Region': lu['Region']}
        return {'UserName': self.users[k['User']]['UserName'], 'AccessKeyLastUsed': out}

    # =======================================================================
    # MFA
    def op_CreateVirtualMFADevice(self, ctx, p):
        path = _norm_path(p.get('Path'))
        serial = 'arn:aws:iam::%s:mfa%s%s' % (self.account_id, path, p['VirtualMFADeviceName'])
        if any(s.lower() == serial.lower() for s in self.mfa):
            raise error('EntityAlreadyExists', 'MFADevice entity at the same path and name '
                        'already exists.')
        tags = self._check_tags(p.get('Tags', []))
        seed = base64.b32encode(secrets.token_bytes(40)).decode()   # 64 base32 characters
        self.mfa[serial] = {'SerialNumber': serial, 'Seed': seed, 'User': None, 'EnableDate': None,
                            'CreateDate': ctx.now, 'Tags': tags, 't': ctx.visible_at}
        uri = 'otpauth://totp/%s:%s@%s?secret=%s&issuer=%s' % (
            MFA_ISSUER, urllib.parse.quote(p['VirtualMFADeviceName']), self.account_id, seed,
            MFA_ISSUER)
        out = {'SerialNumber': serial, 'Base32StringSeed': seed.encode('ascii'),
               'QRCodePNG': qrpng.qr_png(uri)}
        if tags:
            out['Tags'] = tags
        return {'VirtualMFADevice': out}

    def _device(self, ctx, serial):
        d = self.mfa.get(serial)
        if d is None or not self._visible(ctx, d['t']):
            raise error('NoSuchEntity', 'VirtualMFADevice with serial number %s does not exist.'
                        % serial)
        return d

    def op_EnableMFADevice(self, ctx, p):
        u = self._user(ctx, p['UserName'])
        d = self._device(ctx, p['SerialNumber'])
        if d['User'] is not None:
            raise error('EntityAlreadyExists', 'MFA Device is already in use.')
        lname = u['UserName'].lower()
        if sum(1 for x in self.mfa.values() if x['User'] == lname) >= LIMITS['MFADevicesPerUser']:
            raise error('LimitExceeded', 'Cannot exceed quota for MFADevicesPerUser: %d'
                        % LIMITS['MFADevicesPerUser'])
        # TOTP codes come from the real clock of the device, not IAM's test clock.
        if not totp_pair_ok(d['Seed'], p['AuthenticationCode1'], p['AuthenticationCode2'],
                            ctx.real):
            raise error('InvalidAuthenticationCode', 'Authentication code for device is not valid.')
        d['User'] = lname
        d['EnableDate'] = ctx.now
        d['te'] = ctx.visible_at
        return {}

    def op_DeactivateMFADevice(self, ctx, p):
        u = self._target_user(ctx, p)
        d = self.mfa.get(p['SerialNumber'])
        if d is None or d['User'] != u['UserName'].lower():
            raise error('NoSuchEntity', 'MFA Device with serial number %s does not exist.'
                        % p['SerialNumber'])
        d['User'] = None
        d['EnableDate'] = None
        return {}

    def op_DeleteVirtualMFADevice(self, ctx, p):
        d = self._device(ctx, p['SerialNumber'])
        if d['User'] is not None:
            raise error('DeleteConflict', 'MFA Device is still in use.')
        del self.mfa[d['SerialNumber']]
        return {}

    def _assigned(self, ctx, d):
        return d['User'] is not None and d['User'] in self.users and \
            self._visible(ctx, d.get('te', 0))

    def op_ListMFADevices(self, ctx, p):
        u = self._target_user(ctx, p)
        lname = u['UserName'].lower()
        devs = [d for d in self.mfa.values() if d['User'] == lname and self._assigned(ctx, d)]
        page, extra = paginate(devs, p, lambda d: d['SerialNumber'].lower())
        return dict(MFADevices=[{'UserName': u['UserName'], 'SerialNumber': d['SerialNumber'],
                                 'EnableDate': d['EnableDate']} for d in page], **extra)

    def op_ListVirtualMFADevices(self, ctx, p):
        status = p.get('AssignmentStatus', 'Any')
        devs = [d for d in self.mfa.values() if self._visible(ctx, d['t'])]
        if status == 'Assigned':
            devs = [d for d in devs if self._assigned(ctx, d)]
        elif status == 'Unassigned':
            devs = [d for d in devs if not self._assigned(ctx, d)]
        page, extra = paginate(devs, p, lambda d: d['SerialNumber'].lower())
        out = []
        for d in page:
            item = {'SerialNumber': d['SerialNumber']}
            if self._assigned(ctx, d):
                item['User'] = self.user_out(self.users[d['User']], full=False)
                item['EnableDate'] = d['EnableDate']
            out.append(item)
        return dict(VirtualMFADevices=out, **extra)

    # =======================================================================
    # Credential report
    def op_GenerateCredentialReport(self, ctx, p):
        rep = self.data['report']
        if rep is not None:
            if ctx.real < rep['ReadyAt']:
                return {'State': 'INPROGRESS', 'Description': 'Report generation in progress.'}
            if ctx.now - rep['GeneratedTime'] < REPORT_TTL:
                return {'State': 'COMPLETE'}
        self.data['report'] = {'GeneratedTime': ctx.now,
                               'ReadyAt': ctx.real + self.settings['report_delay_ms'] / 1000.0,
                               'Content': self._report_csv(ctx)}
        return {'State': 'STARTED', 'Description': 'No report exists. Starting a new report '
                'generation task'}

    def op_GetCredentialReport(self, ctx, p):
        rep = self.data['report']
        if rep is None:
            raise error('ReportNotPresent', 'Credential report not present. Generate a report '
                        'with GenerateCredentialReport.')
        if ctx.real < rep['ReadyAt']:
            raise error('ReportInProgress', 'Credential report is being generated.')
        if ctx.now - rep['GeneratedTime'] >= REPORT_TTL:
            raise error('ReportExpired', 'The credential report is expired. Generate a new '
                        'report with GenerateCredentialReport.')
        return {'Content': rep['Content'].encode('utf-8'), 'ReportFormat': 'text/csv',
                'GeneratedTime': rep['GeneratedTime']}

    REPORT_COLUMNS = [
        'user', 'arn', 'user_creation_time', 'password_enabled', 'password_last_used',
        'password_last_changed', 'password_next_rotation', 'mfa_active',
        'access_key_1_active', 'access_key_1_last_rotated', 'access_key_1_last_used_date',
        'access_key_1_last_used_region', 'access_key_1_last_used_service',
        'access_key_2_active', 'access_key_2_last_rotated', 'access_key_2_last_used_date',
        'access_key_2_last_used_region', 'access_key_2_last_used_service',
        'cert_1_active', 'cert_1_last_rotated', 'cert_2_active', 'cert_2_last_rotated']

    @staticmethod
    def _report_time(ts):
        return datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc).replace(
            microsecond=0).isoformat()

    def _key_cols(self, k):
        if k is None:
            return ['false', 'N/A', 'N/A', 'N/A', 'N/A']
        lu = k.get('LastUsed')
        return ['true' if k['Status'] == 'Active' else 'false', self._report_time(k['CreateDate']),
                self._report_time(lu['Date']) if lu else 'N/A',
                lu['Region'] if lu else 'N/A', lu['Service'] if lu else 'N/A']

    def _report_csv(self, ctx):
        t = self._report_time
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator='\n')
        w.writerow(self.REPORT_COLUMNS)
        root = self.data['root']
        rk = root.get('KeyLastUsed')
        w.writerow(['<root_account>', self.root_arn(), t(root['CreateDate']), 'not_supported',
                    'no_information', 'not_supported', 'not_supported', 'false',
                    'true', t(root['CreateDate']), t(rk['Date']) if rk else 'N/A',
                    rk['Region'] if rk else 'N/A', rk['Service'] if rk else 'N/A']
                   + self._key_cols(None) + ['false', 'N/A', 'false', 'N/A'])
        for u in sorted(self.users.values(), key=lambda x: x['UserName'].lower()):
            lname = u['UserName'].lower()
            keys = sorted((k for k in self.keys.values() if k['User'] == lname),
                          key=lambda k: k['CreateDate'])
            keys += [None] * (2 - len(keys))
            lp = u['Login']
            mfa = any(d['User'] == lname for d in self.mfa.values())
            row = [u['UserName'], self.user_arn(u), t(u['CreateDate']),
                   'true' if lp else 'false',
                   (t(u['PasswordLastUsed']) if u.get('PasswordLastUsed') else 'no_information')
                   if lp else 'N/A',
                   t(lp['PasswordLastChanged']) if lp else 'N/A', 'N/A',
                   'true' if mfa else 'false']
            row += self._key_cols(keys[0]) + self._key_cols(keys[1])
            row += ['false', 'N/A', 'false', 'N/A']
            w.writerow(row)
        return buf.getvalue()

    # =======================================================================
    # GetAccountAuthorizationDetails
    def op_GetAccountAuthorizationDetails(self, ctx, p):
        flt = set(p.get('Filter') or ['User', 'Role', 'Group', 'LocalManagedPolicy',
                                      'AWSManagedPolicy'])
        items = []
        if 'User' in flt:
            items += [(0, u['UserName'].lower(), u) for u in self.users.values()
                      if self._visible(ctx, u['t'])]
        if 'Group' in flt:
            items += [(1, g['GroupName'].lower(), g) for g in self.groups.values()
                      if self._visible(ctx, g['t'])]
        if 'LocalManagedPolicy' in flt:
            items += [(3, x['Arn'].lower(), x) for x in self.data['policies'].values()
                      if self._visible(ctx, x['t'])]
        if 'AWSManagedPolicy' in flt:
            # Like AWS, only the AWS managed policies that are in use are listed.
            items += [(3, x['Arn'].lower(), x) for x in AWS_MANAGED_POLICIES.values()
                      if any(self._usage(x['Arn']))]
        page, extra = paginate(items, p, lambda i: [i[0], i[1]])
        users, groups, pols = [], [], []
        for kind, _, e in page:
            if kind == 0:
                d = self.user_out(e)
                d.pop('PasswordLastUsed', None)
                d['UserPolicyList'] = [{'PolicyName': n, 'PolicyDocument': doc}
                                       for n, doc in sorted(self._inline(ctx, e).items())]
                d['GroupList'] = [g['GroupName'] for g in self._groups_of(ctx, e)]
                d['AttachedManagedPolicies'] = [
                    {'PolicyName': self._policy(ctx, a)['PolicyName'], 'PolicyArn': a}
                    for a in self._attached(ctx, e)]
                users.append(d)
            elif kind == 1:
                d = self.group_out(e)
                d['GroupPolicyList'] = [{'PolicyName': n, 'PolicyDocument': doc}
                                        for n, doc in sorted(self._inline(ctx, e).items())]
                d['AttachedManagedPolicies'] = [
                    {'PolicyName': self._policy(ctx, a)['PolicyName'], 'PolicyArn': a}
                    for a in self._attached(ctx, e)]
                groups.append(d)
            else:
                d = self.policy_out(e, tags=False)
                d['PolicyVersionList'] = [self._version_out(e, v) for v in e['Versions']]
                pols.append(d)
        return dict(UserDetailList=users, GroupDetailList=groups, RoleDetailList=[],
                    Policies=pols, **extra)

    # =======================================================================
    # STS
    def op_GetCallerIdentity(self, ctx, p):
        if ctx.principal == ROOT:
            return {'UserId': self.account_id, 'Account': self.account_id, 'Arn': self.root_arn()}
        u = self.users[ctx.principal]
        return {'UserId': u['UserId'], 'Account': self.account_id, 'Arn': self.user_arn(u)}

    # -- a view of the state for the control route (no secrets) -----------------
    def redacted(self):
        d = json.loads(json.dumps(self.data))
        for k in d['keys'].values():
            k['Secret'] = '<redacted>'
        for m in d['mfa'].values():
            m['Seed'] = '<redacted>'
        for u in d['users'].values():
            if u.get('Login'):
                u['Login'].pop('Hash', None)
                u['Login'].pop('Salt', None)
        if d.get('report'):
            d['report'].pop('Content', None)
        return d


# The operations on an identity's inline and attached managed policies, the same for users,
# groups and roles (%s: User, Group or Role), and the IAMState method that serves each.
IDENTITY_POLICY_OPS = (('Put%sPolicy', '_put_inline'), ('Get%sPolicy', '_get_inline'),
                       ('Delete%sPolicy', '_delete_inline'), ('List%sPolicies', '_list_inline'),
                       ('Attach%sPolicy', '_attach'), ('Detach%sPolicy', '_detach'),
                       ('ListAttached%sPolicies', '_list_attached'))


def add_identity_policy_ops(cls, kind):
    """Give cls an op_ method for each of IDENTITY_POLICY_OPS for kind: op_PutUserPolicy calls
    self._put_inline(ctx, 'User', p), and so on."""
    for action, method in IDENTITY_POLICY_OPS:
        setattr(cls, 'op_' + action % kind,
                lambda self, ctx, p, method=method: getattr(self, method)(ctx, kind, p))


add_identity_policy_ops(IAMState, 'User')
add_identity_policy_ops(IAMState, 'Group')


def is_read_action(action):
    return action.startswith(('Get', 'List')) and action != 'GetCallerIdentity' \
        or action == 'GetAccountAuthorizationDetails'
