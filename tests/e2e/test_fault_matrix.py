"""The fault matrix (issue 18, item 10) at a size CI affords: N accounts applied under each
fault alone and under all of them combined, and apply and rotate killed with SIGKILL at
seeded-random points. After each case a fault-free rerun converges, and then:
  - every user has exactly one active key, the one its profile holds (inactive keys only with
    a rotation grace tag);
  - no secret is anywhere but its destination (no output, no other file, no temporary file);
  - plan finds nothing to do.
Every fault case asserts from the endpoint's counts (or log) that the fault was injected.
KW_FAULT_MATRIX_SEED varies the seeds (default 18)."""
import os
import random
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import KEYWARDEN, EngineCase, manifest_text  # noqa: E402

N = 3
SEED = int(os.environ.get("KW_FAULT_MATRIX_SEED", "18"))
FAULTS = {  # name: (fault spec, consistency settings)
    "throttle": ("throttle=0.2,limit=6", {}),
    "5xx": ("error500=0.08,error503=0.12", {}),
    "lost requests": ("drop=0.1", {}),
    "lost answers": ("drop_after=0.08", {}),
    "hostile 200": ("error200=0.12", {}),
    "conflict": ("conflict=0.12", {}),
    "read lag": (None, {"lag_ms": 1500}),
    "key propagation": (None, {"key_propagation_ms": 3000}),
    "all combined": ("throttle=0.1,error503=0.05,drop=0.03,drop_after=0.03,error200=0.04,conflict=0.04,limit=10",
                     {"lag_ms": 1000, "key_propagation_ms": 2000}),
}
# Where apply and rotate are killed: the n-th request of an action, picked by the seed.
APPLY_KILLS = [("CreateUser", 2), ("PutGroupPolicy", 1), ("CreateAccessKey", 1), ("CreateAccessKey", 2),
               ("GetCallerIdentity", 1), ("TagUser", 2)]
ROTATE_KILLS = [("CreateAccessKey", 1), ("GetCallerIdentity", 1), ("UpdateAccessKey", 1), ("TagUser", 1),
                ("CreateAccessKey", 2)]


class FaultMatrix(EngineCase):
    def setUp(self):
        super().setUp()
        os.unlink(self.manifest)
        self.users = []
        for i in range(N):
            name = "fm%d" % i
            with open(os.path.join(self.mdir, "service-%s.yaml" % name), "w") as f:
                f.write(manifest_text(deliver=["profile: service-%s" % name], mfa="none", name=name,
                                      tags={"owner": "platform-team", "software": name}))
            self.users.append("service-" + name)

    # -- running -----------------------------------------------------------------------------
    def args(self, cmd):
        if cmd == "apply":
            return ["apply", "--auto-approve", "--confirm-timeout", "20", self.mdir]
        if cmd == "rotate again":  # the accounts a killed rotate finished hold an inactive key
            return ["rotate", "--delete-inactive", "--confirm-timeout", "20", self.mdir]
        return ["rotate", "--confirm-timeout", "20", self.mdir]

    def run_kw(self, cmd):
        return self.kw(*self.args(cmd), timeout=300)

    def killed(self, cmd, action, nth):
        """Start cmd, SIGKILL it once the endpoint has received the nth request for action;
        True when it was killed (False: it ended first)."""
        start = dict(self.ep.counts())
        p = subprocess.Popen([KEYWARDEN, *self.args(cmd)], env=self.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while p.poll() is None and time.monotonic() < deadline:
            if self.ep.counts().get(action, 0) - start.get(action, 0) >= nth:
                p.send_signal(signal.SIGKILL)  # at once: a short run may end within milliseconds
                break
            time.sleep(0.01)
        out, err = p.communicate(timeout=60)
        self.outputs.append(out + err)
        return p.returncode == -signal.SIGKILL

    # -- the invariants ----------------------------------------------------------------------
    def held(self):
        """{profile: (access key id, secret)} of the credentials file."""
        return {p: (d.get("aws_access_key_id"), d.get("aws_secret_access_key"))
                for p, d in self.credentials().items()}

    def assert_invariants(self, what):
        held = self.held()
        for user in self.users:
            keys = self.cli("iam", "list-access-keys", "--user-name", user)["AccessKeyMetadata"]
            active = [k["AccessKeyId"] for k in keys if k["Status"] == "Active"]
            self.assertEqual(active, [held[user][0]], "%s: %s: active keys not the held one" % (what, user))
            tags = {t["Key"] for t in self.cli("iam", "list-user-tags", "--user-name", user)["Tags"]}
            for k in keys:
                if k["Status"] != "Active":
                    self.assertIn("keywarden:inactive:" + k["AccessKeyId"], tags,
                                  "%s: %s: inactive key %s outside a grace period" % (what, user, k["AccessKeyId"]))
        secrets = [held[u][1] for u in self.users]
        for i, text in enumerate(self.outputs):
            for s in secrets:
                self.assertNotIn(s, text, "%s: a secret in keywarden's output #%d" % (what, i))
        for top in (self.root,):  # HOME, the manifests, every case's files
            for dirpath, _, files in os.walk(top):
                for name in files:
                    path = os.path.join(dirpath, name)
                    self.assertNotRegex(name, r"\.kw-[0-9a-f]{12}\.tmp$", "%s: a temporary file left: %s" % (what, path))
                    if path == self.creds or os.path.islink(path):
                        continue
                    try:
                        with open(path, errors="replace") as f:
                            text = f.read()
                    except OSError:
                        continue
                    for s in secrets:
                        self.assertNotIn(s, text, "%s: a secret outside its destination: %s" % (what, path))
        plan = self.kw("plan", self.mdir)
        self.assertEqual(plan.returncode, 0, "%s: plan after convergence\n%s" % (what, plan.stdout + plan.stderr))

    def converge(self, cmd, what):
        self.ep.clear_faults()
        self.ep.set_consistency(lag_ms=0, key_propagation_ms=0)
        self.ep.settle()
        r = self.run_kw("rotate again" if cmd == "rotate" else cmd)
        self.assertEqual(r.returncode, 0, "%s: the fault-free rerun\n%s" % (what, r.stdout + r.stderr))
        if cmd == "rotate":  # a rotate rerun leaves the account converged for apply, too
            r = self.run_kw("apply")
            self.assertEqual(r.returncode, 0, "%s: apply after rotate\n%s" % (what, r.stdout + r.stderr))
        self.assert_invariants(what)

    # -- the cases ---------------------------------------------------------------------------
    def test_each_fault_alone_and_all_combined(self):
        for i, (name, (spec, consistency)) in enumerate(sorted(FAULTS.items())):
            with self.subTest(fault=name):
                self.reset_iam()
                self.ep.reset_counts()
                log_start = len(self.ep.log())
                if spec:
                    self.ep.set_faults("seed=%d,%s" % (SEED + i, spec))
                if consistency:
                    self.ep.set_consistency(**consistency)

                def case():
                    r = self.run_kw("apply")
                    self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)
                    if spec:
                        self.assertGreater(self.ep.faults().get("injected", 0), 0, "%s: no fault injected" % name)
                    log = self.ep.log()[log_start:]
                    if consistency.get("lag_ms"):
                        self.assertTrue(any(e.get("error") == "NoSuchEntity" for e in log), "%s: no lag seen" % name)
                    if consistency.get("key_propagation_ms"):
                        self.assertTrue(any(e.get("error") == "InvalidClientTokenId" for e in log),
                                        "%s: no key propagation wait" % name)
                    self.converge("apply", name)
                case()

    def test_sigkill_at_random_points_of_apply(self):
        self.rng = random.Random(SEED)
        for action, nth in self.rng.sample(APPLY_KILLS, 2):
            what = "apply killed at %s #%d" % (action, nth)
            with self.subTest(kill=what):
                self.reset_iam()

                def case():
                    for _ in range(3):  # a loaded machine may let a short apply end first
                        if self.killed("apply", action, nth):
                            break
                        self.reset_iam()
                    else:
                        self.fail("%s: apply ended before the kill, three times" % what)
                    self.converge("apply", what)
                case()

    def test_sigkill_at_random_points_of_rotate(self):
        self.rng = random.Random(SEED + 1)
        for action, nth in self.rng.sample(ROTATE_KILLS, 2):
            what = "rotate killed at %s #%d" % (action, nth)
            with self.subTest(kill=what):
                self.reset_iam()
                r = self.run_kw("apply")
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

                def case():
                    self.assertTrue(self.killed("rotate", action, nth), "%s: rotate ended before the kill" % what)
                    self.converge("rotate", what)
                case()

if __name__ == "__main__":
    unittest.main(verbosity=2)
