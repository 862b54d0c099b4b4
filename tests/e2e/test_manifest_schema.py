"""docs/manifest.schema.json: a valid JSON Schema, every manifest in manifests/ passes it, and it
agrees with `keywarden validate` on valid and invalid samples (the schema is what editors use
through yaml-language-server; validate is the authority and checks more)."""
import json
import os
import subprocess
import tempfile
import unittest

import jsonschema
import yaml

SOURCE = os.environ.get("KW_SOURCE_DIR", ".")
KEYWARDEN = os.environ.get("KEYWARDEN", "build/test/keywarden")
SCHEMA = os.path.join(SOURCE, "docs", "manifest.schema.json")

VALID = """apiVersion: keywarden/v1
kind: ServiceAccount
metadata:
  name: sample
spec:
  path: /service/
  tags: {owner: platform-team, "kubernetes.io/cluster": "prod:eu @ 1"}
  policies:
    - managed: arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess
  permissionsBoundary: arn:aws:iam::123456789012:policy/boundaries/service
  console: disabled
  mfa: none
  accessKeys:
    maxAgeDays: 30
    deliver:
      - profile: service-sample
        region: eu-west-1
        output: json
      - file: keys/sample.json
      - stdout: true
      - exec: cat
"""

# (what changes in VALID, text replaced, replacement): each makes the manifest invalid for both.
INVALID = [
    ("unknown key", "  tags:", "  tag:"),
    ("wrong apiVersion", "keywarden/v1", "keywarden/v2"),
    ("name with a space", "name: sample", "name: my sample"),
    ("name too long", "name: sample", "name: " + "x" * 57),
    ("path without a final slash", "path: /service/", "path: /service"),
    ("aws: tag", "owner: platform-team", "aws:owner: platform-team"),
    ("reserved tag", "owner: platform-team", "managed-by: me"),
    ("tag character", "owner: platform-team", "owner: a;b"),
    ("managed ARN", "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess", "arn:aws:iam::aws:role/x"),
    ("boundary ARN", "123456789012:policy/boundaries", "12345:policy/boundaries"),
    ("console enabled", "console: disabled", "console: enabled"),
    ("mfa", "mfa: none", "mfa: sms"),
    ("max age", "maxAgeDays: 30", "maxAgeDays: 0"),
    ("max age as a string", "maxAgeDays: 30", "maxAgeDays: '30'"),
    ("profile with a space", "profile: service-sample", "profile: service sample"),
    ("region", "region: eu-west-1", "region: Europe"),
    ("output", "output: json", "output: xml"),
    ("stdout false", "stdout: true", "stdout: false"),
    ("two delivery kinds", "      - stdout: true", "      - stdout: true\n        exec: cat"),
    ("entry with inline and managed", "    - managed: arn", "    - inline: x.json\n      managed: arn"),
]


def schema():
    with open(SCHEMA, encoding="utf-8") as f:
        s = json.load(f)
    jsonschema.Draft7Validator.check_schema(s)
    return jsonschema.Draft7Validator(s)


def keywarden_validate(path):
    return subprocess.run([KEYWARDEN, "validate", path], capture_output=True, text=True, timeout=60)


class Schema(unittest.TestCase):
    def test_every_manifest_in_the_repo_passes(self):
        v = schema()
        folder = os.path.join(SOURCE, "manifests")
        files = sorted(f for f in os.listdir(folder) if f.endswith((".yaml", ".yml")))
        self.assertGreaterEqual(len(files), 5)
        for name in files:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                for doc in yaml.safe_load_all(f):
                    if doc is None:
                        continue
                    with self.subTest(manifest=name):
                        errors = [e.message for e in v.iter_errors(doc)]
                        self.assertEqual(errors, [])

    def test_schema_and_validate_agree(self):
        v = schema()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(VALID)
            self.assertEqual(list(v.iter_errors(yaml.safe_load(VALID))), [])
            r = keywarden_validate(path)
            self.assertEqual(r.returncode, 0, r.stderr)
            for name, old, new in INVALID:
                with self.subTest(case=name):
                    self.assertIn(old, VALID)
                    text = VALID.replace(old, new, 1)
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(text)
                    self.assertNotEqual(list(v.iter_errors(yaml.safe_load(text))), [], "schema accepts it")
                    r = keywarden_validate(path)
                    self.assertEqual(r.returncode, 1, "validate accepts it")
                    self.assertRegex(r.stderr, r"^error: .*m\.yaml:\d+:\d+: ")

    def test_lint_codes_in_the_schema_are_the_commands(self):
        v = schema()
        codes = v.schema["properties"]["spec"]["properties"]["policies"]["items"]["oneOf"][0]
        codes = codes["properties"]["allow"]["items"]["properties"]["code"]["enum"]
        out = subprocess.run([KEYWARDEN, "policy", "lint", "--help"], capture_output=True, text=True).stdout
        listed = [line.split()[0] for line in out.splitlines() if line.startswith("  KWP")]
        self.assertEqual(codes, listed)


if __name__ == "__main__":
    unittest.main(verbosity=2)
