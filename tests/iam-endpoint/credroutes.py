"""Instance metadata (IMDSv2) and container credential routes for the local endpoint.

Paths are those of the real services, on the endpoint's own port, so keywarden (and botocore)
reach them through their ordinary settings:

- IMDS (AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:PORT):
  PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds 1..21600) answers a token;
  GET /latest/meta-data/iam/security-credentials/ the instance profile's role name;
  GET /latest/meta-data/iam/security-credentials/ROLE its credentials (Code, LastUpdated,
  Type AWS-HMAC, AccessKeyId, SecretAccessKey, Token, Expiration), each GET with
  X-aws-ec2-metadata-token when a token was issued. As EC2: a wrong or expired token is 401;
  with `require_token` (HttpTokens=required) a GET without one is 401; with `refuse_token` the
  PUT is answered 403 (IMDSv2 turned off; IMDSv1 still answers unless require_token).
- Container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/v2/credentials/ID,
  or the path alone as the ECS relative URI): GET /v2/credentials/ID answers AccessKeyId,
  SecretAccessKey, Token, Expiration, RoleArn; with a token set, the Authorization header must
  equal it (else 401).

Control: PUT /_endpoint/imds {"role": NAME|null, "require_token": bool, "refuse_token": bool,
"duration_seconds": N}; PUT /_endpoint/container {"id": ID, "role": NAME, "token": T|null}.
Credentials are sessions of the named role (iamroles.RoleState.issue_session), valid for the
duration (default 3600 s) on IAM's clock; the role must exist. Counts: actions "IMDS:<what>"
and "Container:GetCredentials" in the request counts and log.
"""
import datetime
import hmac
import secrets
import time

import json

TOKEN_TTL_MAX = 21600


class Metadata:
    def __init__(self):
        self.imds = {'role': None, 'require_token': False, 'refuse_token': False,
                     'duration_seconds': 3600}
        self.tokens = {}         # token -> expiry (real time)
        self.containers = {}     # id -> {'role', 'token'}
        self.sso_tokens = {}     # access token -> {'account_id', 'role_name', 'expires'}

    def configure_imds(self, data):
        bad = set(data) - set(self.imds)
        if bad:
            raise ValueError('unknown keys: %s' % sorted(bad))
        self.imds.update(data)
        return dict(self.imds)

    def configure_container(self, data):
        if not data.get('id') or not data.get('role'):
            raise ValueError('id and role are required')
        self.containers[data['id']] = {'role': data['role'], 'token': data.get('token')}
        return {'id': data['id'], 'role': data['role']}


def _iso(ts):
    return datetime.datetime.fromtimestamp(int(ts), datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _creds(state, role, session, duration):
    akid, s = state.issue_session(role, session, duration)
    return {'AccessKeyId': akid, 'SecretAccessKey': s['Secret'], 'Token': s['Token'],
            'Expiration': _iso(s['Expiration'])}


def handle_imds(md, state, method, path, headers):
    """(status, body bytes, content type, action) for an IMDS request."""
    now = time.time()
    if path == '/latest/api/token':
        if method != 'PUT':
            return 405, b'', 'text/plain', 'IMDS:Token'
        if md.imds['refuse_token']:
            return 403, b'', 'text/plain', 'IMDS:Token'
        try:
            ttl = int(headers.get('X-aws-ec2-metadata-token-ttl-seconds') or '')
        except ValueError:
            return 400, b'', 'text/plain', 'IMDS:Token'
        if not 1 <= ttl <= TOKEN_TTL_MAX:
            return 400, b'', 'text/plain', 'IMDS:Token'
        token = secrets.token_urlsafe(40)
        md.tokens[token] = now + ttl
        return 200, token.encode(), 'text/plain', 'IMDS:Token'
    if method != 'GET':
        return 405, b'', 'text/plain', 'IMDS:Get'
    token = headers.get('X-aws-ec2-metadata-token')
    if token is not None:
        exp = next((e for t, e in md.tokens.items() if hmac.compare_digest(t, token)), None)
        if exp is None or exp < now:
            return 401, b'', 'text/plain', 'IMDS:Get'
    elif md.imds['require_token']:
        return 401, b'', 'text/plain', 'IMDS:Get'
    prefix = '/latest/meta-data/iam/security-credentials/'
    if not path.startswith(prefix) or md.imds['role'] is None:
        return 404, b'', 'text/plain', 'IMDS:Get'
    name = path[len(prefix):]
    if not name:
        return 200, md.imds['role'].encode(), 'text/plain', 'IMDS:RoleName'
    if name != md.imds['role']:
        return 404, b'', 'text/plain', 'IMDS:Credentials'
    with state.lock:
        c = _creds(state, name, 'i-0123456789abcdef0', md.imds['duration_seconds'])
    c.update({'Code': 'Success', 'Type': 'AWS-HMAC', 'LastUpdated': _iso(state.iam_now())})
    return 200, json.dumps(c).encode(), 'text/plain', 'IMDS:Credentials'


def handle_container(md, state, method, path, headers):
    cid = path[len('/v2/credentials/'):]
    c = md.containers.get(cid)
    if method != 'GET':
        return 405, b'', 'text/plain', 'Container:GetCredentials'
    if c is None:
        return 404, json.dumps({'Message': 'no such credentials'}).encode(), 'application/json', \
            'Container:GetCredentials'
    if c['token'] is not None and not hmac.compare_digest(headers.get('Authorization') or '',
                                                          c['token']):
        return 401, json.dumps({'Message': 'Unauthorized'}).encode(), 'application/json', \
            'Container:GetCredentials'
    with state.lock:
        out = _creds(state, c['role'], 'container-' + cid, 3600)
        out['RoleArn'] = state.role_arn(state.roles[c['role'].lower()])
    return 200, json.dumps(out).encode(), 'application/json', 'Container:GetCredentials'


# -- IAM Identity Center portal (botocore sso 2019-06-10, rest-json) ------------------
# GetRoleCredentials: GET /federation/credentials?role_name=R&account_id=A, header
# x-amz-sso_bearer_token; no signature (the model's authtype none). Tokens are registered
# on PUT /_endpoint/sso {"access_token", "account_id", "role_name" (a role of the
# endpoint), "expires_in" seconds (default 28800)}.
def _sso_names():
    """Where GetRoleCredentials' members travel, read from botocore's sso model."""
    import botocore.loaders
    model = botocore.loaders.Loader().load_service_model('sso', 'service-2')
    op = model['operations']['GetRoleCredentials']
    members = model['shapes'][op['input']['shape']]['members']
    return op['http']['requestUri'], {k: v['locationName'] for k, v in members.items()}


SSO_PATH, SSO_LOCATIONS = _sso_names()


def configure_sso(md, data):
    for k in ('access_token', 'account_id', 'role_name'):
        if not data.get(k):
            raise ValueError('%s is required' % k)
    md.sso_tokens[data['access_token']] = {'account_id': data['account_id'],
                                           'role_name': data['role_name'],
                                           'expires': time.time() + int(data.get('expires_in', 28800))}
    return {'account_id': data['account_id'], 'role_name': data['role_name']}


def _sso_error(status, code, message):
    return status, json.dumps({'message': message}).encode(), 'application/json', code


def handle_sso(md, state, method, path, query, headers):
    """GetRoleCredentials as the portal answers it; (status, body, ctype, action)."""
    action = 'SSO:GetRoleCredentials'
    if method != 'GET':
        return 405, b'', 'application/json', action
    role = query.get(SSO_LOCATIONS['roleName'])
    account = query.get(SSO_LOCATIONS['accountId'])
    token = headers.get(SSO_LOCATIONS['accessToken'])
    if not role or not account or not token:
        st, body, ct, _ = _sso_error(400, 'InvalidRequestException', 'roleName, accountId and '
                                     'accessToken are required')
        return st, body, ct, action
    t = next((v for k, v in md.sso_tokens.items() if hmac.compare_digest(k, token)), None)
    if t is None or t['expires'] < time.time():
        st, body, ct, _ = _sso_error(401, 'UnauthorizedException', 'Session token not found or '
                                     'invalid')
        return st, body, ct, action
    if t['account_id'] != account or t['role_name'] != role:
        st, body, ct, _ = _sso_error(403, 'ForbiddenException', 'No access')
        return st, body, ct, action
    with state.lock:
        akid, s = state.issue_session(role, 'sso-user', 3600)
    out = {'roleCredentials': {'accessKeyId': akid, 'secretAccessKey': s['Secret'],
                               'sessionToken': s['Token'], 'expiration': s['Expiration'] * 1000}}
    return 200, json.dumps(out).encode(), 'application/json', action
