"""The credential cache (~/.aws/cli/cache) survives keywarden being killed while it writes.

A real SIGKILL at three points of the cache entry's atomic write, held there by strace's
syscall delay injection (no hook in keywarden): just after the temporary file is created
(fchmod, nothing written yet), after the new entry is written but before it replaces the old
(the temporary file's fsync), and just after the rename (the folder's fsync). Each time the
entry is either the old file or the new one, whole (valid JSON botocore would read), and the
next run works: it uses a whole new entry, or assumes the role again over the old, expiring
one. strace's log shows the delay was injected and the process killed in it.
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.environ.get('KW_SOURCE_DIR', '.'), 'tests', 'lib'))
import kwtest  # noqa: E402

KEYWARDEN = os.path.abspath(os.environ.get('KEYWARDEN', 'build/test/keywarden'))
DELAY = '6s'   # how long strace holds the call; the kill comes while it is held


def ptrace_works():
    if not shutil.which('strace'):
        return 'strace is not installed'
    r = subprocess.run(['strace', '-o', '/dev/null', 'true'], capture_output=True, text=True)
    return None if r.returncode == 0 else 'strace cannot trace: %s' % r.stderr.strip()


class CacheKill(kwtest.EndpointCase):
    @classmethod
    def setUpClass(cls):
        why = ptrace_works()
        if why:
            raise unittest.SkipTest(why)
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.ep.set_clock_offset(0)
        self.tmp = tempfile.TemporaryDirectory()
        self.env = kwtest.aws_env(self.ep, self.tmp.name)
        self.cache = os.path.join(self.env['HOME'], '.aws', 'cli', 'cache')
        with kwtest.AwsCli(self.env) as cli:
            self.role = cli('iam', 'create-role', '--role-name', 'ops', '--assume-role-policy-document',
                            kwtest.trust_policy(self.ep.account_id))['Role']['Arn']
        self.ep.settle()
        with open(self.env['AWS_CONFIG_FILE'], 'w') as f:
            f.write('[default]\nregion = us-east-1\n[profile ops]\nrole_arn = %s\n'
                    'source_profile = default\n' % self.role)

    def tearDown(self):
        self.tmp.cleanup()

    def whoami(self):
        r = subprocess.run([KEYWARDEN, '--profile', 'ops', 'whoami', '-o', 'json'], capture_output=True,
                           text=True, env=self.env, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(self.ep.secret_access_key, r.stdout + r.stderr)
        return json.loads(r.stdout)

    def entry(self):
        files = glob.glob(os.path.join(self.cache, '*.json'))
        self.assertEqual(len(files), 1, files)
        return files[0]

    def temps(self):
        return glob.glob(os.path.join(self.cache, '.*.tmp'))

    def expiring_old_entry(self):
        """A whole entry with 10 minutes left: inside botocore's 15-minute window, so the next
        run assumes the role again and writes a new one over it. Returns its bytes."""
        self.whoami()
        path = self.entry()
        with open(path) as f:
            doc = json.load(f)
        doc['Credentials']['Expiration'] = time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                                         time.gmtime(time.time() + 600))
        with open(path, 'w') as f:
            json.dump(doc, f)
        with open(path, 'rb') as f:
            return f.read()

    def kill_during(self, syscall, when, ready):
        """Run whoami under strace holding the when-th call of syscall; once ready() says it
        is held there, SIGKILL keywarden. Returns strace's log."""
        log = os.path.join(self.tmp.name, 'strace.log')
        st = subprocess.Popen(['strace', '-f', '-o', log, '-e', 'trace=fchmod,fsync,renameat,rename',
                               '-e', 'inject=%s:delay_enter=%s:when=%d' % (syscall, DELAY, when),
                               KEYWARDEN, '--profile', 'ops', 'whoami', '-o', 'json'],
                              env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 60
            while not ready():
                self.assertIsNone(st.poll(), 'keywarden ended before the held call')
                self.assertLess(time.time(), deadline, 'never reached the held call')
                time.sleep(0.02)
            time.sleep(0.2)   # at the held call now (it waits DELAY)
            with open('/proc/%d/task/%d/children' % (st.pid, st.pid)) as f:
                child = int(f.read().split()[0])
            # the kill is pending while the call is held; when strace lets it go on, the
            # kernel skips the call (a fatal signal at syscall entry) and the process dies
            os.kill(child, signal.SIGKILL)
            st.wait(timeout=60)
        finally:
            if st.poll() is None:
                st.kill()
                st.wait()
        with open(log) as f:
            text = f.read()
        # the held call never returned ("= ?"): the process died in it
        self.assertRegex(text, r'\b%s\([^)]*\) += \?\n\d+ +\+\+\+ killed by SIGKILL \+\+\+\n$'
                         % syscall)
        self.assertEqual(len(re.findall(r'\b%s\(' % syscall, text)), when)
        return text

    def assert_whole(self, path):
        with open(path) as f:
            doc = json.load(f)   # valid JSON: never a torn file
        self.assertTrue(doc['Credentials']['AccessKeyId'].startswith('ASIA'))
        return doc

    def test_killed_before_anything_is_written(self):
        old = self.expiring_old_entry()
        self.kill_during('fchmod', 1, lambda: self.temps())
        with open(self.entry(), 'rb') as f:
            self.assertEqual(f.read(), old)       # the old file, untouched
        self.next_run_works(assumes=1)

    def test_killed_after_writing_before_the_rename(self):
        old = self.expiring_old_entry()

        def written():
            t = self.temps()
            return t and os.path.getsize(t[0]) > 100
        self.kill_during('fsync', 1, written)
        with open(self.entry(), 'rb') as f:
            self.assertEqual(f.read(), old)       # the old file, whole
        self.assertEqual(len(self.temps()), 1)    # the new one never replaced it
        self.assert_whole(self.temps()[0])
        self.next_run_works(assumes=1)

    def test_killed_just_after_the_rename(self):
        old = self.expiring_old_entry()
        path = self.entry()

        def replaced():
            with open(path, 'rb') as f:
                return f.read() != old
        self.kill_during('fsync', 2, replaced)
        doc = self.assert_whole(self.entry())    # the new file, whole
        with open(path, 'rb') as f:
            self.assertNotEqual(f.read(), old)
        self.assertEqual(self.temps(), [])
        # the next run uses it: no AssumeRole
        self.next_run_works(assumes=0, key=doc['Credentials']['AccessKeyId'])

    def next_run_works(self, assumes, key=None):
        self.ep.reset_counts()
        out = self.whoami()
        self.assertIn(':assumed-role/ops/', out['Arn'])
        self.assertEqual(self.ep.counts().get('AssumeRole', 0), assumes)
        self.assert_whole(self.entry())
        if key:
            self.assertEqual(self.ep.log()[-1]['access_key_id'], key)


if __name__ == '__main__':
    unittest.main()
