"""The test client and the browser devices the tests use."""
from __future__ import annotations

import secrets
import time
from contextvars import Token

from flask.globals import _cv_app, _cv_request
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from app.extensions import db as _db

#: The password of every staff account the factories make.
DEFAULT_PASSWORD = "correct horse battery staple"


class IsolatedClient(FlaskClient):
    """A test client whose requests never share ``g`` or the DB session with the test.

    Flask reuses an already pushed app context for requests; a service test
    that holds one would then leak ``g`` (e.g. the logged-in user) from one
    request into the next. Each request here runs in a context of its own.
    """

    def open(self, *args, **kwargs):
        app_token: Token = _cv_app.set(None)  # type: ignore[arg-type]
        request_token: Token = _cv_request.set(None)  # type: ignore[arg-type]
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_request.reset(request_token)
            _cv_app.reset(app_token)
            if _cv_app.get(None) is not None:
                _db.session.expire_all()

    def csrf_token(self) -> str:
        """A valid CSRF token for this client's session (as a form would carry)."""
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def submit(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=payload, **kwargs)

    def job_file(self, url: str, data: dict | None = None):
        """Ask for a file a job makes (an export, the council report: POST, the job runs in the
        request) and download it from the job; a refused request's answer is returned as it is."""
        asked = self.submit(url, data)
        if asked.status_code != 303 or "/manage/jobs/" not in (asked.location or ""):
            return asked
        return self.get(asked.location.split("?")[0] + "/file")


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


HOURS_13 = 13 * 60 * 60


class _SignedLongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - HOURS_13


def _signed_long_ago(app, content: dict) -> str:
    serializer = app.session_interface.get_signing_serializer(app)
    serializer.signer = _SignedLongAgo
    return serializer.dumps(content)


def expire_session(app, client) -> None:
    """Sign the client's session cookie as written 13 hours ago: the server no longer opens it."""
    with client.session_transaction() as session:
        content = dict(session)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], _signed_long_ago(app, content))


def expire_browser_session(app, context) -> None:
    """The same for a Chromium context (Playwright): its session cookie, with the same content,
    now reads as written 13 hours ago, as after a night with the form open."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = next(c for c in context.cookies() if c["name"] == name)
    content = app.session_interface.get_signing_serializer(app).loads(cookie["value"])
    context.add_cookies([{**cookie, "value": _signed_long_ago(app, content)}])
