"""scripts/install-test-deps.sh waits for apt's locks instead of failing at once."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _fake(path: Path, body: str) -> None:
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)


def _run(tmp_path: Path, failures: int, retry: str = "0", lock_message: str = "E: Could not get lock /var/lib/apt/lists/lock. "
         "It is held by process 4242 (apt-get)"):
    """The script with a fake apt-get whose ``update`` fails ``failures`` times, and a fake dpkg
    that reports the packages missing until apt-get install ran."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    _fake(bin_dir / "apt-get", f"""echo "$@" >> {log}
if [[ " $* " == *" update "* ]]; then
    n=$(grep -c " update" {log})
    if (( n <= {failures} )); then echo "{lock_message}" >&2; exit 100; fi
fi
[[ " $* " == *" install "* ]] && touch {tmp_path}/installed
exit 0
""")
    _fake(bin_dir / "dpkg", f"""[[ -f {tmp_path}/installed ]] && echo 'Status: install ok installed'; exit 0
""")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "APT_LOCK_RETRY_SECONDS": retry,
           "APT_LOCK_TIMEOUT": "2"}
    done = subprocess.run(["bash", str(ROOT / "scripts/install-test-deps.sh")], env=env, capture_output=True,
                          text=True, timeout=120)
    return done, log.read_text().splitlines() if log.exists() else []


def test_update_waits_for_the_lists_lock_and_every_call_waits_for_dpkgs_lock(tmp_path):
    done, calls = _run(tmp_path, failures=2)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "waiting for another apt-get" in done.stdout
    assert [c.split()[-2:] for c in calls if " update" in c] == [["update", "-q"]] * 3
    assert any(" install " in c for c in calls)
    assert all("DPkg::Lock::Timeout=2" in c for c in calls), calls


def test_a_lock_held_too_long_or_another_error_fails_with_the_reason(tmp_path):
    done, calls = _run(tmp_path, failures=99, retry="1")
    assert done.returncode == 1 and "still held after 2s" in done.stderr and len(calls) == 3
    other = tmp_path / "other"
    other.mkdir()
    done, calls = _run(other, failures=1, lock_message="E: The repository is not signed.")
    assert done.returncode == 1 and "apt-get update failed" in done.stderr and len(calls) == 1
