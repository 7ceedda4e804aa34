"""Jobs through a real worker process (a Huey consumer on the test's SQLite queue file)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_config():
    return {"JOBS_IMMEDIATE": False}


@pytest.fixture
def start_worker(app, database_uri):
    """``start_worker(block_at=None, env=None)`` → a running worker process for ``app``'s database
    and queue (``env``: more settings, e.g. ``REDIS_URL``)."""
    started: list[subprocess.Popen] = []

    def start(block_at: str | None = None, env: dict[str, str] | None = None) -> subprocess.Popen:
        env = {**os.environ, "DATABASE_URL": database_uri, "IDEENMARKT_INSTANCE": app.instance_path,
               "IDEENMARKT_JOBS_STALE_SECONDS": "3600", **(env or {})}
        command = [sys.executable, "-m", "tests.jobs.worker_main"] + (["--block-at", block_at] if block_at else [])
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
