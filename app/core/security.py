"""Security headers on every response, and the request id."""
from __future__ import annotations

import re
import secrets

from flask import Flask, g, request
from werkzeug.routing import IntegerConverter

from app.core.jsonbody import Request as JSONLimitedRequest
from app.core.proxies import from_trusted_proxy

#: The largest id an ``integer`` column holds (PostgreSQL's is 32-bit signed).
MAX_ID = 2**31 - 1

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Private links (manage an application, a ticket) must never leak to other sites.
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}


class IdConverter(IntegerConverter):
    """``<int:...>`` in URLs: a number beyond the database's integer range is a 404, not a
    database error (PostgreSQL refuses to compare an ``integer`` column with 2**31)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def int_arg(name: str, default: int | None = None, *, maximum: int = MAX_ID) -> int | None:
    """The query parameter ``name`` as a whole number in 1..``maximum``; ``default`` otherwise
    (also for numbers the database could not compare with, such as ``?page=10**30``)."""
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= maximum else default


#: A request id passed on by the proxy (nginx sends its ``$request_id``: 32 hex digits).
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


def request_id() -> str:
    """The id of this request in log lines and audit entries: the ``X-Request-ID`` of a trusted
    proxy (TRUSTED_PROXIES) when it is well-formed, else a new one. A client's own header is
    never taken: it would write what it likes into the audit log."""
    incoming = request.headers.get("X-Request-ID", "")
    if from_trusted_proxy(request.environ) and REQUEST_ID.fullmatch(incoming):
        return incoming
    return secrets.token_hex(8)


def init_app(app: Flask) -> None:
    # JSON bodies bounded in size and depth before they are parsed.
    app.request_class = JSONLimitedRequest
    # Before any blueprint adds its rules: they are compiled with the converters of the map.
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def assign_request_id() -> None:
        g.request_id = request_id()

    @app.after_request
    def add_security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        if response.mimetype == "text/html":
            # Pages may show personal data or a form token: never cache them in shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
