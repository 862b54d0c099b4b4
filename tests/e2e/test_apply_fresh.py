"""apply end to end on an empty account: exactly the desired state, one working key, delivered;
a second apply changes nothing and makes no write call; plan's exit codes, JSON and call counts;
approval and MFA input are required where they must be."""
import json
import os
import re
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import CREDENTIALS_EXTRA, POLICY, USER, EngineCase, kwtest, manifest_text  # noqa: E402


class FreshApply(EngineCase):
    def test_fresh_apply_converges_and_second_apply_writes_nothing(self):
        before = open(self.creds).read()
        p = self.plan()
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("+ create user service-e2e", p.stdout)
        self.assertIn("Plan: 7 to add, 0 to change, 0 to destroy.", p.stdout)

        r = self.apply("--stats")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Apply complete: 7 steps done and confirmed; 1 access key issued", r.stdout)
        # --stats: every step was confirmed by at least one read-back, and the time is reported
        m = re.search(r"^stats: confirmations: (\d+) read-backs in (\d+\.\d{3}) s$", r.stderr, re.M)
        self.assertIsNotNone(m, r.stderr)
        self.assertGreaterEqual(int(m.group(1)), 7)
        self.assertGreater(float(m.group(2)), 0.0)
        self.assertNotIn("\033[", r.stdout + r.stderr)  # NO_COLOR
        active = self.assert_converged(keys=1)

        # delivered: the profile holds the one key, and it works
        prof = self.profile()
        self.assertEqual(prof["aws_access_key_id"], active[0]["AccessKeyId"])
        who = self.aws("--profile", "service-e2e", "--region", "us-east-1", "sts", "get-caller-identity")
        self.assertEqual(who["Arn"], "arn:aws:iam::123456789012:user/service/" + USER)
        # every other line of the credentials file kept byte for byte, and 0600
        after = open(self.creds).read()
        self.assertTrue(after.startswith(before), after)
        self.assertIn(CREDENTIALS_EXTRA, after)
        self.assertEqual(stat.S_IMODE(os.stat(self.creds).st_mode), 0o600)
        # the seed went to its custodian file, 0600
        self.assertEqual(stat.S_IMODE(os.stat(self.seed).st_mode), 0o600)
        seed = open(self.seed).read().strip()

        # the second apply: nothing to do, no write call at all
        self.ep.reset_counts()
        r2 = self.apply()
        self.assertEqual(r2.returncode, 0, r2.stdout + r2.stderr)
        self.assertIn("No changes.", r2.stdout)
        self.assertEqual(self.writes(), {})
        self.assertFalse(os.path.exists(self.seed))  # no enrollment, no seed
        self.assert_converged(keys=1)

        p2 = self.plan()
        self.assertEqual(p2.returncode, 0, p2.stdout + p2.stderr)

        # secrets appear in no output at all (no stdout target here)
        self.assert_secret_nowhere(prof["aws_secret_access_key"])
        self.assert_secret_nowhere(seed)

    def test_no_secret_even_in_debug_logs(self):
        r = self.apply("-vv")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("debug", r.stderr)  # -vv logs HTTP and retries
        self.assert_secret_nowhere(self.profile()["aws_secret_access_key"])
        self.assert_secret_nowhere(open(self.seed).read().strip())

    def test_terminal_approval(self):
        args = ["apply", "--confirm-timeout", "5", "--mfa-seed-out", self.seed, self.manifest]
        for answer, expect in ((b"n\n", 1), (b"y\n", 0)):
            sent = []

            def respond(out):
                if b"[y/N]" in out and not sent:
                    sent.append(answer)
                    return answer
                return None

            rc, text = self.on_terminal(args, respond)
            self.assertIn("Apply 7 steps? [y/N]", text)
            self.assertEqual(rc, expect, text)
            if expect == 1:
                self.assertIn("nothing was changed", text)
                self.assertEqual(self.writes(), {})
        self.assert_converged(keys=1)

    def test_plan_reads_few_calls_and_prints_stats_and_json(self):
        self.assertEqual(self.apply().returncode, 0)
        self.ep.reset_counts()
        p = self.kw("plan", "--stats", "-o", "json", self.manifest)
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertFalse(doc["changes"])
        self.assertEqual(doc["summary"], {"add": 0, "change": 0, "destroy": 0})
        counts = self.ep.counts()
        # constant: the bulk reads; per account: ListAccessKeys and GetLoginProfile
        self.assertEqual(counts.get("GetAccountAuthorizationDetails"), 1, counts)
        self.assertEqual(counts.get("ListVirtualMFADevices"), 1, counts)
        self.assertEqual(counts.get("ListAccessKeys"), 1, counts)
        self.assertEqual(counts.get("GetLoginProfile"), 1, counts)
        self.assertEqual(sum(counts.values()), 4, counts)
        self.assertIn("stats:", p.stderr)
        self.assertIn("iam:GetAccountAuthorizationDetails", p.stderr)

    def test_plan_json_lists_steps_in_order(self):
        p = self.kw("plan", "-o", "json", self.manifest)
        self.assertEqual(p.returncode, 2, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual([s["resource"] for s in doc["steps"]],
                         ["user", "group", "membership", "group-policy", "group-policy-attachment",
                          "mfa-device", "access-key"])
        self.assertEqual(doc["summary"], {"add": 7, "change": 0, "destroy": 0})

    def test_codes_iam_refuses_on_a_terminal_one_line_per_refusal(self):
        args = ["apply", "--auto-approve", "--confirm-timeout", "5", self.manifest]
        typed = []
        respond = self.stale_codes_responder(typed)
        rc, text = self.on_terminal(args, respond)
        self.assertEqual(rc, 1, text)
        self.assertEqual(len(typed), 7, text)  # the secret, then three tries of two codes
        self.assertEqual(text.count("IAM refused the MFA codes"), 3, text)  # one line per refusal
        self.assertEqual(text.count("! IAM refused the codes"), 2, text)  # said on the next screen
        self.assertEqual(self.ep.counts().get("EnableMFADevice"), 3)
        self.assertNotIn("did not accept", text)
        self.assertEqual(self.keys(), [])

    def test_accepted_lint_findings_only_with_verbose(self):
        # a write action on "*" (KWP020), accepted in the manifest: plan and apply keep stderr
        # quiet about it unless -v, as validate does
        doc = dict(POLICY, Statement=[dict(POLICY["Statement"][0], Action=["ec2:CreateTags"])])
        with open(os.path.join(self.mdir, "e2e-policy.json"), "w") as f:
            json.dump(doc, f, indent=2)
        text = self.manifest_accepting("KWP020", "tags are written on instances that do not exist yet")
        with open(self.manifest, "w") as f:
            f.write(text)
        quiet = self.plan()
        self.assertEqual(quiet.returncode, 2, quiet.stderr)
        self.assertEqual(quiet.stderr, "")
        loud = self.plan("-v")
        self.assertEqual(loud.returncode, 2, loud.stderr)
        self.assertIn("accepted: ", loud.stderr)
        self.assertIn("KWP020", loud.stderr)
        self.assertIn("tags are written on instances that do not exist yet", loud.stderr)

    def test_apply_without_terminal_or_auto_approve_refuses(self):
        r = self.kw("apply", "--mfa-seed-out", self.seed, self.manifest)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--auto-approve", r.stderr)
        self.assertEqual(self.writes(), {})

    def test_mfa_without_terminal_or_seed_option_fails_clearly(self):
        r = self.kw("apply", "--auto-approve", self.manifest)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--mfa-seed-out", r.stderr)
        self.assertEqual(self.writes(), {})

    def test_json_event_stream(self):
        r = self.kw("apply", "--auto-approve", "--confirm-timeout", "5", "--mfa-seed-out", self.seed, "-o", "json",
                    self.manifest)
        self.assertEqual(r.returncode, 0, r.stderr)
        events = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual(events[0]["event"], "plan")
        self.assertEqual(events[-1], {"event": "summary", "status": "converged", "done": 7, "failed": 0,
                                      "not_run": 0, "keys_created": 1, "accounts_converged": 1,
                                      "accounts_failed": 0, "accounts_not_run": 0})
        done = [e for e in events if e["event"] == "step" and e["status"] == "done"]
        self.assertEqual(len(done), 7)
        self.assertEqual([e for e in events if e["event"] == "delivered"][0]["target"], "profile service-e2e")

    def test_folder_of_manifests_is_applied_as_a_whole(self):
        with open(os.path.join(self.mdir, "service-e2e2.yaml"), "w") as f:
            f.write(manifest_text(name="e2e2", deliver=["profile: service-e2e2"]))
        r = self.kw("apply", "--auto-approve", "--confirm-timeout", "5", "--mfa-seed-exec", "cat >/dev/null",
                    "--parallelism", "2", self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Apply complete: 14 steps done and confirmed; 2 access keys issued", r.stdout)
        # keys come after every other step of every account
        lines = [line for line in r.stdout.splitlines() if line.startswith("  done")]
        self.assertTrue(all("access key" in line for line in lines[-2:]), lines)
        self.assertFalse(any("access key" in line for line in lines[:-2]), lines)
        self.assert_converged(keys=1)
        self.assertTrue(self.profile("service-e2e2")["aws_access_key_id"])
        self.ep.reset_counts()
        p = self.kw("plan", "--parallelism", "2", self.mdir)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        counts = self.ep.counts()
        self.assertEqual(counts, {"GetAccountAuthorizationDetails": 1, "ListVirtualMFADevices": 1,
                                  "ListAccessKeys": 2, "GetLoginProfile": 2})

    def test_qr_code_files_for_a_custodian(self):
        png, svg = os.path.join(self.tmp, "qr.png"), os.path.join(self.tmp, "qr.svg")
        r = self.apply("--qr-png", png, "--qr-svg", svg)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        with open(svg) as f:
            self.assertIn("<svg", f.read())
        for path in (png, svg):
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)

    def test_stdout_target_is_the_only_secret_on_stdout(self):
        out = os.path.join(self.tmp, "key.json")
        self.write_manifest(deliver=["stdout: true", "file: %s" % out, "exec: umask 077; cat > exec-key.json"])
        r = self.apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        key = json.load(open(out))
        # the exec target ran in the manifest's folder, with the same JSON on its stdin
        self.assertEqual(json.load(open(os.path.join(self.mdir, "exec-key.json"))), key)
        self.assertEqual(key["UserName"], USER)
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)
        # stdout holds the key alone, one compact JSON line, for a pipeline; the plan, progress
        # and summary went to stderr, which never holds the secret
        self.assertEqual(r.stdout.count("\n"), 1, r.stdout)
        self.assertTrue(r.stdout.endswith("}\n"), r.stdout)
        self.assertEqual(json.loads(r.stdout), key)
        for text in ("keywarden will perform the following actions", "done    create user service-e2e",
                     "delivered new access key %s to stdout" % key["AccessKeyId"],
                     "Apply complete: 7 steps done and confirmed; 1 access key issued"):
            self.assertIn(text, r.stderr)
        self.assertNotIn(key["SecretAccessKey"], r.stderr)
        # nothing to do: stdout stays empty
        r2 = self.apply()
        self.assertEqual(r2.returncode, 0, r2.stdout + r2.stderr)
        self.assertEqual(r2.stdout, "")
        self.assertIn("No changes.", r2.stderr)

    def test_stdout_targets_with_json_events_are_json_lines(self):
        # two accounts deliver to stdout: stdout is exactly their two key lines; with -o json
        # the event stream goes to stderr
        self.write_manifest(deliver=["stdout: true"])
        with open(os.path.join(self.mdir, "service-e2e2.yaml"), "w") as f:
            f.write(manifest_text(name="e2e2", deliver=["stdout: true", "profile: service-e2e2"]))
        r = self.kw("apply", "--auto-approve", "--confirm-timeout", "5", "--mfa-seed-exec", "cat >/dev/null",
                    "-o", "json", self.mdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        keys = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual(len(keys), 2, r.stdout)
        self.assertEqual(sorted(k["UserName"] for k in keys), [USER, "service-e2e2"])
        for k in keys:
            self.assertEqual(list(k), ["AccessKeyId", "SecretAccessKey", "UserName", "CreateDate"])
            self.assertNotIn(k["SecretAccessKey"], r.stderr)
        by_user = {k["UserName"]: k for k in keys}
        self.assertEqual(by_user["service-e2e2"]["AccessKeyId"], self.profile("service-e2e2")["aws_access_key_id"])
        events = [json.loads(line) for line in r.stderr.splitlines() if line.startswith("{")]
        self.assertEqual(events[0]["event"], "plan")
        self.assertEqual(events[-1], {"event": "summary", "status": "converged", "done": 14, "failed": 0,
                                      "not_run": 0, "keys_created": 2, "accounts_converged": 2,
                                      "accounts_failed": 0, "accounts_not_run": 0})
        self.assertEqual({e["access_key_id"] for e in events if e["event"] == "delivered" and e["target"] == "stdout"},
                         {k["AccessKeyId"] for k in keys})


if __name__ == "__main__":
    unittest.main(verbosity=2)
