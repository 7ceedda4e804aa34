"""The domain exception of the accounts feature."""
from __future__ import annotations


class AccountError(Exception):
    """A rule of the accounts feature was broken; ``code`` is stable for tests, ``message``
    translatable, ``field`` the form field it belongs to (if any)."""

    def __init__(self, message, code: str, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field
