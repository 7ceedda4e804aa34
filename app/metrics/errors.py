"""Error reporting to a Sentry-compatible service (Sentry, GlitchTip) when ``SENTRY_DSN`` is set.

Unhandled exceptions in requests and every ``ERROR`` log line (a failed job, an outbox delivery
that failed) become events. Nothing personal leaves the machine: no request body, cookies,
headers, query string or user; the URL is the route pattern (``/applications/<token>``, never the
token); exceptions are sent as their type and stack without their text (it may quote SQL
parameters or input, as the JSON logs already assume) and without local variables; log messages
(which carry ids only) lose e-mail addresses and long random strings all the same. :func:`scrub` is the one filter every event
passes (``before_send`` and ``before_breadcrumb``).
"""
from __future__ import annotations

import re
from typing import Any

import sentry_sdk
from flask import Flask, g, has_request_context, request
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.utils import BadDsn, Dsn

EMAIL = re.compile(r"[^\s@<>\"']+@[^\s@<>\"']+")
#: Random strings as the app makes them (private links, codes, secrets): 16+ URL-safe characters
#: with a digit in them (so dotted module names and words stay readable).
TOKEN_LIKE = re.compile(r"(?<![A-Za-z0-9_\-])(?=[A-Za-z_\-]*[0-9])[A-Za-z0-9_\-]{16,}(?![A-Za-z0-9_\-])")
#: Request headers that are kept (everything else may carry cookies or authorisation).
KEPT_HEADERS = {"User-Agent", "Accept", "Accept-Language", "Content-Type", "X-Request-Id"}


def redact(text: str) -> str:
    """``text`` without e-mail addresses and token-like strings."""
    return TOKEN_LIKE.sub("[redacted]", EMAIL.sub("[email]", text))


def scrub(event: dict[str, Any], _hint: Any = None) -> dict[str, Any]:
    """The event (or breadcrumb) with everything personal removed; see the module docstring."""
    request_data = event.get("request")
    if isinstance(request_data, dict):
        rule = request.url_rule.rule if has_request_context() and request.url_rule is not None else "(no route)"
        headers = request_data.get("headers") or {}
        event["request"] = {
            "method": request_data.get("method"),
            "url": rule,
            "headers": {k: v for k, v in headers.items() if k.title() in {h.title() for h in KEPT_HEADERS}},
        }
    event.pop("user", None)
    event.pop("server_name", None)
    for key in ("message", "logentry"):
        value = event.get(key)
        if isinstance(value, str):
            event[key] = redact(value)
        elif isinstance(value, dict):
            for field in ("message", "formatted"):
                if isinstance(value.get(field), str):
                    value[field] = redact(value[field])
            if "params" in value:
                value["params"] = []
    for exception in (event.get("exception") or {}).get("values") or []:
        exception["value"] = ""
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    if isinstance(event.get("data"), dict):  # breadcrumbs
        event["data"] = {}
    return event


def init_app(app: Flask) -> None:
    """Start reporting if ``SENTRY_DSN`` is set (once per process; the SDK is global)."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    try:
        Dsn(dsn)
    except BadDsn as exc:
        raise RuntimeError(f"SENTRY_DSN is not a DSN ({exc}); e.g. https://key@glitchtip.example/1") from None
    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("SENTRY_ENVIRONMENT") or "production",
        release=app.config.get("SENTRY_RELEASE") or None,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0,
        default_integrations=True,
        integrations=[FlaskIntegration(), LoggingIntegration(event_level="ERROR")],
        before_send=scrub,
        before_breadcrumb=scrub,
    )
    app.extensions["sentry"] = True

    @app.before_request
    def _tag_request_id() -> None:
        request_id = getattr(g, "request_id", None)
        if request_id:
            sentry_sdk.set_tag("request_id", request_id)
