"""ECS task credentials through AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, end to end.

The relative URI is always fetched from http://169.254.170.2 (port 80), a link-local address
neither botocore nor keywarden lets anyone change (botocore's ContainerMetadataFetcher has it
as a class constant). Rather than add a knob only tests would use, this test gives the real
address to a private network namespace: run as root, it re-executes itself under
`unshare --net`, brings up `lo` there, adds 169.254.170.2/32 to it and forwards
169.254.170.2:80 to the local endpoint's container route on 127.0.0.1. keywarden then runs its
real code path, unchanged: `whoami` names the task role, the endpoint counts the fetch, and
expired task credentials are fetched again. Without root or network namespaces the test is
skipped, saying why.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.environ.get('KW_SOURCE_DIR', '.'), 'tests', 'lib'))
import kwtest  # noqa: E402

KEYWARDEN = os.environ.get('KEYWARDEN', 'build/test/keywarden')
ECS_ADDRESS = '169.254.170.2'
INSIDE = 'KW_TEST_IN_NETNS'


def netns_ready():
    """In the private namespace: lo up with the ECS address. Returns why not, or None."""
    for cmd in (['ip', 'link', 'set', 'lo', 'up'],
                ['ip', 'addr', 'add', ECS_ADDRESS + '/32', 'dev', 'lo']):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            return '%s: %s' % (' '.join(cmd), r.stderr.strip())
    return None


class Forwarder:
    """169.254.170.2:80 -> 127.0.0.1:port, one thread per connection (both directions)."""

    def __init__(self, port):
        self.port = port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ECS_ADDRESS, 80))
        self.sock.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            u = socket.create_connection(('127.0.0.1', self.port))
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self):
        self.sock.close()


class RelativeUri(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.environ.get(INSIDE) != 'ready':
            raise unittest.SkipTest('needs root and network namespaces (unshare --net): %s'
                                    % os.environ.get(INSIDE, 'not started through main()'))
        cls.ep = kwtest.Endpoint().__enter__()
        cls.fwd = Forwarder(cls.ep.port)

    @classmethod
    def tearDownClass(cls):
        cls.fwd.close()
        cls.ep.__exit__(None, None, None)

    def setUp(self):
        self.ep.reset_state()
        self.ep.set_clock_offset(0)
        self.tmp = tempfile.TemporaryDirectory()
        self.env = kwtest.aws_env(self.ep, self.tmp.name)
        with kwtest.AwsCli(self.env) as cli:
            cli('iam', 'create-role', '--role-name', 'task', '--assume-role-policy-document',
                kwtest.trust_policy(self.ep.account_id))
        self.ep.settle()
        # no keys in the files: the chain reaches the container provider
        with open(self.env['AWS_SHARED_CREDENTIALS_FILE'], 'w') as f:
            f.write('')
        self.env.pop('AWS_ENDPOINT_URL')
        with open(self.env['AWS_CONFIG_FILE'], 'w') as f:
            f.write('[default]\nregion = us-east-1\nendpoint_url = %s\n' % self.ep.url)
        self.ep.control('PUT', 'container', {'id': 'ecs-task-9', 'role': 'task', 'token': None})

    def tearDown(self):
        self.tmp.cleanup()

    def whoami(self, env, code=0):
        r = subprocess.run([KEYWARDEN, '-vv', 'whoami', '-o', 'json'], capture_output=True,
                           text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
        self.assertNotIn(self.ep.secret_access_key, r.stdout + r.stderr)
        self.assertEqual(r.returncode, code, r.stderr)
        return (json.loads(r.stdout) if code == 0 else None), r

    def test_the_task_role_from_169_254_170_2(self):
        env = dict(self.env, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI='/v2/credentials/ecs-task-9')
        self.ep.reset_counts()
        out, r = self.whoami(env)
        self.assertEqual(out['Provider'], 'container-role')
        self.assertEqual(out['Arn'], 'arn:aws:sts::%s:assumed-role/task/container-ecs-task-9'
                         % self.ep.account_id)
        self.assertIn('http://169.254.170.2/v2/credentials/ecs-task-9', r.stderr)
        c = self.ep.counts()
        self.assertEqual((c.get('Container:GetCredentials'), c.get('GetCallerIdentity')), (1, 1))
        # the answer's secret never shows
        self.assertNotIn('SecretAccessKey', r.stderr)

    def test_a_relative_uri_the_agent_does_not_know_is_an_error(self):
        env = dict(self.env, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI='/v2/credentials/other')
        _, r = self.whoami(env, 1)
        self.assertIn('169.254.170.2', r.stderr)
        self.assertIn('404', r.stderr)

    def test_expired_task_credentials_are_fetched_again(self):
        env = dict(self.env, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI='/v2/credentials/ecs-task-9')
        # the endpoint's clock 59 minutes behind: the hour-long credentials end in 60 s, inside
        # the refresh margin, so the first call already fetches them again
        self.ep.set_clock_offset(-(3600 - 60))
        self.ep.reset_counts()
        out, r = self.whoami(env)
        self.assertIn(':assumed-role/task/', out['Arn'])
        self.assertEqual(self.ep.counts().get('Container:GetCredentials'), 2)
        self.assertIn('expire: refreshing', r.stderr)


def main():
    if os.environ.get(INSIDE) is None:
        probe = subprocess.run(['unshare', '--net', 'true'], capture_output=True, text=True) \
            if os.geteuid() == 0 else None
        if probe is not None and probe.returncode == 0:
            env = dict(os.environ, **{INSIDE: 'starting'})
            r = subprocess.run(['unshare', '--net', sys.executable, os.path.abspath(__file__)]
                               + sys.argv[1:], env=env)
            if r.returncode != 126:
                sys.exit(r.returncode)
            os.environ[INSIDE] = 'unshare --net failed'
        else:
            os.environ[INSIDE] = 'not root' if probe is None else probe.stderr.strip()
    elif os.environ[INSIDE] == 'starting':
        why = netns_ready()
        if why:
            # tell the parent to run the (skipped) tests outside
            sys.stderr.write('network namespace not usable: %s\n' % why)
            sys.exit(126)
        os.environ[INSIDE] = 'ready'
    unittest.main()


if __name__ == '__main__':
    main()
