"""rotate and destroy across accounts at once (--parallelism, engine/runner.h, the loop apply
uses): accounts really run side by side, --parallelism 1 one after another; a failed account
stops only itself (the others rotate, the table lists each, exit 1); Ctrl-C during a parallel
rotate lets every account under way reach a safe point (every active key held) and leaves the
queued ones not started; every output line is whole and names its account."""
import json
import os
import re
import signal
import unittest

from e2e_fixture import LifecycleCase

STEP_LINE = re.compile(r"^service-p\d\d: done    (created|deactivated|deleted) access key AKIA\w+$"
                       r"|^service-p\d\d: done    access key AKIA\w+ works \(STS GetCallerIdentity\)$"
                       r"|^service-p\d\d: done    delivered access key AKIA\w+ to profile service-p\d\d$"
                       r"|^service-p\d\d: done    tagged the grace period of access key AKIA\w+$")


class LifecycleParallel(LifecycleCase):
    def accounts(self, n, deliver=None):
        """n managed users service-pNN, each with one key held in its profile; their manifests."""
        out = []
        for i in range(n):
            name = 'p%02d' % i
            self.make_user('service-' + name)
            key, secret = self.make_key('service-' + name)
            self.write_profile('service-' + name, key, secret)
            out.append(self.manifest(name, deliver=deliver(name) if deliver else ('profile',)))
        return out

    def order(self, *actions):
        return [e['action'] for e in self.ep.log() if e['action'] in actions]

    def assert_every_active_key_held(self, n):
        for i in range(n):
            user = 'service-p%02d' % i
            active = [k for k, st in self.keys(user).items() if st == 'Active']
            self.assertEqual(active, [self.profile(user)[0]], user)

    def test_rotate_runs_accounts_side_by_side_and_lines_are_whole(self):
        ms = self.accounts(6)
        self.ep.reset_counts()
        self.ep.set_faults('latency=80')
        p = self.kw('rotate', '--delete-old', *ms)
        self.ep.clear_faults()
        self.assertEqual(p.returncode, 0, p.stderr)
        # every account created its key before any old key was deactivated: side by side
        self.assertEqual(self.order('CreateAccessKey', 'UpdateAccessKey')[:6], ['CreateAccessKey'] * 6)
        self.assert_every_active_key_held(6)
        for line in p.stderr.splitlines():  # whole lines, each naming its account
            self.assertRegex(line, STEP_LINE)
        self.assertNotIn('\r', p.stderr)  # no progress line in a pipe
        rows = [l.split()[0] for l in p.stdout.splitlines() if l.startswith('service-p')]
        self.assertEqual(rows, ['service-p%02d' % i for i in range(6)])  # the table in the accounts' order
        # one at a time: one account's whole rotation before the next, no prefix
        self.ep.reset_counts()
        p = self.kw('rotate', '--delete-old', '--parallelism', '1', *ms)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.order('CreateAccessKey', 'DeleteAccessKey'), ['CreateAccessKey', 'DeleteAccessKey'] * 6)
        self.assertNotRegex(p.stderr, r'service-p00: ')
        self.assert_every_active_key_held(6)

    def test_rotate_json_rows_carry_the_account(self):
        ms = self.accounts(3)
        p = self.kw('-o', 'json', 'rotate', *ms)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([r['Account'] for r in json.loads(p.stdout)], ['service-p00', 'service-p01', 'service-p02'])

    def test_a_failed_account_stops_only_itself(self):
        ms = self.accounts(4, deliver=lambda name: [{'exec': 'cat >/dev/null; exit 3'}] if name == 'p01'
                           else ['profile'])
        old = {i: self.profile('service-p%02d' % i)[0] for i in range(4)}
        p = self.kw('rotate', *ms)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn('error: service-p01:', p.stderr)
        self.assertEqual(self.keys('service-p01'), {old[1]: 'Active'})  # its new key deleted, old one kept
        for i in (0, 2, 3):
            user = 'service-p%02d' % i
            new = self.profile(user)[0]
            self.assertNotEqual(new, old[i])
            self.assertEqual(self.keys(user), {old[i]: 'Inactive', new: 'Active'})
        rows = {l.split()[0]: l.split() for l in p.stdout.splitlines() if l.startswith('service-p')}
        self.assertEqual(list(rows), ['service-p%02d' % i for i in range(4)])  # each account, in order
        self.assertEqual(rows['service-p01'][1:4], [old[1], '-', 'still'])  # no new key, old one active

    def test_ctrl_c_during_a_parallel_rotate(self):
        n = 10
        ms = self.accounts(n)
        self.ep.reset_counts()
        self.ep.set_faults('latency=150')
        p = self.spawn('rotate', '--delete-old', '--parallelism', '3', '--confirm-timeout', '20', *ms)
        self.wait_for_request(p, 'CreateAccessKey')
        os.kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=120)
        self.ep.clear_faults()
        self.assertEqual(p.returncode, 1, out + err)
        self.assertIn('interrupted', err)
        created = self.ep.counts().get('CreateAccessKey', 0)
        self.assertGreaterEqual(created, 1)
        self.assertLess(created, n)  # the queued accounts never got that far
        m = re.search(r'not rotated \(not started\): (.*)', err)
        self.assertTrue(m, err)
        self.assertEqual(len(m.group(1).split(', ')) + created, n, err)
        self.assert_every_active_key_held(n)  # no key that nobody holds
        again = self.kw('rotate', '--delete-old', *ms)  # the rest rotates on the next run
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assert_every_active_key_held(n)

    def test_destroy_runs_accounts_side_by_side_a_refusal_stops_only_its_own(self):
        ms = self.accounts(5)
        self.make_user('service-other', managed=False)
        self.ep.reset_counts()
        self.ep.set_faults('latency=80')
        p = self.kw('destroy', '--auto-approve', *ms, 'service-other')
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn('service-other: not tagged managed-by', p.stderr)
        self.assertEqual(self.order('DeleteAccessKey', 'DeleteUser')[:5], ['DeleteAccessKey'] * 5)
        for i in range(5):
            self.assert_gone('get-user', '--user-name', 'service-p%02d' % i)
        self.iam('get-user', '--user-name', 'service-other')  # left alone
        table = {l.split()[0]: l for l in p.stdout.splitlines() if l.startswith('service-')}
        self.assertEqual(list(table), ['service-p%02d' % i for i in range(5)] + ['service-other'])
        self.assertIn('refused', table['service-other'])
        self.assertEqual(len(re.findall(r'^service-p\d\d: removed profile', p.stderr, re.M)), 5)  # targets too
        for line in p.stderr.splitlines():
            if line.startswith('service-p'):
                self.assertRegex(line, r'^service-p\d\d: (done    .* service-p\d\d|\d+ steps|removed profile service-p\d\d)$')


if __name__ == '__main__':
    unittest.main(verbosity=2)
