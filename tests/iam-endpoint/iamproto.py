"""AWS Query protocol for the local IAM endpoint, driven by botocore's service models.

- load_service(): IAM (2010-05-08) and STS (2011-06-15) models through botocore's loader;
- decode_input(): flat Query parameters -> nested dict, following the input shape
  (structures by member name, lists as Name.member.N, maps as Name.entry.N.key/value),
  validated against the model (required, type, length, range, pattern, enum) with the
  messages AWS's Coral front end gives ("1 validation error detected: Value ... at ...");
- encode_result() / encode_error(): the XML bodies, generically from the output shape.

Standard library and botocore only.
"""
import base64
import datetime
import re
import unicodedata
import urllib.parse
import uuid
from xml.sax.saxutils import escape

import botocore.loaders
import botocore.model

# Parameters every Query request may carry besides the operation's own members.
COMMON_PARAMS = {
    'Action', 'Version', 'AWSAccessKeyId', 'SignatureMethod', 'SignatureVersion',
    'Timestamp', 'Expires', 'SecurityToken',
    'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires',
    'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token',
}

POLICY_DOCUMENT_SHAPES = {'policyDocumentType'}


class APIError(Exception):
    """An error answered in AWS's ErrorResponse format."""

    def __init__(self, code, message, status=400, sender=True):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender


_SERVICES = {}


def load_service(name):
    """Return botocore's ServiceModel for 'iam', 'sts', 'sns', ... (cached)."""
    if name not in _SERVICES:
        loader = botocore.loaders.create_loader()
        data = loader.load_service_model(name, 'service-2')
        _SERVICES[name] = botocore.model.ServiceModel(data, service_name=name)
    return _SERVICES[name]


_ERROR_TABLE = {}


def error(code, message, service_name='iam'):
    """Build an APIError; status and Sender/Receiver from the IAM model when it defines code."""
    if service_name not in _ERROR_TABLE:
        table = {}
        service = load_service(service_name)
        for shape_name in service.shape_names:
            shape = service.shape_for(shape_name)
            if shape.metadata.get('exception'):
                err = shape.metadata.get('error') or {}
                table[err.get('code', shape_name)] = (err.get('httpStatusCode', 400),
                                                      bool(err.get('senderFault', False)))
        _ERROR_TABLE[service_name] = table
    status, sender = _ERROR_TABLE[service_name].get(code, (400, True))
    return APIError(code, message, status, sender)


# ---------------------------------------------------------------------------
# Patterns: the model's are Java regular expressions matched whole.

_P_CLASS = re.compile(r'^\[((?:\\p\{[A-Z]\}|\\.|[^\]\\])*)\]([*+])$')


def _compile_pattern(pattern):
    """Return a predicate str -> bool implementing Java's String.matches(pattern)."""
    if '\\p{' not in pattern:
        rx = re.compile(pattern, re.ASCII | re.DOTALL)
        return lambda s: rx.fullmatch(s) is not None
    m = _P_CLASS.match(pattern)
    if not m:
        raise ValueError('unsupported pattern %r' % pattern)
    body, quant = m.group(1), m.group(2)
    cats, chars = [], set()
    i = 0
    while i < len(body):
        if body.startswith('\\p{', i):
            cats.append(body[i + 3])
            i += 5
        elif body[i] == '\\':
            chars.add(body[i + 1])
            i += 2
        else:
            chars.add(body[i])
            i += 1

    def ok(s):
        if quant == '+' and not s:
            return False
        return all(c in chars or unicodedata.category(c)[0] in cats for c in s)
    return ok


_PATTERNS = {}


def pattern_matches(pattern, value):
    if pattern not in _PATTERNS:
        _PATTERNS[pattern] = _compile_pattern(pattern)
    return _PATTERNS[pattern](value)


# ---------------------------------------------------------------------------
# Decoding Query parameters into the input shape.

def _lower_camel(name):
    return name[:1].lower() + name[1:]


class _Decoder:
    def __init__(self, params):
        self.params = params
        self.consumed = set()
        self.errors = []
        # Keys grouped by prefix for quick child look-up.
        self.keys = list(params)

    def fail(self, value, where, constraint, shape=None):
        if value is None:
            self.errors.append("Value null at '%s' failed to satisfy constraint: %s"
                               % (where, constraint))
        elif shape is not None and shape.metadata.get('sensitive'):
            self.errors.append("Value at '%s' failed to satisfy constraint: %s"
                               % (where, constraint))
        else:
            self.errors.append("Value '%s' at '%s' failed to satisfy constraint: %s"
                               % (value, where, constraint))

    def has_children(self, key):
        pre = key + '.'
        return any(k.startswith(pre) for k in self.keys)

    def structure(self, shape, prefix, where):
        out = {}
        for name, mshape in shape.members.items():
            sname = mshape.serialization.get('name', name)
            key = '%s.%s' % (prefix, sname) if prefix else sname
            mwhere = '%s.%s' % (where, _lower_camel(name)) if where else _lower_camel(name)
            value = self.value(mshape, key, mwhere)
            if value is not None:
                out[name] = value
        for name in shape.required_members:
            if name not in out:
                mwhere = '%s.%s' % (where, _lower_camel(name)) if where else _lower_camel(name)
                self.fail(None, mwhere, 'Member must not be null')
        return out

    def _indices(self, prefix):
        pre = prefix + '.'
        found = set()
        for k in self.keys:
            if k.startswith(pre):
                head = k[len(pre):].split('.', 1)[0]
                if head.isdigit() and int(head) >= 1:
                    found.add(int(head))
        return sorted(found)

    def value(self, shape, key, where):
        t = shape.type_name
        if t == 'structure':
            if not self.has_children(key):
                return None
            return self.structure(shape, key, where)
        if t == 'list':
            if key in self.params and self.params[key] == '':
                self.consumed.add(key)
                value = []
            elif not self.has_children(key):
                return None
            else:
                mname = shape.member.serialization.get('name', 'member')
                lp = '%s.%s' % (key, mname)
                value = []
                for n in self._indices(lp):
                    item = self.value(shape.member, '%s.%d' % (lp, n), '%s.%d.member' % (where, n))
                    if item is not None:
                        value.append(item)
            self.check_size(shape, value, where)
            return value
        if t == 'map':
            if not self.has_children(key):
                return None
            ep = '%s.entry' % key
            kname = shape.key.serialization.get('name', 'key')      # SNS: Name/Value
            vname = shape.value.serialization.get('name', 'value')
            value = {}
            for n in self._indices(ep):
                k = self.value(shape.key, '%s.%d.%s' % (ep, n, kname), '%s.%d.key' % (where, n))
                v = self.value(shape.value, '%s.%d.%s' % (ep, n, vname), '%s.%d.value' % (where, n))
                if k is not None:
                    value[k] = v
            self.check_size(shape, value, where)
            return value
        if key not in self.params:
            return None
        self.consumed.add(key)
        raw = self.params[key]
        return self.scalar(shape, raw, where)

    def check_size(self, shape, value, where):
        lo, hi = shape.metadata.get('min'), shape.metadata.get('max')
        if hi is not None and len(value) > hi:
            self.fail(value, where, 'Member must have length less than or equal to %d' % hi)
        if lo is not None and len(value) < lo:
            self.fail(value, where, 'Member must have length greater than or equal to %d' % lo)

    def scalar(self, shape, raw, where):
        t = shape.type_name
        meta = shape.metadata
        if t == 'string':
            if meta.get('max') is not None and len(raw) > meta['max']:
                self.fail(raw, where, 'Member must have length less than or equal to %d'
                          % meta['max'], shape)
            if meta.get('min') is not None and len(raw) < meta['min']:
                self.fail(raw, where, 'Member must have length greater than or equal to %d'
                          % meta['min'], shape)
            if meta.get('pattern') and raw and not pattern_matches(meta['pattern'], raw):
                self.fail(raw, where, 'Member must satisfy regular expression pattern: %s'
                          % meta['pattern'], shape)
            if shape.enum and raw not in shape.enum:
                self.fail(raw, where, 'Member must satisfy enum value set: [%s]'
                          % ', '.join(shape.enum), shape)
            return raw
        if t in ('integer', 'long'):
            try:
                value = int(raw)
            except ValueError:
                self.fail(raw, where, 'Member must be a number')
                return None
            if meta.get('max') is not None and value > meta['max']:
                self.fail(raw, where, 'Member must have value less than or equal to %d'
                          % meta['max'])
            if meta.get('min') is not None and value < meta['min']:
                self.fail(raw, where, 'Member must have value greater than or equal to %d'
                          % meta['min'])
            return value
        if t == 'boolean':
            if raw.lower() not in ('true', 'false'):
                self.fail(raw, where, 'Member must be a boolean')
                return None
            return raw.lower() == 'true'
        if t == 'timestamp':
            try:
                return parse_timestamp(raw)
            except ValueError:
                self.fail(raw, where, 'Member must be a timestamp')
                return None
        if t == 'blob':
            try:
                return base64.b64decode(raw, validate=True)
            except ValueError:
                self.fail(raw, where, 'Member must be base64 encoded')
                return None
        return raw


def parse_timestamp(raw):
    raw = raw.strip()
    if re.fullmatch(r'\d+(\.\d+)?', raw):
        return float(raw)
    s = raw.replace('Z', '+00:00')
    dt = datetime.datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


def decode_input(operation, params):
    """Decode flat Query params for operation (a botocore OperationModel).

    Returns the nested dict. Raises APIError ValidationError (400) listing every violated
    constraint, or for a parameter the model does not know.
    """
    shape = operation.input_shape
    dec = _Decoder(params)
    out = dec.structure(shape, '', '') if shape is not None else {}
    unknown = sorted(k for k in params if k not in dec.consumed and k not in COMMON_PARAMS)
    if unknown:
        raise APIError('ValidationError', 'Unrecognized parameter: %s' % unknown[0], 400)
    if dec.errors:
        n = len(dec.errors)
        raise APIError('ValidationError', '%d validation error%s detected: %s'
                       % (n, '' if n == 1 else 's', '; '.join(dec.errors)), 400)
    return out


# ---------------------------------------------------------------------------
# Encoding XML answers.

def iso8601(ts):
    """Seconds since the epoch -> '2026-01-02T03:04:05Z' (IAM's timestamp form)."""
    dt = datetime.datetime.fromtimestamp(float(ts), tz=datetime.timezone.utc)
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ')


def encode_policy_document(doc):
    """IAM returns policy documents URL-encoded (RFC 3986)."""
    return urllib.parse.quote(doc, safe='-_.~')


def _encode(shape, value, out):
    t = shape.type_name
    if t == 'structure':
        for name, mshape in shape.members.items():
            if name not in value or value[name] is None:
                continue
            tag = mshape.serialization.get('name', name)
            out.append('<%s>' % tag)
            _encode(mshape, value[name], out)
            out.append('</%s>' % tag)
    elif t == 'list':
        tag = shape.member.serialization.get('name', 'member')
        for item in value:
            out.append('<%s>' % tag)
            _encode(shape.member, item, out)
            out.append('</%s>' % tag)
    elif t == 'map':
        ktag = shape.key.serialization.get('name', 'key')
        vtag = shape.value.serialization.get('name', 'value')
        for k, v in value.items():
            out.append('<entry><%s>' % ktag)
            _encode(shape.key, k, out)
            out.append('</%s><%s>' % (ktag, vtag))
            _encode(shape.value, v, out)
            out.append('</%s></entry>' % vtag)
    elif t == 'timestamp':
        out.append(iso8601(value))
    elif t == 'boolean':
        out.append('true' if value else 'false')
    elif t == 'blob':
        if isinstance(value, str):
            value = value.encode('utf-8')
        out.append(base64.b64encode(value).decode('ascii'))
    elif t in ('integer', 'long'):
        out.append(str(int(value)))
    else:
        if shape.name in POLICY_DOCUMENT_SHAPES:
            value = encode_policy_document(value)
        out.append(escape(str(value)))


def encode_result(service, operation, result, request_id):
    """The success body: <OpResponse xmlns><OpResult>...</OpResult><ResponseMetadata>..."""
    ns = service.metadata['xmlNamespace']
    name = operation.name
    out = ['<%sResponse xmlns="%s">\n' % (name, ns)]
    shape = operation.output_shape
    if shape is not None:
        wrapper = shape.serialization.get('resultWrapper', name + 'Result')
        out.append('  <%s>' % wrapper)
        _encode(shape, result or {}, out)
        out.append('</%s>\n' % wrapper)
    out.append('  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n'
               % request_id)
    out.append('</%sResponse>\n' % name)
    return ''.join(out).encode('utf-8')


def encode_error(err, request_id, namespace='https://iam.amazonaws.com/doc/2010-05-08/'):
    body = ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n    <Code>%s</Code>\n'
            '    <Message>%s</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n'
            '</ErrorResponse>\n' % (namespace, 'Sender' if err.sender else 'Receiver',
                                    escape(err.code), escape(err.message), request_id))
    return body.encode('utf-8')


def new_request_id():
    return str(uuid.uuid4())
