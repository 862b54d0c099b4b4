"""The whole life of a service account with the real manifests' shape: apply, audit clean,
rotate (the grace tag is not drift for plan), audit --prune-unused after the grace period,
destroy, and plan wanting to create it all again."""
import os
import unittest

from e2e_fixture import DAY, LifecycleCase

POLICY = ('{"Version": "2012-10-17", "Statement": [{"Sid": "Inventory", "Effect": "Allow", '
          '"Action": ["ec2:DescribeInstances", "ec2:DescribeRegions"], "Resource": "*"}]}\n')


class Flow(LifecycleCase):
    def test_apply_audit_rotate_prune_destroy(self):
        with open(os.path.join(self.work, 'inventory.json'), 'w') as f:
            f.write(POLICY)
        m = os.path.join(self.work, 'inventory.yaml')
        with open(m, 'w') as f:
            f.write('apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata:\n  name: inventory\n'
                    'spec:\n  policies:\n    - inline: inventory.json\n'
                    '    - managed: arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess\n'
                    '  mfa: none\n  accessKeys:\n    maxAgeDays: 30\n'
                    '    deliver:\n      - profile: service-inventory\n')

        self.ep.set_clock_offset(-10 * DAY)  # applied ten days ago
        p = self.kw('apply', '--auto-approve', m)
        self.assertEqual(p.returncode, 0, p.stderr)
        first, _ = self.profile('service-inventory')

        data, _ = self.kw_json('audit', m, code=0)
        self.assertEqual(data['findings'], [])
        self.assertEqual([k['access_key_id'] for k in data['keys']], [first])

        p = self.kw('rotate', '--grace', '7', m)   # still ten days ago
        self.assertEqual(p.returncode, 0, p.stderr)
        self.ep.set_clock_offset(0)
        second, _ = self.profile('service-inventory')
        self.assertEqual(self.keys('service-inventory'), {first: 'Inactive', second: 'Active'})

        # keywarden's own grace tag is not drift; nothing to do
        p = self.kw('plan', m)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

        data, _ = self.kw_json('audit', '--prune-unused', '--yes', m, code=3)
        self.assertEqual([f['code'] for f in data['findings']], ['grace-expired'])
        self.assertEqual([(x['access_key_id'], x['result']) for x in data['prune']], [(first, 'deleted')])
        self.assertEqual(self.keys('service-inventory'), {second: 'Active'})
        self.kw_json('audit', m, code=0)

        p = self.kw('destroy', '--auto-approve', m)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_gone('get-user', '--user-name', 'service-inventory')
        self.assert_gone('get-group', '--group-name', 'service-inventory')
        p = self.kw('-o', 'json', 'plan', m)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn('service-inventory', p.stdout)


if __name__ == '__main__':
    unittest.main(verbosity=2)
