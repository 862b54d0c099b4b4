"""Enrolling a virtual MFA device at the terminal, as a person does it: apply runs in an 80x24
tmux pane; the test captures the pane, draws it as a dark and a light theme show it, scans the
QR code with zbarimg, computes the codes from the scanned secret and types them. Also: the code
and the secret leave nothing in the scrollback; NO_COLOR draws the code for the background it
is told of; a terminal too small says so and offers --qr-png; the secret on request, grouped;
the same code twice, or codes that are not consecutive, refused before IAM is called; Ctrl-C at
the prompt reported as an interrupt."""
import base64
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from e2e_fixture import KEYWARDEN, USER, ACCOUNT, EngineCase, kwtest, manifest_text

import termshot

GLYPHS = ("\u2580", "\u2584", "\u2588")


class Pane:
    """keywarden in a detached tmux pane of its own server (own socket, no configuration)."""

    def __init__(self, root, env, args, cols=80, rows=24):
        root = tempfile.mkdtemp(prefix="pane-", dir=root)
        self.sock = os.path.join(root, "tmux.sock")
        self.rc_file = os.path.join(root, "rc")
        script = os.path.join(root, "run.sh")
        # the shell outlives keywarden (Ctrl-C reaches both) to record its exit status
        # the pane's environment is env alone (not the test runner's: ctest sets NO_COLOR)
        lines = ["#!/bin/sh", "trap 'true' INT", "unset NO_COLOR COLORFGBG"]
        lines += ["export %s=%s" % (k, shlex.quote(v)) for k, v in env.items()
                  if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", k)]
        lines += ["%s; echo $? > %s" % (" ".join(shlex.quote(a) for a in [KEYWARDEN, *args]),
                                        shlex.quote(self.rc_file)),
                  "exec sleep 600"]
        with open(script, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(script, 0o700)
        self.tmux("new-session", "-d", "-x", str(cols), "-y", str(rows), script, env=env)

    def tmux(self, *args, env=None):
        return subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null", *args], capture_output=True,
                              text=True, timeout=30, check=True, env=env).stdout

    def screen(self, escapes=True):
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else []))

    def history(self):
        """Everything the pane holds: the scrollback and the screen."""
        return self.tmux("capture-pane", "-p", "-S", "-", "-E", "-")

    def wait_for(self, text, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen(escapes=False)
            if text in shown:
                return shown
            if os.path.exists(self.rc_file):
                break
            time.sleep(0.1)
        raise AssertionError("%r not shown; the pane:\n%s" % (text, self.screen(escapes=False)))

    def type(self, text):
        self.tmux("send-keys", "-t", "0", "-l", text)
        self.tmux("send-keys", "-t", "0", "Enter")

    def exit_status(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.rc_file):
                with open(self.rc_file) as f:
                    text = f.read().strip()
                if text:
                    return int(text)
            time.sleep(0.1)
        raise AssertionError("keywarden did not end; the pane:\n%s" % self.screen(escapes=False))

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True, timeout=30)


def secret_of(uri):
    return urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]


@unittest.skipUnless(shutil.which("tmux") and shutil.which("zbarimg"), "tmux and zbar-tools (scripts/deps.sh)")
class MfaEnrolment(EngineCase):

    def start(self, *extra, cols=80, rows=24, **env):
        self.write_manifest(deliver=["profile: service-e2e"])
        e = dict(self.env, TERM="screen")
        for k in ("NO_COLOR", "COLORFGBG"):
            e.pop(k, None)
        e.update(env)
        pane = Pane(self.tmp, e, ["apply", "--auto-approve", "--confirm-timeout", "5", *extra, self.manifest],
                    cols=cols, rows=rows)
        self.addCleanup(pane.close)
        return pane

    def scan(self, pane, theme):
        return termshot.decode(termshot.render(pane.screen(), theme))

    def enrolled(self):
        devices = self.cli("iam", "list-mfa-devices", "--user-name", USER)["MFADevices"]
        return [d["SerialNumber"] for d in devices]

    def complete(self, pane, secret):
        """Type two consecutive codes of the scanned secret (the previous step and this one)."""
        now = time.time()
        pane.type(kwtest.totp(secret, now - 30))
        pane.wait_for("next code:")
        pane.type(kwtest.totp(secret, now))

    def assert_nothing_left(self, pane, secret):
        history = pane.history()
        self.assertNotIn(secret, history)
        self.assertNotIn(secret[:4] + " " + secret[4:8], history)
        for g in GLYPHS:
            self.assertNotIn(g, history, "QR code left in the scrollback:\n" + history)

    def test_colour_code_scans_on_dark_and_light_themes_and_enrolment_completes(self):
        pane = self.start()
        pane.wait_for("first code:")
        screen = pane.screen()  # one screen, as a dark and as a light theme show it
        dark, light = (termshot.decode(termshot.render(screen, theme)) for theme in ("dark", "light"))
        self.assertIsNotNone(dark, screen)
        self.assertEqual(dark, light, screen)
        self.assertTrue(dark.startswith("otpauth://totp/AWS:%s@%s?secret=" % (USER, ACCOUNT)), dark)
        # it fits: every line of the code is on the 24-row screen, with the text beside it
        shown = pane.screen(escapes=False).split("\n")
        code_rows = [i for i, l in enumerate(shown) if any(g in l for g in GLYPHS)]
        self.assertLessEqual(len(code_rows), 24)
        self.assertIn("AWS: %s@%s" % (USER, ACCOUNT), pane.screen(escapes=False))
        secret = secret_of(dark)
        self.complete(pane, secret)
        self.assertEqual(pane.exit_status(), 0, pane.history())
        self.assertEqual(len(self.enrolled()), 1)
        self.assert_nothing_left(pane, secret)

    def test_no_color_draws_for_the_background_it_is_told_of(self):
        for theme, colorfgbg in (("dark", "15;0"), ("light", "0;15")):
            with self.subTest(theme=theme):
                self.ep.reset_state()
                pane = self.start(NO_COLOR="1", COLORFGBG=colorfgbg)
                pane.wait_for("first code:")
                self.assertNotIn("\x1b[3", pane.screen())  # no colour at all
                self.assertNotIn("\x1b[4", pane.screen())
                screen = pane.screen()
                uri = termshot.decode(termshot.render(screen, theme))
                self.assertIsNotNone(uri, "NO_COLOR code does not scan on a %s theme" % theme)
                # the other polarity would not have scanned: the test tells them apart
                other = "light" if theme == "dark" else "dark"
                self.assertIsNone(termshot.decode(termshot.render(screen, other)))
                self.complete(pane, secret_of(uri))
                self.assertEqual(pane.exit_status(), 0, pane.history())
                self.assert_nothing_left(pane, secret_of(uri))
                pane.close()

    def test_secret_on_request_in_groups_of_four(self):
        pane = self.start(NO_COLOR="1")
        pane.wait_for("first code:")
        secret = secret_of(self.scan(pane, "dark"))
        self.assertNotIn(secret[:8], pane.screen(escapes=False))  # not without asking
        pane.type("s")
        shown = pane.wait_for("Secret key")
        groups = re.findall(r"\b[A-Z2-7]{4}(?: [A-Z2-7]{4}){3}\b", shown)
        self.assertEqual("".join(groups).replace(" ", ""), secret, shown)
        self.complete(pane, secret)
        self.assertEqual(pane.exit_status(), 0, pane.history())
        self.assert_nothing_left(pane, secret)

    def test_same_or_not_consecutive_codes_refused_before_iam(self):
        pane = self.start(NO_COLOR="1")
        pane.wait_for("first code:")
        secret = secret_of(self.scan(pane, "dark"))
        now = time.time()
        self.ep.reset_counts()
        code = kwtest.totp(secret, now)
        pane.type(code)
        pane.wait_for("next code:")
        pane.type(code)
        pane.wait_for("the two codes are the same")
        pane.type(kwtest.totp(secret, now - 60))
        pane.wait_for("next code:")
        pane.type(kwtest.totp(secret, now + 30))
        pane.wait_for("not consecutive")
        pane.type("000000")
        pane.wait_for("next code:")
        pane.type("000001")
        pane.wait_for("not this device's")
        self.assertNotIn("EnableMFADevice", self.ep.counts())  # IAM was never asked
        self.complete(pane, secret)
        self.assertEqual(pane.exit_status(), 0, pane.history())
        self.assertEqual(self.ep.counts().get("EnableMFADevice"), 1)

    def test_too_small_a_terminal_says_so_and_offers_qr_png(self):
        pane = self.start(NO_COLOR="1", cols=60, rows=20)
        shown = pane.wait_for("first code:")
        flat = " ".join(shown.split())
        self.assertIn("needs 41x21 characters and this terminal has 60x20", flat)
        self.assertIn("--qr-png FILE", flat)
        for g in GLYPHS:
            self.assertNotIn(g, shown)  # no half-drawn code
        pane.tmux("send-keys", "-t", "0", "C-c")
        self.assertEqual(pane.exit_status(), 1)
        self.assertEqual(self.enrolled(), [])

    def test_ctrl_c_at_the_prompt_is_an_interrupt(self):
        pane = self.start(NO_COLOR="1")
        pane.wait_for("first code:")
        secret = secret_of(self.scan(pane, "dark"))
        pane.tmux("send-keys", "-t", "0", "C-c")
        self.assertEqual(pane.exit_status(), 1)
        history = pane.history()
        self.assertIn("interrupted (SIGINT)", history)
        self.assertNotIn("end of input", history)
        self.assertEqual(self.cli("iam", "list-virtual-mfa-devices")["VirtualMFADevices"], [])
        self.assert_nothing_left(pane, secret)

    def test_two_enrolments_at_once_one_code_at_a_time_other_lines_held(self):
        # two accounts enrol MFA, a third does not; all three run side by side (--parallelism)
        os.unlink(self.manifest)
        for name, mfa in (("mfa-a", "virtual"), ("mfa-b", "virtual"), ("plain", "none")):
            with open(os.path.join(self.mdir, "service-%s.yaml" % name), "w") as f:
                f.write(manifest_text(deliver=["profile: service-" + name], mfa=mfa, name=name,
                                      tags={"owner": "platform-team", "software": name}))
        e = dict(self.env, TERM="screen", NO_COLOR="1")
        e.pop("COLORFGBG", None)
        pane = Pane(self.tmp, e, ["apply", "--auto-approve", "--confirm-timeout", "5", "--parallelism", "8",
                                  self.mdir], cols=160, rows=40)
        self.addCleanup(pane.close)
        users = []
        for turn in (1, 2):
            deadline = time.monotonic() + 60
            while True:  # a code on the screen, of a device not enrolled yet
                shown = pane.wait_for("first code:")
                uri = self.scan(pane, "dark")
                user = re.match(r"otpauth://totp/AWS:(service-mfa-[ab])@", uri or "")
                if user and user.group(1) not in users:
                    break
                self.assertLess(time.monotonic(), deadline, shown)
                time.sleep(0.1)
            users.append(user.group(1))
            self.assertEqual(shown.count("first code:"), 1, shown)  # one code on the screen
            if turn == 1:
                # the other accounts go on meanwhile: the plain account gets its key...
                deadline = time.monotonic() + 60
                while not self.ep.counts().get("CreateAccessKey"):
                    self.assertLess(time.monotonic(), deadline, pane.screen(escapes=False))
                    time.sleep(0.1)
                time.sleep(0.5)
                # ...but its lines wait while the code is on the screen
                shown = pane.screen(escapes=False)
                self.assertIn("first code:", shown)
                self.assertNotIn("service-plain:", shown)
                self.assertEqual(self.enrolled_of(users[0]), [])
            else:
                # the second code came only once the first device was enabled
                self.assertEqual(len(self.enrolled_of(users[0])), 1)
            self.complete(pane, secret_of(uri))
            if turn == 1:  # the first code's screen closes before the second opens
                deadline = time.monotonic() + 60
                while not self.enrolled_of(users[0]):
                    self.assertLess(time.monotonic(), deadline, pane.screen(escapes=False))
                    time.sleep(0.1)
        self.assertEqual(pane.exit_status(), 0, pane.history())
        self.assertEqual(sorted(users), ["service-mfa-a", "service-mfa-b"])
        for u in users:
            self.assertEqual(len(self.enrolled_of(u)), 1)
        history = pane.history()
        # the held lines were printed when the code closed: whole, prefixed lines
        held = re.search(r"\nservice-plain: delivered new access key AKIA\w+ to profile service-plain\n", history)
        self.assertTrue(held, history)
        # printed when the first code's screen closed: before that device's enrolment line
        self.assertLess(held.start(), history.index("%s: done    enroll virtual MFA device" % users[0]), history)
        self.assertIn("accounts: 3 converged, 0 failed, 0 not run", history)
        for g in GLYPHS:
            self.assertNotIn(g, history)

    def enrolled_of(self, user):
        return [d["SerialNumber"] for d in self.cli("iam", "list-mfa-devices", "--user-name", user)["MFADevices"]]


if __name__ == "__main__":
    unittest.main()
