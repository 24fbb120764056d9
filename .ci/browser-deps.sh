#!/usr/bin/env bash
# System packages the demo-page browser test, the k6 script check and the shell-script lint need: Chromium
# with its WebDriver, Node.js (parses tests/k6-load-test.js) and shellcheck. Installs only what is missing,
# and only as root (CI runs as root on Debian 12); elsewhere it says what to install and the tests that need
# the packages skip with that reason.
set -euo pipefail

packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v shellcheck >/dev/null 2>&1 || packages+=(shellcheck)

if [ "${#packages[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "browser-deps: not root; install these to run every test: ${packages[*]}" >&2
    exit 0
fi
# Another apt user on the machine holds the lock for a while; wait for it rather than fail.
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${packages[@]}"
