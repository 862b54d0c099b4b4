#!/usr/bin/env bash
# The reads an engineer scripts by hand with the AWS CLI to see one service account's state,
# as a baseline for `keywarden plan` (bench/README.md). Usage: aws_cli_reads.sh ENDPOINT_URL NAME...
# Runs Debian's /usr/bin/aws, one process per call, as such scripts do.
set -uo pipefail
url=$1
shift
a() { /usr/bin/aws --endpoint-url "$url" --output json "$@" >/dev/null 2>&1 || true; }
for name in "$@"; do
  user="service-$name"
  a iam get-user --user-name "$user"
  a iam list-groups-for-user --user-name "$user"
  a iam list-group-policies --group-name "$user"
  a iam get-group-policy --group-name "$user" --policy-name "$name"
  a iam list-attached-group-policies --group-name "$user"
  a iam get-login-profile --user-name "$user"
  a iam list-mfa-devices --user-name "$user"
  a iam list-access-keys --user-name "$user"
done
