"""Ctrl-C (SIGINT) during keywarden rotate and destroy, against the local IAM endpoint.

The rule (src/util/interrupt.h): a stop request is honoured only at safe points. rotate never
stops between CreateAccessKey and "delivered and confirmed, or deleted", so afterwards every
active key of the user is held by someone (a delivery target, or the profile that held it
before), and the exit status says whether every key was rotated. destroy stops between steps;
running it again finishes the job.

Each test waits for a state it can see (a file the slow delivery command creates, a line on
keywarden's stderr, a request the endpoint answered) before sending the signal; nothing
asserts timings.
"""
import json
import os
import signal
import time
import unittest

from e2e_fixture import LifecycleCase

SLOW_EXEC = 'touch started && sleep 2 && cat > key.json'


class Interrupted(LifecycleCase):
    # -- running keywarden in the background and signalling it ------------------------------
    def spawn(self, *args):
        """Start keywarden in its own session (so a group signal reaches only it and its
        children); stderr goes to a file the test can poll."""
        errpath = os.path.join(self.work, 'stderr-%d' % len(os.listdir(self.work)))
        errfile = open(errpath, 'w+')
        self.addCleanup(errfile.close)
        p = super().spawn(*args, stderr=errfile)
        p.errpath = errpath
        return p

    def stderr(self, p):
        with open(p.errpath) as f:
            return f.read()

    def wait_for(self, p, what, cond, timeout=60):
        deadline = time.monotonic() + timeout
        while not cond():
            if p.poll() is not None:
                self.fail('keywarden ended (%s) before %s:\n%s' % (p.returncode, what, self.stderr(p)))
            if time.monotonic() > deadline:
                self.fail('no %s after %d s:\n%s' % (what, timeout, self.stderr(p)))
            time.sleep(0.05)

    def finish(self, p):
        """(exit status, stdout, stderr) once keywarden ends; no known secret in either."""
        out, _ = p.communicate(timeout=120)
        err = self.stderr(p)
        for s in self.secrets:
            self.assertNotIn(s, out)
            self.assertNotIn(s, err)
        return p.returncode, out, err

    # -- what the targets hold -----------------------------------------------------------------
    def delivered(self, name='key.json'):
        """(AccessKeyId, secret) the exec target wrote, or None."""
        path = os.path.join(self.work, name)
        if not os.path.exists(path):
            return None
        with open(path) as f:
            data = json.load(f)
        self.secrets.add(data['SecretAccessKey'])
        return data['AccessKeyId'], data['SecretAccessKey']

    def assert_every_active_key_held(self, user, *holders):
        active = {k for k, st in self.keys(user).items() if st == 'Active'}
        self.assertTrue(active, 'no active key left for %s' % user)
        self.assertLessEqual(active, set(holders), 'an active key nobody holds')

    def setup_app(self, deliver=({'exec': SLOW_EXEC},)):
        self.make_user('service-app')
        old, old_secret = self.make_key('service-app')
        return old, self.manifest('app', deliver=deliver)

    def sigint_during_delivery(self, *args, group=False):
        """rotate args; SIGINT once the slow exec target has started (to the process group, as
        a terminal's Ctrl-C, with group). Returns what finish returns."""
        p = self.spawn(*args)
        self.wait_for(p, 'delivery start', lambda: os.path.exists(os.path.join(self.work, 'started')))
        (os.killpg if group else os.kill)(p.pid, signal.SIGINT)
        return self.finish(p)

    # -- rotate -----------------------------------------------------------------------------------
    def test_sigint_during_slow_delivery_finishes_the_rotation(self):
        old, m = self.setup_app()
        code, out, err = self.sigint_during_delivery('rotate', '--confirm-timeout', '20', m)
        # the key was created before the signal: it is delivered, confirmed, and the rotation ends
        new, secret = self.delivered()
        self.assertEqual(code, 0, err)
        self.assertIn('interrupted (SIGINT)', err)
        self.assertIn('every key is rotated', err)
        self.assertEqual(self.keys('service-app'), {old: 'Inactive', new: 'Active'})
        self.assert_every_active_key_held('service-app', new)
        self.assertIn('keywarden:inactive:' + old, self.tags('service-app'))
        self.assertTrue(self.use_key(new, secret).endswith(':user/service-app'))

    def test_sigint_stops_before_the_next_account(self):
        # one account at a time: the second is still queued when the signal comes
        old, m = self.setup_app()
        self.make_user('service-web')
        web_old, web_secret = self.make_key('service-web')
        self.write_profile('service-web', web_old, web_secret)
        web = self.manifest('web')
        code, out, err = self.sigint_during_delivery('-o', 'json', 'rotate', '--parallelism', '1',
                                                     '--confirm-timeout', '20', m, web)
        self.assertEqual(code, 1, err)
        new, _ = self.delivered()
        self.assertEqual(self.keys('service-app'), {old: 'Inactive', new: 'Active'})
        # service-web was not started: no key created, profile unchanged, named as not rotated
        self.assertEqual(self.keys('service-web'), {web_old: 'Active'})
        self.assertEqual(self.profile('service-web')[0], web_old)
        self.assertEqual(self.ep.counts().get('CreateAccessKey', 0), 3)  # 2 make_key + service-app's
        self.assertIn('error: rotate: interrupted (SIGINT)', err)
        self.assertIn('not rotated (not started): service-web', err)
        self.assertEqual([r['Account'] for r in json.loads(out)], ['service-app'])  # what was done

    def test_ctrl_c_kills_the_delivery_command_new_key_deleted(self):
        # a terminal's Ctrl-C reaches the whole foreground group: the exec target dies too
        old, m = self.setup_app()
        code, out, err = self.sigint_during_delivery('rotate', '--confirm-timeout', '20', m, group=True)
        self.assertEqual(code, 1, err)
        self.assertIsNone(self.delivered())
        self.assertEqual(self.keys('service-app'), {old: 'Active'})  # the undelivered key is gone
        self.assert_every_active_key_held('service-app', old)
        self.assertIn('deleted', err)

    def test_sigint_while_waiting_for_the_new_key_deletes_it(self):
        old, m = self.setup_app(deliver=('profile',))
        self.ep.set_consistency(key_propagation_ms=60000)
        self.addCleanup(self.ep.set_consistency, key_propagation_ms=0)
        p = self.spawn('-v', 'rotate', '--confirm-timeout', '60', m)
        self.wait_for(p, 'confirmation retry', lambda: 'not usable yet' in self.stderr(p))
        os.kill(p.pid, signal.SIGINT)
        code, out, err = self.finish(p)
        self.assertEqual(code, 1, err)
        self.assertIn('confirm: interrupted (SIGINT)', err)
        self.assertEqual(self.keys('service-app'), {old: 'Active'})
        self.assertIn('old key %s is still active and unchanged' % old, err)
        self.assert_every_active_key_held('service-app', old)
        with open(self.creds) as f:
            self.assertNotIn('service-app', f.read())  # never delivered

    # -- destroy ------------------------------------------------------------------------------
    def test_destroy_stops_between_steps_and_a_second_run_finishes(self):
        self.make_user('service-app')
        self.make_key('service-app')
        self.make_key('service-app')
        m = self.manifest('app')
        self.ep.set_faults(latency_ms=[1500, 1500], actions=['DeleteAccessKey'])
        p = self.spawn('destroy', '--auto-approve', m)
        self.wait_for(p, 'a deleted key', lambda: self.ep.counts().get('DeleteAccessKey', 0) >= 1)
        os.kill(p.pid, signal.SIGINT)
        code, out, err = self.finish(p)
        self.ep.clear_faults()
        self.assertEqual(code, 1, err)
        self.assertIn('error: destroy: interrupted (SIGINT)', err)
        self.assertIn('service-app: stopped before', err)
        self.assertIn('run destroy again', err)
        self.assertIn('stopped', out)
        self.iam('get-user', '--user-name', 'service-app')  # the user outlives the stop
        self.assertEqual(self.ep.counts().get('DeleteUser', 0), 0)
        p = self.kw('destroy', '--auto-approve', m)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_gone('get-user', '--user-name', 'service-app')
        self.assert_gone('get-group', '--group-name', 'service-app')

    def test_destroy_sigint_at_the_question_changes_nothing(self):
        self.make_user('service-app')
        self.make_key('service-app')
        code, _, shown = self.kw_tty(lambda p: os.kill(p.pid, signal.SIGINT), 'destroy', self.manifest('app'))
        self.assertEqual(code, 1, shown)
        self.assertIn('nothing was destroyed', shown)
        self.iam('get-user', '--user-name', 'service-app')
        self.assertEqual(self.ep.counts().get('DeleteAccessKey', 0), 0)


if __name__ == '__main__':
    unittest.main()
