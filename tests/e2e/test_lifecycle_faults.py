"""rotate, audit and destroy under throttling (throttle=0.3) and IAM's 409 ConcurrentModification
(conflict=0.2): each completes, with the engine-level retries of util/wait on top of the client's
own, and the faults are shown to have been injected (the endpoint's count)."""
import unittest

from e2e_fixture import LifecycleCase

SPECS = {'throttle': 'seed=%d,throttle=0.3', 'conflict': 'seed=%d,conflict=0.2'}


class LifecycleUnderFaults(LifecycleCase):
    def faulted(self, kind, seed, *args):
        """Run keywarden under the fault; assert that faults were injected; clear them."""
        self.ep.set_faults(SPECS[kind] % seed)
        p = self.kw(*args)
        injected = self.ep.faults().get('injected', 0)
        self.ep.clear_faults()
        self.assertGreater(injected, 0, 'no fault was injected')
        return p

    def two_accounts(self):
        for name in ('a', 'b'):
            self.make_user('service-' + name)
            k, s = self.make_key('service-' + name, age_days=100, used_days_ago=1)
            self.write_profile('service-' + name, k, s)
        return [self.manifest('a'), self.manifest('b')]

    def rotate(self, kind, seed):
        ms = self.two_accounts()
        old = {u: self.profile(u)[0] for u in ('service-a', 'service-b')}
        p = self.faulted(kind, seed, 'rotate', '--delete-old', '--confirm-timeout', '20', *ms)
        self.assertEqual(p.returncode, 0, p.stderr)
        for u in ('service-a', 'service-b'):
            new, secret = self.profile(u)
            self.assertNotEqual(new, old[u])
            self.assertEqual(self.keys(u), {new: 'Active'})  # the held key alone: no orphan
            self.use_key(new, secret)

    def audit(self, kind, seed):
        ms = self.two_accounts()
        p = self.faulted(kind, seed, '-o', 'json', 'audit', *ms)
        self.assertEqual(p.returncode, 3, p.stderr)  # key-too-old: the findings, not an error
        self.assertIn('key-too-old', p.stdout)

    def destroy(self, kind, seed):
        ms = self.two_accounts()
        p = self.faulted(kind, seed, 'destroy', '--auto-approve', *ms)
        self.assertEqual(p.returncode, 0, p.stderr)
        for u in ('service-a', 'service-b'):
            self.assert_gone('get-user', '--user-name', u)
            self.assert_gone('get-group', '--group-name', u)

    def test_rotate_throttled(self):
        self.rotate('throttle', 31)

    def test_rotate_conflicts(self):
        self.rotate('conflict', 32)

    def test_audit_throttled(self):
        self.audit('throttle', 33)

    def test_audit_conflicts(self):
        self.audit('conflict', 34)

    def test_destroy_throttled(self):
        self.destroy('throttle', 35)

    def test_destroy_conflicts(self):
        self.destroy('conflict', 36)


if __name__ == '__main__':
    unittest.main(verbosity=2)
