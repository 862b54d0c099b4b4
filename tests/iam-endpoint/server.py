#!/usr/bin/python3
"""Local IAM endpoint: AWS Query protocol for IAM, STS GetCallerIdentity and SNS topics/Publish,
and the JSON 1.1 protocol for Secrets Manager and SSM Parameter Store (secretsmanager.py,
ssm.py), for tests and the demo.

Run with Debian's /usr/bin/python3 (python3-botocore, standard library):

    /usr/bin/python3 tests/iam-endpoint/server.py --port 0 \
        --access-key-id AKIA... --secret-access-key ... [--account-id 123456789012] \
        [--state FILE] [--faults SPEC]

It prints "listening on http://127.0.0.1:PORT" once it accepts connections. README.md beside
this file documents every flag, the control routes under /_endpoint/ and what differs from AWS.
"""
import argparse
import datetime
import email.utils
import hmac
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from botocore.auth import SigV4Auth                      # noqa: E402
from botocore.awsrequest import AWSRequest               # noqa: E402
from botocore.compat import HTTPHeaders                  # noqa: E402
from botocore.credentials import Credentials             # noqa: E402

import iamproto                                          # noqa: E402
from iamproto import APIError                            # noqa: E402
import accounts                                          # noqa: E402
import credroutes                                        # noqa: E402
import iamroles                                          # noqa: E402
import iamusercreds                                      # noqa: E402
import iamstate                                          # noqa: E402
from iamstate import ROOT                                # noqa: E402
import snsstate                                          # noqa: E402
import jsonproto                                         # noqa: E402
import secretsmanager                                    # noqa: E402
import ssm                                               # noqa: E402

CONTROL_PREFIX = '/_endpoint/'
MAX_SKEW = 15 * 60
IAM_REGION = 'us-east-1'
LOG_LIMIT = 20000
SECRET_PARAMS = {'password', 'oldpassword', 'newpassword', 'authenticationcode1',
                 'authenticationcode2', 'x-amz-signature', 'x-amz-security-token',
                 'securitytoken', 'secretaccesskey', 'tokencode', 'sessiontoken',
                 'webidentitytoken'}
SERVICES = {'iam': '2010-05-08', 'sts': '2011-06-15', 'sns': snsstate.API_VERSION}
# The error code an identity-policy denial answers, per service (IAM and STS: AccessDenied).
DENIED_CODE = {'sns': 'AuthorizationError'}
# JSON 1.1 services: module (SERVICE = signing name, TARGET_PREFIX, the class, redact) by prefix
JSON_MODULES = {m.TARGET_PREFIX: m for m in (secretsmanager, ssm)}
JSON_CLASSES = {'secretsmanager': secretsmanager.SecretsManager, 'ssm': ssm.SSM}
SECRET_ENV = 'IAM_ENDPOINT_SECRET_ACCESS_KEY'


# ---------------------------------------------------------------------------
# Faults

FAULT_DEFAULTS = {'seed': 0, 'latency_ms': [0, 0], 'throttle': 0.0, 'error500': 0.0,
                  'error503': 0.0, 'drop': 0.0, 'drop_after': 0.0, 'conflict': 0.0, 'error200': 0.0,
                  'endless': 0.0, 'silent': 0.0, 'drip': 0.0, 'stale': 0.0, 'behind_ms': 10000,
                  'actions': [], 'limit': None, 'rate': None}
FAULT_KINDS = ('drop', 'drop_after', 'throttle', 'error500', 'error503', 'conflict', 'error200',
               'endless', 'silent', 'drip', 'stale')
# How long a silent or drip-fed answer holds its connection at most (the client hangs up first)
STALL_MAX_S = 600
DRIP_INTERVAL_S = 0.5


def parse_fault_spec(spec):
    """'seed=7,latency=50-200,throttle=0.2,actions=CreateUser|GetUser' -> (faults, settings).

    Keys: seed, latency (MS or MIN-MAX), throttle, error500, error503, drop, drop_after,
    conflict, error200, endless, silent, drip, stale (fractions 0..1), behind (ms a stale read's
    replica is further behind, default 10000), actions (|-separated), limit (at most N
    faults), rate (requests a
    second per service, burst as many, beyond it Throttling), lag (ms of
    eventual-consistency lag), propagation (ms before a new key is accepted), report_delay (ms).
    """
    faults = json.loads(json.dumps(FAULT_DEFAULTS))
    settings = {}
    for part in filter(None, (x.strip() for x in (spec or '').split(','))):
        if '=' not in part:
            raise ValueError('fault spec item %r is not key=value' % part)
        key, value = (x.strip() for x in part.split('=', 1))
        if key == 'seed':
            faults['seed'] = int(value)
        elif key == 'latency':
            lo, _, hi = value.partition('-')
            faults['latency_ms'] = [int(lo), int(hi or lo)]
        elif key in FAULT_KINDS:
            faults[key] = float(value)
        elif key == 'actions':
            faults['actions'] = [a for a in value.split('|') if a]
        elif key == 'limit':
            faults['limit'] = int(value)
        elif key == 'behind':
            faults['behind_ms'] = int(value)
        elif key == 'rate':
            faults['rate'] = float(value)
        elif key == 'lag':
            settings['lag_ms'] = int(value)
        elif key == 'propagation':
            settings['key_propagation_ms'] = int(value)
        elif key == 'report_delay':
            settings['report_delay_ms'] = int(value)
        else:
            raise ValueError('unknown fault spec key %r' % key)
    return check_faults(faults), settings


def check_faults(f):
    out = json.loads(json.dumps(FAULT_DEFAULTS))
    unknown = set(f) - set(out) - {'injected', 'rate_throttled'}
    if unknown:
        raise ValueError('unknown fault keys: %s' % ', '.join(sorted(unknown)))
    out.update({k: v for k, v in f.items() if k not in ('injected', 'rate_throttled')})
    lat = out['latency_ms']
    if isinstance(lat, (int, float)):
        lat = [lat, lat]
    out['latency_ms'] = [int(lat[0]), int(lat[1])]
    if out['latency_ms'][0] < 0 or out['latency_ms'][1] < out['latency_ms'][0]:
        raise ValueError('latency_ms must be [min, max] with 0 <= min <= max')
    total = 0.0
    for k in FAULT_KINDS:
        out[k] = float(out[k])
        if not 0.0 <= out[k] <= 1.0:
            raise ValueError('%s must be a fraction between 0 and 1' % k)
        total += out[k]
    if total > 1.0:
        raise ValueError('fault fractions add up to more than 1')
    out['seed'] = int(out['seed'])
    out['actions'] = list(out['actions'] or [])
    out['limit'] = None if out['limit'] is None else int(out['limit'])
    out['behind_ms'] = int(out['behind_ms'])
    if out['behind_ms'] < 0:
        raise ValueError('behind_ms must be >= 0')
    if out['rate'] is not None:
        out['rate'] = float(out['rate'])
        if not out['rate'] > 0:
            raise ValueError('rate must be a number of requests a second above 0')
    return out


class RateLimit:
    """IAM-like rate-based throttling: a token bucket per service and AWS account (IAM
    throttles per AWS account and API; accounts.py), `rate` tokens a second with a burst of
    `rate`, shared by every caller in that account. A request that finds the bucket empty is
    refused and takes no token."""

    def __init__(self, rate, clock=time.monotonic):
        self.rate, self.clock = rate, clock
        self.buckets = {}     # (service, account) -> [tokens, last refill time]

    def admit(self, service):
        now = self.clock()
        b = self.buckets.setdefault(service, [self.rate, now])
        b[0] = min(self.rate, b[0] + (now - b[1]) * self.rate)
        b[1] = now
        if b[0] >= 1.0:
            b[0] -= 1.0
            return True
        return False


class Faults:
    """Seeded fault decisions: the n-th request for an action gets the same fate for the same
    seed, whatever other actions run concurrently."""

    def __init__(self, config):
        self.lock = threading.Lock()
        self.set(config)

    def set(self, config):
        with self.lock:
            self.config = check_faults(config)
            self.seq = {}
            self.injected = 0
            self.rate_throttled = 0
            self.rate = RateLimit(self.config['rate']) if self.config['rate'] else None

    def view(self):
        with self.lock:
            return dict(self.config, injected=self.injected, rate_throttled=self.rate_throttled)

    def decide(self, action, service='iam', account=None):
        """Returns (delay_seconds, fault) with fault None, one of FAULT_KINDS, or 'rate' (over
        the rate of account's bucket: answered like 'throttle')."""
        with self.lock:
            c = self.config
            if c['actions'] and action not in c['actions']:
                return 0.0, None
            if self.rate and not self.rate.admit((service, account)):
                self.rate_throttled += 1
                return 0.0, 'rate'
            n = self.seq[action] = self.seq.get(action, 0) + 1
            rng = random.Random('%d/%s/%d' % (c['seed'], action, n))
            lo, hi = c['latency_ms']
            delay = rng.uniform(lo, hi) / 1000.0 if hi else 0.0
            u = rng.random()
            fault = None
            for kind in FAULT_KINDS:
                if u < c[kind]:
                    fault = kind
                    break
                u -= c[kind]
            if fault and c['limit'] is not None and self.injected >= c['limit']:
                fault = None
            if fault:
                self.injected += 1
            return delay, fault


# ---------------------------------------------------------------------------
# Signature check with botocore's own SigV4 signer

class _SignedHeadersOnly(SigV4Auth):
    """botocore's signer, fed exactly the headers the request says it signed."""

    def __init__(self, credentials, service, region, signed, raw_headers):
        super().__init__(credentials, service, region)
        self._signed = signed
        self._raw = raw_headers

    def headers_to_sign(self, request):
        out = HTTPHeaders()
        for name in self._signed:
            for value in self._raw.get_all(name) or []:
                out[name] = value
        return out


def _parse_authorization(value):
    if not value.startswith('AWS4-HMAC-SHA256 '):
        raise APIError('IncompleteSignature', 'Unsupported authorization type', 400)
    fields = {}
    for part in value[len('AWS4-HMAC-SHA256 '):].split(','):
        k, _, v = part.strip().partition('=')
        fields[k] = v
    missing = [k for k in ('Credential', 'SignedHeaders', 'Signature') if not fields.get(k)]
    if missing:
        raise APIError('IncompleteSignature', "Authorization header requires '%s' parameter. "
                       "Authorization=%s" % (missing[0], value.split(' ')[0]), 400)
    return fields


def _amz_time(value):
    return datetime.datetime.strptime(value, '%Y%m%dT%H%M%SZ').replace(
        tzinfo=datetime.timezone.utc).timestamp()


def _fmt_amz(ts):
    return datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')


class Auth:
    """What a request's signature says: which key, which service and region."""

    def __init__(self, akid, service, region, date, signed, signature, presigned):
        self.akid = akid
        self.service = service
        self.region = region
        self.date = date
        self.signed = signed
        self.signature = signature
        self.presigned = presigned


def read_auth(headers, query):
    """Parse the SigV4 fields from the Authorization header or a presigned query string.
    Returns Auth or None when the request carries no signature."""
    if headers.get('Authorization'):
        f = _parse_authorization(headers['Authorization'])
        cred, signed, sig, presigned = f['Credential'], f['SignedHeaders'], f['Signature'], False
        date = headers.get('X-Amz-Date') or headers.get('Date')
        if date and not headers.get('X-Amz-Date'):
            try:
                date = _fmt_amz(email.utils.parsedate_to_datetime(date).timestamp())
            except (TypeError, ValueError):
                date = None
    elif 'X-Amz-Signature' in query or 'X-Amz-Credential' in query:
        cred = query.get('X-Amz-Credential', '')
        signed = query.get('X-Amz-SignedHeaders', '')
        sig = query.get('X-Amz-Signature', '')
        date = query.get('X-Amz-Date')
        presigned = True
    else:
        return None
    parts = cred.split('/')
    if len(parts) != 5 or parts[4] != 'aws4_request':
        raise APIError('IncompleteSignature', 'Credential should be scoped to a valid region, '
                       'not a malformed scope: %s' % cred, 400)
    if not date:
        raise APIError('IncompleteSignature', "Authorization header requires existence of "
                       "either a 'X-Amz-Date' or a 'Date' header.", 400)
    return Auth(parts[0], parts[3], parts[2], (parts[1], date),
                [h.strip().lower() for h in signed.split(';') if h.strip()], sig, presigned)


def verify_signature(auth, secret, method, raw_path, query_pairs, raw_headers, body):
    """Recompute the signature with botocore and compare; raise SignatureDoesNotMatch."""
    scope_date, amz_date = auth.date
    if amz_date[:8] != scope_date:
        raise APIError('SignatureDoesNotMatch', "Date in Credential scope does not match "
                       "YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from "
                       "'%s'." % (scope_date, amz_date[:8], amz_date), 403)
    creds = Credentials(auth.akid, secret)
    signer = _SignedHeadersOnly(creds, auth.service, auth.region, auth.signed, raw_headers)
    path = urllib.parse.urlsplit(raw_path).path
    host = raw_headers.get('Host', 'localhost')
    pairs = [(k, v) for k, v in query_pairs if k != 'X-Amz-Signature'] if auth.presigned \
        else query_pairs
    # The payload hash is always computed from the body received (an X-Amz-Content-SHA256
    # header, when signed, is checked as any other signed header).
    req = AWSRequest(method=method, url='http://%s%s' % (host, path), data=body, params=pairs)
    req.context['timestamp'] = amz_date
    if auth.presigned:
        req.context['payload_signing_enabled'] = True
    canonical = signer.canonical_request(req)
    expected = signer.signature(signer.string_to_sign(req, canonical), req)
    if not hmac.compare_digest(expected, auth.signature):
        raise APIError('SignatureDoesNotMatch', 'The request signature we calculated does not '
                       'match the signature you provided. Check your AWS Secret Access Key and '
                       'signing method. Consult the service documentation for details.', 403)


# ---------------------------------------------------------------------------
# The server

class Endpoint:
    def __init__(self, args):
        self.access_key_id = args.access_key_id
        self.secret_access_key = args.secret_access_key
        self.state = iamusercreds.UserCredsState(args.account_id, args.state)
        self.metadata = credroutes.Metadata()
        self.accounts = accounts.Accounts(self.state, self.access_key_id, self.secret_access_key)
        faults, settings = parse_fault_spec(args.faults)
        self.faults = Faults(faults)
        self.state.settings.update(settings)
        if args.lag_ms is not None:
            self.state.settings['lag_ms'] = args.lag_ms
        if args.key_propagation_ms is not None:
            self.state.settings['key_propagation_ms'] = args.key_propagation_ms
        if args.clock_offset is not None:
            self.state.settings['clock_offset'] = args.clock_offset
        self.verbose = args.verbose
        self.services = {name: iamproto.load_service(name) for name in SERVICES}
        self.sns = snsstate.SNSState(args.account_id)
        # Which object implements op_<Action> per service (IAM and STS: the IAM state).
        self.backends = {'sns': self.sns}
        self.json_services = {m.SERVICE: (iamproto.load_service(m.SERVICE),
                                          JSON_CLASSES[m.SERVICE](self.state))
                              for m in JSON_MODULES.values()}
        self.stats_lock = threading.Lock()
        self.counts = {}
        self.log = []
        self.seq = 0

    def record(self, entry):
        with self.stats_lock:
            self.seq += 1
            entry['seq'] = self.seq
            action = entry.get('action') or '-'
            self.counts[action] = self.counts.get(action, 0) + 1
            self.log.append(entry)
            if len(self.log) > LOG_LIMIT:
                del self.log[:len(self.log) - LOG_LIMIT]
        if self.verbose:
            sys.stderr.write('%s %s %s %s %s%s\n' % (
                entry['time'], entry.get('service') or '-', action, entry['status'],
                entry.get('error') or '', (' fault=%s' % entry['fault']) if entry.get('fault') else ''))
            sys.stderr.flush()


def redact_params(params):
    out = {}
    for k, v in params.items():
        last = k.rsplit('.', 1)[-1].lower()
        out[k] = '<redacted>' if last in SECRET_PARAMS or k.lower() in SECRET_PARAMS else v
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'keywarden-iam-endpoint'
    sys_version = ''
    # headers and body go out in two writes: with Nagle's algorithm the body waits for the
    # client's delayed ACK (40 ms on Linux), a latency no AWS endpoint has
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):   # the request log replaces http.server's
        pass

    def date_time_string(self, timestamp=None):
        """The Date header on IAM's clock (the test clock offset too), as the CreateDate values
        it reports: a client may compare the two (RFC 9110 Date, IMF-fixdate)."""
        if timestamp is None:
            timestamp = self.ep.state.iam_now()
        return email.utils.formatdate(timestamp, usegmt=True)

    @property
    def ep(self):
        return self.server.endpoint

    # -- plumbing ----------------------------------------------------------
    def _read_body(self):
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            parts = []
            while True:
                size = int(self.rfile.readline(65537).split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b'\r\n', b'\n', b''):
                        pass             # trailers
                    return b''.join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(n) if n > 0 else b''

    def _send(self, status, body, ctype='text/xml', request_id=None):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        if request_id:
            self.send_header('x-amzn-RequestId', request_id)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def _drop(self):
        """Reset the connection without an answer."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        split = urllib.parse.urlsplit(self.path)
        body = self._read_body()
        if split.path.startswith(CONTROL_PREFIX):
            return self._control(split, body)
        if split.path.startswith(('/latest/', '/v2/credentials/', credroutes.SSO_PATH)):
            return self._credential_route(split)
        if self.command not in ('GET', 'POST'):
            return self._send(405, b'', request_id=None)
        if self.headers.get('X-Amz-Target'):
            return self._json_aws(split, body)
        return self._aws(split, body)

    # -- AWS requests --------------------------------------------------------
    def _aws(self, split, body):
        ep = self.ep
        request_id = iamproto.new_request_id()
        query_pairs = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
        params = dict(query_pairs)
        if self.command == 'POST' and body:
            try:
                params.update(urllib.parse.parse_qsl(body.decode('utf-8'), keep_blank_values=True,
                                                     strict_parsing=False))
            except UnicodeDecodeError:
                pass
        action = params.get('Action')
        entry = {'time': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds'),
                 'method': self.command, 'action': action, 'request_id': request_id,
                 'params': redact_params({k: v for k, v in params.items()
                                          if k not in ('Action', 'Version')})}
        service_name = next((n for n, v in SERVICES.items() if v == params.get('Version')), 'iam')
        status, err, fault = 200, None, None
        try:
            auth = read_auth(self.headers, params)
            if auth is not None:
                service_name = auth.service if auth.service in SERVICES else service_name
                entry['access_key_id'] = auth.akid
            entry['service'] = service_name
            fault = self._fault(action, service_name, entry, 'Throttling', 'InternalFailure')
            if fault == 'drop':
                return self._drop()
            if fault in ('silent', 'drip'):
                return self._stall(fault, 'text/xml')
            marker = params.get('Marker') if fault == 'endless' else None
            if marker is not None:   # endless: every page is the first one again
                params = {k: v for k, v in params.items() if k != 'Marker'}
                query_pairs = [(k, v) for k, v in query_pairs if k != 'Marker']
            result, operation = self._handle(auth, action, params, query_pairs, body, entry)
            if fault == 'endless' and isinstance(result, dict) and 'IsTruncated' in result:
                # a listing that never ends: always truncated, always the same Marker
                result['IsTruncated'] = True
                result['Marker'] = marker or 'endless-marker'
            service = ep.services[entry['service']]
            payload = iamproto.encode_result(service, operation, result, request_id)
        except APIError as e:
            status, err = e.status, e
            ns = ep.services[service_name].metadata['xmlNamespace']
            payload = iamproto.encode_error(e, request_id, ns)
            entry['error'] = e.code
        except Exception as e:   # a bug here must still answer like AWS would
            traceback.print_exc()
            err = APIError('ServiceFailure', 'Internal error: %s' % type(e).__name__, 500, False)
            status = 500
            payload = iamproto.encode_error(err, request_id)
            entry['error'] = err.code
        if entry.get('fault') == 'error200':   # raised by _fault: the ErrorResponse goes with 200
            status = 200
        entry['status'] = status
        ep.record(entry)
        if fault == 'drop_after':
            return self._drop()
        self._send(status, payload, request_id=request_id)

    def _credential_route(self, split):
        """Instance metadata and container credentials (credroutes.py)."""
        ep = self.ep
        if split.path == credroutes.SSO_PATH:
            query = dict(urllib.parse.parse_qsl(split.query))
            status, body, ctype, action = credroutes.handle_sso(ep.metadata, ep.state, self.command,
                                                                split.path, query, self.headers)
        else:
            fn = credroutes.handle_imds if split.path.startswith('/latest/') else \
                credroutes.handle_container
            status, body, ctype, action = fn(ep.metadata, ep.state, self.command, split.path,
                                             self.headers)
        ep.record({'time': datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec='milliseconds'), 'method': self.command, 'action': action,
            'service': 'metadata', 'status': status, 'params': {}})
        self._send(status, body, ctype)

    def _stall(self, fault, ctype):
        """A request never answered: 'silent' sends nothing, 'drip' sends the status line and
        headers of a large answer, then its body one byte every DRIP_INTERVAL_S (fast enough to
        pass a 1 byte/s low-speed limit). Either holds the connection until the client hangs
        up, or STALL_MAX_S; nothing changes."""
        self.close_connection = True
        end = time.monotonic() + STALL_MAX_S
        try:
            if fault == 'drip':
                self.send_response(200)
                self.send_header('Content-Type', ctype)
                self.send_header('Content-Length', str(1 << 20))
                self.end_headers()
                self.wfile.flush()
            while time.monotonic() < end:
                ready, _, _ = select.select([self.connection], [], [], DRIP_INTERVAL_S)
                if ready and not self.connection.recv(4096, socket.MSG_PEEK):
                    return          # the client hung up
                if ready:           # a pipelined request: not read, the peer is still there
                    time.sleep(DRIP_INTERVAL_S)
                if fault == 'drip':
                    self.wfile.write(b' ')
                    self.wfile.flush()
        except OSError:
            pass

    def _fault(self, action, service, entry, throttle_code, internal_code):
        """The fault injected into this request: sleeps its latency, raises its error answer,
        records a dropped request; returns the fault (None, 'drop', 'drop_after')."""
        ep = self.ep
        akid = entry.get('access_key_id')
        st = ep.accounts.for_key(akid)[0] if akid else None   # rate: per AWS account
        delay, fault = ep.faults.decide(action or '-', service, st.account_id if st else None)
        entry['fault'] = fault
        if delay:
            time.sleep(delay)
        if fault in ('drop', 'silent', 'drip'):
            entry['status'] = 0
            ep.record(entry)
        if fault in ('throttle', 'rate'):
            raise APIError(throttle_code, 'Rate exceeded', 400)
        if fault == 'error500':
            raise APIError(internal_code, 'We encountered an internal error. Please try again.',
                           500, sender=False)
        if fault == 'error503':
            raise APIError('ServiceUnavailable', 'Service Unavailable', 503, sender=False)
        if fault == 'error200':   # a hostile or broken answer: an ErrorResponse with 200
            raise APIError(internal_code, 'We encountered an internal error. Please try again.',
                           500, sender=False)
        if fault == 'conflict' and service in ('iam', 'sts'):
            # IAM's ConcurrentModificationException (botocore's model); the JSON services
            # have no such answer
            raise APIError('ConcurrentModification', 'The request was rejected because multiple '
                           'requests to change this object were submitted simultaneously. Wait '
                           'a few minutes and submit your request again.', 409)
        return fault

    def _authenticate(self, auth, services, params, query_pairs, body):
        """Check the signature of a request for one of services; returns the principal
        (ROOT or a user's lower-cased name)."""
        ep = self.ep
        if auth is None:
            raise APIError('MissingAuthenticationToken', 'Request is missing Authentication Token',
                           403)
        if auth.service not in services:
            raise APIError('SignatureDoesNotMatch', "Credential should be scoped to correct "
                           "service: '%s'. " % sorted(services)[0], 403)
        if auth.service == 'iam' and auth.region != IAM_REGION:
            raise APIError('SignatureDoesNotMatch', "Credential should be scoped to a valid "
                           "region, not '%s'. " % auth.region, 403)
        # Which account and key: a root key, or one issued through CreateAccessKey or
        # AssumeRole (accounts.py); the request then acts in that account (self.st).
        with ep.state.lock:
            st, root_secret = ep.accounts.for_key(auth.akid)
            if root_secret is not None:
                secret, principal = root_secret, ROOT
            else:
                k = st.key_for_auth(auth.akid) if st is not None else None
                prop = ep.state.settings['key_propagation_ms'] / 1000.0
                if k is None or k['Status'] != 'Active' or time.time() < k.get('Issued', 0) + prop:
                    raise APIError('InvalidClientTokenId', 'The security token included in the '
                                   'request is invalid.', 403)
                secret, principal = k['Secret'], k['User']
            self.st = st
        with ep.state.lock:   # temporary credentials need their session token, unexpired
            st.check_session_token(auth.akid, self.headers.get('X-Amz-Security-Token')
                                   or params.get('X-Amz-Security-Token'))
        try:
            signed_at = _amz_time(auth.date[1])
        except ValueError:
            raise APIError('IncompleteSignature', "Date must be in ISO-8601 'basic format'. Got "
                           "'%s'." % auth.date[1], 400)
        verify_signature(auth, secret, self.command, self.path, query_pairs, self.headers, body)
        now = time.time()
        if auth.presigned:
            expires = int(params.get('X-Amz-Expires') or 0)
            if now > signed_at + expires or now < signed_at - MAX_SKEW:
                raise APIError('RequestExpired', 'Request has expired.', 400)
        elif signed_at < now - MAX_SKEW:
            raise APIError('SignatureDoesNotMatch', 'Signature expired: %s is now earlier than '
                           '%s (%s - 15 min.)' % (auth.date[1], _fmt_amz(now - MAX_SKEW),
                                                 _fmt_amz(now)), 403)
        elif signed_at > now + MAX_SKEW:
            raise APIError('SignatureDoesNotMatch', 'Signature not yet current: %s is still later '
                           'than %s (%s + 15 min.)' % (auth.date[1], _fmt_amz(now + MAX_SKEW),
                                                      _fmt_amz(now)), 403)
        return principal

    def _handle(self, auth, action, params, query_pairs, body, entry):
        ep = self.ep
        if auth is None and action in iamroles.UNSIGNED_ACTIONS and \
                params.get('Version') == SERVICES['sts']:
            operation = ep.services['sts'].operation_model(action)
            decoded = iamproto.decode_input(operation, params)
            with ep.state.lock:
                result = getattr(ep.state, 'op_' + action)(
                    iamstate.Ctx(ep.state, None, False, 'sts', IAM_REGION), decoded)
                ep.state.save()
            return result, operation
        principal = self._authenticate(auth, SERVICES, params, query_pairs, body)
        entry['principal'] = 'root' if principal == ROOT else principal
        st = self.st   # the account of the key that signed
        entry['account'] = st.account_id
        with ep.state.lock:
            used = st.record_key_use(auth.akid, auth.service, auth.region)
        # The operation.
        service = ep.services[auth.service]
        if not action:
            raise APIError('MissingAction', 'Missing Action', 400)
        if params.get('Version') is None:
            raise APIError('MissingParameter', 'The request must contain the parameter Version',
                           400)
        if action not in service.operation_names or params['Version'] != SERVICES[auth.service]:
            raise APIError('InvalidAction', 'Could not find operation %s for version %s'
                           % (action, params['Version']), 400)
        operation = service.operation_model(action)
        decoded = iamproto.decode_input(operation, params)
        handler = getattr(ep.backends.get(auth.service, st), 'op_' + action, None)
        if handler is None:
            raise APIError('NotImplemented', 'The local IAM endpoint does not implement %s.'
                           % action, 501, sender=False)
        with ep.state.lock:
            if not st.authorize(principal, '%s:%s' % (auth.service, action)):
                u = st.users.get(principal)
                who = st.user_arn(u) if u else auth.akid
                code = DENIED_CODE.get(auth.service, 'AccessDenied')
                raise APIError(code, 'User: %s is not authorized to perform: %s:%s because '
                               'no identity-based policy allows the %s:%s action'
                               % (who, auth.service, action, auth.service, action), 403)
            read = iamstate.is_read_action(action)
            ctx = iamstate.Ctx(st, principal, read, auth.service, auth.region)
            ctx.principal_name = entry['principal']
            if read and entry.get('fault') == 'stale':   # served by a replica further behind
                ctx.behind = ep.faults.view()['behind_ms'] / 1000.0
            try:
                result = handler(ctx, decoded)
            finally:
                if not read or used:
                    st.save()
        return result, operation

    # -- JSON 1.1 requests (Secrets Manager, SSM) ------------------------------------
    def _json_aws(self, split, body):
        ep = self.ep
        request_id = iamproto.new_request_id()
        query_pairs = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
        prefix, _, action = self.headers.get('X-Amz-Target', '').partition('.')
        module = JSON_MODULES.get(prefix)
        entry = {'time': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds'),
                 'method': self.command, 'action': action or None, 'request_id': request_id,
                 'service': module.SERVICE if module else None, 'params': {}}
        status, fault = 200, None
        try:
            if module is None:
                raise APIError('UnknownOperationException', 'Unknown target prefix %r' % prefix,
                               400)
            model, impl = ep.json_services[module.SERVICE]
            ctype = self.headers.get('Content-Type', '')
            if self.command != 'POST' or not ctype.startswith('application/x-amz-json-1.1'):
                raise APIError('UnknownOperationException', 'Expected POST with Content-Type '
                               'application/x-amz-json-1.1', 400)
            auth = read_auth(self.headers, dict(query_pairs))
            if auth is not None:
                entry['access_key_id'] = auth.akid
            fault = self._fault(action, module.SERVICE, entry, 'ThrottlingException',
                                'InternalServiceError')
            if fault == 'drop':
                return self._drop()
            if fault in ('silent', 'drip'):
                return self._stall(fault, 'application/x-amz-json-1.1')
            principal = self._authenticate(auth, {module.SERVICE}, {}, query_pairs, body)
            entry['principal'] = 'root' if principal == ROOT else principal
            st = self.st   # the signing key's account (accounts.py): its own secrets, parameters
            entry['account'] = st.account_id
            if st is not ep.state:
                impl = JSON_CLASSES[module.SERVICE](st)
            if action not in model.operation_names:
                raise APIError('UnknownOperationException', 'The action %s is not valid for this '
                               'web service.' % action, 400)
            operation = model.operation_model(action)
            handler = getattr(impl, action, None)
            try:
                raw = json.loads(body.decode('utf-8') or '{}')
                entry['params'] = {k: ('<redacted>' if operation.input_shape.members.get(k) is not None
                                       and operation.input_shape.members[k].metadata.get('sensitive')
                                       else v) for k, v in raw.items()} if isinstance(raw, dict) else {}
            except (UnicodeDecodeError, ValueError, AttributeError):
                pass
            decoded = jsonproto.decode_input(operation, body)
            if handler is None:
                raise APIError('NotImplemented', 'The local endpoint does not implement %s:%s.'
                               % (module.SERVICE, action), 501, sender=False)
            with ep.state.lock:
                full = '%s:%s' % (module.SERVICE, action)
                if not st.authorize(principal, full):
                    u = st.users.get(principal)
                    who = st.user_arn(u) if u else auth.akid
                    raise APIError('AccessDeniedException', 'User: %s is not authorized to '
                                   'perform: %s because no identity-based policy allows the %s '
                                   'action' % (who, full, full), 400)
                st.record_key_use(auth.akid, module.SERVICE, auth.region)
                ctx = iamstate.Ctx(st, principal, False, module.SERVICE, auth.region)
                try:
                    result = handler(ctx, decoded)
                finally:
                    st.save()
            payload = jsonproto.encode_result(operation, result)
        except APIError as e:
            status = e.status
            payload = jsonproto.encode_error(e)
            entry['error'] = e.code
        except Exception as e:   # a bug here must still answer like AWS would
            traceback.print_exc()
            status = 500
            payload = jsonproto.encode_error(APIError('InternalServiceError', 'Internal error: %s'
                                                      % type(e).__name__, 500, False))
            entry['error'] = 'InternalServiceError'
        entry['status'] = status
        ep.record(entry)
        if fault == 'drop_after':
            return self._drop()
        self._send(status, payload, 'application/x-amz-json-1.1', request_id=request_id)

    # -- control routes --------------------------------------------------------
    def _control(self, split, body):
        ep = self.ep
        route = split.path[len(CONTROL_PREFIX):].strip('/')
        method = self.command
        try:
            data = json.loads(body.decode('utf-8')) if body.strip() else {}
        except ValueError:
            return self._json(400, {'error': 'body is not JSON'})
        setting = method in ('PUT', 'POST')
        try:
            if route in ('imds', 'container', 'oidc', 'sso') and setting:
                with ep.state.lock:
                    if route == 'imds':
                        return self._json(200, ep.metadata.configure_imds(data))
                    if route == 'container':
                        return self._json(200, ep.metadata.configure_container(data))
                    if route == 'sso':
                        return self._json(200, credroutes.configure_sso(ep.metadata, data))
                    return self._json(200, ep.state.register_oidc(data))
            if route == 'mfa-hardware' and setting:
                with ep.state.lock:
                    return self._json(200, ep.state.register_hardware_mfa(data))
            if route == 'accounts':   # more AWS accounts (accounts.py)
                if setting:
                    return self._json(200, ep.accounts.add(data['account_id']))
                return self._json(200, {'accounts': ep.accounts.ids()})
            if route == 'health':
                return self._json(200, {'ok': True, 'account_id': ep.state.account_id})
            if route == 'faults':
                if setting:
                    if 'spec' in data:
                        faults, settings = parse_fault_spec(data['spec'])
                        with ep.state.lock:
                            ep.state.settings.update(settings)
                        ep.faults.set(faults)
                    else:
                        ep.faults.set(data)
                elif method == 'DELETE':
                    ep.faults.set({})
                return self._json(200, ep.faults.view())
            if route == 'counts':
                with ep.stats_lock:
                    if method == 'DELETE':
                        ep.counts.clear()
                        ep.log.clear()
                    return self._json(200, dict(ep.counts))
            if route == 'log':
                q = dict(urllib.parse.parse_qsl(split.query))
                since = int(q.get('since', 0))
                with ep.stats_lock:
                    if method == 'DELETE':
                        ep.log.clear()
                    return self._json(200, [e for e in ep.log if e['seq'] > since])
            if route == 'clock':
                with ep.state.lock:
                    s = ep.state.settings
                    if setting:
                        if 'offset_seconds' in data:
                            s['clock_offset'] = float(data['offset_seconds'])
                        if 'advance_seconds' in data:
                            s['clock_offset'] += float(data['advance_seconds'])
                    now = ep.state.iam_now()
                    return self._json(200, {'offset_seconds': s['clock_offset'],
                                            'now': iamproto.iso8601(now)})
            if route == 'consistency':
                keys = ('lag_ms', 'key_propagation_ms', 'report_delay_ms')
                with ep.state.lock:
                    if setting:
                        bad = set(data) - set(keys) - {'settle'}
                        if bad:
                            return self._json(400, {'error': 'unknown keys: %s' % sorted(bad)})
                        for k in keys:
                            if k in data:
                                ep.state.settings[k] = int(data[k])
                        if data.get('settle'):
                            ep.state.settle()
                    return self._json(200, {k: ep.state.settings[k] for k in keys})
            if route == 'sns':
                q = dict(urllib.parse.parse_qsl(split.query))
                with ep.state.lock:
                    return self._json(200, ep.sns.control(method, data, q))
            if route == 'state':
                with ep.state.lock:
                    if method == 'DELETE':
                        ep.state.reset()
                        ep.accounts.reset()
                        ep.sns.reset()
                        ep.state.save()
                    d = ep.state.redacted()
                    for m in JSON_MODULES.values():
                        m.redact(d)
                    return self._json(200, d)
            return self._json(404, {'error': 'no control route %s' % split.path})
        except (ValueError, TypeError, KeyError) as e:
            return self._json(400, {'error': str(e)})

    def _json(self, status, obj):
        self._send(status, (json.dumps(obj, indent=1) + '\n').encode(), 'application/json')


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main(argv=None):
    ap = argparse.ArgumentParser(description='Local IAM endpoint (AWS Query protocol) for '
                                 'keywarden tests and the demo.')
    ap.add_argument('--port', type=int, default=0, help='TCP port on 127.0.0.1; 0 picks a free one')
    ap.add_argument('--access-key-id', required=True, help='the admin (account root) key id')
    ap.add_argument('--secret-access-key', default=os.environ.get(SECRET_ENV),
                    help='the admin secret access key (default: $%s, which keeps it out '
                    'of the process list)' % SECRET_ENV)
    ap.add_argument('--account-id', default='123456789012', help='12-digit AWS account id')
    ap.add_argument('--state', help='JSON file to load IAM state from and save it to')
    ap.add_argument('--faults', default='', help='fault spec, e.g. seed=1,throttle=0.2,latency=5-50')
    ap.add_argument('--lag-ms', type=int, help='eventual-consistency lag for reads (ms)')
    ap.add_argument('--key-propagation-ms', type=int,
                    help='delay before a new access key is accepted (ms)')
    ap.add_argument('--clock-offset', type=float, help="seconds added to IAM's clock")
    ap.add_argument('--verbose', action='store_true', help='one line per request on stderr')
    args = ap.parse_args(argv)
    if not args.secret_access_key:
        ap.error('--secret-access-key or $%s is required' % SECRET_ENV)
    if not (len(args.account_id) == 12 and args.account_id.isdigit()):
        ap.error('--account-id must be 12 digits')
    try:
        endpoint = Endpoint(args)
    except ValueError as e:
        ap.error(str(e))

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    httpd = Server(('127.0.0.1', args.port), Handler)
    httpd.endpoint = endpoint
    sys.stdout.write('listening on http://127.0.0.1:%d\n' % httpd.server_address[1])
    sys.stdout.flush()
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        with endpoint.state.lock:
            endpoint.state.save()
    return 0


if __name__ == '__main__':
    sys.exit(main())
