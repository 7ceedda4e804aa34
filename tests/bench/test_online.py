"""``bench/online.py --small`` (issue 18) runs end to end on SQLite: it builds its process with bulk
inserts, prints the pages' table beside the target, sends supports through gunicorn and finds
nothing lost or doubled. Numbers are only printed (bench/README.md has the full run's); nothing
here is about time."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.databases import ON_POSTGRES

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(ON_POSTGRES, reason="runs once, on the SQLite pass (the bench brings its own databases)"),
]


def test_small_bench_prints_its_table_and_loses_nothing():
    done = subprocess.run([sys.executable, "bench/online.py", "--small", "--sqlite-only"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "500 participants, 1,500 ideas, 10,000 supports, 2,500 comments in one process" in out
    assert "SQLite: seeded {'participants': 500, 'ideas': 1500, 'supports': 10000, 'comments': 2500}" in out
    for page in ("stand page, newest first", "stand page, most supported", "online queue (moderator)",
                 "results of the process"):
        line = next((line for line in out.splitlines() if line.strip().startswith(page)), "")
        assert " ms " in line and "< 300 ms" in line, (page, out)
    assert "support POST, gunicorn" in out and "target median < 50 ms" in out
    assert "pairs stored twice: 0" in out
    assert "SQLite: nothing lost or doubled" in out
