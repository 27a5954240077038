#!/usr/bin/env bash
# Installs what building and testing tsfill needs on Debian 12, skipping what is present:
# Debian packages through apt-get, Python packages into ./.venv through pip.
# Usage: scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build git libgtest-dev libgmock-dev libbenchmark-dev libeigen3-dev
          clang-format)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
