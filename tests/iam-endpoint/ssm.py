"""AWS Systems Manager Parameter Store for the local endpoint (JSON 1.1, X-Amz-Target
AmazonSSM.*).

Parameters live per region in the endpoint's state (data['ssm'][region][name]) with AWS's
rules: a name is unique per region, may not start with "aws" or "ssm" (any case), and a name
with a '/' is fully qualified (starts with '/', at most 15 levels); every PutParameter with
Overwrite makes a new version (1, 2, ...), without Overwrite an existing name is
ParameterAlreadyExists; Tags and Overwrite together are refused; Standard values hold up to
4096 characters, Advanced 8192, and a parameter never goes back from Advanced to Standard.
SecureString is answered as stored with WithDecryption and as an opaque base64 text
without; KMS is a no-op (KeyId kept). GetParameter accepts NAME, NAME:VERSION and ARNs.

Operations: PutParameter, GetParameter, DeleteParameter, DescribeParameters (ParameterFilters,
pages), AddTagsToResource, ListTagsForResource, RemoveTagsFromResource. Source: AWS Systems Manager API Reference.
"""
import base64
import hashlib
import re

import jsonproto
from jsonproto import RegionalService, error

SERVICE = 'ssm'
TARGET_PREFIX = 'AmazonSSM'
LIMITS = {'Standard': 4096, 'Advanced': 8192}


def _err(code, message):
    return error(SERVICE, code, message)


class SSM(RegionalService):
    SERVICE = SERVICE

    def _arn(self, region, name):
        return 'arn:aws:ssm:%s:%s:parameter%s%s' % (region, self.state.account_id,
                                                    '' if name.startswith('/') else '/', name)

    def _name_of(self, region, raw):
        """NAME, NAME:VERSION or the parameter's ARN -> (name, version or None)."""
        prefix = 'arn:aws:ssm:%s:%s:parameter' % (region, self.state.account_id)
        if raw.startswith('arn:'):
            if not raw.startswith(prefix):
                raise _err('ValidationException', 'Invalid parameter ARN: %s' % raw)
            raw = raw[len(prefix):]
            if not raw.startswith('/'):
                raise _err('ValidationException', 'Invalid parameter ARN')
            rest = raw[1:]
            raw = raw if '/' in rest else rest
        m = re.fullmatch(r'(.*?):(\d+)', raw)
        return (m.group(1), int(m.group(2))) if m else (raw, None)

    @staticmethod
    def _check_name(name):
        bare = name.lstrip('/')
        if bare.lower().startswith(('aws', 'ssm')):
            raise _err('ValidationException', 'Parameter name: can\'t be prefixed with "aws" or '
                       '"ssm" (case-insensitive). If formed as a path, it can consist of '
                       'sub-paths divided by slash symbol; each sub-path can be formed as a mix '
                       'of letters, numbers and the following 3 symbols .-_')
        if '/' in name and (not name.startswith('/') or '//' in name or name.endswith('/')):
            raise _err('ValidationException', 'Parameter name must be a fully qualified name.')
        if name.count('/') > 15:
            raise _err('HierarchyLevelLimitExceededException', 'A hierarchy can have a maximum '
                       'of 15 levels.')
        if not re.fullmatch(r'[a-zA-Z0-9_.\-/]+', name):
            raise _err('ValidationException', 'Parameter name: can\'t be prefixed with "aws" or '
                       '"ssm" (case-insensitive). If formed as a path, it can consist of '
                       'sub-paths divided by slash symbol; each sub-path can be formed as a mix '
                       'of letters, numbers and the following 3 symbols .-_')

    def _get(self, region, raw):
        name, version = self._name_of(region, raw)
        p = self._store(region).get(name)
        if p is None or (version is not None and not 1 <= version <= len(p['History'])):
            raise _err('ParameterNotFound' if version is None else 'ParameterVersionNotFound',
                       'Parameter %s not found.' % raw if version is None else
                       'Systems Manager could not find version %d of %s.' % (version, name))
        return name, p, p['History'][(version or len(p['History'])) - 1]

    # -- operations ------------------------------------------------------------------
    def PutParameter(self, ctx, req):
        name = req['Name']
        self._check_name(name)
        params = self._store(ctx.region)
        old = params.get(name)
        if req.get('Tags') and req.get('Overwrite'):
            raise _err('ValidationException', 'Invalid request: tags and overwrite can\'t be used '
                       'together. To create a parameter with tags, please remove overwrite flag. '
                       'To update tags for an existing parameter, please use AddTagsToResource or '
                       'RemoveTagsFromResource.')
        if old is not None and not req.get('Overwrite'):
            raise _err('ParameterAlreadyExists', 'The parameter already exists. To overwrite this '
                       'value, set the overwrite option in the request to true.')
        ptype = req.get('Type') or (old['History'][-1]['Type'] if old else None)
        if ptype is None:
            raise _err('ValidationException', 'A parameter type is required when you create a '
                       'parameter.')
        if req.get('KeyId') and ptype != 'SecureString':
            raise _err('ValidationException', 'KeyId is required for SecureString type parameter '
                       'only.')
        tier = req.get('Tier') or 'Standard'
        if tier == 'Intelligent-Tiering':
            tier = 'Advanced' if len(req['Value']) > LIMITS['Standard'] else 'Standard'
        if old is not None and old['Tier'] == 'Advanced' and tier == 'Standard':
            if req.get('Tier') == 'Standard':
                raise _err('ValidationException', 'This parameter uses the advanced-parameter '
                           'tier. You can\'t downgrade a parameter from the advanced-parameter '
                           'tier to the standard-parameter tier.')
            tier = 'Advanced'
        if len(req['Value']) > LIMITS[tier]:
            raise _err('ValidationException', 'Standard tier parameters support a maximum '
                       'parameter value of 4096 characters. To create a larger parameter value, '
                       'upgrade the parameter to use the advanced-parameter tier.'
                       if tier == 'Standard' else 'Parameter value exceeds 8192 characters.')
        if old is None:
            old = params[name] = {'Name': name, 'History': [], 'Tags': [], 'Tier': tier}
            old['Tags'] = [{'Key': t['Key'], 'Value': t['Value']} for t in req.get('Tags', [])]
        old['Tier'] = tier
        key = req.get('KeyId') or ('alias/aws/ssm' if ptype == 'SecureString' else None)
        old['History'].append({'Type': ptype, 'Value': req['Value'], 'KeyId': key,
                               'Version': len(old['History']) + 1, 'LastModifiedDate': ctx.now,
                               'Tier': tier})
        return {'Version': len(old['History']), 'Tier': tier}

    def GetParameter(self, ctx, req):
        name, p, h = self._get(ctx.region, req['Name'])
        value = h['Value']
        if h['Type'] == 'SecureString' and not req.get('WithDecryption'):
            # what AWS answers without decryption: the ciphertext, base64
            value = base64.b64encode(hashlib.sha256(('%s/%d/%s' % (name, h['Version'], value))
                                                    .encode()).digest() * 3).decode()
        sel = req['Name'].split(':')[-1] if re.fullmatch(r'.*:\d+', req['Name']) else None
        return {'Parameter': {'Name': name, 'Type': h['Type'], 'Value': value,
                              'Version': h['Version'], 'LastModifiedDate': h['LastModifiedDate'],
                              'ARN': self._arn(ctx.region, name), 'DataType': 'text',
                              **({'Selector': ':' + sel} if sel else {})}}

    def DeleteParameter(self, ctx, req):
        name, _ = self._name_of(ctx.region, req['Name'])
        if self._store(ctx.region).pop(name, None) is None:
            raise _err('ParameterNotFound', 'Parameter %s not found.' % req['Name'])
        return {}

    def _resource(self, ctx, req):
        if req['ResourceType'] != 'Parameter':
            raise _err('InvalidResourceType', 'The resource type is not valid here: the local '
                       'endpoint keeps parameters only.')
        name, _ = self._name_of(ctx.region, req['ResourceId'])
        p = self._store(ctx.region).get(name)
        if p is None:
            raise _err('InvalidResourceId', 'The resource ID is not valid. Verify that you '
                       'entered the correct ID and try again.')
        return p

    @staticmethod
    def _parameter_filter(name, p, f):
        """One ParameterStringFilter of DescribeParameters (API Reference; User Guide,
        "Searching for Systems Manager parameters"): tag:KEY (the parameter has tag KEY, with
        one of Values when given), Name, Type, KeyId, Tier, DataType (Equals or BeginsWith,
        Name also Contains), Path (Recursive or OneLevel). Label is GetParametersByPath's only."""
        key, values = f['Key'], f.get('Values')
        h = p['History'][-1]
        path = key == 'Path'
        option = f.get('Option') or ('OneLevel' if path else 'Equals')
        allowed = ('Recursive', 'OneLevel') if path else \
            ('Equals', 'BeginsWith', 'Contains') if key == 'Name' else ('Equals', 'BeginsWith')
        if key == 'Label':
            raise _err('InvalidFilterKey', 'The following filter key is not valid: Label.')
        if option not in allowed:
            raise _err('InvalidFilterOption', 'The following filter option is not valid: %s. '
                       'Valid options include: [%s].' % (option, ', '.join(allowed)))
        if key.startswith('tag:'):
            tag = next((t['Value'] for t in p['Tags'] if t['Key'] == key[4:]), None)
            if tag is None:
                return False
            field = tag
        elif not values:
            raise _err('InvalidFilterValue', 'The following filter values are missing : '
                       'null for filter key %s.' % key)
        elif path:
            base = values[0].rstrip('/') + '/'
            if not name.startswith('/') or not (name.startswith(base) or base == '/'):
                return False
            return option == 'Recursive' or '/' not in name[len(base):]
        else:
            field = {'Name': name, 'Type': h['Type'], 'KeyId': h.get('KeyId') or '',
                     'Tier': p['Tier'], 'DataType': 'text'}[key]
        if not values:
            return True
        if option == 'Contains':
            return any(v in field for v in values)
        if option == 'BeginsWith':
            return any(field.startswith(v) for v in values)
        return field in values

    def DescribeParameters(self, ctx, req):
        """Sorted by name, in pages of MaxResults (default 10, as AWS); NextToken opaque."""
        if req.get('Filters') and req.get('ParameterFilters'):
            raise _err('ValidationException', 'You can use either Filters or ParameterFilters '
                       'in a single request.')
        filters = list(req.get('ParameterFilters', []))
        filters += [{'Key': f['Key'], 'Option': 'Equals', 'Values': f['Values']}
                    for f in req.get('Filters', [])]
        params = self._store(ctx.region)
        listed = [n for n in sorted(params)
                  if all(self._parameter_filter(n, params[n], f) for f in filters)]
        listed, token = jsonproto.page(listed, req, 10, _err('InvalidNextToken',
                                                             'The specified token is not valid.'))
        out = []
        for n in listed:
            h = params[n]['History'][-1]
            out.append({'Name': n, 'Type': h['Type'], 'Version': h['Version'],
                        'LastModifiedDate': h['LastModifiedDate'], 'Tier': params[n]['Tier'],
                        'DataType': 'text', **({'KeyId': h['KeyId']} if h.get('KeyId') else {})})
        answer = {'Parameters': out}
        if token:
            answer['NextToken'] = token
        return answer

    def AddTagsToResource(self, ctx, req):
        p = self._resource(ctx, req)
        tags = {t['Key']: t['Value'] for t in p['Tags']}
        tags.update({t['Key']: t['Value'] for t in req['Tags']})
        if len(tags) > 50:
            raise _err('TooManyTagsError', 'The Tags parameter has too many tags.')
        p['Tags'] = [{'Key': k, 'Value': v} for k, v in tags.items()]
        return {}

    def RemoveTagsFromResource(self, ctx, req):
        p = self._resource(ctx, req)
        p['Tags'] = [t for t in p['Tags'] if t['Key'] not in req['TagKeys']]
        return {}

    def ListTagsForResource(self, ctx, req):
        return {'TagList': list(self._resource(ctx, req)['Tags'])}


def redact(data):
    """The state without parameter values (for the /_endpoint/state route)."""
    for region in data.get('ssm', {}).values():
        for p in region.values():
            for h in p['History']:
                h['Value'] = '<redacted>'
