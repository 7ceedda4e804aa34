"""The domain exception of the accounts feature."""
from __future__ import annotations

from app.core.domain import DomainError


class AccountError(DomainError):
    """A rule of the accounts feature was broken; ``code`` is stable for tests, ``message``
    translatable, ``field`` the form field it belongs to (if any); ``retry_after`` (seconds) is
    set when a password check was refused by a limit: the views answer 429 with it."""

    def __init__(self, message, code: str, field: str | None = None, *, retry_after: int | None = None):
        super().__init__(code, message, field)
        self.retry_after = retry_after
