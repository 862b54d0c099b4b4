#!/usr/bin/python3
"""A stand-in for kubectl in tests (tests/e2e/test_shipped_manifests.py): it records every call
(argv and stdin, one JSON line each in $KUBECTL_STANDIN_DIR/calls.jsonl) and keeps Secrets in
$KUBECTL_STANDIN_DIR/objects/NAMESPACE/NAME.json, checking its input as the real kubectl and
API server do for what the shipped manifests use:

  kubectl [-n NS] apply -f -|FILE           create or replace (Secret v1: data base64, stringData
                                            strings; a namespace in the object must match -n)
  kubectl [-n NS] create secret generic NAME [--from-file=KEY=PATH]... [--from-literal=K=V]...
          [--dry-run=client -o yaml|json]   AlreadyExists when it exists (without --dry-run)
  kubectl [-n NS] get secret NAME [-o json] NotFound when missing
  kubectl [-n NS] delete secret NAME

Messages and exit status 1 on errors as kubectl 1.28 prints them. Standard library and
python3-yaml only.
"""
import base64
import json
import os
import sys

import yaml

DIR = os.environ.get('KUBECTL_STANDIN_DIR') or sys.exit('KUBECTL_STANDIN_DIR is not set')


def die(msg):
    sys.stderr.write(msg + '\n')
    sys.exit(1)


def path_of(ns, name):
    return os.path.join(DIR, 'objects', ns, name + '.json')


def load(ns, name):
    try:
        with open(path_of(ns, name)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def save(obj):
    ns, name = obj['metadata']['namespace'], obj['metadata']['name']
    os.makedirs(os.path.dirname(path_of(ns, name)), exist_ok=True)
    fd = os.open(path_of(ns, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        json.dump(obj, f, indent=1, sort_keys=True)


def normalize_secret(obj, ns_flag):
    """The Secret as the API server stores it: data base64, stringData merged into data."""
    if not isinstance(obj, dict):
        die('error: error validating data: the object is not a mapping')
    for k in ('apiVersion', 'kind'):
        if k not in obj:
            die('error: error validating "STDIN": error validating data: %s not set' % k)
    if obj['kind'] != 'Secret' or obj['apiVersion'] != 'v1':
        die('error: resource mapping not found for kind "%s" in version "%s" (the stand-in '
            'knows Secret v1 only)' % (obj['kind'], obj['apiVersion']))
    unknown = set(obj) - {'apiVersion', 'kind', 'metadata', 'type', 'data', 'stringData', 'immutable'}
    if unknown:
        die('error: error validating "STDIN": error validating data: ValidationError(Secret): '
            'unknown field "%s" in io.k8s.api.core.v1.Secret' % sorted(unknown)[0])
    meta = obj.get('metadata') or {}
    if not meta.get('name'):
        die('error: error when retrieving current configuration: resource name may not be empty')
    ns = meta.get('namespace')
    if ns and ns_flag and ns != ns_flag:
        die('error: the namespace from the provided object "%s" does not match the namespace "%s". '
            'You must pass \'--namespace=%s\' to perform this operation.' % (ns, ns_flag, ns))
    data = {}
    for k, v in (obj.get('data') or {}).items():
        try:
            base64.b64decode(v, validate=True)
        except (TypeError, ValueError):
            die('Error from server (BadRequest): error when creating "STDIN": Secret in version '
                '"v1" cannot be handled as a Secret: illegal base64 data at input byte 0')
        data[k] = v
    for k, v in (obj.get('stringData') or {}).items():
        if not isinstance(v, str):
            die('error: error validating "STDIN": stringData.%s must be a string' % k)
        data[k] = base64.b64encode(v.encode()).decode()
    return {'apiVersion': 'v1', 'kind': 'Secret', 'type': obj.get('type', 'Opaque'), 'data': data,
            'metadata': {'name': meta['name'], 'namespace': ns or ns_flag or 'default'}}


def apply(args, ns, stdin):
    if args[:1] != ['-f'] and not (args and args[0].startswith('--filename')):
        die('error: must specify one of -f and -k')
    src = args[1] if args[0] == '-f' else args[0].split('=', 1)[1]
    text = stdin if src == '-' else open(src).read()
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        die('error: error parsing STDIN: %s' % e)
    if not docs:
        die('error: no objects passed to apply')
    for d in docs:
        obj = normalize_secret(d, ns)
        old = load(obj['metadata']['namespace'], obj['metadata']['name'])
        save(obj)
        print('secret/%s %s' % (obj['metadata']['name'],
                                'created' if old is None else 'unchanged' if old == obj else 'configured'))


def create(args, ns):
    if args[:2] != ['secret', 'generic'] or len(args) < 3:
        die('error: the stand-in kubectl creates only "secret generic NAME"')
    name, data, dry, out = args[2], {}, False, None
    rest = args[3:]
    while rest:
        a = rest.pop(0)
        if a.startswith('--from-file='):
            spec = a.split('=', 1)[1]
            key, _, path = spec.rpartition('=') if '=' in spec else (os.path.basename(spec), '', spec)
            with open(path, 'rb') as f:
                data[key] = base64.b64encode(f.read()).decode()
        elif a.startswith('--from-literal='):
            k, _, v = a.split('=', 1)[1].partition('=')
            data[k] = base64.b64encode(v.encode()).decode()
        elif a.startswith('--dry-run'):
            dry = True
        elif a == '-o':
            out = rest.pop(0)
        elif a.startswith('-o='):
            out = a[3:]
        else:
            die('error: unknown flag: %s' % a)
    obj = {'apiVersion': 'v1', 'kind': 'Secret', 'type': 'Opaque', 'data': data,
           'metadata': {'name': name, 'namespace': ns or 'default'}}
    if dry:
        sys.stdout.write(yaml.safe_dump(obj) if out == 'yaml' else json.dumps(obj, indent=2) + '\n')
        return
    if load(obj['metadata']['namespace'], name) is not None:
        die('error: failed to create secret secrets "%s" already exists' % name)
    save(obj)
    print('secret/%s created' % name)


def main(argv):
    stdin = sys.stdin.read() if not sys.stdin.isatty() else ''
    os.makedirs(DIR, exist_ok=True)
    with open(os.path.join(DIR, 'calls.jsonl'), 'a') as f:
        f.write(json.dumps({'argv': argv, 'stdin': stdin}) + '\n')
    ns, args = None, []
    it = iter(argv)
    for a in it:
        if a in ('-n', '--namespace'):
            ns = next(it, None) or die('error: flag needs an argument: -n')
        elif a.startswith('--namespace='):
            ns = a.split('=', 1)[1]
        elif a.startswith('--context'):
            if '=' not in a:
                next(it, None)
        else:
            args.append(a)
    if not args:
        die('error: no command')
    cmd, rest = args[0], args[1:]
    if cmd == 'apply':
        apply(rest, ns, stdin)
    elif cmd == 'create':
        create(rest, ns)
    elif cmd in ('get', 'delete') and rest[:1] in (['secret'], ['secrets']) and len(rest) >= 2:
        obj = load(ns or 'default', rest[1])
        if obj is None:
            die('Error from server (NotFound): secrets "%s" not found' % rest[1])
        if cmd == 'delete':
            os.unlink(path_of(ns or 'default', rest[1]))
            print('secret "%s" deleted' % rest[1])
        else:
            print(json.dumps(obj, indent=2))
    else:
        die('error: unknown command "%s" for "kubectl" (the stand-in)' % cmd)


if __name__ == '__main__':
    main(sys.argv[1:])
