#!/usr/bin/env bash
# Check the pinned requirements against the known-vulnerability databases (pip-audit).
#
# Usage:  scripts/audit-deps.sh [requirements files...]   (default: requirements.txt requirements-dev.txt)
#
# Needs the network (PyPI's JSON API, or OSV with AUDIT_SERVICE=osv), so it is not part of
# the test suite. Exits non-zero when a vulnerability is known, and also when a package
# could NOT be audited (service unreachable, package unknown to it): a run that checked
# nothing must not look like a clean one. Fix a finding by pinning the fixed version.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
PYTHON="${PYTHON:-.venv/bin/python}"
PIP_AUDIT_VERSION="2.10.1"
SERVICE="${AUDIT_SERVICE:-pypi}"
files=("$@")
((${#files[@]})) || files=(requirements.txt requirements-dev.txt)

if ! "$PYTHON" -m pip_audit --version >/dev/null 2>&1; then
    "$PYTHON" -m pip install --quiet "pip-audit==$PIP_AUDIT_VERSION"
fi

args=()
for f in "${files[@]}"; do args+=(-r "$f"); done
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
set +e
"$PYTHON" -m pip_audit "${args[@]}" --vulnerability-service "$SERVICE" --format json --progress-spinner off \
    >"$report"
status=$?
set -e

"$PYTHON" - "$report" "$status" <<'PY'
import json, sys

path, status = sys.argv[1], int(sys.argv[2])
try:
    data = json.load(open(path))
except ValueError:
    print(f"audit-deps: pip-audit failed (exit {status}) without a report")
    sys.exit(2)
deps = data.get("dependencies", [])
vulnerable = [(d["name"], d["version"], v["id"], v.get("fix_versions", []))
              for d in deps for v in d.get("vulns", [])]
skipped = [(d["name"], d.get("skip_reason", "")) for d in deps if "skip_reason" in d]
for name, version, vid, fixes in vulnerable:
    print(f"VULNERABLE {name}=={version}: {vid}; fixed in {', '.join(fixes) or 'no release yet'}")
for name, reason in skipped:
    print(f"NOT AUDITED {name}: {reason}")
audited = len(deps) - len(skipped)
print(f"audit-deps: {audited} packages audited, {len(vulnerable)} known vulnerabilities, {len(skipped)} not audited")
sys.exit(1 if vulnerable or skipped else 0)
PY
