"""gunicorn settings read by scripts/serve-prod.sh (``--config``): the metrics' multiprocess mode.

Each worker writes its metric values to files in ``PROMETHEUS_MULTIPROC_DIR`` (serve-prod.sh
empties it before gunicorn starts); when a worker exits, its live gauges (open streams, pool
use) must stop counting, so the master tells prometheus_client which process is gone.
"""
import os


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
