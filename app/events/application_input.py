"""What an application is made of: the status and source labels, the error, the data a resident
enters, and the cleaning of it (name, email, answers, language)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from app.core.domain import DomainError
from app.core.labels import register_labels
from app.core.text import clean_text, normalise_email
from app.events.models import Event

NAME_MAX = 200
EMAIL_MAX = 254
LANGUAGES = ("de", "en")

STATUS_LABELS = register_labels("application.status", {
    "unconfirmed": _l("Email not yet confirmed"),
    "applied": _l("Applied (confirmed)"),
    "selected": _l("Selected"),
    "waitlisted": _l("On the waiting list"),
    "not_selected": _l("Not selected"),
    "confirmed": _l("Participation confirmed"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
})
SOURCE_LABELS = register_labels("application.source",
                                {"online": _l("online"), "phone": _l("by phone"), "paper": _l("on paper")})


class ApplicationError(DomainError):
    """A domain rule refused the operation. ``code`` is stable; ``message`` is translatable;
    ``field`` the form field the problem belongs to, if any."""

    def __init__(self, message, code: str, field: str | None = None):
        super().__init__(code, message, field)

    def __str__(self) -> str:
        return self.code


@dataclass
class ApplicationData:
    """What a resident (or staff on their behalf) enters."""

    name: str = ""
    email: str = ""
    #: criterion id → option id
    answers: Mapping[int, int] = field(default_factory=dict)
    consent: bool = False
    language: str = "de"
    #: Explicit opt-in to mails about the measures that take up the event's ideas.
    notify_measures: bool = False


def clean_name(value: str | None) -> str:
    name = clean_text(value if isinstance(value, str) else "")
    if not name:
        raise ApplicationError(_l("Please enter your name."), "name_missing", "name")
    if len(name) > NAME_MAX:
        raise ApplicationError(
            lazy_ngettext("The name is too long (at most %(num)d character).",
                          "The name is too long (at most %(num)d characters).", NAME_MAX), "name_too_long", "name")
    return name


def clean_email(value: str | None) -> str:
    """Validate an address (syntax only, no DNS) and normalise it: trimmed, lower-case, ASCII domain."""
    raw = value if isinstance(value, str) else ""
    raw = raw.strip()
    if not raw:
        raise ApplicationError(_l("Please enter your email address."), "email_missing", "email")
    if len(raw) > EMAIL_MAX or any(not ch.isprintable() for ch in raw):
        raise ApplicationError(_l("Please enter a valid email address."), "email_invalid", "email")
    try:
        checked = validate_email(raw, check_deliverability=False, allow_smtputf8=False)
    except (EmailNotValidError, ValueError, UnicodeError):
        raise ApplicationError(_l("Please enter a valid email address."), "email_invalid", "email") from None
    email = normalise_email(checked.ascii_email or checked.normalized)
    if len(email) > EMAIL_MAX:
        raise ApplicationError(_l("Please enter a valid email address."), "email_invalid", "email")
    return email


PHONE_MAX = 40
_PHONE = re.compile(r"^\+?[0-9][0-9 ()/.\-]*$")


def clean_phone(value: str | None) -> str:
    """A phone number as people write it (digits, spaces, + ( ) / . -), 6 to 20 digits; spaces collapsed."""
    raw = " ".join(value.split()) if isinstance(value, str) else ""
    if not raw:
        raise ApplicationError(_l("Please enter your phone number."), "phone_missing", "phone")
    if len(raw) > PHONE_MAX or not _PHONE.match(raw) or not 6 <= sum(ch.isdigit() for ch in raw) <= 20:
        raise ApplicationError(_l("Please enter a valid phone number, for example 0711 123456."), "phone_invalid",
                               "phone")
    return raw


def clean_answers(event: Event, answers: Mapping) -> dict[int, int]:
    """Exactly one option per criterion of this event; options of other criteria are refused."""
    result: dict[int, int] = {}
    for criterion in event.criteria:
        raw = answers.get(criterion.id)
        try:
            option_id = int(raw) if raw is not None and raw != "" else None
        except (TypeError, ValueError):
            option_id = None
        if option_id is None and raw not in (None, ""):
            raise ApplicationError(
                _l("Please choose one of the answers for “%(label)s”.", label=criterion.label),
                "answer_invalid", f"criterion_{criterion.id}")
        if option_id is None:
            raise ApplicationError(
                _l("Please answer “%(label)s”.", label=criterion.label),
                "answer_missing", f"criterion_{criterion.id}")
        if option_id not in {o.id for o in criterion.options}:
            raise ApplicationError(
                _l("Please choose one of the answers for “%(label)s”.", label=criterion.label),
                "answer_invalid", f"criterion_{criterion.id}")
        result[criterion.id] = option_id
    return result


def language(value: str | None) -> str:
    """A supported language, else the site's default."""
    return value if value in LANGUAGES else current_app.config.get("BABEL_DEFAULT_LOCALE", "de")
