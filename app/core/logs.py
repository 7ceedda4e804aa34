"""Structured logs: one JSON object per line on stderr.

Every request gives one line (``event: "request"``) with the UTC time, level, request
id, the staff user's id, the endpoint and route *pattern* (``/applications/<token>``:
never the raw path or query string, which may hold secret-link tokens), method, status
and duration. Logins, failed logins, 403s, CSRF failures, rate-limit hits, staff actions
(through the audit log) and lottery and voting events add lines of their own with
:func:`log_event`.

Lines carry no passwords, tokens, email addresses or names: callers pass ids and codes
only. JSON encoding escapes newlines and control characters, so input can never start a
line of its own.
"""
from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from datetime import datetime, timezone

from flask import Flask, g, has_app_context, has_request_context, request, session
from flask_login import current_user

#: The application's logger ("app" is also Flask's ``app.logger``, so module loggers
#: ``app.<feature>...`` and Flask's own messages go through the same handler).
LOGGER_NAME = "app"
logger = logging.getLogger(LOGGER_NAME)

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "event", "request_id", "user_id", ...extra}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update(_request_fields())
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The type and where, not the message: exception texts may quote SQL
            # parameters (email addresses) or input.
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc_where"] = [f"{f.filename}:{f.lineno} {f.name}"
                                  for f in traceback.extract_tb(record.exc_info[2])][-8:]
        return json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":"))


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (test capture replaces it)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ assigns it
        pass


def _request_fields() -> dict:
    fields: dict = {}
    if has_app_context() and "request_id" in g:
        fields["request_id"] = g.request_id
    if has_request_context():
        user_id = _staff_user_id()
        if user_id is not None:
            fields["user_id"] = user_id
        fields["endpoint"] = request.endpoint
        fields["route"] = request.url_rule.rule if request.url_rule is not None else None
        fields["method"] = request.method
    return fields


def _staff_user_id() -> int | None:
    """The logged-in staff user's id (residents never have an account)."""
    if "_login_user" not in g:
        if "_user_id" not in session:
            return None

        try:
            current_user._get_current_object()
        except Exception:  # noqa: BLE001 - never let logging break a response
            return None
    user = g.get("_login_user")
    if getattr(user, "is_authenticated", False):
        return getattr(user, "id", None)
    return None


def log_event(event: str, level: int = logging.INFO, **fields) -> None:
    """One structured line: ``event`` is a stable code (``login_failed``, ``lottery.draw``);
    ``fields`` hold ids and codes only, never personal data or secrets."""
    logger.log(level, event, extra=fields)


def configure(app: Flask) -> None:
    """Attach the JSON handler to the ``app`` logger (once per process) and log requests."""
    level = logging.getLevelName(str(app.config.get("LOG_LEVEL", "INFO")).upper())
    if not isinstance(level, int):
        level = logging.INFO
    for handler in list(logger.handlers):
        if isinstance(handler, StderrHandler):
            logger.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    # The development server's access lines show the raw path (secret-link tokens); the
    # JSON request line replaces them.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app.log_exception = _log_exception  # type: ignore[method-assign]

    @app.before_request
    def start_timer() -> None:
        g.log_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started = g.pop("log_started", None)
        duration = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
        status = response.status_code
        level = logging.WARNING if status >= 500 else logging.INFO
        logger.log(level, "request", extra={"status": status, "duration_ms": duration})
        if status == 403:
            log_event("forbidden", logging.WARNING)
        elif status == 429:
            log_event("rate_limited", logging.WARNING)
        return response


def _log_exception(exc_info) -> None:
    """Replaces Flask's, which would write the raw path (with tokens) into the message."""
    logger.error("unhandled_exception", exc_info=exc_info)
