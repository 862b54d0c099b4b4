#!/usr/bin/env bash
# The README's first command: keywarden end to end against the local IAM endpoint.
#
# Builds keywarden; starts tests/iam-endpoint/server.py on a free loopback port with a
# throwaway admin key; points keywarden and the AWS CLI at it through temporary config and
# credentials files (never your ~/.aws: HOME is a temporary folder too); then runs validate,
# plan, apply --auto-approve (the MFA seed goes to a temporary 0600 file), shows the delivered
# profile with its secret masked, plans again (no changes, exit 0), reads the result back with
# Debian's `aws iam get-user` and `list-access-keys`, and stops the endpoint.
# Exits 0 only when every one of those held.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
manifest=${1:-manifests/service-ansible.yaml}
python=/usr/bin/python3
aws=/usr/bin/aws

bin=$("$root/scripts/build.sh")
cd "$root"

umask 077
work=$(mktemp -d "${TMPDIR:-/tmp}/keywarden-demo.XXXXXX")
server_pid=""
cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" | { [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && cat || sed 's/\x1b\[[0-9;]*m//g'; }; }
fail() {
	echo "demo: FAILED: $*" >&2
	exit 1
}

# A throwaway admin key for the local endpoint only.
key_id=$("$python" -c 'import secrets, string; print("AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16)))')
secret=$("$python" -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(30)).decode())')

step "starting the local IAM endpoint (tests/iam-endpoint/server.py)"
# the admin secret reaches the server through its environment, not its argv
IAM_ENDPOINT_SECRET_ACCESS_KEY="$secret" "$python" tests/iam-endpoint/server.py --port 0 \
	--access-key-id "$key_id" >"$work/endpoint.out" 2>"$work/endpoint.log" &
server_pid=$!
url=""
for _ in $(seq 1 300); do
	if line=$(grep -m1 '^listening on ' "$work/endpoint.out" 2>/dev/null); then
		url=${line#listening on }
		break
	fi
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$url" ] || {
	cat "$work/endpoint.log" >&2
	fail "the local IAM endpoint did not start"
}
echo "endpoint: $url"

# Temporary AWS configuration: nothing of the user's own is read or written.
home="$work/home"
mkdir -p "$home/.aws"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key_id" "$secret" >"$home/.aws/credentials"
printf '[default]\nregion = us-east-1\noutput = json\n' >"$home/.aws/config"
for v in $(env | sed -n 's/^\(AWS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$home"
export AWS_SHARED_CREDENTIALS_FILE="$home/.aws/credentials"
export AWS_CONFIG_FILE="$home/.aws/config"
export AWS_ENDPOINT_URL="$url"
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
seed="$work/mfa-seed"

step "keywarden validate $manifest"
"$bin" validate "$manifest" || fail "validate"

step "keywarden plan $manifest"
set +e
"$bin" plan "$manifest"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "plan should list changes (exit 2), got exit $rc"

step "keywarden apply --auto-approve --mfa-seed-out <temporary 0600 file> $manifest"
"$bin" apply --auto-approve --mfa-seed-out "$seed" "$manifest" || fail "apply"
[ -s "$seed" ] || fail "no MFA seed was handed to its custodian file"
[ "$(stat -c %a "$seed")" = 600 ] || fail "the MFA seed file is not 0600"
echo "MFA seed: in $seed (mode 0600, $(wc -c <"$seed") bytes; not shown)"

step "the delivered profile in the temporary credentials file (secret masked)"
profile=$(sed -n 's/^ *- *profile: *\([^ #]*\).*/\1/p' "$manifest" | head -n1)
profile=${profile:-service-ansible}
awk -v p="[$profile]" '$0 == p {on=1; print; next} /^\[/ {on=0} on' "$AWS_SHARED_CREDENTIALS_FILE" |
	sed -E 's/^(aws_secret_access_key *= *).*/\1****************/'
grep -qx "\[$profile\]" "$AWS_SHARED_CREDENTIALS_FILE" || fail "profile [$profile] was not delivered"
[ "$(stat -c %a "$AWS_SHARED_CREDENTIALS_FILE")" = 600 ] || fail "the credentials file is not 0600"

step "keywarden plan $manifest (again: nothing to do)"
"$bin" plan "$manifest" || fail "the second plan should find no changes (exit 0)"

user=$(sed -n 's/^ *name: *\([^ #]*\).*/service-\1/p' "$manifest" | head -n1)
step "independent read-back with the AWS CLI: aws iam get-user --user-name $user"
"$aws" --endpoint-url "$url" iam get-user --user-name "$user" || fail "aws iam get-user"
step "aws iam list-access-keys --user-name $user"
keys=$("$aws" --endpoint-url "$url" --output json iam list-access-keys --user-name "$user") || fail "aws iam list-access-keys"
echo "$keys"
echo "$keys" | grep -q '"Status": "Active"' || fail "no active access key"

step "the new key works: aws sts get-caller-identity --profile $profile"
"$aws" --endpoint-url "$url" --region us-east-1 --profile "$profile" sts get-caller-identity || fail "the delivered key does not work"

step "stopping the endpoint"
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
echo
echo "demo: OK: validated, planned, applied, delivered, confirmed; the second plan found nothing to do"
