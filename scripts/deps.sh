#!/usr/bin/env bash
# Install the Debian packages keywarden needs to build and test, only those missing.
# apt-get update runs at most once, and only when something is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev clang-format git
  libcurl4-openssl-dev libssl-dev libyaml-dev libjansson-dev libqrencode-dev libxml2-dev
  libpng-dev zbar-tools tmux lowdown man-db dpkg-dev zsh
  libcmocka-dev python3 python3-botocore python3-boto3 awscli time
  python3-jsonschema python3-yaml strace
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi
