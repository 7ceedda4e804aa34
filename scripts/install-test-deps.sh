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
#   slapd, ldap-utils  the OpenLDAP server the LDAP sign-in tests start (tests/support/slapd.py;
#                      a system slapd the package may start is not used)
#   libnginx-mod-nchan nginx's pub/sub module: it holds the live walls' streams in production
#   axe-core (npm)     accessibility checks, injected by tests/support/browser.py
#
# PostgreSQL 15 server binaries are expected at /usr/lib/postgresql/15/bin.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEBIAN_PACKAGES=(chromium redis-server fonts-dejavu-core nginx libnginx-mod-nchan slapd ldap-utils)

#: Seconds to wait for another apt/dpkg (unattended-upgrades, a colleague's install) to finish.
APT_LOCK_TIMEOUT="${APT_LOCK_TIMEOUT:-600}"
APT_LOCK_RETRY_SECONDS="${APT_LOCK_RETRY_SECONDS:-5}"

die() {
    echo "install-test-deps: ERROR: $*" >&2
    exit 1
}

is_installed() {
    # Any of Debian's nginx flavours (nginx, nginx-light, ...) provides /usr/sbin/nginx.
    [[ $1 == nginx && -x /usr/sbin/nginx ]] && return 0
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

# DPkg::Lock::Timeout makes apt-get wait for dpkg's lock, but `apt-get update` also takes the
# lock of /var/lib/apt/lists and fails at once ("Could not get lock") while another update holds
# it: retry that case until APT_LOCK_TIMEOUT, fail at once on any other error.
apt_get_update() {
    local waited=0 output
    until output=$(apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" update -q 2>&1); do
        if ! grep -qE "Could not get lock|Unable to lock|is held by process" <<<"$output"; then
            echo "$output" >&2
            die "apt-get update failed"
        fi
        if ((waited >= APT_LOCK_TIMEOUT)); then
            echo "$output" >&2
            die "apt's lists lock still held after ${APT_LOCK_TIMEOUT}s"
        fi
        ((waited == 0)) && echo "install-test-deps: waiting for another apt-get to release its lock"
        sleep "$APT_LOCK_RETRY_SECONDS"
        waited=$((waited + APT_LOCK_RETRY_SECONDS))
    done
    echo "$output"
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
    apt_get_update
    apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" install -y -q --no-install-recommends "${missing[@]}" \
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
