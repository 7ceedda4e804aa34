"""Per-endpoint upload limits, checked before anything reads the request body.

A feature declares one with :func:`limit_upload` (the endpoint, the setting holding the
limit in bytes and the view answering an upload over it). :func:`init_app` installs one
``before_request`` hook ahead of the CSRF check (which reads the form): an upload whose
``Content-Length`` is over the limit is answered at once, and a body without one is cut
off while it streams (Werkzeug raises 413, which the feature's 413 handler answers).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, request

#: Room for the multipart framing and the CSRF token around the file itself.
FORM_OVERHEAD = 64 * 1024
_EXTENSION_KEY = "ideenmarkt.upload_limits"


@dataclass(frozen=True)
class UploadLimit:
    setting: str
    too_large: Callable[[], object]


def init_app(app: Flask) -> None:
    """Call before ``csrf.init_app`` so this hook runs before the CSRF check."""
    app.extensions[_EXTENSION_KEY] = {}
    app.before_request(_limit_upload)


def limit_upload(app: Flask, endpoint: str, setting: str, too_large: Callable[[], object]) -> None:
    """POSTs to ``endpoint`` may carry at most ``app.config[setting]`` bytes (plus the form)."""
    app.extensions[_EXTENSION_KEY][endpoint] = UploadLimit(setting, too_large)


def _limit_upload():
    limit = current_app.extensions[_EXTENSION_KEY].get(request.endpoint)
    if limit is None or request.method != "POST":
        return None
    request.max_content_length = int(current_app.config[limit.setting]) + FORM_OVERHEAD
    if request.content_length is not None and request.content_length > request.max_content_length:
        return limit.too_large()
    return None
