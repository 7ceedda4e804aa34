"""Ticket codes: short, easy to type, hard to guess; and their QR codes (SVG for pages, PNG for mails)."""
from __future__ import annotations

import copy
import io
import re
import secrets
from functools import lru_cache

import qrcode
import qrcode.image.pil
import qrcode.image.svg
from markupsafe import Markup

#: No 0/O, 1/I/L: nothing that reads two ways. 31 symbols, 8 of them: about 8.5·10^11 codes.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
_SEPARATORS = re.compile(r"[\s\-_.·]+")
_VALID = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    """A fresh random code (``secrets``), upper case, without the dash."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: object) -> str | None:
    """What a person typed, as stored: case-insensitive, dashes and spaces ignored.

    :return: the code, or None if it cannot be a code (wrong length or characters).
    """
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    code = _SEPARATORS.sub("", raw).upper()
    return code if _VALID.match(code) else None


def format_code(code: str) -> str:
    """``ABCDEFGH`` → ``ABCD-EFGH`` (how codes are shown and printed)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


@lru_cache(maxsize=64)
def _qr_matrix(data: str) -> qrcode.QRCode:
    """The QR code of ``data``, computed once (choosing the mask is the slow part): the ticket mail
    needs it as PNG and as SVG, the badges page and the ticket page again (issue 24)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


def _qr_image(data: str, factory, border: int, box_size: int = 10):
    qr = copy.copy(_qr_matrix(data))  # shares the read-only modules; border and size are the copy's
    qr.border, qr.box_size = border, box_size
    return qr.make_image(image_factory=factory)


def qr_svg(data: str, label: str = "") -> Markup:
    """An inline SVG QR code of ``data`` (no Pillow needed; no style attributes, CSP-safe).

    :param label: the accessible name (``role="img"`` with ``aria-label``).
    """
    svg = _qr_image(data, qrcode.image.svg.SvgPathImage, border=2).to_string(encoding="unicode")
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', "<svg", svg, count=1)
    aria = f' role="img" aria-label="{Markup.escape(label)}"' if label else ' aria-hidden="true"'
    return Markup(svg.replace("<svg", f'<svg class="qr"{aria} focusable="false"', 1))


def qr_png(data: str) -> bytes:
    """A PNG QR code of ``data`` (for mails: mail clients strip inline SVG). Same input, same bytes."""
    buffer = io.BytesIO()
    _qr_image(data, qrcode.image.pil.PilImage, border=4, box_size=8).save(buffer, format="PNG")
    return buffer.getvalue()
