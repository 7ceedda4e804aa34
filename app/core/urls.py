"""Absolute URLs for mails, QR codes and calendar files (also built outside a request).

The public address is ``BASE_URL`` when it is configured (production refuses to start
without it). Without it (development), links follow the address the
site is served on: the current request's host and port, or outside a request the
``flask run`` address (``FLASK_RUN_HOST`` / ``FLASK_RUN_PORT``, which ``make run`` sets).
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for

#: Where ``flask run`` serves when nothing else is said.
DEFAULT_RUN_HOST = "127.0.0.1"
DEFAULT_RUN_PORT = "5000"


def public_base_url() -> str:
    """The site's public address without a trailing slash, e.g. ``https://beteiligung.example``."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    host = os.environ.get("FLASK_RUN_HOST") or DEFAULT_RUN_HOST
    port = os.environ.get("FLASK_RUN_PORT") or DEFAULT_RUN_PORT
    if host in ("0.0.0.0", "::"):  # listening everywhere: loopback reaches it
        host = DEFAULT_RUN_HOST
    return f"http://{host}:{port}"


def public_host() -> str:
    """The host name of :func:`public_base_url` (for calendar UIDs)."""
    return urlsplit(public_base_url()).hostname or "ideenmarkt"


def absolute_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL on :func:`public_base_url`."""
    base = public_base_url()
    with current_app.test_request_context(base_url=base + "/"):
        return url_for(endpoint, _external=True, **values)
