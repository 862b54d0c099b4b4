"""AWS JSON 1.1 protocol for the local endpoint (Secrets Manager, SSM), driven by botocore's
service models.

- decode_input(): the request's JSON object, validated against the operation's input shape
  (unknown members, required, type, length, range, pattern, enum) with the messages AWS's
  front end gives ("1 validation error detected: Value ... at 'name' failed to satisfy
  constraint: ..."); sensitive members are never echoed;
- encode_result(): the output structure as JSON, generically from the output shape (members
  the model does not know are a bug here and raise);
- encode_error(): {"__type": Code, "message": ...} as botocore's JSONParser reads it.

Standard library and botocore only.
"""
import base64
import json

import iamproto
from iamproto import APIError


class _Validator:
    def __init__(self):
        self.errors = []

    def fail(self, shape, value, where, constraint):
        shown = '***' if shape.metadata.get('sensitive') else \
            (value if isinstance(value, str) else json.dumps(value))
        self.errors.append("Value '%s' at '%s' failed to satisfy constraint: %s"
                           % (shown, where, constraint))

    def value(self, shape, v, where):
        t = shape.type_name
        meta = shape.metadata
        if t == 'structure':
            if not isinstance(v, dict):
                raise APIError('SerializationException', 'Expected an object at %s'
                               % (where or 'the top level'), 400)
            unknown = sorted(set(v) - set(shape.members))
            if unknown:
                raise APIError('SerializationException', 'Unrecognized field "%s" at %s'
                               % (unknown[0], where or 'the top level'), 400)
            out = {}
            for name in shape.required_members:
                if v.get(name) is None:
                    self.errors.append("Value null at '%s' failed to satisfy constraint: "
                                       "Member must not be null" % _path(where, name))
            for name, mshape in shape.members.items():
                if v.get(name) is not None:
                    out[name] = self.value(mshape, v[name], _path(where, name))
            return out
        if t == 'list':
            if not isinstance(v, list):
                raise APIError('SerializationException', 'Expected a list at %s' % where, 400)
            self.bounds(shape, v, where, len(v), 'length')
            return [self.value(shape.member, x, '%s.%d' % (where, i + 1)) for i, x in enumerate(v)]
        if t == 'map':
            if not isinstance(v, dict):
                raise APIError('SerializationException', 'Expected a map at %s' % where, 400)
            self.bounds(shape, v, where, len(v), 'length')
            return {self.value(shape.key, k, where): self.value(shape.value, x, '%s.%s' % (where, k))
                    for k, x in v.items()}
        if t == 'string':
            if not isinstance(v, str):
                raise APIError('SerializationException', 'Expected a string at %s' % where, 400)
            self.bounds(shape, v, where, len(v), 'length')
            if meta.get('pattern') and v and not _matches(meta['pattern'], v):
                self.fail(shape, v, where, 'Member must satisfy regular expression pattern: %s'
                          % meta['pattern'])
            if shape.enum and v not in shape.enum:
                self.fail(shape, v, where, 'Member must satisfy enum value set: [%s]'
                          % ', '.join(shape.enum))
            return v
        if t in ('integer', 'long'):
            if isinstance(v, bool) or not isinstance(v, int):
                raise APIError('SerializationException', 'Expected a number at %s' % where, 400)
            self.bounds(shape, v, where, v, 'value')
            return v
        if t == 'boolean':
            if not isinstance(v, bool):
                raise APIError('SerializationException', 'Expected a boolean at %s' % where, 400)
            return v
        if t == 'timestamp':
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                raise APIError('SerializationException', 'Expected a timestamp at %s' % where, 400)
            return float(v)
        if t == 'blob':
            try:
                raw = base64.b64decode(v, validate=True)
            except (TypeError, ValueError):
                raise APIError('SerializationException', 'Expected base64 at %s' % where, 400)
            self.bounds(shape, raw, where, len(raw), 'length')
            return raw
        return v

    def bounds(self, shape, v, where, n, what):
        """The model's max and min for n, the value or the length (what) of v."""
        meta = shape.metadata
        if meta.get('max') is not None and n > meta['max']:
            self.fail(shape, v, where, 'Member must have %s less than or equal to %d'
                      % (what, meta['max']))
        if meta.get('min') is not None and n < meta['min']:
            self.fail(shape, v, where, 'Member must have %s greater than or equal to %d'
                      % (what, meta['min']))


def _matches(pattern, value):
    """The model's patterns are Java regular expressions matched whole; these models wrap
    some in ^(...)$, which iamproto's \\p{..} class matcher does not take."""
    inner = pattern
    if inner.startswith('^') and inner.endswith('$'):
        inner = inner[1:-1]
        if inner.startswith('(') and inner.endswith(')') and inner.count('(') == 1:
            inner = inner[1:-1]
    return iamproto.pattern_matches(inner, value)


def _path(where, name):
    member = name[:1].lower() + name[1:]
    return '%s.%s' % (where, member) if where else member


def decode_input(operation, body):
    """The request body (bytes) of operation -> validated dict; APIError otherwise."""
    try:
        data = json.loads(body.decode('utf-8') if body else '{}')
    except (UnicodeDecodeError, ValueError):
        raise APIError('SerializationException', 'Start of structure or map found where not '
                       'expected', 400)
    v = _Validator()
    shape = operation.input_shape
    out = v.value(shape, data, '') if shape is not None else {}
    if v.errors:
        n = len(v.errors)
        raise APIError('ValidationException', '%d validation error%s detected: %s'
                       % (n, '' if n == 1 else 's', '; '.join(v.errors)), 400)
    return out


def _encode(shape, value):
    t = shape.type_name
    if t == 'structure':
        unknown = set(value) - set(shape.members)
        if unknown:
            raise ValueError('%s has no members %s' % (shape.name, sorted(unknown)))
        return {k: _encode(shape.members[k], v) for k, v in value.items() if v is not None}
    if t == 'list':
        return [_encode(shape.member, x) for x in value]
    if t == 'map':
        return {k: _encode(shape.value, x) for k, x in value.items()}
    if t == 'timestamp':
        return float(value)
    if t == 'blob':
        return base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()
    if t in ('integer', 'long'):
        return int(value)
    if t == 'boolean':
        return bool(value)
    return str(value)


def encode_result(operation, result):
    shape = operation.output_shape
    out = _encode(shape, result or {}) if shape is not None else {}
    return json.dumps(out).encode('utf-8')


class RegionalService:
    """A JSON-protocol service of the endpoint (secretsmanager.py, ssm.py): what it keeps lives
    per region in the endpoint's state, under data[SERVICE][region]."""

    SERVICE = None

    def __init__(self, state):
        self.state = state

    def _store(self, region):
        """The service's state of region (a dict, made on first use)."""
        return self.state.data.setdefault(self.SERVICE, {}).setdefault(region, {})


def error(service_name, code, message):
    """An APIError with the model's HTTP status for code (400 when the model has none)."""
    e = iamproto.error(code, message, service_name)
    return e


def encode_error(err):
    return json.dumps({'__type': err.code, 'message': err.message}).encode('utf-8')


def page(items, req, default_size, bad_token):
    """One page of a listing: (items from the request's NextToken on, at most MaxResults or
    default_size of them; the NextToken of the next page or None). The token is opaque to
    clients (base64 of the position); one that does not decode raises bad_token, an APIError
    (InvalidNextTokenException, InvalidNextToken: each service's own)."""
    start = 0
    if req.get('NextToken') is not None:
        try:
            start = int(base64.b64decode(req['NextToken'], validate=True).decode()
                        .partition('offset=')[2])
        except (ValueError, UnicodeDecodeError):
            raise bad_token
    size = req.get('MaxResults') or default_size
    more = start + size < len(items)
    return items[start:start + size], \
        base64.b64encode(('offset=%d' % (start + size)).encode()).decode() if more else None
