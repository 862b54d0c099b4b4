"""metadata.account: plan, apply, rotate and destroy compare it with the caller's account (STS
GetCallerIdentity, once per run) before any write, and refuse with exit 1 naming both when they
differ; manifests that name different accounts are refused in one run."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import LifecycleCase  # noqa: E402

WRITES = ('Create', 'Delete', 'Put', 'Attach', 'Detach', 'Add', 'Remove', 'Tag', 'Untag', 'Enable',
          'Deactivate', 'Update')


class AccountPin(LifecycleCase):
    def writes(self):
        return {a: n for a, n in self.ep.counts().items() if a.startswith(WRITES)}

    def test_another_account_is_refused_before_any_write(self):
        path = self.pinned('app', '210987654321')
        self.make_user('service-app')
        self.make_key('service-app')
        for args in (('plan', path), ('apply', '--auto-approve', path), ('rotate', path),
                     ('destroy', '--auto-approve', path)):
            self.ep.reset_counts()
            p = self.kw(*args)
            self.assertEqual(p.returncode, 1, (args, p.stdout, p.stderr))
            self.assertIn('is for account 210987654321 (metadata.account) but the credentials are of '
                          'account %s' % self.ep.account_id, p.stderr)
            self.assertIn(path, p.stderr)
            self.assertEqual(self.writes(), {}, args)
            self.assertEqual(self.ep.counts().get('GetCallerIdentity'), 1, args)

    def test_the_callers_account_goes_ahead(self):
        path = self.pinned('app', self.ep.account_id)
        p = self.kw('plan', path)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(self.ep.counts().get('GetCallerIdentity'), 1)
        # without a pin, no extra call
        self.ep.reset_counts()
        p = self.kw('plan', self.manifest('other'))
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertNotIn('GetCallerIdentity', self.ep.counts())

    def test_manifests_for_different_accounts_in_one_run(self):
        a = self.pinned('one', self.ep.account_id)
        b = self.pinned('two', '210987654321')
        p = self.kw('plan', a, b)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn('metadata.account 210987654321 differs from %s' % self.ep.account_id, p.stderr)
        self.assertIn('one job per account', p.stderr)
        self.assertEqual(self.writes(), {})

    def test_validate_checks_the_field(self):
        path = self.pinned('app', '12345')
        p = self.kw('validate', path)
        self.assertEqual(p.returncode, 1)
        self.assertIn('metadata.account', p.stderr)
        self.assertIn('12 digits', p.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
