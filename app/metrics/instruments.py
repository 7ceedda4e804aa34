"""The app's Prometheus instruments (prometheus_client), defined once and imported where they count.

In gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` (set by ``scripts/serve-prod.sh`` before the workers
start) makes every worker write its values to files there, and ``/metrics`` adds them up
(``multiprocess_mode="livesum"``: only processes still alive count, see ``scripts/gunicorn.conf.py``).
Labels are bounded: a route *pattern* (``/events/<int:event_id>``), never a path, so no id or
secret of a URL becomes a label.
"""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter("ideenmarkt_http_requests", "Requests answered, by route pattern, method and status.",
                   ("route", "method", "status"))
LATENCY = Histogram("ideenmarkt_http_request_duration_seconds",
                    "Time from the request's start to the response, by route pattern and method.",
                    ("route", "method"),
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0))
#: Wall streams held open by the app itself (without nginx's live path; app/ideas/live.py).
LIVE_STREAMS = Gauge("ideenmarkt_live_streams_open", "Wall event streams the app holds open itself.",
                     multiprocess_mode="livesum")
DB_IN_USE = Gauge("ideenmarkt_db_connections_in_use", "Database connections checked out of the pools.",
                  multiprocess_mode="livesum")
DB_POOL_SIZE = Gauge("ideenmarkt_db_pool_size", "Connections the pools keep (without overflow).",
                     multiprocess_mode="livesum")
