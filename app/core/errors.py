"""Friendly error pages (German and English); JSON for API clients."""
from __future__ import annotations

import logging
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, g, jsonify, render_template, request
from flask_babel import format_timedelta, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from app.core import formreplay
from app.core.domain import DomainError
from app.core.logs import log_event
from app.extensions import db, limiter

ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be processed. Please check your input and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("This page does not exist or has been removed.")),
    405: (_l("Method not allowed"), _l("This page cannot be used this way.")),
    409: (_l("Not possible"), _l("This cannot be done now. Nothing was changed.")),
    413: (_l("Upload too large"), _l("The file or form you sent is too large.")),
    429: (_l("Too many requests"), _l("You have tried this too often. Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again later.")),
    503: (_l("Temporarily unavailable"), _l("The service is temporarily unavailable. Please try again in a moment.")),
}

#: Stable machine-readable codes of the JSON error bodies (``{"error": {"code": ...}}``).
ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}

class ClientError(BadRequest):
    """A 400 whose message tells the person what was wrong (translated), with a stable ``code``
    for the JSON body, e.g. ``ClientError("json_too_deep", _("The request is nested too deeply …"))``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(description=str(message))
        self.error_code = code


CSRF_TEXT = _l("Your form has expired or was sent from another site. Please reload the page and send it again.")

CSRF_KEPT_TEXT = _l("Your session had expired, so the form was not sent. Copy what you typed (below) before "
                    "you open the page again, log in if asked, and send the form again.")


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def render_error(status: int, detail: str | None = None, code: str | None = None):
    """The error page, or for API clients ``{"error": {"code", "status", "title", "message"}}``."""
    title, text = ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    message = str(detail or text)
    if wants_json():
        body = {"code": code or ERROR_CODES.get(status, "error"), "status": status, "title": str(title),
                "message": message}
        return jsonify({"error": body}), status
    return render_template("core/error.html", status=status, title=title, message=message), status


def retry_seconds() -> int | None:
    """Seconds until the refused rate-limit window of this request ends (Flask-Limiter)."""

    try:
        current = limiter.current_limit
    except Exception:  # noqa: BLE001 - no limiter state: the page says "a moment"
        return None
    if current is None:
        return None
    return max(1, int(current.reset_at - time.time()) + 1)


def wait_text(seconds: int) -> str:
    """"… Please try again in 45 minutes." — how long the limit lasts, in the visitor's language."""
    return gettext("You have tried this too often. Please try again %(wait)s.",
                   wait=format_timedelta(timedelta(seconds=seconds), add_direction=True, threshold=0.9))


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        log_event("csrf_failed", logging.WARNING)
        replayed = formreplay.page_with_posted_values()
        if replayed is not None:
            return replayed
        kept = [] if wants_json() else formreplay.kept_text()
        if kept:
            title = ERROR_TEXTS[400][0]
            return render_template("core/error.html", status=400, title=title, message=str(CSRF_KEPT_TEXT),
                                   kept=kept), 400
        return render_error(400, str(CSRF_TEXT))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if isinstance(exc, ClientError):
            return render_error(400, exc.description, exc.error_code)
        response = render_error(exc.code if exc.code in ERROR_TEXTS else 500 if exc.code >= 500 else 400)
        body, status = response
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            return body, status, {"Allow": ", ".join(exc.valid_methods)}
        if exc.code == 429:
            retry = getattr(exc, "retry_after", None) or retry_seconds()
            if retry:
                body, status = render_error(429, wait_text(retry))
                return body, status, {"Retry-After": str(retry)}
        return response

    @app.errorhandler(DomainError)
    def refused(exc: DomainError):
        """A feature's rule refused the operation and no view of that feature answered it (the
        views answer their own errors at the field, 422; the API and the exports have their own
        handlers): "not possible" with the rule's message, never a 500. The transaction was rolled
        back (app/core/transactions.py): nothing was changed."""

        log_event("domain_refused", logging.INFO, code=exc.code)
        return render_error(409, str(exc.message), exc.code)

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    def database_unavailable(exc: sa.exc.DBAPIError):
        """The database is down or restarting: "temporarily unavailable", never a traceback.
        Nothing was committed by this request, so the person can simply send it again."""

        try:
            db.session.rollback()
        except sa.exc.SQLAlchemyError:
            pass
        app.logger.warning("database unavailable: %s", str(exc.orig or exc).splitlines()[0])
        # The layout must not touch the database again: render as an anonymous visitor.
        g._login_user = app.login_manager.anonymous_user()
        body, status = render_error(503)
        return body, status, {"Retry-After": "10"}

    @app.teardown_appcontext
    def remove_session_even_if_the_connection_is_gone(exc: BaseException | None) -> None:
        """Runs before Flask-SQLAlchemy's own teardown. If the database went away during the
        request, the session's final ROLLBACK fails; the response is complete by then, so
        drop the session (its connection is invalidated) instead of turning it into a 500."""

        try:
            db.session.remove()
        except sa.exc.SQLAlchemyError:
            db.session.registry.clear()

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError):
        app.logger.exception("unhandled error", exc_info=getattr(exc, "original_exception", exc))
        return render_error(500)
