"""A raw Query-protocol client for the endpoint's own tests: botocore serializes and signs,
http.client sends, and each step can be altered (time, key, region, headers, body) to provoke
the server's error paths. Answers are parsed with botocore's QueryParser."""
import datetime
import http.client
import urllib.parse

import botocore.loaders
import botocore.model
import botocore.parsers
import botocore.serialize
from botocore.auth import SigV4Auth, SIGV4_TIMESTAMP
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_MODELS = {}


def model(service):
    if service not in _MODELS:
        data = botocore.loaders.create_loader().load_service_model(service, 'service-2')
        _MODELS[service] = botocore.model.ServiceModel(data, service_name=service)
    return _MODELS[service]


class Answer:
    def __init__(self, status, headers, body, parsed):
        self.status = status
        self.headers = headers
        self.body = body
        self.parsed = parsed

    @property
    def code(self):
        return (self.parsed.get('Error') or {}).get('Code')

    @property
    def message(self):
        return (self.parsed.get('Error') or {}).get('Message')

    def __repr__(self):
        return 'Answer(%d, %r)' % (self.status, self.body[:300])


def sign(request, akid, secret, service, region, when=None):
    """botocore's SigV4 signing at a chosen time (default now)."""
    when = when or datetime.datetime.utcnow()
    signer = SigV4Auth(Credentials(akid, secret), service, region)
    request.context['timestamp'] = when.strftime(SIGV4_TIMESTAMP)
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    sig = signer.signature(signer.string_to_sign(request, canonical), request)
    signer._inject_signature_to_request(request, sig)
    return request


def call(ep, action, params=None, service='iam', akid=None, secret=None, region='us-east-1',
         when=None, method='POST', raw_params=None, before_send=None, sign_it=True):
    """Call action on the endpoint. params are model-shaped (serialized by botocore's
    QuerySerializer); raw_params (flat dict) are added verbatim. before_send(request) may alter
    the signed request. Returns Answer."""
    op = model(service).operation_model(action)
    ser = botocore.serialize.create_serializer('query', include_validation=False)
    flat = ser.serialize_to_request(params or {}, op)['body']
    flat.update(raw_params or {})
    encoded = urllib.parse.urlencode(flat, quote_via=urllib.parse.quote)
    host = ep.url.split('://', 1)[1]
    if method == 'GET':
        req = AWSRequest(method='GET', url='%s/?%s' % (ep.url, encoded))
    else:
        req = AWSRequest(method='POST', url=ep.url + '/', data=encoded.encode(),
                         headers={'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
    req.headers['Host'] = host
    if sign_it:
        sign(req, akid or ep.access_key_id, secret or ep.secret_access_key, service, region, when)
    if before_send:
        before_send(req)
    return send(ep, req, op)


def send(ep, req, op):
    split = urllib.parse.urlsplit(req.url)
    conn = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
    try:
        path = split.path + ('?' + split.query if split.query else '')
        conn.putrequest(req.method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in req.headers.items():
            conn.putheader(k, v)
        body = req.data or b''
        if isinstance(body, str):
            body = body.encode()
        conn.putheader('Content-Length', str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        headers = dict(resp.getheaders())
    finally:
        conn.close()
    parser = botocore.parsers.QueryParser()
    parsed = parser.parse({'status_code': resp.status, 'headers': headers, 'body': data},
                          op.output_shape)
    return Answer(resp.status, headers, data, parsed)
