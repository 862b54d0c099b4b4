"""IAM roles and STS AssumeRole for the local endpoint: a subclass of iamstate.IAMState.

Follows the IAM API Reference (CreateRole, GetRole, DeleteRole, ListRoles,
UpdateAssumeRolePolicy, Put/Get/Delete/ListRolePolicies, Attach/Detach/ListAttachedRolePolicies)
and the STS API Reference (AssumeRole, GetCallerIdentity), with botocore's models validating
every request (server.py). Semantics kept:

- AssumeRole needs both: the caller's identity policies allow sts:AssumeRole (the account's
  root key always may), and the role's trust policy (AssumeRolePolicyDocument) allows the
  caller: a statement with Effect Allow, Action sts:AssumeRole and a Principal {"AWS": ...}
  naming "*", the account ("123456789012" or "arn:aws:iam::123456789012:root"), the calling
  user's ARN, or, for a role session, the role's ARN or the session's assumed-role ARN.
  Conditions understood: StringEquals sts:ExternalId, Bool aws:MultiFactorAuthPresent; a
  statement with any other condition does not apply (the safe reading). A matching Deny wins.
  Refusal: AccessDenied (403) "User: <caller> is not authorized to perform: sts:AssumeRole on
  resource: <role>".
- SerialNumber + TokenCode: the device must be an MFA device enabled for the calling user and
  the code its TOTP code now (30 s steps, one step either side); else AccessDenied
  "MultiFactorAuthentication failed with invalid MFA one time pass code.".
- DurationSeconds 900..the role's MaxSessionDuration (default 3600; at most 3600 when the
  caller is itself a role session: role chaining); else ValidationError.
- The answer: ASIA... temporary credentials with a SessionToken, Expiration = IAM's clock
  (the test clock offset included) + DurationSeconds. Requests signed with them must carry
  X-Amz-Security-Token equal to the session token (else InvalidClientTokenId), and after the
  Expiration are refused with ExpiredToken (403) "The security token included in the request
  is expired". Sessions act with the role's inline and attached policies.
- Across accounts (accounts.py): a RoleArn in another account of the endpoint is assumed
  there when its trust policy names the caller (its account id or root ARN, its user or role
  ARN); the session belongs to the role's account and acts there.
- GetCallerIdentity of a session: UserId "<RoleId>:<RoleSessionName>", Arn
  "arn:aws:sts::<account>:assumed-role/<RoleName>/<RoleSessionName>".
"""
import base64
import fnmatch
import hmac
import json
import os
import secrets
import subprocess
import tempfile

import iamstate
from iamproto import APIError, error
from iamstate import ROOT, _norm_path, _unique_id, totp

UNSIGNED_ACTIONS = {'AssumeRoleWithWebIdentity'}   # STS calls made without AWS credentials
SESSION = 'session:'               # principal prefix of a role session: 'session:ASIA...'
ROLES_LIMIT = 1000
ROLE_CHAINING_MAX = 3600


def _listify(v):
    return [v] if isinstance(v, str) else list(v or [])


class RoleState(iamstate.IAMState):
    def _empty(self):
        d = super()._empty()
        d['roles'] = {}
        d['sessions'] = {}
        return d

    @property
    def roles(self):
        return self.data.setdefault('roles', {})

    @property
    def sessions(self):
        return self.data.setdefault('sessions', {})

    def role_arn(self, r):
        return 'arn:aws:iam::%s:role%s%s' % (self.account_id, r['Path'], r['RoleName'])

    def session_arn(self, s):
        return 'arn:aws:sts::%s:assumed-role/%s/%s' % (self.account_id, s['RoleName'],
                                                       s['RoleSessionName'])

    def _role(self, ctx, name):
        r = self.roles.get(name.lower())
        if r is None or not self._visible(ctx, r['t']):
            raise error('NoSuchEntity', 'The role with name %s cannot be found.' % name)
        return r

    def role_out(self, r):
        out = {'Path': r['Path'], 'RoleName': r['RoleName'], 'RoleId': r['RoleId'],
               'Arn': self.role_arn(r), 'CreateDate': r['CreateDate'],
               'AssumeRolePolicyDocument': r['Trust'],   # URL-encoded by iamproto
               'MaxSessionDuration': r['MaxSessionDuration']}
        if r.get('Description'):
            out['Description'] = r['Description']
        if r.get('Tags'):
            out['Tags'] = r['Tags']
        return out

    # -- credentials: sessions as keys ------------------------------------------
    def key_for_auth(self, akid):
        s = self.sessions.get(akid)
        if s is None:
            return super().key_for_auth(akid)
        return {'Status': 'Active', 'Issued': 0, 'Secret': s['Secret'], 'User': SESSION + akid}

    def check_session_token(self, akid, token):
        """Raise unless token is right for akid: none for long-term keys, the session's own
        for temporary ones, and only before the session expires (IAM's clock)."""
        s = self.sessions.get(akid)
        if s is None:
            if token:
                raise APIError('InvalidClientTokenId', 'The security token included in the '
                               'request is invalid.', 403)
            return
        if not token or not hmac.compare_digest(token, s['Token']):
            raise APIError('InvalidClientTokenId', 'The security token included in the request '
                           'is invalid.', 403)
        if self.iam_now() >= s['Expiration']:
            raise APIError('ExpiredToken', 'The security token included in the request is '
                           'expired', 403)

    def record_key_use(self, akid, service, region):
        if akid in self.sessions:
            return False           # temporary credentials have no last-used record
        return super().record_key_use(akid, service, region)

    def authorize(self, principal, action):
        if not principal.startswith(SESSION):
            return super().authorize(principal, action)
        if action == 'sts:GetCallerIdentity':
            return True
        s = self.sessions.get(principal[len(SESSION):])
        r = self.roles.get(s['RoleName'].lower()) if s else None
        if r is None:
            return False
        ctx = iamstate.Ctx(self, principal, read=False)
        docs = [rec['doc'] for rec in r['Inline'].values()]
        docs += [self._default_doc(self._policy(ctx, a)) for a in self._attached(ctx, r)]
        return self._decide(docs, action) == 'allow'

    def caller_arn(self, principal):
        if principal == ROOT:
            return self.root_arn()
        if principal.startswith(SESSION):
            return self.session_arn(self.sessions[principal[len(SESSION):]])
        return self.user_arn(self.users[principal])

    # =======================================================================
    # Roles (IAM)
    def op_CreateRole(self, ctx, p):
        name = p['RoleName']
        self._check_new(self.roles, 'Role', name, ROLES_LIMIT)
        self._check_trust(p['AssumeRolePolicyDocument'])
        msd = p.get('MaxSessionDuration') or 3600
        tags = self._check_tags(p.get('Tags', []))
        r = {'RoleName': name, 'RoleId': _unique_id('AROA'), 'Path': _norm_path(p.get('Path')),
             'CreateDate': ctx.now, 'Trust': p['AssumeRolePolicyDocument'],
             'MaxSessionDuration': msd, 'Description': p.get('Description'), 'Tags': tags,
             'Inline': {}, 'Attached': [], 't': ctx.visible_at}
        self.roles[name.lower()] = r
        return {'Role': self.role_out(r)}

    @staticmethod
    def _check_trust(doc):
        """A trust policy: statements with Effect, Action and Principal, no Resource."""
        try:
            d = json.loads(doc)
        except ValueError:
            raise error('MalformedPolicyDocument', 'Syntax errors in policy.')
        if not isinstance(d, dict) or not _listify_statements(d):
            raise error('MalformedPolicyDocument', 'Syntax errors in policy.')
        for s in _listify_statements(d):
            if not isinstance(s, dict) or s.get('Effect') not in ('Allow', 'Deny'):
                raise error('MalformedPolicyDocument', 'Syntax errors in policy.')
            if 'Principal' not in s and 'NotPrincipal' not in s:
                raise error('MalformedPolicyDocument', 'AssumeRolepolicy contained an invalid '
                            'principal: missing Principal.')
            if 'Action' not in s:
                raise error('MalformedPolicyDocument', 'Policy statement must contain actions.')
            if 'Resource' in s:
                raise error('MalformedPolicyDocument', 'Has prohibited field Resource')
        return d

    def op_GetRole(self, ctx, p):
        return {'Role': self.role_out(self._role(ctx, p['RoleName']))}

    def op_ListRoles(self, ctx, p):
        page, extra = self._page_under_path(ctx, self.roles.values(), p, 'RoleName')
        return dict(Roles=[self.role_out(r) for r in page], **extra)

    def op_DeleteRole(self, ctx, p):
        r = self._role(ctx, p['RoleName'])
        if r['Inline'] or r['Attached']:
            raise error('DeleteConflict', 'Cannot delete entity, must delete policies first.')
        del self.roles[r['RoleName'].lower()]
        return {}

    def op_UpdateAssumeRolePolicy(self, ctx, p):
        r = self._role(ctx, p['RoleName'])
        self._check_trust(p['PolicyDocument'])
        r['Trust'] = p['PolicyDocument']
        return {}

    # =======================================================================
    # STS
    def _caller_names(self, principal):
        """ARNs a trust policy may name to admit this caller."""
        acct = self.account_id
        names = {'*', acct, 'arn:aws:iam::%s:root' % acct}
        if principal == ROOT:
            return names
        if principal.startswith(SESSION):
            s = self.sessions[principal[len(SESSION):]]
            r = self.roles.get(s['RoleName'].lower())
            names.add(self.session_arn(s))
            if r:
                names.add(self.role_arn(r))
            return names
        names.add(self.user_arn(self.users[principal]))
        return names

    @staticmethod
    def _conditions_hold(cond, facts):
        for op, kv in (cond or {}).items():
            for key, want in kv.items():
                want = [str(w).lower() if op == 'Bool' else str(w) for w in _listify(want)]
                have = facts.get(key.lower())
                if op not in ('StringEquals', 'StringLike', 'Bool') or have is None:
                    return False
                if op == 'StringLike':
                    if not any(fnmatch.fnmatchcase(have, w) for w in want):
                        return False
                elif have not in want:
                    return False
        return True

    def _trusted(self, role, names, facts, action='sts:AssumeRole', kind='AWS'):
        """Whether role's trust policy lets a caller known by names do action."""
        allowed = False
        for s in _listify_statements(json.loads(role['Trust'])):
            acts = _listify(s.get('Action'))
            if not any(iamstate._action_matches(a, action) for a in acts):
                continue
            pr = s.get('Principal')
            aws = _listify(pr.get(kind)) if isinstance(pr, dict) else _listify(pr)
            if not (set(aws) & names) or not self._conditions_hold(s.get('Condition'), facts):
                continue
            if s.get('Effect') == 'Deny':
                return False
            allowed = allowed or s.get('Effect') == 'Allow'
        return allowed

    def _mfa_ok(self, ctx, p):
        serial, code = p.get('SerialNumber'), p.get('TokenCode')
        if not serial:
            return False
        d = self.mfa.get(serial)
        user = ctx.principal if ctx.principal not in (ROOT,) and \
            not ctx.principal.startswith(SESSION) else None
        if d is None or d['User'] is None or d['User'] != user or not code:
            raise APIError('AccessDenied', 'MultiFactorAuthentication failed with invalid MFA '
                           'one time pass code. ', 403)
        if not any(hmac.compare_digest(totp(d['Seed'], ctx.real + k * 30), code)
                   for k in (-1, 0, 1)):
            raise APIError('AccessDenied', 'MultiFactorAuthentication failed with invalid MFA '
                           'one time pass code. ', 403)
        return True

    def _role_account(self, arn):
        """The state of the account a role ARN names: this one, another of the endpoint
        (accounts.py), or None."""
        parts = arn.split(':')
        if len(parts) < 6 or parts[:3] != ['arn', 'aws', 'iam'] or parts[5][:5] != 'role/':
            return None
        if parts[4] == self.account_id:
            return self
        registry = getattr(self, 'registry', None)
        return registry.get(parts[4]) if registry else None

    def op_AssumeRole(self, ctx, p):
        arn = p['RoleArn']
        home = self._role_account(arn)   # the role's account: the session lives there
        role = None
        if home is not None:
            r = home.roles.get(arn.rsplit('/', 1)[-1].lower())
            if r is not None and home.role_arn(r) == arn and home._visible(ctx, r['t']):
                role = r
        if p.get('TokenCode') and not p.get('SerialNumber'):
            raise APIError('ValidationError', 'TokenCode requires SerialNumber', 400)
        mfa = self._mfa_ok(ctx, p)
        facts = {'aws:multifactorauthpresent': 'true' if mfa else 'false'}
        if p.get('ExternalId') is not None:
            facts['sts:externalid'] = p['ExternalId']
        if role is None or not self._trusted(role, self._caller_names(ctx.principal), facts):
            raise APIError('AccessDenied', 'User: %s is not authorized to perform: '
                           'sts:AssumeRole on resource: %s' % (self.caller_arn(ctx.principal), arn),
                           403)
        duration = p.get('DurationSeconds') or 3600
        chained = ctx.principal.startswith(SESSION)
        limit = min(role['MaxSessionDuration'], ROLE_CHAINING_MAX) if chained \
            else role['MaxSessionDuration']
        if duration > limit:
            raise APIError('ValidationError', 'The requested DurationSeconds exceeds the %s set '
                           'for this role.' % ('1 hour session limit for roles assumed by role '
                                               'chaining' if chained else 'MaxSessionDuration'),
                           400)
        source = ctx.principal if home is self else self.caller_arn(ctx.principal)
        akid, s = home.issue_session(role['RoleName'], p['RoleSessionName'], duration, source)
        return {'Credentials': {'AccessKeyId': akid, 'SecretAccessKey': s['Secret'],
                                'SessionToken': s['Token'], 'Expiration': s['Expiration']},
                'AssumedRoleUser': {'AssumedRoleId': '%s:%s' % (role['RoleId'],
                                                                p['RoleSessionName']),
                                    'Arn': home.session_arn(s)}}

    def issue_session(self, role_name, session_name, duration, source=None):
        """New temporary credentials of role role_name, valid duration seconds from IAM's
        now: (AccessKeyId, session record). Also what IMDS and container routes hand out."""
        role = self.roles[role_name.lower()]
        akid = 'ASIA' + _unique_id('')[:16]
        s = {'RoleName': role['RoleName'], 'RoleId': role['RoleId'],
             'RoleSessionName': session_name,
             'Secret': base64.b64encode(secrets.token_bytes(30)).decode(),
             'Token': base64.b64encode(secrets.token_bytes(96)).decode(),
             'Expiration': int(self.iam_now()) + duration, 'Source': source}
        self.sessions[akid] = s
        return akid, s

    # -- web identity ------------------------------------------------------------
    def register_oidc(self, data):
        """Control route: an OIDC issuer whose tokens AssumeRoleWithWebIdentity accepts
        (what CreateOpenIDConnectProvider and the issuer's JWKS give AWS): {"issuer":
        "https://host[/path]", "public_key_pem": PEM (RS256), "audiences": [...]}."""
        iss = data['issuer']
        if not iss.startswith('https://') or not data.get('public_key_pem') or \
                not data.get('audiences'):
            raise ValueError('issuer (https://...), public_key_pem and audiences are required')
        self.data.setdefault('oidc', {})[iss[len('https://'):].rstrip('/')] = {
            'issuer': iss, 'pem': data['public_key_pem'], 'audiences': list(data['audiences'])}
        return {'provider_arn': 'arn:aws:iam::%s:oidc-provider/%s'
                % (self.account_id, iss[len('https://'):].rstrip('/'))}

    @staticmethod
    def _b64url(part):
        return base64.urlsafe_b64decode(part + '=' * (-len(part) % 4))

    def _verify_jwt(self, token, now):
        """The claims of an RS256 JWT from a registered issuer, verified (signature by
        openssl, exp, aud); raises InvalidIdentityToken / ExpiredTokenException as STS."""
        def bad(msg):
            return APIError('InvalidIdentityToken', msg, 400)
        try:
            h64, p64, s64 = token.split('.')
            header, claims = json.loads(self._b64url(h64)), json.loads(self._b64url(p64))
            sig = self._b64url(s64)
        except (ValueError, TypeError):
            raise bad('The ID Token provided is not a valid JWT. (You may see this error if you '
                      'sent an Access Token)')
        host = str(claims.get('iss', '')).replace('https://', '', 1).rstrip('/')
        prov = self.data.get('oidc', {}).get(host)
        if prov is None:
            raise bad('No OpenIDConnect provider found in your account for %s' % claims.get('iss'))
        if header.get('alg') != 'RS256':
            raise bad('Unsupported signing algorithm %s' % header.get('alg'))
        with tempfile.TemporaryDirectory() as d:
            for name, content in (('key.pem', prov['pem'].encode()), ('sig', sig)):
                with open(os.path.join(d, name), 'wb') as f:
                    f.write(content)
            r = subprocess.run(['openssl', 'dgst', '-sha256', '-verify', os.path.join(d, 'key.pem'),
                                '-signature', os.path.join(d, 'sig')],
                               input=('%s.%s' % (h64, p64)).encode(), capture_output=True)
        if r.returncode != 0:
            raise bad('Couldn\'t retrieve verification key from your identity provider,  please '
                      'reference AssumeRoleWithWebIdentity documentation for requirements')
        aud = claims.get('aud')
        if not set(_listify(aud)) & set(prov['audiences']):
            raise bad('Incorrect token audience')
        if not isinstance(claims.get('exp'), (int, float)) or claims['exp'] <= now:
            raise APIError('ExpiredTokenException', 'Token expired: current date/time %d must be '
                           'before the expiration date/time%s' % (now, claims.get('exp')), 400)
        return host, claims

    def op_AssumeRoleWithWebIdentity(self, ctx, p):
        host, claims = self._verify_jwt(p['WebIdentityToken'], ctx.now)
        arn = p['RoleArn']
        r = self.roles.get(arn.rsplit('/', 1)[-1].lower())
        facts = {('%s:%s' % (host, k)).lower(): str(v) for k, v in claims.items()
                 if isinstance(v, (str, int))}
        for a in _listify(claims.get('aud')):
            facts.setdefault(('%s:aud' % host).lower(), a)
        fed = 'arn:aws:iam::%s:oidc-provider/%s' % (self.account_id, host)
        if r is None or self.role_arn(r) != arn or \
                not self._trusted(r, {fed}, facts, 'sts:AssumeRoleWithWebIdentity', 'Federated'):
            raise APIError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
                           403)
        duration = p.get('DurationSeconds') or 3600
        if duration > r['MaxSessionDuration']:
            raise APIError('ValidationError', 'The requested DurationSeconds exceeds the '
                           'MaxSessionDuration set for this role.', 400)
        akid, s = self.issue_session(r['RoleName'], p['RoleSessionName'], duration, fed)
        return {'Credentials': {'AccessKeyId': akid, 'SecretAccessKey': s['Secret'],
                                'SessionToken': s['Token'], 'Expiration': s['Expiration']},
                'SubjectFromWebIdentityToken': str(claims.get('sub', '')),
                'AssumedRoleUser': {'AssumedRoleId': '%s:%s' % (r['RoleId'], p['RoleSessionName']),
                                    'Arn': self.session_arn(s)},
                'Provider': fed, 'Audience': _listify(claims.get('aud'))[0]}

    def op_GetCallerIdentity(self, ctx, p):
        if ctx.principal.startswith(SESSION):
            s = self.sessions[ctx.principal[len(SESSION):]]
            return {'UserId': '%s:%s' % (s['RoleId'], s['RoleSessionName']),
                    'Account': self.account_id, 'Arn': self.session_arn(s)}
        return super().op_GetCallerIdentity(ctx, p)

    def redacted(self):
        d = super().redacted()
        for s in d.get('sessions', {}).values():
            s['Secret'] = '<redacted>'
            s['Token'] = '<redacted>'
        return d


iamstate.add_identity_policy_ops(RoleState, 'Role')


def _listify_statements(d):
    s = d.get('Statement', [])
    return [s] if isinstance(s, dict) else list(s)
