"""The one base of the features' domain errors, and their one JSON shape.

A service that refuses an operation raises a subclass (``EventError``, ``VotingError``,
``LotteryError``, ...): nothing was changed, ``code`` is stable (tests and API clients
assert on it), ``message`` is translatable (a ``lazy_gettext`` text), ``field`` names the
form field it belongs to, ``details`` carries JSON-serialisable data that explains it.
No imports: the lottery's pure core uses it without an application.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """A rule of a feature refused the operation; nothing was changed."""

    def __init__(self, code: str, message: Any, field: str | None = None,
                 details: Mapping[str, Any] | None = None) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.field = field
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return str(self.message)


def error_body(exc: DomainError, status: int) -> dict[str, Any]:
    """``{"error": {"code", "status", "message"[, "field"][, "details"]}}``: the JSON of every refused
    request (the error pages' JSON adds ``title``, app/core/errors.py)."""
    body: dict[str, Any] = {"code": exc.code, "status": status, "message": str(exc.message)}
    if exc.field:
        body["field"] = exc.field
    if exc.details:
        body["details"] = exc.details
    return {"error": body}
