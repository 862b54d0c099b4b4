"""destroy removes what keywarden delivered for the account: its secret and parameter (tagged
managed-by: keywarden and keywarden:user) and its key file, says what it removed, and keeps a
secret that is another account's; read back with the AWS CLI."""
import os
import unittest

from e2e_fixture import LifecycleCase

import kwtest


class DestroyTargets(LifecycleCase):
    def test_destroy_removes_delivered_secret_parameter_and_file(self):
        key_file = os.path.join(self.work, 'app.env')
        m = self.manifest('app', deliver=({'secretsManager': {'name': 'service/app/aws'}},
                                          {'ssmParameter': {'name': '/service/app/aws-key'}},
                                          {'file': key_file}))
        p = self.kw('apply', '--auto-approve', '--confirm-timeout', '10', m)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(key_file))
        # another account's secret, named by a second manifest of this one: kept
        self.cli('secretsmanager', 'create-secret', '--name', 'service/other/aws', '--secret-string', '{}',
                 '--tags', 'Key=managed-by,Value=keywarden', 'Key=keywarden:user,Value=service-other')
        with open(m, 'a') as f:
            f.write('      - secretsManager: {"name": "service/other/aws"}\n')
        p = self.kw('destroy', '--auto-approve', m)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for what in ('secretsManager service/app/aws', 'ssmParameter /service/app/aws-key', 'file ' + key_file):
            self.assertIn('service-app: removed %s' % what, p.stderr)
        self.assertIn('kept secretsManager service/other/aws', p.stderr)
        with self.assertRaises(kwtest.AwsError) as cm:
            kwtest.aws(self.env, 'secretsmanager', 'describe-secret', '--secret-id', 'service/app/aws')
        self.assertEqual(cm.exception.code, 'ResourceNotFoundException')
        with self.assertRaises(kwtest.AwsError) as cm:
            self.cli('ssm', 'get-parameter', '--name', '/service/app/aws-key')
        self.assertEqual(cm.exception.code, 'ParameterNotFound')
        self.assertFalse(os.path.exists(key_file))
        self.cli('secretsmanager', 'describe-secret', '--secret-id', 'service/other/aws')
        self.assert_gone('get-user', '--user-name', 'service-app')
        counts = self.ep.counts()
        self.assertEqual((counts['DeleteSecret'], counts['DeleteParameter']), (1, 1))
        # again (a pipeline's rerun, --missing-ok): nothing left, nothing removed, exit 0
        p = self.kw('destroy', '--auto-approve', '--missing-ok', m)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn('removed', p.stderr)


if __name__ == '__main__':
    unittest.main()
