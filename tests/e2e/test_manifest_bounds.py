"""Every manifest value is checked before the first write (issue 18, item 9): one table of bad
values, field by field through the manifest schema (docs/manifest.md) - names, paths, tags and
their IAM limits, policy files, MFA and console settings, numbers, booleans, every target kind's
fields, unknown and duplicate keys, targets named twice, and the values that only the targets or
IAM can judge (a missing folder, an existing key file, a command not found, the operator's own
profile, a managed policy or boundary IAM does not have, an account other than the credentials');
and the settings of keywarden.yaml beside the manifests. Each is given to `apply
--auto-approve`: exit 1, an error naming file:line:col of the bad value, and not one write call
at the endpoint (its counts). A control case proves the same run does write when nothing is bad.
"""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_fixture import MANAGED, WRITE_PREFIXES, EngineCase, LifecycleCase, manifest_text  # noqa: E402

PROFILE = "      - profile: service-e2e"
BIG_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "S%03d" % i, "Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}
    for i in range(80)]}


def target(*lines):
    """The profile target of manifest_text() replaced by these deliver entries."""
    return (PROFILE, "\n".join("      " + ln for ln in lines))


def tags(n):
    return "\n".join("    t%02d: v" % i for i in range(n))


# (name, old text, new text, expected message (regex), and where: None for the first line of
# the new text in the manifest, a text of the manifest whose line it is, or (file, line) for an
# error inside another file). Extra files for a case: FILES[name].
CASES = [
    # schema: keys, types, YAML
    ("unknown key", "  tags:\n", "  tag:\n", r"unknown key 'tag' in spec \(did you mean 'tags'\?\)", None),
    ("duplicate key", "  mfa: virtual\n", "  mfa: virtual\n  mfa: none\n", r"duplicate key 'mfa'", "  mfa: none"),
    ("apiVersion", "keywarden/v1", "keywarden/v2", r"apiVersion must be 'keywarden/v1'", "apiVersion"),
    ("kind", "kind: ServiceAccount", "kind: Role", r"kind must be 'ServiceAccount'", None),
    ("explicit YAML tag", "maxAgeDays: 90", "maxAgeDays: !!int 90", r"YAML tag '.*' is not allowed", None),
    ("invalid YAML", "  console: disabled\n", "  console: [disabled\n", r"invalid YAML", "  mfa:"),
    # metadata
    ("name with a space", "name: e2e", "name: e 2e", r"metadata.name 'e 2e'", None),
    ("name too long", "name: e2e", "name: " + "x" * 57, r"metadata.name", None),
    ("account id", "metadata:\n", "metadata:\n  account: '12345678901'\n", r"12 digits", "  account:"),
    ("account of other credentials", "metadata:\n", "metadata:\n  account: '999999999999'\n",
     r"is for account 999999999999 \(metadata.account\) but the credentials are of account 123456789012", "  account:"),
    ("accounts differing in one run", "metadata:\n", "metadata:\n  account: '999999999999'\n",
     r"metadata.account 999999999999 differs from 123456789012", "  account:"),
    # spec.path
    ("path without the last slash", "path: /service/", "path: /service", r"path '/service'", None),
    ("path with a space", "path: /service/", "path: /ser vice/", r"path '/ser vice/'", None),
    ("path too long", "path: /service/", "path: /" + "p" * 512 + "/", r"path", None),
    # spec.tags
    ("tag key aws:", "    owner: platform-team", "    aws:owner: platform-team", r"aws:", None),
    ("tag key keywarden:", "    owner: platform-team", "    keywarden:x: y", r"reserved", None),
    ("tag managed-by", "    owner: platform-team", "    managed-by: me", r"reserved", None),
    ("tag character", "    owner: platform-team", "    owner: a;b", r"value of tag 'owner'", None),
    ("tag key too long", "    owner: platform-team", "    %s: x" % ("k" * 129), r"tag key", None),
    ("tag value too long", "    owner: platform-team", "    owner: " + "v" * 257, r"value of tag 'owner'", None),
    ("tag keys differing in case", "    software: e2e", "    Owner: e2e", r"duplicate tag key 'Owner'.*ignoring case", None),
    ("tags a list", "  tags:\n    owner: platform-team\n    software: e2e\n", "  tags: [owner]\n", r"spec.tags must be a mapping", None),
    ("tag value a list", "    owner: platform-team", "    owner: [a]", r"must be a string, found a list", None),
    ("46 tags", "    owner: platform-team\n    software: e2e\n", tags(46) + "\n", r"46 tags, at most 45", "    t00"),
    # spec.policies
    ("policy file missing", "inline: e2e-policy.json", "inline: missing.json", r"cannot read policy file", None),
    ("policy file a folder", "inline: e2e-policy.json", "inline: sub", r"cannot read policy file", None),
    ("policy not JSON", "inline: e2e-policy.json", "inline: bad.json", r"invalid JSON", ("bad.json", 1)),
    ("policy duplicate JSON key", "inline: e2e-policy.json", "inline: dup.json", r"duplicate", ("dup.json", 1)),
    ("policy too large for a group", "inline: e2e-policy.json", "inline: big.json", r"together hold \d+ characters, over IAM's quota of 5120", "    - inline: big.json"),
    ("policy lint error", "inline: e2e-policy.json", "inline: admin.json", r"KWP010", ("admin.json", 1)),
    ("placeholder without a value", "inline: e2e-policy.json", "inline: tmpl.json", r"BUCKET", ("tmpl.json", 1)),
    ("vars name with a colon", "inline: e2e-policy.json", "inline: e2e-policy.json\n      vars: {'aws:x': y}",
     r"vars name 'aws:x'", "      vars:"),
    ("vars value a list", "inline: e2e-policy.json", "inline: e2e-policy.json\n      vars: {BUCKET: [a]}",
     r"value of vars 'BUCKET' must be a string, found a list", "      vars:"),
    ("allow entry a string", "inline: e2e-policy.json", "inline: e2e-policy.json\n      allow: [KWP020]",
     r"an allow entry must be a mapping", "      allow:"),
    ("policies a mapping", "  policies:\n", "  policies: {}\n  x_policies:\n", r"spec.policies must be a list", None),
    ("policy name", "inline: e2e-policy.json", "inline: e2e-policy.json\n      name: 'bad name'", r"policy name 'bad name'", "      name:"),
    ("two inline policies of one name", "    - managed:", "    - inline: e2e-policy.json\n    - managed:",
     r"two inline policies are named 'e2e-policy'", "    - inline: e2e-policy.json\n    - managed:"),
    ("allow reason too short", "inline: e2e-policy.json", "inline: e2e-policy.json\n      allow: [{code: KWP020, reason: x}]",
     r"allow.reason", "      allow:"),
    ("allow unknown code", "inline: e2e-policy.json", "inline: e2e-policy.json\n      allow: [{code: KWP999, reason: because it must be so}]",
     r"unknown lint code 'KWP999'", "      allow:"),
    ("managed ARN malformed", MANAGED, "arn:aws:iam::aws:role/x", r"managed policy ARN .* is malformed", None),
    ("managed policy twice", "    - managed: %s\n" % MANAGED, "    - managed: %s\n    - managed: %s\n" % (MANAGED, MANAGED),
     r"listed twice", "    - managed: %s\n  console" % MANAGED),
    ("11 managed policies", "    - managed: %s\n" % MANAGED,
     "".join("    - managed: arn:aws:iam::aws:policy/P%d\n" % i for i in range(11)), r"11 managed policies", "    - inline: e2e-policy.json"),
    ("inline and managed in one entry", "    - managed: ", "    - inline: e2e-policy.json\n      managed: ", r"exactly one of",
     "    - inline: e2e-policy.json\n      managed"),
    ("managed policy IAM does not have", MANAGED, "arn:aws:iam::aws:policy/NoSuchPolicy", r"does not exist in IAM", None),
    ("managed policy of another account", MANAGED, "arn:aws:iam::999999999999:policy/theirs", r"does not exist in IAM", None),
    ("managed policy of another partition", MANAGED, "arn:aws-cn:iam::aws:policy/AmazonEC2ReadOnlyAccess", r"does not exist in IAM", None),
    # permissionsBoundary, console, mfa
    ("boundary malformed", "  console: disabled\n", "  permissionsBoundary: arn:aws:iam::1:policy/b\n  console: disabled\n",
     r"permissionsBoundary .* is not a policy ARN", "  permissionsBoundary"),
    ("boundary IAM does not have", "  console: disabled\n", "  permissionsBoundary: arn:aws:iam::123456789012:policy/none\n  console: disabled\n",
     r"permissionsBoundary .* does not exist in IAM", "  permissionsBoundary"),
    ("console a list", "console: disabled", "console: [disabled]", r"spec.console must be a string, found a list", None),
    ("console enabled", "console: disabled", "console: enabled", r"console must be 'disabled'", None),
    ("mfa sms", "mfa: virtual", "mfa: sms", r"mfa must be 'virtual' or 'none'", None),
    # numbers
    ("max age 0", "maxAgeDays: 90", "maxAgeDays: 0", r"between 1 and 3650, found 0", None),
    ("max age 3651", "maxAgeDays: 90", "maxAgeDays: 3651", r"between 1 and 3650, found 3651", None),
    ("max age -1", "maxAgeDays: 90", "maxAgeDays: -1", r"between 1 and 3650, found -1", None),
    ("max age malformed", "maxAgeDays: 90", "maxAgeDays: 7x", r"a malformed number", None),
    ("max age a fraction", "maxAgeDays: 90", "maxAgeDays: 1.5", r"a malformed number", None),
    ("max age a string", "maxAgeDays: 90", "maxAgeDays: '90'", r"found a string", None),
    ("max age huge", "maxAgeDays: 90", "maxAgeDays: 99999999999999999999", r"between 1 and 3650, found 99999999999999999999", None),
    # accessKeys
    ("accessKeys unknown key", "    maxAgeDays: 90\n", "    maxAgeDays: 90\n    rotate: true\n", r"unknown key 'rotate'", "    rotate"),
    ("deliver not a list", "    deliver:\n" + PROFILE + "\n", "    deliver: {profile: x}\n", r"must be a list", "    deliver:"),
    ("deliver entry of two kinds", *target("- profile: p", "  file: k.json"), r"exactly one of", None),
    # profile targets
    ("profile with a space", *target("- profile: service e2e"), r"profile name 'service e2e'", None),
    ("profile with a bracket", *target("- profile: 'a]b'"), r"profile name", None),
    ("profile region", *target("- profile: p", "  region: Europe"), r"region 'Europe'", "  region"),
    ("profile output", *target("- profile: p", "  output: xml"), r"output 'xml'", "  output"),
    ("region beside a file", *target("- file: k.json", "  region: eu-west-1"), r"applies to 'profile' delivery only", "  region"),
    ("format beside a profile", *target("- profile: p", "  format: env"), r"applies to file, stdout and exec only", "  format"),
    ("operator's own profile", *target("- profile: default"), r"holds the access key this run signs with", None),
    ("profile twice", *target("- profile: p", "- profile: p  # again"), r"delivery target twice in this manifest", "- profile: p  #"),
    # file targets
    ("file a folder path", *target("- file: keys/"), r"is not a file path", None),
    ("file name too long", *target("- file: " + "k" * 240), r"longer than 234 bytes", None),
    ("file folder name too long", *target("- file: %s/k.json" % ("d" * 256)), r"longer than 255 bytes", None),
    ("file in a missing folder", *target("- file: nowhere/k.json"), r"its folder .* does not exist", None),
    ("file exists", *target("- file: e2e-policy.json"), r"exists already", None),
    ("file twice", *target("- file: k.json", "- file: ./k.json"), r"delivery target twice", "      - file: ./k.json"),
    ("file format", *target("- file: k.env", "  format: yaml"), r"format 'yaml' must be", "  format"),
    ("template field", *target("- file: k.env", "  template: '{{Nope}}'"), r"template field \{\{Nope\}\}", "  template"),
    ("format template without text", *target("- file: k.env", "  format: template"), r"needs a 'template:' text", "  format"),
    ("template with format env", *target("- file: k.env", "  format: env", "  template: '{{AccessKeyId}}'"),
     r"'template' applies to format template only", "  template"),
    # stdout and exec targets
    ("stdout false", *target("- stdout: false"), r"stdout must be true", None),
    ("stdout quoted", *target("- stdout: 'true'"), r"stdout must be true \(a boolean\), found a string", None),
    ("stdout yes", *target("- stdout: yes"), r"stdout must be true", None),
    ("exec empty", *target("- exec: ' '"), r"exec must name a command", None),
    ("exec not found", *target("- exec: no-such-command-kw18 --flag"), r"not found on PATH", None),
    ("exec not executable", *target("- exec: ./e2e-policy.json"), r"is not executable", None),
    # secret stores
    ("secret without a name", *target("- secretsManager: {region: eu-west-1}"), r"needs a 'name'", None),
    ("secret name", *target("- secretsManager: {name: 'a b'}"), r"secret name 'a b'", None),
    ("secret ARN", *target("- secretsManager: {name: 'arn:aws:secretsmanager:eu-west-1:1:secret:x'}"), r"is not a secret ARN", None),
    ("secret ARN and another region",
     *target("- secretsManager: {name: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf', region: us-east-1}"),
     r"differs from the ARN's region", None),
    ("secret ARN of no secret",
     *target("- secretsManager: {name: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-AbCdEf'}"),
     r"there is no secret of that ARN", None),
    ("secret region", *target("- secretsManager: {name: svc/x, region: moon}"), r"region 'moon'", None),
    ("secret kmsKeyId", *target("- secretsManager: {name: svc/x, kmsKeyId: 'not a key'}"), r"kmsKeyId 'not a key'", None),
    ("secret kmsKeyId of another region",
     *target("- secretsManager: {name: svc/x, region: eu-west-1, kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:alias/k'}"),
     r"a key of region us-east-1, but the secret is in eu-west-1", None),
    ("secret tier", *target("- secretsManager: {name: svc/x, tier: Standard}"), r"'tier' applies to ssmParameter only", None),
    ("secret format", *target("- secretsManager: {name: svc/x, format: xml}"), r"format 'xml'", None),
    ("secret unknown key", *target("- secretsManager: {name: svc/x, kms: k}"), r"unknown key 'kms'", None),
    ("secret profile name", *target("- secretsManager: {name: svc/x, profile: 'a b'}"), r"profile name 'a b'", None),
    ("secret profile missing", *target("- secretsManager: {name: svc/x, profile: nosuch}"), r"profile 'nosuch' not found", None),
    ("parameter name aws", *target("- ssmParameter: {name: awsKey}"), r"may not begin with 'aws'", None),
    ("parameter name not qualified", *target("- ssmParameter: {name: a/b}"), r"fully qualified path", None),
    ("parameter levels", *target("- ssmParameter: {name: %s}" % ("/l" * 16)), r"at most 15 levels", None),
    ("parameter tier", *target("- ssmParameter: {name: /svc/x, tier: Premium}"), r"tier 'Premium'", None),
    ("parameter kmsKeyId", *target("- ssmParameter: {name: /svc/x, kmsKeyId: 'x y'}"), r"kmsKeyId 'x y'", None),
    ("parameter kmsKeyId alias", *target("- ssmParameter: {name: /svc/x, kmsKeyId: 'alias/a b'}"), r"kmsKeyId", None),
    ("parameter twice", *target("- ssmParameter: {name: /svc/x}", "- ssmParameter: {name: /svc/x}  # again"),
     r"delivery target twice", "- ssmParameter: {name: /svc/x}  #"),
    # across manifests (the second manifest: FILES)
    ("a profile of another manifest", *target("- profile: shared"), r"also the delivery target of service account 'other'", None),
    ("a file of another manifest", *target("- file: shared.json"), r"also the delivery target of service account 'other'", None),
    ("the same account twice", "name: e2e", "name: E2E", r"defined twice", "apiVersion"),
]

OTHER = manifest_text(name="other", mfa="none", deliver=["profile: shared", "file: shared.json"])
FILES = {
    "policy not JSON": {"bad.json": '{"Version": "2012-10-17", "Statement": tru}'},
    "policy duplicate JSON key": {"dup.json": '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}'},
    "policy too large for a group": {"big.json": json.dumps(BIG_POLICY, indent=1)},
    "policy lint error": {"admin.json": '{"Version": "2012-10-17", "Statement": '
                                        '[{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'},
    "placeholder without a value": {"tmpl.json": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                                                 '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::${BUCKET}/*"}]}'},
    "a profile of another manifest": {"a-other.yaml": OTHER},
    "a file of another manifest": {"a-other.yaml": OTHER},
    "the same account twice": {"a-other.yaml": manifest_text(mfa="none")},
    "accounts differing in one run": {"a-other.yaml": OTHER.replace("metadata:\n", "metadata:\n  account: '123456789012'\n")},
}

# keywarden.yaml beside the manifests (manifest/folder.h): (name, text, message, line)
SETTINGS = [
    ("owner with a space", "owner: 'a b'\n", r"owner 'a b'", 1),
    ("owner a list", "owner: [a]\n", r"owner must be a string", 1),
    ("noProgressTimeout negative", "owner: team\nnoProgressTimeout: -1\n", r"noProgressTimeout must be a duration", 2),
    ("noProgressTimeout malformed", "noProgressTimeout: 2x\n", r"noProgressTimeout must be a duration", 1),
    ("noProgressTimeout too long", "noProgressTimeout: 2d\n", r"noProgressTimeout must be a duration", 1),
    ("settings unknown key", "ownr: team\n", r"unknown key 'ownr'", 1),
]


class ManifestBounds(EngineCase):
    def run_apply(self):
        if os.path.exists(self.seed):
            os.unlink(self.seed)
        return self.kw("apply", "--auto-approve", "--confirm-timeout", "5", "--mfa-seed-out", self.seed,
                       self.mdir)

    def test_a_good_manifest_is_written(self):
        # the control: the same run over the same folder writes when no value is bad
        r = self.run_apply()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertGreater(self.writes().get("CreateAccessKey", 0), 0)

    def test_every_bad_value_is_refused_at_its_place_before_any_write(self):
        base = manifest_text()
        os.mkdir(os.path.join(self.mdir, "sub"))
        for name, old, new, said, where in CASES:
            with self.subTest(name):
                self.assertIn(old, base, name)
                text = base.replace(old, new, 1)
                extra = FILES.get(name, {})
                for fname, content in extra.items():
                    with open(os.path.join(self.mdir, fname), "w") as f:
                        f.write(content)
                with open(self.manifest, "w") as f:
                    f.write(text)
                if isinstance(where, tuple):
                    file, line = os.path.join(self.mdir, where[0]), where[1]
                else:
                    at = where if where is not None else new.strip("\n").split("\n")[0]
                    self.assertIn(at, text, name)
                    file, line = self.manifest, text[:text.index(at)].count("\n") + 1
                    if at.startswith("\n"):
                        line += 1
                self.ep.reset_counts()
                try:
                    r = self.run_apply()
                finally:
                    for fname in extra:
                        os.unlink(os.path.join(self.mdir, fname))
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertEqual(self.writes(), {}, "a write before the refusal:\n" + r.stderr)
                m = re.search(r"^error: %s:(\d+):(\d+): (.*%s.*)$" % (re.escape(file), said), r.stderr, re.M)
                self.assertTrue(m, "no error at %s:%d matching %r in:\n%s" % (file, line, said, r.stderr))
                self.assertEqual(int(m.group(1)), line, m.group(0))
                self.assertEqual(self.ep.counts().get("CreateAccessKey", 0), 0)

    def test_every_bad_folder_setting_is_refused_at_its_place_before_any_write(self):
        settings = os.path.join(self.mdir, "keywarden.yaml")
        for name, text, said, line in SETTINGS:
            with self.subTest(name):
                with open(settings, "w") as f:
                    f.write(text)
                self.ep.reset_counts()
                r = self.run_apply()
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertEqual(self.writes(), {}, "a write before the refusal:\n" + r.stderr)
                self.assertRegex(r.stderr, r"(?m)^error: %s:%d:\d+: .*%s" % (re.escape(settings), line, said))


class RotateBounds(LifecycleCase):
    def test_a_target_that_cannot_take_the_key_stops_rotate_at_its_entry(self):
        # rotate checks every target before CreateAccessKey, and names the deliver entry
        self.make_user("service-app")
        m = self.manifest("app", deliver=({"file": os.path.join(self.work, "nowhere", "k.json")},))
        with open(m) as f:
            line = [i for i, ln in enumerate(f.read().split("\n"), 1) if "- file: " in ln][0]
        self.ep.reset_counts()
        p = self.kw("rotate", "--confirm-timeout", "5", m)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        # rotate's errors start with the account they are about
        self.assertRegex(p.stderr, r"(?m)^error: service-app: %s:%d:\d+: create: file .*: cannot be created: its "
                                   r"folder .* does not exist" % (re.escape(m), line))
        self.assertEqual({a: n for a, n in self.ep.counts().items() if a.startswith(WRITE_PREFIXES)}, {})


if __name__ == "__main__":
    unittest.main(verbosity=2)
