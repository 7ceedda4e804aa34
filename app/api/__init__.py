"""Open data: a read-only JSON API of the public data under ``/api/v1``.

Only what the public site shows is served: processes, events that are not
drafts, the drawn lottery's audit record and, once an event's results are
published, its ideas and results. No names, emails or "said by" texts ever.
The OpenAPI 3 document at ``/api/v1/openapi.json`` describes every response.
"""
from __future__ import annotations

from flask import Flask, request
from flask.sessions import SessionInterface

from app.core.blueprints import FeatureBlueprint
from app.core.ratelimit import config_limit
from app.extensions import limiter

API_PREFIX = "/api/"

bp = FeatureBlueprint("api", __name__, url_prefix="/api/v1", parts=("views",))

# Once, at import: the limiter and the blueprint are module globals shared by every app instance.
limiter.limit(config_limit("API_RATE_LIMIT"))(bp)

#: Methods a foreign site may use (CORS): reading only.
CORS_METHODS = ("GET", "HEAD", "OPTIONS")


def init_app(app: Flask) -> None:
    app.session_interface = NoSessionForApi(app.session_interface)

    @app.after_request
    def cors_headers(response):
        if request.path.startswith(API_PREFIX) and request.method in CORS_METHODS:
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Expose-Headers"] = (
                "X-Request-ID, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset")
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = ", ".join(CORS_METHODS)
                response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language"
                response.headers["Access-Control-Max-Age"] = "86400"
        return response


class NoSessionForApi(SessionInterface):
    """No session for ``/api/``: the API never reads, refreshes or sets the session cookie.

    Wraps the application's own session interface for every other path.
    """

    def __init__(self, inner: SessionInterface):
        self.inner = inner

    def __getattr__(self, name: str):
        # Everything else (the signing serializer tests and tools use, cookie settings) is the inner one's.
        return getattr(self.inner, name)

    def open_session(self, app, request):
        if request.path.startswith(API_PREFIX):
            return self.make_null_session(app)
        return self.inner.open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if self.is_null_session(session):
            return None
        return self.inner.save_session(app, session, response)
