"""The number that picks the panel: how it is obtained (the committed text, its label, whether
anyone outside the server can check it) and the number an admin enters.
"""
from __future__ import annotations

from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.text import clean_text
from app.lottery.audit import DICE_PUBLIC_RULE, DICE_RULE, SERVER_PUBLIC_RULE
from app.lottery.errors import LotteryError
from app.lottery.models import LotteryDraw


SERVER_NUMBER_SOURCE = "server: operating system CSPRNG (Python secrets.randbelow), recorded by Ideenmarkt"


def number_source_text(kind: str, description: str = "") -> str:
    """The committed description of how the number is obtained."""
    if kind == "server":
        return SERVER_NUMBER_SOURCE
    return "public: " + description


def number_source_label(draw: LotteryDraw) -> str:
    """How the number is obtained, in the visitor's language. The committed text
    (:func:`number_source_text`, part of the hash) stays as it is in the audit file."""
    rule = draw.record.get("number_rule")
    if rule == SERVER_PUBLIC_RULE:
        return _("By the server: a random value from the operating system's cryptographic source, fixed at the "
                 "commitment by its SHA-256 hash and revealed at the draw, combined with a public value unknown "
                 "at the commitment: %(value)s", value=draw.record.get("public_value_source", ""))
    if draw.number_source_kind == "server":
        return _("By the server, from the operating system's cryptographic random source")
    label = _("In public: %(description)s", description=draw.number_source.removeprefix("public: "))
    if rule == DICE_PUBLIC_RULE:
        label += " " + _("(rule fixed in the commitment: four ten-sided dice, read in the order thousands, "
                         "hundreds, tens, units, combined with the public value “%(value)s”: the panel drawn "
                         "follows from the SHA-256 hash of the commitment, the dice and the public value)",
                         value=draw.record.get("public_value_source", ""))
    if rule == DICE_RULE:
        label += " " + _("(rule fixed in the commitment: four ten-sided dice, read in the order thousands, "
                         "hundreds, tens, units; 0000 means 10,000; the panel drawn is ((reading - 1) mod %(size)s) + 1)", size=format_decimal(draw.table_size))
    return label


def number_verifiable(draw: LotteryDraw) -> bool:
    """Whether anyone outside the server can check the number (not for server-drawn numbers,
    unless the server's value was committed and combined with a public value)."""
    return draw.number_source_kind != "server" or draw.record.get("number_rule") == SERVER_PUBLIC_RULE


def parse_number(value: Any, table_size: int) -> int:
    """The number entered by the admin, as an int in 1..M.

    :raises LotteryError: ``bad_number`` with a message saying what is wrong.
    """
    text = clean_text(value if isinstance(value, str) else ("" if value is None else str(value)))
    if not text:
        raise LotteryError("bad_number", _l("Enter the number drawn (from 1 to %(size)d).", size=table_size))
    if len(text) > 12 or not text.isdigit() or not text.isascii():
        raise LotteryError("bad_number", _l("“%(value)s” is not a whole number. Enter a number from 1 to %(size)d.",
                                            value=text[:20], size=table_size))
    number = int(text)
    if not 1 <= number <= table_size:
        raise LotteryError("bad_number", _l("%(number)d is outside the table: enter a number from 1 to %(size)d.",
                                            number=number, size=table_size))
    return number
