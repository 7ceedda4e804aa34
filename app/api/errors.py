"""The API's one domain exception and the parsing of query parameters (400, never 500)."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from app.core.domain import DomainError

#: Largest id the database stores (PostgreSQL ``integer``); larger ones cannot exist.
MAX_ID = 2**31 - 1


class ApiError(DomainError):
    """An error answered as ``{"error": {"code", "status", "title", "message"}}``."""

    def __init__(self, status: int, message, code: str):
        super().__init__(code, message)
        self.status = status


def not_found(message=None) -> ApiError:
    return ApiError(404, message or _l("There is no such public record."), "not_found")


def int_arg(name: str, default: int | None, minimum: int, maximum: int) -> int | None:
    """A whole-number query parameter within bounds.

    :raises ApiError: 400 ``bad_parameter`` for anything but digits in ``minimum..maximum``.
    """
    raw = request.args.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 12) or not minimum <= int(text) <= maximum:
        raise ApiError(400, _l("The parameter “%(name)s” must be a whole number from %(min)d to %(max)d.",
                               name=name, min=minimum, max=maximum), "bad_parameter")
    return int(text)
