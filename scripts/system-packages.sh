#!/usr/bin/env bash
# Install the Debian packages the test suite needs (only those missing; root or sudo).
set -euo pipefail
PACKAGES=(make nodejs chromium libzbar0 fonts-dejavu-core postgresql redis-server nginx-light wrk)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
