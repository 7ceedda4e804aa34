"""Small text helpers shared by the features."""
from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

_URL = re.compile(r"https?://[^\s<>\"']+")


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


def linkify(text: str) -> Markup:
    """Plain text as HTML: escaped, with every http(s) URL a link (for showing a mail's text)."""
    parts: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        end = match.start() + len(url)
        parts.append(str(escape(text[position:match.start()])))
        parts.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        position = end
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))


def nest_quotes(text: str, language: str = "de") -> str:
    """A text that goes inside quotes gets single quotes of its own: „Workshop „4.0““ reads „Workshop ‚4.0‘“."""
    text = str(text)
    if language[:2] == "de":
        return text.translate(str.maketrans({"„": "‚", "“": "‘", "”": "‘"}))
    # English: “…” become ‘…’; a German pair „…“ becomes ‘…’ too
    closing = "’" if "„" in text else "‘"
    return text.translate(str.maketrans({"„": "‘", "“": closing, "”": "’"}))
