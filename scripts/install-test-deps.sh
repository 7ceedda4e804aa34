#!/usr/bin/env bash
# Install what the test suite needs beyond the Python virtualenv.
#
# Usage (as root, on Debian 12):   scripts/install-test-deps.sh
#
# Idempotent: Debian packages are installed only when `dpkg -s` says they are
# missing (and `apt-get update` runs at most once, only then); npm packages are
# installed only when node_modules/axe-core is missing.
#
#   chromium           headless browser for Playwright (never `playwright install`)
#   redis-server       rate-limit / live-update backend in integration tests
#   fonts-dejavu-core  a real font so rendered pages and screenshots are stable
#   nginx              the reverse proxy of the production-stack tests (scripts/serve-prod.sh)
#   axe-core (npm)     accessibility checks, injected by tests/support/browser.py
#
# PostgreSQL 15 server binaries are expected at /usr/lib/postgresql/15/bin.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEBIAN_PACKAGES=(chromium redis-server fonts-dejavu-core nginx)

die() {
    echo "install-test-deps: ERROR: $*" >&2
    exit 1
}

is_installed() {
    # Any of Debian's nginx flavours (nginx, nginx-light, ...) provides /usr/sbin/nginx.
    [[ $1 == nginx && -x /usr/sbin/nginx ]] && return 0
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    if is_installed "$pkg"; then
        echo "install-test-deps: $pkg already installed"
    else
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} > 0)); then
    if [[ $(id -u) -ne 0 ]]; then
        die "missing Debian packages (${missing[*]}); run this script as root"
    fi
    echo "install-test-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || die "apt-get install ${missing[*]} failed"
    for pkg in "${missing[@]}"; do
        is_installed "$pkg" || die "$pkg is still not installed after apt-get install"
    done
fi

if [[ ! -x /usr/bin/chromium ]]; then
    die "/usr/bin/chromium not found after installing chromium"
fi

if [[ ! -f "$REPO_ROOT/node_modules/axe-core/axe.min.js" ]]; then
    command -v npm >/dev/null || die "npm not found; install Node.js first"
    cd "$REPO_ROOT"
    if [[ -f package-lock.json ]]; then
        echo "install-test-deps: npm ci"
        npm ci --no-audit --no-fund || die "npm ci failed"
    else
        echo "install-test-deps: npm install (no package-lock.json yet)"
        npm install --no-audit --no-fund || die "npm install failed"
    fi
    [[ -f node_modules/axe-core/axe.min.js ]] \
        || die "node_modules/axe-core/axe.min.js missing after npm install"
else
    echo "install-test-deps: axe-core already in node_modules"
fi

echo "install-test-deps: done"
