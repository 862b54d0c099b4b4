"""Every manifest shipped in manifests/ applied end to end, as a new user would: validate, then
one `apply` of the whole folder against the local endpoint with a stand-in kubectl on PATH
(tests/e2e/standin_kubectl.py: records argv and stdin, checks and keeps Secrets as the real one
does), then `rotate` of the Kubernetes-delivered accounts. Each account's key must work and be
where its software reads it: cert-manager's Route 53 solver (two keys of one Secret), external-
dns (a credentials file in a Secret), Ansible and Velero (profiles; Velero's region), the cluster
autoscaler (stdout). rotate replaces the Secrets (kubectl apply, never `create`, which fails the
second time). No live key is written inside the repository, and .gitignore covers the key folder
the docs ever suggested."""
import base64
import configparser
import json
import os
import shutil
import subprocess
import unittest

from e2e_fixture import LifecycleCase

SOURCE = os.environ.get('KW_SOURCE_DIR') or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MANIFESTS = sorted(f for f in os.listdir(os.path.join(SOURCE, 'manifests')) if f.endswith('.yaml'))


class ShippedManifests(LifecycleCase):
    def setUp(self):
        super().setUp()
        # a copy of the repository's manifests and policies, as a clone has them
        self.repo = os.path.join(self.work, 'repo')
        for d in ('manifests', 'policies'):
            shutil.copytree(os.path.join(SOURCE, d), os.path.join(self.repo, d))
        self.kube = os.path.join(self.work, 'kube')
        bindir = os.path.join(self.work, 'bin')
        os.makedirs(bindir)
        with open(os.path.join(bindir, 'kubectl'), 'w') as f:
            f.write('#!/bin/sh\nexec /usr/bin/python3 %s "$@"\n'
                    % os.path.join(SOURCE, 'tests', 'e2e', 'standin_kubectl.py'))
        os.chmod(os.path.join(bindir, 'kubectl'), 0o755)
        self.kenv = dict(self.env, PATH=bindir + os.pathsep + self.env['PATH'], KUBECTL_STANDIN_DIR=self.kube)
        self.seeds = os.path.join(self.work, 'seeds') + '/'

    def run_kw(self, *args):
        p = self.kw(*args, env=self.kenv)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p

    def secret_data(self, ns, name):
        with open(os.path.join(self.kube, 'objects', ns, name + '.json')) as f:
            obj = json.load(f)
        self.assertEqual((obj['kind'], obj['type']), ('Secret', 'Opaque'))
        data = {k: base64.b64decode(v).decode() for k, v in obj['data'].items()}
        return data

    def cert_manager_key(self):
        d = self.secret_data('cert-manager', 'route53-credentials')
        self.assertEqual(set(d), {'access-key-id', 'secret-access-key'})  # what the solver reads
        self.secrets.add(d['secret-access-key'])
        return d['access-key-id'], d['secret-access-key']

    def external_dns_key(self):
        d = self.secret_data('external-dns', 'external-dns-aws')
        cp = configparser.ConfigParser()
        cp.read_string(d['credentials'])
        key = cp['default']['aws_access_key_id'], cp['default']['aws_secret_access_key']
        self.secrets.add(key[1])
        return key

    def calls(self):
        with open(os.path.join(self.kube, 'calls.jsonl')) as f:
            return [json.loads(line) for line in f]

    def assert_works(self, user, key):
        self.assertEqual(self.keys(user), {key[0]: 'Active'})
        self.assertTrue(self.use_key(*key).endswith(':user/service/' + user), user)

    def test_every_shipped_manifest_applies_and_rotates(self):
        self.assertEqual(len(MANIFESTS), 5, MANIFESTS)
        mdir = os.path.join(self.repo, 'manifests')
        self.run_kw('validate', mdir)
        p = self.run_kw('apply', '--auto-approve', '--confirm-timeout', '10', '--mfa-seed-out', self.seeds, mdir)
        # stdout: the cluster autoscaler's key, alone on standard output (JSON Lines)
        (line,) = p.stdout.splitlines()
        ca = json.loads(line)
        self.secrets.add(ca['SecretAccessKey'])
        self.assertEqual(ca['UserName'], 'service-cluster-autoscaler')
        self.assert_works('service-cluster-autoscaler', (ca['AccessKeyId'], ca['SecretAccessKey']))
        # profiles
        self.assert_works('service-ansible', self.profile('service-ansible'))
        self.assert_works('service-velero', self.profile('service-velero'))
        cfg = configparser.RawConfigParser()
        cfg.read(self.env['AWS_CONFIG_FILE'])
        self.assertEqual(cfg['profile service-velero']['region'], 'eu-west-1')
        # Kubernetes secrets, through `kubectl apply -f -` with the Secret on stdin
        cm, dns = self.cert_manager_key(), self.external_dns_key()
        self.assert_works('service-cert-manager', cm)
        self.assert_works('service-external-dns', dns)
        self.assertEqual([c['argv'] for c in self.calls()], [['apply', '-f', '-'], ['apply', '-f', '-']])
        # rotate: the same Secrets now hold the new keys; the old keys are inactive
        self.run_kw('rotate', '--confirm-timeout', '10', os.path.join(mdir, 'service-cert-manager.yaml'),
                    os.path.join(mdir, 'service-external-dns.yaml'))
        cm2, dns2 = self.cert_manager_key(), self.external_dns_key()
        self.assertNotEqual(cm2[0], cm[0])
        self.assertNotEqual(dns2[0], dns[0])
        self.assertEqual(self.keys('service-cert-manager'), {cm[0]: 'Inactive', cm2[0]: 'Active'})
        self.use_key(*cm2)
        self.use_key(*dns2)
        self.assertEqual(len(self.calls()), 4)
        # no live key inside the repository copy (nor a seed)
        for root, _, files in os.walk(self.repo):
            for name in files:
                with open(os.path.join(root, name), errors='replace') as f:
                    text = f.read()
                for s in self.secrets:
                    self.assertNotIn(s, text, os.path.join(root, name))

    def test_no_manifest_writes_inside_the_repository_and_gitignore_covers_key_folders(self):
        import yaml
        for name in MANIFESTS:
            with open(os.path.join(SOURCE, 'manifests', name)) as f:
                doc = yaml.safe_load(f)
            for d in doc['spec']['accessKeys']['deliver']:
                self.assertNotIn('file', d, '%s writes a key file (inside the repository)' % name)
        with open(os.path.join(SOURCE, '.gitignore')) as f:
            ignored = f.read().split()
        self.assertIn('/secrets/', ignored)   # the folder an older example suggested


if __name__ == '__main__':
    unittest.main()
