"""``GET /metrics``: the Prometheus text format, for the token's holder or the internal networks.

What the instruments counted in this process (or, in gunicorn's multiprocess mode, in every
worker: ``PROMETHEUS_MULTIPROC_DIR``), plus what is read at the scrape: the outbox backlog,
the job table and queue, and, with nginx's live path, nchan's subscriber count.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import re
import urllib.request
from datetime import timedelta

import sqlalchemy as sa
from flask import Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from app.core.access import public
from app.core.models import OutboxMail, utcnow
from app.extensions import db
from app.jobs.models import Job
from app.jobs.services import queue_length
from app.metrics import bp

log = logging.getLogger("ideenmarkt.metrics")


def allowed() -> bool:
    """Whether this request may read the metrics; 404 when metrics are not configured at all.

    ``METRICS_TOKEN`` set: ``Authorization: Bearer <token>`` required. ``METRICS_NETWORKS`` set:
    the client address (as ``TRUSTED_PROXIES`` resolved it) must be in one of them. Both set: both.
    """
    token = current_app.config["METRICS_TOKEN"]
    networks = current_app.extensions["metrics.networks"]
    if not token and not networks:
        abort(404)
    if token:
        scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(offered.strip().encode(), token.encode()):
            return False
    if networks:
        try:
            client = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            return False
        if not any(client in network for network in networks):
            return False
    return True


class ScrapeCollector:
    """What is read when ``/metrics`` is scraped (the same for every worker: from the database)."""

    def collect(self):
        now = utcnow()
        backlog = GaugeMetricFamily("ideenmarkt_outbox_backlog", "Mails in the outbox not yet sent.")
        backlog.add_metric([], db.session.execute(
            sa.select(sa.func.count()).select_from(OutboxMail).where(OutboxMail.sent_at.is_(None))).scalar_one())
        yield backlog
        oldest = db.session.execute(sa.select(sa.func.min(OutboxMail.created_at))
                                    .where(OutboxMail.sent_at.is_(None))).scalar_one()
        age = GaugeMetricFamily("ideenmarkt_outbox_oldest_unsent_seconds",
                                "Age of the oldest mail not yet sent (0: none waiting).")
        age.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
        yield age

        jobs = GaugeMetricFamily("ideenmarkt_jobs", "Background jobs in the job table, by kind and status.",
                                 labels=("kind", "status"))
        for kind, status, count in db.session.execute(
                sa.select(Job.kind, Job.status, sa.func.count()).group_by(Job.kind, Job.status)):
            jobs.add_metric([kind, status], count)
        yield jobs
        failed = GaugeMetricFamily("ideenmarkt_jobs_failed_last_hour", "Jobs that failed in the last hour, by kind.",
                                   labels=("kind",))
        for kind, count in db.session.execute(
                sa.select(Job.kind, sa.func.count()).where(Job.status == "failed",
                                                           Job.finished_at >= now - timedelta(hours=1))
                .group_by(Job.kind)):
            failed.add_metric([kind], count)
        yield failed
        queue = GaugeMetricFamily("ideenmarkt_job_queue_length",
                                  "Messages waiting in the job queue (Huey; -1: the queue does not answer).")
        queue.add_metric([], queue_length())
        yield queue

        subscribers = nchan_subscribers()
        if subscribers is not None:
            nchan = GaugeMetricFamily("ideenmarkt_live_nchan_subscribers",
                                      "Live connections nginx (nchan) holds on this machine.")
            nchan.add_metric([], subscribers)
            yield nchan


def nchan_subscribers() -> int | None:
    """Subscribers from nchan's stub status next to the publisher (``LIVE_PUBLISH_URL``), or None."""
    publish = current_app.config.get("LIVE_PUBLISH_URL") or ""
    if not publish:
        return None
    url = re.sub(r"/_live/publish/?$", "/_live/status", publish.rstrip("/"))
    try:
        with urllib.request.urlopen(url, timeout=1.0) as answer:  # noqa: S310 - our own loopback nginx
            text = answer.read(4096).decode("ascii", "replace")
    except OSError as exc:
        log.warning("nchan status %s not readable: %s", url, exc)
        return None
    found = re.search(r"^subscribers:\s*(\d+)", text, re.MULTILINE)
    return int(found.group(1)) if found else None


class _ThisProcess:
    """The default registry's metrics (this process), when not in multiprocess mode."""

    def collect(self):
        yield from REGISTRY.collect()


@bp.route("/metrics")
@public
def metrics():
    if not allowed():
        abort(403)
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # noqa: PLC0415 - only in multiprocess mode

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(ScrapeCollector())
    response = Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST.split(";")[0])
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    response.headers["Cache-Control"] = "no-store"
    return response
