"""Small text helpers shared by the features."""
from __future__ import annotations

import unicodedata


def normalise_email(email: str | None) -> str:
    """Trim and lower-case an email address, so ``A@x.de `` and ``a@x.de`` are one."""
    return (email or "").strip().lower()


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Normalise Unicode (NFC), drop NUL and other control characters, trim.

    Keeps line breaks and tabs only where ``multiline`` is set. Databases refuse
    NUL bytes (PostgreSQL) or keep them invisibly (SQLite), so they never get stored.
    """
    if not value:
        return ""
    value = unicodedata.normalize("NFC", value)
    allowed = {"\n", "\t"} if multiline else set()
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(
        ch for ch in value
        if ch in allowed or unicodedata.category(ch) not in ("Cc", "Cs")
    )
    return cleaned.strip()
