"""Fault injection and the other control routes: faults behave as configured and are seeded;
eventual-consistency lag, clock offset, credential report timing, request log and counts."""
import http.client
import json
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))
import kwtest      # noqa: E402
from rawclient import call   # noqa: E402

DOC1 = json.dumps({'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Action': 'ec2:DescribeInstances', 'Resource': '*'}]})
DOC2 = json.dumps({'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Action': 's3:ListBucket', 'Resource': '*'}]})


def fate(answer_or_exc):
    if isinstance(answer_or_exc, Exception):
        return 'dropped'
    return answer_or_exc.code or 'ok'


def try_call(ep, *args, **kw):
    try:
        return call(ep, *args, **kw)
    except (ConnectionError, http.client.HTTPException) as e:
        return e


class Base(kwtest.SharedEndpointCase):
    """Tests share one endpoint; setUp puts it back to a clean state."""


class StartupSpec(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ep = kwtest.Endpoint(faults='seed=3,throttle=1,actions=CreateUser').start()

    @classmethod
    def tearDownClass(cls):
        cls.ep.stop()

    def test_faults_flag_applies_from_the_start(self):
        self.assertEqual(self.ep.faults()['throttle'], 1.0)
        a = call(self.ep, 'CreateUser', {'UserName': 'u'})
        self.assertEqual((a.status, a.code, a.message), (400, 'Throttling', 'Rate exceeded'))
        self.assertEqual(call(self.ep, 'ListUsers').parsed['Users'], [])   # nothing changed
        self.assertEqual(call(self.ep, 'GetCallerIdentity', service='sts').status, 200)
        self.assertEqual(self.ep.counts(), {'CreateUser': 1, 'ListUsers': 1, 'GetCallerIdentity': 1})
        log = self.ep.log()
        self.assertEqual([(e['action'], e['fault'], e['status']) for e in log],
                         [('CreateUser', 'throttle', 400), ('ListUsers', None, 200),
                          ('GetCallerIdentity', None, 200)])

    def test_bad_spec_is_a_usage_error(self):
        p = subprocess.run([kwtest.PYTHON, kwtest.SERVER, '--access-key-id', 'AKIAX',
                            '--secret-access-key', 's', '--faults', 'throttle=2'],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertIn('throttle', p.stderr)
        with self.assertRaises(kwtest.EndpointError):
            self.ep.set_faults(colour='red')


class Faults(Base):

    def test_5xx_statuses(self):
        self.ep.set_faults(error500=1.0)
        a = call(self.ep, 'ListUsers')
        self.assertEqual((a.status, a.code), (500, 'InternalFailure'))
        self.assertIn(b'<Type>Receiver</Type>', a.body)
        self.ep.set_faults(error503=1.0)
        a = call(self.ep, 'ListUsers')
        self.assertEqual((a.status, a.code), (503, 'ServiceUnavailable'))

    def test_conflict_is_a_409_concurrent_modification_that_changes_nothing(self):
        self.ep.set_faults('conflict=1,actions=CreateUser')
        a = call(self.ep, 'CreateUser', {'UserName': 'u'})
        self.assertEqual((a.status, a.code), (409, 'ConcurrentModification'))
        self.assertIn(b'<Type>Sender</Type>', a.body)
        self.assertEqual(self.ep.faults().get('injected'), 1)
        self.ep.clear_faults()
        self.assertEqual(call(self.ep, 'GetUser', {'UserName': 'u'}).code, 'NoSuchEntity')

    def test_dropped_connection_changes_nothing(self):
        self.ep.set_faults('drop=1,actions=CreateUser')
        self.assertIsInstance(try_call(self.ep, 'CreateUser', {'UserName': 'u'}), Exception)
        self.ep.clear_faults()
        self.assertEqual(call(self.ep, 'GetUser', {'UserName': 'u'}).code, 'NoSuchEntity')

    def test_drop_after_processing_keeps_the_change(self):
        self.ep.set_faults(drop_after=1.0, actions=['CreateUser'])
        self.assertIsInstance(try_call(self.ep, 'CreateUser', {'UserName': 'u'}), Exception)
        self.assertEqual(call(self.ep, 'GetUser', {'UserName': 'u'}).status, 200)
        # A client that retries meets EntityAlreadyExists, as it would on AWS.
        self.assertIsInstance(try_call(self.ep, 'CreateUser', {'UserName': 'u'}), Exception)
        self.ep.clear_faults()
        self.assertEqual(call(self.ep, 'CreateUser', {'UserName': 'u'}).code, 'EntityAlreadyExists')

    def _stalled(self, action, timeout):
        """Send action with a raw connection; returns (connection, response or the timeout)."""
        conn = http.client.HTTPConnection(self.ep.url.split('://', 1)[1].split(':')[0],
                                          int(self.ep.url.rsplit(':', 1)[1]), timeout=timeout)
        body = 'Action=%s&Version=2010-05-08&UserName=u' % action
        conn.request('POST', '/', body, {'Content-Type': 'application/x-www-form-urlencoded'})
        try:
            return conn, conn.getresponse()
        except (TimeoutError, OSError) as e:
            return conn, e

    def test_silent_answers_nothing_and_changes_nothing(self):
        self.ep.set_faults('silent=1,actions=CreateUser')
        t0 = time.monotonic()
        conn, r = self._stalled('CreateUser', 1.5)
        self.assertIsInstance(r, (TimeoutError, OSError))     # nothing came back
        self.assertGreaterEqual(time.monotonic() - t0, 1.4)
        conn.close()
        self.assertEqual(self.ep.faults().get('injected'), 1)
        self.assertEqual(self.ep.counts().get('CreateUser'), 1)
        self.ep.clear_faults()
        self.assertEqual(call(self.ep, 'GetUser', {'UserName': 'u'}).code, 'NoSuchEntity')

    def test_drip_feeds_an_answer_that_never_ends(self):
        self.ep.set_faults('drip=1,actions=CreateUser')
        conn, r = self._stalled('CreateUser', 5)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader('Content-Length'), str(1 << 20))
        t0 = time.monotonic()
        got = r.read(3)                                        # a byte every 0.5 s
        self.assertEqual(len(got), 3)
        self.assertLess(time.monotonic() - t0, 4.0)
        conn.close()
        self.assertEqual(self.ep.faults().get('injected'), 1)
        self.ep.clear_faults()
        self.assertEqual(call(self.ep, 'GetUser', {'UserName': 'u'}).code, 'NoSuchEntity')

    def test_limit_caps_the_number_of_faults(self):
        self.ep.set_faults(throttle=1.0, limit=2)
        fates = [fate(try_call(self.ep, 'ListUsers')) for _ in range(4)]
        self.assertEqual(fates, ['Throttling', 'Throttling', 'ok', 'ok'])
        self.assertEqual(self.ep.faults()['injected'], 2)

    def test_the_aws_cli_retries_through_throttling(self):
        self.ep.set_faults(throttle=1.0, limit=2, actions=['GetCallerIdentity'])
        with tempfile_dir() as tmp:
            with kwtest.AwsCli(kwtest.aws_env(self.ep, tmp)) as cli:
                self.assertEqual(cli('sts', 'get-caller-identity')['Account'], '123456789012')
        self.assertEqual(self.ep.counts()['GetCallerIdentity'], 3)

    def test_rate_answers_throttling_beyond_the_bucket(self):
        self.ep.set_faults('rate=5')
        t0 = time.monotonic()
        fates = [fate(try_call(self.ep, 'ListUsers')) for _ in range(20)]
        elapsed = time.monotonic() - t0
        ok, throttled = fates.count('ok'), fates.count('Throttling')
        self.assertEqual(ok + throttled, 20)
        # a burst of 5, then 5 a second: never more than the bucket allows in that time
        self.assertGreaterEqual(ok, 5)
        self.assertLessEqual(ok, 5 + int(5 * elapsed) + 1)
        if elapsed < 2.0:
            self.assertGreaterEqual(throttled, 20 - 5 - int(5 * elapsed) - 1)
        view = self.ep.faults()
        self.assertEqual((view['rate'], view['rate_throttled'], view['injected']), (5.0, throttled, 0))
        self.assertEqual([e['fault'] for e in self.ep.log() if e.get('error') == 'Throttling'],
                         ['rate'] * throttled)
        # STS has a bucket of its own
        self.assertEqual(call(self.ep, 'GetCallerIdentity', service='sts').status, 200)
        time.sleep(0.5)   # 2.5 tokens come back
        self.assertEqual(fate(try_call(self.ep, 'ListUsers')), 'ok')

    def test_rate_bucket_with_a_fake_clock(self):
        import server
        now = [100.0]
        rl = server.RateLimit(4, clock=lambda: now[0])
        self.assertEqual([rl.admit('iam') for _ in range(5)], [True] * 4 + [False])
        now[0] += 0.25                       # one token back
        self.assertEqual([rl.admit('iam'), rl.admit('iam')], [True, False])
        now[0] += 10                         # never more than the burst
        self.assertEqual(sum(rl.admit('iam') for _ in range(10)), 4)
        self.assertTrue(rl.admit('sts'))     # per service

    def test_rate_spec_is_checked(self):
        with self.assertRaises(kwtest.EndpointError):
            self.ep.set_faults('rate=0')

    def test_seeded_faults_repeat(self):
        def run(spec):
            self.ep.set_faults(spec)
            out = []
            for i in range(30):
                out.append(fate(try_call(self.ep, 'ListUsers')))
                try_call(self.ep, 'ListGroups')        # another action in between
            return out
        spec = 'seed=42,throttle=0.3,error500=0.1,error503=0.1,drop=0.1'
        first = run(spec)
        self.assertEqual(run(spec), first)
        self.assertEqual(set(first), {'ok', 'Throttling', 'InternalFailure', 'ServiceUnavailable',
                                      'dropped'})
        self.assertNotEqual(run(spec.replace('seed=42', 'seed=43')), first)
        # The n-th ListUsers has the same fate without the interleaved calls.
        self.ep.set_faults(spec)
        alone = [fate(try_call(self.ep, 'ListUsers')) for _ in range(30)]
        self.assertEqual(alone, first)

    def test_latency_is_added(self):
        self.ep.set_faults(latency_ms=[120, 150], actions=['ListUsers'])
        t0 = time.monotonic()
        self.assertEqual(call(self.ep, 'ListUsers').status, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.12)   # a lower bound only


class Consistency(Base):
    def test_new_entities_are_invisible_to_reads_during_lag(self):
        self.ep.set_consistency(lag_ms=600000)
        self.assertEqual(call(self.ep, 'CreateUser', {'UserName': 'u'}).status, 200)
        self.assertEqual(call(self.ep, 'GetUser', {'UserName': 'u'}).code, 'NoSuchEntity')
        self.assertEqual(call(self.ep, 'ListUsers').parsed['Users'], [])
        # Writes see the truth.
        self.assertEqual(call(self.ep, 'CreateUser', {'UserName': 'u'}).code, 'EntityAlreadyExists')
        self.assertEqual(call(self.ep, 'CreateGroup', {'GroupName': 'g'}).status, 200)
        self.assertEqual(call(self.ep, 'AddUserToGroup', {'GroupName': 'g', 'UserName': 'u'}).status, 200)
        self.ep.set_consistency(lag_ms=0)
        # Lag is stamped on each write: ending it does not show earlier writes at once...
        self.assertEqual(call(self.ep, 'GetUser', {'UserName': 'u'}).code, 'NoSuchEntity')
        self.ep.settle()    # ...settling does.
        self.assertEqual(call(self.ep, 'GetUser', {'UserName': 'u'}).status, 200)
        self.assertEqual(len(call(self.ep, 'GetGroup', {'GroupName': 'g'}).parsed['Users']), 1)

    def test_replaced_inline_policy_shows_old_text_during_lag(self):
        call(self.ep, 'CreateGroup', {'GroupName': 'g'})
        call(self.ep, 'PutGroupPolicy', {'GroupName': 'g', 'PolicyName': 'p', 'PolicyDocument': DOC1})
        self.ep.set_consistency(lag_ms=600000)
        call(self.ep, 'PutGroupPolicy', {'GroupName': 'g', 'PolicyName': 'p', 'PolicyDocument': DOC2})
        got = call(self.ep, 'GetGroupPolicy', {'GroupName': 'g', 'PolicyName': 'p'}).parsed
        self.assertIn('DescribeInstances', got['PolicyDocument'])
        self.ep.settle()
        got = call(self.ep, 'GetGroupPolicy', {'GroupName': 'g', 'PolicyName': 'p'}).parsed
        self.assertIn('ListBucket', got['PolicyDocument'])


class Clock(Base):
    def test_clock_offset_ages_keys(self):
        self.ep.set_clock_offset(-100 * 86400)
        call(self.ep, 'CreateUser', {'UserName': 'u'})
        call(self.ep, 'CreateAccessKey', {'UserName': 'u'})
        self.ep.set_clock_offset(0)
        meta = call(self.ep, 'ListAccessKeys', {'UserName': 'u'}).parsed['AccessKeyMetadata'][0]
        age_days = (time.time() - meta['CreateDate'].timestamp()) / 86400
        self.assertTrue(99 < age_days < 101, age_days)

    def test_credential_report_four_hour_rule(self):
        self.assertEqual(call(self.ep, 'GetCredentialReport').code, 'ReportNotPresent')
        self.assertEqual(call(self.ep, 'GetCredentialReport').status, 410)
        self.assertEqual(call(self.ep, 'GenerateCredentialReport').parsed['State'], 'STARTED')
        self.assertEqual(call(self.ep, 'GetCredentialReport').status, 200)
        self.ep.advance_clock(3 * 3600)
        self.assertEqual(call(self.ep, 'GenerateCredentialReport').parsed['State'], 'COMPLETE')
        self.ep.advance_clock(2 * 3600)
        a = call(self.ep, 'GetCredentialReport')
        self.assertEqual((a.status, a.code), (410, 'ReportExpired'))
        self.assertEqual(call(self.ep, 'GenerateCredentialReport').parsed['State'], 'STARTED')
        self.assertEqual(call(self.ep, 'GetCredentialReport').status, 200)

    def test_report_in_progress(self):
        self.ep.set_consistency(report_delay_ms=600000)
        self.assertEqual(call(self.ep, 'GenerateCredentialReport').parsed['State'], 'STARTED')
        self.assertEqual(call(self.ep, 'GenerateCredentialReport').parsed['State'], 'INPROGRESS')
        a = call(self.ep, 'GetCredentialReport')
        self.assertEqual((a.status, a.code), (404, 'ReportInProgress'))


class Concurrency(Base):
    def test_concurrent_writers_and_readers(self):
        import threading
        errors = []

        def writer(n):
            for i in range(20):
                a = call(self.ep, 'CreateUser', {'UserName': 'w%d-%02d' % (n, i)})
                if a.status != 200:
                    errors.append(a)

        def reader():
            for _ in range(20):
                a = call(self.ep, 'ListUsers', {'MaxItems': 1000})
                if a.status != 200:
                    errors.append(a)
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        threads.append(threading.Thread(target=reader))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(call(self.ep, 'ListUsers', {'MaxItems': 1000}).parsed['Users']), 80)
        self.assertEqual(self.ep.counts()['CreateUser'], 80)

    def test_keep_alive_and_chunked_body(self):
        from rawclient import sign
        from botocore.awsrequest import AWSRequest
        conn = http.client.HTTPConnection('127.0.0.1', self.ep.port, timeout=30)
        try:
            for name in ('k1', 'k2'):
                body = 'Action=CreateUser&Version=2010-05-08&UserName=%s' % name
                req = AWSRequest(method='POST', url=self.ep.url + '/', data=body.encode(), headers={
                    'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
                    'Host': '127.0.0.1:%d' % self.ep.port})
                sign(req, self.ep.access_key_id, self.ep.secret_access_key, 'iam', 'us-east-1')
                conn.putrequest('POST', '/', skip_host=True, skip_accept_encoding=True)
                for k, v in req.headers.items():
                    conn.putheader(k, v)
                conn.putheader('Transfer-Encoding', 'chunked')
                conn.endheaders()
                raw = body.encode()
                conn.send(b'%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n'
                          % (10, raw[:10], len(raw) - 10, raw[10:]))
                resp = conn.getresponse()
                self.assertEqual(resp.status, 200, resp.read())
                resp.read()
        finally:
            conn.close()
        self.assertEqual(call(self.ep, 'GetUser', {'UserName': 'k2'}).status, 200)


class Log(Base):
    def test_secrets_never_reach_the_log(self):
        call(self.ep, 'CreateUser', {'UserName': 'u'})
        call(self.ep, 'CreateLoginProfile', {'UserName': 'u', 'Password': 'Sekrit-Passw0rd!'})
        key = call(self.ep, 'CreateAccessKey', {'UserName': 'u'}).parsed['AccessKey']
        dev = call(self.ep, 'CreateVirtualMFADevice', {'VirtualMFADeviceName': 'u'}).parsed['VirtualMFADevice']
        seed = dev['Base32StringSeed'].decode()
        c1, c2 = kwtest.totp_pair(seed)
        call(self.ep, 'EnableMFADevice', {'UserName': 'u', 'SerialNumber': dev['SerialNumber'],
                                          'AuthenticationCode1': c1, 'AuthenticationCode2': c2})
        call(self.ep, 'GetCallerIdentity', service='sts', akid=key['AccessKeyId'],
             secret=key['SecretAccessKey'])
        text = json.dumps(self.ep.log()) + json.dumps(self.ep.state())
        for secret in ('Sekrit-Passw0rd!', key['SecretAccessKey'], seed, self.ep.secret_access_key):
            self.assertNotIn(secret, text)
        self.assertNotIn('"%s"' % c1, json.dumps(self.ep.log()))
        entry = [e for e in self.ep.log() if e['action'] == 'CreateLoginProfile'][0]
        self.assertEqual(entry['params']['Password'], '<redacted>')
        last = self.ep.log()[-1]
        self.assertEqual((last['access_key_id'], last['principal']), (key['AccessKeyId'], 'u'))
        self.assertEqual(self.ep.counts()['CreateUser'], 1)
        self.ep.reset_counts()
        self.assertEqual((self.ep.counts(), self.ep.log()), ({}, []))


class tempfile_dir:
    def __enter__(self):
        import tempfile
        self.d = tempfile.TemporaryDirectory()
        return self.d.name

    def __exit__(self, *exc):
        self.d.cleanup()


if __name__ == '__main__':
    unittest.main(verbosity=2)
