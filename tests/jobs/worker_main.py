"""A job worker for the tests: ``python -m tests.jobs.worker_main [--block-at STAGE]``.

The same consumer as ``flask jobs worker`` (app.jobs.services.run_worker), configured from
the environment the test gives (DATABASE_URL, IDEENMARKT_INSTANCE). ``--block-at`` makes
the worker stop for good right after it has reported ``STAGE`` (the row shows it), so a test
can kill it in the middle of a job without hoping for the timing.
"""
from __future__ import annotations

import argparse
import threading

from app import create_app
from app.jobs import services
from config import TestingConfig


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--block-at", default="")
    args = parser.parse_args()
    if args.block_at:
        report = services.Reporter.__call__
        never = threading.Event()

        def blocking(self, stage, percent=None, **detail):
            report(self, stage, percent, **detail)
            if stage == args.block_at:
                never.wait()

        services.Reporter.__call__ = blocking
    app = create_app(TestingConfig, JOBS_IMMEDIATE=False)
    services.run_worker(app, workers=1)


if __name__ == "__main__":
    main()
