#!/usr/bin/env bash
# The Debian packages the test suite needs: Chromium for the browser tests,
# CJK fonts so Korean and Chinese render in screenshots, gettext for the
# translation check, wrk for the smoke run of the HTTP benchmark; or those
# named. Installs what is missing when run as root.
set -euo pipefail
packages=("$@")
[ ${#packages[@]} -eq 0 ] && packages=(chromium fonts-noto-cjk gettext wrk)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
