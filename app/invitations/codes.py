"""Invitation codes: 10 characters of a 31-symbol alphabet (about 49.5 bits), typed from a letter.

Only a keyed hash is stored (:func:`code_hash`, for the lookup). The code itself is derived from
the invitation's random ``code_nonce`` and the server's key (:func:`invitation_code`), so letters
and reminders can print it again while the database alone reveals none.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets

from flask import current_app

#: No 0/O, 1/I/L: the alphabet of ticket codes (app/voting/codes.py).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
#: Bits of a code against guessing: 10 · log2(31) ≈ 49.5.
CODE_BITS = CODE_LENGTH * math.log2(len(ALPHABET))
_SEPARATORS = re.compile(r"[\s\-_.·]+")
_VALID = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def _key() -> bytes:
    configured = current_app.config.get("INVITATION_CODE_KEY") or ""
    base = configured or current_app.config["SECRET_KEY"]
    return hashlib.sha256(b"ideenmarkt-invitation-code:" + str(base).encode()).digest()


def new_nonce() -> str:
    return secrets.token_hex(16)


def invitation_code(nonce: str) -> str:
    """The code of the invitation with ``nonce`` (uniform over the alphabet: rejection sampling)."""
    stream = hmac.new(_key(), b"code:" + nonce.encode(), hashlib.sha512).digest()
    out: list[str] = []
    counter = 0
    while len(out) < CODE_LENGTH:
        for byte in stream:
            if byte < 248:  # 248 = 8 · 31: no bias
                out.append(ALPHABET[byte % len(ALPHABET)])
                if len(out) == CODE_LENGTH:
                    break
        counter += 1
        stream = hmac.new(_key(), b"code:" + nonce.encode() + counter.to_bytes(4, "big"), hashlib.sha512).digest()
    return "".join(out)


def code_hash(code: str) -> str:
    """The keyed hash stored for the lookup of a normalised ``code``."""
    return hmac.new(_key(), b"lookup:" + code.encode(), hashlib.sha256).hexdigest()


def normalise_code(raw: object) -> str | None:
    """What a person typed: case-insensitive, dashes and spaces ignored; None if it cannot be a code."""
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    code = _SEPARATORS.sub("", raw).upper()
    return code if _VALID.match(code) else None


def format_code(code: str) -> str:
    """``ABCDEFGHJK`` → ``ABCDE-FGHJK`` (how codes are printed)."""
    return f"{code[:5]}-{code[5:]}"
