#!/usr/bin/env bash
# Install the Debian packages doppel needs, only those missing. Needs root (or sudo).
# --test adds what only the test suite needs (valgrind).
set -euo pipefail

packages=(cmake make gcc g++ pkg-config gzip
          libxxhash-dev libutf8proc-dev libicu-dev zlib1g-dev libzstd-dev libjson-c-dev
          libcld2-dev)
if [ "${1:-}" = "--test" ]; then
  packages+=(valgrind)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "doppel: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
