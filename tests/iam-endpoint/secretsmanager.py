"""AWS Secrets Manager for the local endpoint (JSON 1.1, X-Amz-Target secretsmanager.*).

Secrets live per region in the endpoint's state (data['secretsmanager'][region][name]), with
AWS's version model: every value is a version (its id is the request's ClientRequestToken),
PutSecretValue stages the new version AWSCURRENT and the former AWSCURRENT AWSPREVIOUS, a
version without labels is deprecated; a ClientRequestToken sent again with the same value is
ignored (idempotent retry), with another value refused. KMS is a no-op: KmsKeyId is kept and
shown, nothing is encrypted. DeleteSecret schedules deletion (7-30 days, default 30) or, with
ForceDeleteWithoutRecovery, removes the secret at once.

Operations: CreateSecret, PutSecretValue, GetSecretValue, DescribeSecret, DeleteSecret,
RestoreSecret, ListSecrets (filters, negation, pages), TagResource. Source: AWS Secrets Manager API Reference.
"""
import base64
import secrets
import string
import uuid

import jsonproto
from jsonproto import RegionalService, error

SERVICE = 'secretsmanager'
TARGET_PREFIX = 'secretsmanager'
MAX_VERSIONS = 100


def _err(code, message):
    return error(SERVICE, code, message)


class SecretsManager(RegionalService):
    SERVICE = SERVICE

    def _arn(self, region, name):
        suffix = ''.join(secrets.choice(string.ascii_letters + string.digits) for _ in range(6))
        return 'arn:aws:secretsmanager:%s:%s:secret:%s-%s' % (region, self.state.account_id,
                                                              name, suffix)

    def _find(self, region, secret_id, deleted_ok=False):
        store = self._store(region)
        s = store.get(secret_id)
        if s is None:
            for cand in store.values():
                # a full ARN, or a partial one without the 6-character suffix
                if secret_id in (cand['ARN'], cand['ARN'][:-7]):
                    s = cand
                    break
        if s is None:
            raise _err('ResourceNotFoundException',
                       "Secrets Manager can't find the specified secret.")
        if s.get('DeletedDate') and not deleted_ok:
            raise _err('InvalidRequestException', "You can't perform this operation on the "
                       "secret because it was marked for deletion.")
        return s

    @staticmethod
    def _value_of(req):
        if 'SecretString' in req and 'SecretBinary' in req:
            raise _err('InvalidParameterException', 'You can\'t specify both a binary secret '
                       'value and a string secret value in the same secret.')
        if 'SecretString' in req:
            return {'SecretString': req['SecretString']}
        if 'SecretBinary' in req:
            return {'SecretBinary': base64.b64encode(req['SecretBinary']).decode()}
        return None

    def _add_version(self, s, token, value, stages, now):
        token = token or str(uuid.uuid4())
        old = s['Versions'].get(token)
        if old is not None:
            if {k: old.get(k) for k in ('SecretString', 'SecretBinary')} != \
                    {k: value.get(k) for k in ('SecretString', 'SecretBinary')}:
                raise _err('ResourceExistsException', 'You can\'t modify an existing version, '
                           'you can only create a new version.')
            return token, old['Stages']       # the same request again: ignored
        stages = list(stages or ['AWSCURRENT'])
        if 'AWSCURRENT' in stages:
            for v in s['Versions'].values():
                if 'AWSPREVIOUS' in v['Stages']:
                    v['Stages'].remove('AWSPREVIOUS')
            for v in s['Versions'].values():
                if 'AWSCURRENT' in v['Stages']:
                    v['Stages'].remove('AWSCURRENT')
                    v['Stages'].append('AWSPREVIOUS')
        for label in stages:
            for v in s['Versions'].values():
                if label in v['Stages']:
                    v['Stages'].remove(label)
        s['Versions'][token] = dict(value, Stages=stages, CreatedDate=now)
        # AWS deletes deprecated versions (no label) beyond its quota
        stale = [k for k, v in s['Versions'].items() if not v['Stages']]
        while len(s['Versions']) > MAX_VERSIONS and stale:
            del s['Versions'][stale.pop(0)]
        s['LastChangedDate'] = now
        return token, stages

    # -- operations ------------------------------------------------------------------
    def CreateSecret(self, ctx, req):
        store = self._store(ctx.region)
        name = req['Name']
        value = self._value_of(req)
        s = store.get(name)
        if s is not None:
            token = req.get('ClientRequestToken')
            if s.get('DeletedDate'):
                raise _err('InvalidRequestException', "You can't create this secret because a "
                           "secret with this name is already scheduled for deletion.")
            if token and token in s['Versions'] and value is not None:
                self._add_version(s, token, value, None, ctx.now)   # refuses another value
                return {'ARN': s['ARN'], 'Name': name, 'VersionId': token}
            raise _err('ResourceExistsException', 'The operation failed because the secret %s '
                       'already exists.' % name)
        s = {'ARN': self._arn(ctx.region, name), 'Name': name, 'Versions': {},
             'CreatedDate': ctx.now, 'LastChangedDate': ctx.now, 'Tags': [],
             'KmsKeyId': req.get('KmsKeyId'), 'Description': req.get('Description')}
        keys = [t.get('Key') for t in req.get('Tags', [])]
        if len(set(keys)) != len(keys):
            raise _err('InvalidParameterException', 'You can\'t use the same tag key twice.')
        s['Tags'] = [{'Key': t['Key'], 'Value': t.get('Value', '')} for t in req.get('Tags', [])]
        out = {'ARN': s['ARN'], 'Name': name}
        if value is not None:
            out['VersionId'], _ = self._add_version(s, req.get('ClientRequestToken'), value,
                                                    None, ctx.now)
        store[name] = s
        return out

    def PutSecretValue(self, ctx, req):
        s = self._find(ctx.region, req['SecretId'])
        value = self._value_of(req)
        if value is None:
            raise _err('InvalidRequestException', 'You must provide either SecretString or '
                       'SecretBinary.')
        vid, stages = self._add_version(s, req.get('ClientRequestToken'), value,
                                        req.get('VersionStages'), ctx.now)
        return {'ARN': s['ARN'], 'Name': s['Name'], 'VersionId': vid, 'VersionStages': stages}

    def GetSecretValue(self, ctx, req):
        s = self._find(ctx.region, req['SecretId'])
        vid, stage = req.get('VersionId'), req.get('VersionStage')
        found = None
        if vid is not None:
            v = s['Versions'].get(vid)
            if v is not None and (stage is None or stage in v['Stages']):
                found = (vid, v)
        else:
            stage = stage or 'AWSCURRENT'
            found = next(((k, v) for k, v in s['Versions'].items() if stage in v['Stages']), None)
        if found is None:
            raise _err('ResourceNotFoundException', "Secrets Manager can't find the specified "
                       "secret value for %s: %s" % ('VersionId' if vid else 'staging label',
                                                   vid or stage))
        k, v = found
        out = {'ARN': s['ARN'], 'Name': s['Name'], 'VersionId': k, 'VersionStages': v['Stages'],
               'CreatedDate': v['CreatedDate']}
        if 'SecretString' in v:
            out['SecretString'] = v['SecretString']
        else:
            out['SecretBinary'] = base64.b64decode(v['SecretBinary'])
        return out

    def DescribeSecret(self, ctx, req):
        s = self._find(ctx.region, req['SecretId'], deleted_ok=True)
        out = {'ARN': s['ARN'], 'Name': s['Name'], 'CreatedDate': s['CreatedDate'],
               'LastChangedDate': s['LastChangedDate'],
               'VersionIdsToStages': {k: v['Stages'] for k, v in s['Versions'].items()
                                      if v['Stages']}}
        for k in ('KmsKeyId', 'Description', 'DeletedDate'):
            if s.get(k) is not None:
                out[k] = s[k]
        if s['Tags']:
            out['Tags'] = s['Tags']
        return out

    def DeleteSecret(self, ctx, req):
        force = req.get('ForceDeleteWithoutRecovery')
        days = req.get('RecoveryWindowInDays')
        if force and days is not None:
            raise _err('InvalidParameterException', "You can't use ForceDeleteWithoutRecovery "
                       "in conjunction with RecoveryWindowInDays.")
        if days is not None and not 7 <= days <= 30:
            raise _err('InvalidParameterException', 'The RecoveryWindowInDays value must be '
                       'between 7 and 30 days (inclusive).')
        s = self._find(ctx.region, req['SecretId'], deleted_ok=True)
        if force:
            del self._store(ctx.region)[s['Name']]
            when = ctx.now
        else:
            if s.get('DeletedDate'):
                raise _err('InvalidRequestException', "You can't perform this operation on the "
                           "secret because it was already scheduled for deletion.")
            s['DeletedDate'] = ctx.now
            when = ctx.now + 86400 * (days or 30)
        return {'ARN': s['ARN'], 'Name': s['Name'], 'DeletionDate': when}

    def RestoreSecret(self, ctx, req):
        s = self._find(ctx.region, req['SecretId'], deleted_ok=True)
        s.pop('DeletedDate', None)
        return {'ARN': s['ARN'], 'Name': s['Name']}

    @staticmethod
    def _filter_matches(s, f):
        """One Filter (API Reference, ListSecrets / Filter): description prefix, not
        case-sensitive; name, tag-key, tag-value and primary-region prefix, case-sensitive; all:
        each word anywhere, not case-sensitive. A value starting with '!' negates. The values of
        one filter are alternatives; filters all hold."""
        key = f['Key']
        for v in f.get('Values', []):
            neg, v = v.startswith('!'), v[1:] if v.startswith('!') else v
            if key == 'name':
                hit = s['Name'].startswith(v)
            elif key == 'description':
                hit = (s.get('Description') or '').lower().startswith(v.lower())
            elif key == 'tag-key':
                hit = any(t['Key'].startswith(v) for t in s['Tags'])
            elif key == 'tag-value':
                hit = any(t['Value'].startswith(v) for t in s['Tags'])
            elif key == 'primary-region':
                hit = False     # the local endpoint replicates nothing
            else:               # all
                text = ' '.join([s['Name'], s.get('Description') or ''] +
                                [t['Key'] + ' ' + t['Value'] for t in s['Tags']]).lower()
                hit = all(w in text for w in v.lower().split())
            if hit != neg:
                return True
        return False

    def ListSecrets(self, ctx, req):
        """Sorted by CreatedDate (SortOrder asc or desc), in pages of MaxResults (default
        100); NextToken is opaque: the position of the next secret in this listing."""
        filters = req.get('Filters', [])
        listed = [s for s in sorted(self._store(ctx.region).values(),
                                    key=lambda x: (x['CreatedDate'], x['Name']),
                                    reverse=req.get('SortOrder') == 'desc')
                  if (not s.get('DeletedDate') or req.get('IncludePlannedDeletion'))
                  and all(self._filter_matches(s, f) for f in filters)]
        listed, token = jsonproto.page(listed, req, 100, _err('InvalidNextTokenException',
                                                              'The NextToken value is invalid.'))
        out = []
        for s in listed:
            d = self.DescribeSecret(ctx, {'SecretId': s['ARN']})
            d['SecretVersionsToStages'] = d.pop('VersionIdsToStages')
            out.append(d)
        answer = {'SecretList': out}
        if token:
            answer['NextToken'] = token
        return answer

    def TagResource(self, ctx, req):
        s = self._find(ctx.region, req['SecretId'])
        tags = {t['Key']: t['Value'] for t in s['Tags']}
        tags.update({t['Key']: t['Value'] for t in req['Tags']})
        s['Tags'] = [{'Key': k, 'Value': v} for k, v in tags.items()]
        return {}


def redact(data):
    """The state without secret values (for the /_endpoint/state route)."""
    for region in data.get('secretsmanager', {}).values():
        for s in region.values():
            for v in s['Versions'].values():
                for k in ('SecretString', 'SecretBinary'):
                    if k in v:
                        v[k] = '<redacted>'

