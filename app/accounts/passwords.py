"""The password policy of staff accounts (NIST SP 800-63B, 5.1.1.2).

A new password must be long enough, must not be one of the most common passwords
(a bundled list of 20,000, see ``data/LICENSE-common-passwords.txt``), must not be
repetitive or a run of consecutive characters, must not contain what belongs to the
account or the site (its email, the email's local part, the name, "ideenmarkt", the
city of ``CITY_NAME``) and must differ from the current password. No composition
rules (digits, symbols) and no expiry: NIST advises against both.
"""
from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from app.accounts.errors import AccountError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
#: Context words shorter than this are not searched inside a password (too many false hits).
MIN_CONTEXT_WORD = 4
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"
#: Runs of consecutive characters: alphabet, digits, keyboard rows (English and German).
SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm",
             "qwertzuiopasdfghjklyxcvbnm", "qwertzuiopüasdfghjklöäyxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")
#: Digits and punctuation before or after a weak core ("password2024!") do not make it strong.
_LEADING = re.compile(r"^[\d\W_]+")
_TRAILING = re.compile(r"[\d\W_]+$")


def _rejected(message, code: str) -> AccountError:
    return AccountError(message, code, field="password")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def context_words(email: str = "", name: str = "") -> set[str]:
    """What a password must not contain: the email, its local part and the parts of both, the
    name and its parts, "ideenmarkt" and the words of the configured city name."""
    city = current_app.config.get("CITY_NAME", "") if has_app_context() else ""
    email = (email or "").strip().lower()
    local = email.split("@", 1)[0]
    words = {email, local, (name or "").strip().lower(), "ideenmarkt"}
    for text in (local, name or "", city):
        words.update(part.lower() for part in re.split(r"[\W_]+", text))
    return {w for w in words if len(w) >= MIN_CONTEXT_WORD}


def _is_repetitive(lowered: str) -> bool:
    return re.fullmatch(r"(.+?)\1+", lowered, re.S) is not None or len(set(lowered)) < 5


def _is_sequence(lowered: str) -> bool:
    for sequence in SEQUENCES:
        cycle = sequence * (len(lowered) // len(sequence) + 2)
        if lowered in cycle or lowered in cycle[::-1]:
            return True
    return False


def check_password(password: str, *, email: str = "", name: str = "",
                   is_current: Callable[[str], bool] | None = None) -> None:
    """Apply the policy to a new password.

    :param email: the account's email address; :param name: its display name.
    :param is_current: tells whether a password is the account's current one (asked last,
        as it may verify a hash).
    :raises AccountError: ``password_too_short``, ``password_too_long``, ``password_common``,
        ``password_predictable``, ``password_context``, ``password_unchanged``.
    """
    password = password if isinstance(password, str) else ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _rejected(
            lazy_ngettext("The password must have at least %(num)d character.",
                          "The password must have at least %(num)d characters.", MIN_PASSWORD_LENGTH),
            "password_too_short")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise _rejected(_l("The password is too long."), "password_too_long")
    lowered = password.strip().lower()
    trimmed = _TRAILING.sub("", lowered)
    cores = {lowered, trimmed, _LEADING.sub("", lowered), _LEADING.sub("", trimmed)}
    if cores & common_passwords():
        raise _rejected(
            _l("This password is one of the most frequently used passwords. Please choose another one."),
            "password_common")
    if any(core and (_is_repetitive(core) or _is_sequence(core)) for core in cores):
        raise _rejected(
            _l("The password must not consist of repeated or consecutive characters (such as “aaaa” or “1234”)."),
            "password_predictable")
    if any(word in lowered for word in context_words(email, name)):
        raise _rejected(
            _l("The password must not contain the name or email address of the account, the name of the "
               "city or “Ideenmarkt”."), "password_context")
    if is_current is not None and is_current(password):
        raise _rejected(_l("The new password must differ from the current one."), "password_unchanged")
