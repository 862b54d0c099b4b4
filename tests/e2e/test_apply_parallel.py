"""Apply of many accounts at once (--parallelism): under faults (throttling, 503s, dropped
answers, eventual-consistency lag) 30 accounts converge and no key is left that nobody holds;
an account whose delivery fails stops only itself; Ctrl-C stops every account at its next safe
point; accounts really run side by side; every output line is whole."""
import json
import os
import re
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import EngineCase, manifest_text  # noqa: E402


class Parallel(EngineCase):
    def write_accounts(self, n, mfa="none", deliver=None, names=None):
        os.unlink(self.manifest)
        names = names or ["p%02d" % i for i in range(n)]
        for name in names:
            d = deliver(name) if deliver else ["profile: service-%s" % name]
            with open(os.path.join(self.mdir, "service-%s.yaml" % name), "w") as f:
                f.write(manifest_text(deliver=d, mfa=mfa, name=name,
                                      tags={"owner": "platform-team", "software": name}))
        return ["service-" + x for x in names]

    def run_apply(self, *extra, timeout_s="20"):
        return self.kw("apply", "--auto-approve", "--confirm-timeout", timeout_s, *extra, self.mdir, timeout=600)

    def iam_keys(self):
        """{user: [active key ids]} for every user in IAM."""
        out = {}
        for user in self.cli("iam", "list-users")["Users"]:
            name = user["UserName"]
            out[name] = [k["AccessKeyId"] for k in self.cli("iam", "list-access-keys", "--user-name", name)
                         ["AccessKeyMetadata"] if k["Status"] == "Active"]
        return out

    def held_keys(self):
        """{profile: access key id} from the shared credentials file."""
        return {p: d["aws_access_key_id"] for p, d in self.credentials().items() if "aws_access_key_id" in d}

    def assert_every_key_held(self, users):
        """No key that nobody holds: every key in IAM is the one in its user's profile."""
        held = self.held_keys()
        for user, keys in self.iam_keys().items():
            if user not in users:
                continue
            for k in keys:
                self.assertEqual(held.get(user), k, "%s: key %s is held by nobody" % (user, k))
        return held

    def test_thirty_accounts_under_faults_converge_without_orphan_keys(self):
        users = self.write_accounts(30)
        self.ep.set_faults("seed=5,throttle=0.08,error503=0.05,drop=0.03,drop_after=0.03")
        self.ep.set_consistency(lag_ms=300)
        r = self.run_apply("--parallelism", "8")
        faults = self.ep.faults()
        self.ep.clear_faults()
        self.ep.set_consistency(lag_ms=0)
        self.ep.settle()
        self.assertGreater(faults["injected"], 20, faults)  # the faults were injected
        self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)
        self.assert_every_key_held(users)
        if r.returncode:  # the failed ones converge on the next run; the others keep their key
            before = self.held_keys()
            r2 = self.run_apply()
            self.assertEqual(r2.returncode, 0, r2.stdout + r2.stderr)
            after = self.held_keys()
            for u in users:
                if "converged    " + u in r.stdout or re.search(r"converged\s+%s\n" % u, r.stdout):
                    self.assertEqual(before.get(u), after.get(u))
        keys = self.iam_keys()
        held = self.assert_every_key_held(users)
        for u in users:
            self.assertEqual(len(keys[u]), 1, u)
            self.assertEqual(keys[u], [held[u]])
        self.assertIn("[other]", open(self.creds).read())  # the hand-written profile survived
        plan = self.kw("plan", self.mdir)
        self.assertEqual(plan.returncode, 0, plan.stdout)

    def test_failed_delivery_stops_only_its_account(self):
        def deliver(name):
            if name == "p01":
                return ["exec: cat >/dev/null; exit 3"]
            return ["profile: service-%s" % name]
        users = self.write_accounts(4, deliver=deliver)
        r = self.run_apply()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        keys = self.iam_keys()
        self.assertEqual(keys["service-p01"], [])  # its key was deleted
        self.assertEqual(self.ep.counts().get("CreateAccessKey"), 4)
        held = self.held_keys()
        for u in users:
            if u != "service-p01":
                self.assertEqual(keys[u], [held[u]])
                self.assertRegex(r.stdout, r"\n  converged\s+%s\n" % u)
        self.assertRegex(r.stdout, r"\n  FAILED\s+service-p01: .*delivering the new key to exec")
        self.assertIn("accounts: 3 converged, 1 failed, 0 not run", r.stdout)

    def test_accounts_run_side_by_side(self):
        self.write_accounts(4)
        r = self.run_apply("--parallelism", "1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        order = [e["action"] for e in self.ep.log() if e["action"] in ("CreateUser", "CreateAccessKey")]
        self.assertEqual(order, ["CreateUser", "CreateAccessKey"] * 4)  # one after another
        self.assertNotRegex(r.stdout, r"service-p00: ")  # one at a time: no prefix
        self.ep.reset_state()
        self.ep.reset_counts()
        self.ep.set_faults("latency=100,actions=CreateUser")
        r = self.run_apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        order = [e["action"] for e in self.ep.log() if e["action"] in ("CreateUser", "CreateAccessKey")]
        self.assertEqual(order[:4], ["CreateUser"] * 4)  # all four started before the first key

    def test_output_lines_are_whole(self):
        users = self.write_accounts(12)
        self.ep.set_faults("seed=3,latency=0-20")
        r = self.kw("apply", "--auto-approve", "-o", "json", self.mdir, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        events = [json.loads(line) for line in r.stdout.splitlines()]  # fails on a broken line
        steps = [e for e in events if e["event"] == "step"]
        self.assertTrue(steps and all(e["account"] in [u[len("service-"):] for u in users] for e in steps))
        accounts = [e for e in events if e["event"] == "account"]
        self.assertEqual(sorted(e["account"] for e in accounts), sorted(u[len("service-"):] for u in users))
        self.assertTrue(all(e["status"] == "converged" for e in accounts))
        self.assertEqual(events[-1]["event"], "summary")
        self.assertEqual(events[-1]["accounts_converged"], 12)
        self.ep.reset_state()
        r = self.run_apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        lines = r.stdout.splitlines()
        first = next(i for i, t in enumerate(lines) if t.startswith("service-p"))  # after the plan
        body = "\n".join(lines[first:])
        line = re.compile(r"^(service-p\d\d: (done    .*|delivered new access key AKIA\w+ to .*)"
                          r"|  converged\s+service-p\d\d|Apply complete: .*|)$")
        for text in body.splitlines():
            self.assertRegex(text, line)
        self.assertNotIn("\r", r.stdout)  # no progress line in a pipe
        self.assertNotIn("\033", r.stdout)

    def test_ctrl_c_stops_every_account_at_a_safe_point(self):
        users = self.write_accounts(10)
        self.ep.set_faults("latency=150")
        p = self.spawn("apply", "--auto-approve", "--confirm-timeout", "20", "--parallelism", "4", self.mdir)
        self.wait_for_request(p, "CreateAccessKey")
        os.kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=120)
        self.outputs.append(out + err)
        self.assertEqual(p.returncode, 1, out + err)
        self.assertIn("interrupted", err)
        self.assertIn("not run", out)
        self.ep.clear_faults()
        created = self.ep.counts().get("CreateAccessKey", 0)
        self.assertLess(created, 10)  # not every account got that far
        self.assertGreaterEqual(created, 1)
        held = self.assert_every_key_held(users)  # keys being issued were finished, none orphaned
        self.assertEqual(sum(len(v) for v in self.iam_keys().values()), len(held) - 2)  # [default], [other]
        self.assertGreater(len([u for u in users if re.search(r"not run\s+%s\n" % u, out)]), 0, out)
        r = self.run_apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        keys = self.iam_keys()
        for u in users:
            self.assertEqual(len(keys[u]), 1, u)


if __name__ == "__main__":
    unittest.main(verbosity=2)
