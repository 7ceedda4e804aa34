"""JSON request bodies, bounded in size and nesting before they are parsed.

Python's parser recurses once per level: a body of a thousand ``[`` ended a request in a
``RecursionError`` (a 500), and a body of many megabytes was parsed whole. Every JSON body
the app reads goes through :class:`Request.get_json` (the capture API's ``request.get_json``
and Flask-WTF, which reads a JSON body as form data), so the limits live here once:
``JSON_MAX_BYTES`` and ``JSON_MAX_DEPTH``. Beyond them the answer is a 400 that says which
limit was hit, in the visitor's language (JSON for API clients: ``json_too_large``,
``json_too_deep``).
"""
from __future__ import annotations

import re

from flask import Request as FlaskRequest
from flask import current_app
from flask_babel import gettext as _

from app.core.errors import ClientError

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


def json_depth(data: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not count)."""
    depth = deepest = 0
    for byte in _NOT_BRACKET.sub(b"", _STRING.sub(b"", data)):
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def too_large() -> ClientError:
    limit = current_app.config["JSON_MAX_BYTES"] // 1024
    return ClientError("json_too_large", _("The request is too large (at most %(size)d KB of JSON).", size=limit))


def check_json(data: bytes) -> None:
    """Raise :class:`ClientError` (400) for a JSON text over the configured size or depth."""
    if len(data) > current_app.config["JSON_MAX_BYTES"]:
        raise too_large()
    limit = current_app.config["JSON_MAX_DEPTH"]
    if json_depth(data) > limit:
        raise ClientError("json_too_deep", _("The request is nested too deeply (at most %(depth)d levels).",
                                             depth=limit))


class Request(FlaskRequest):
    """Flask's request, whose JSON body is checked by :func:`check_json` before it is parsed."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        if force or self.is_json:
            # Refused unread when its length says so; a body sent without a length is read
            # (up to MAX_CONTENT_LENGTH, as every body) and then measured.
            if (self.content_length or 0) > current_app.config["JSON_MAX_BYTES"]:
                raise too_large()
            check_json(self.get_data(cache=True))
        return super().get_json(force=force, silent=silent, cache=cache)
