"""The links of an application's mails: the manage token (random, only its SHA-256 stored), the
reminder's derived token, and the signed confirmation link (the mechanism: app/core/tokens.py)."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.core import tokens
from app.core.tokens import hash_token, new_token
from app.events.application_input import ApplicationError
from app.events.models import Application

__all__ = ["CONFIRM_SALT", "REMINDER_SALT", "check_confirmation_link", "confirmation_signature", "find_by_token",
           "hash_token", "new_token", "reminder_token"]

CONFIRM_SALT = "ideenmarkt.application-confirm"
REMINDER_SALT = "ideenmarkt.application-reminder"


def reminder_token(application: Application) -> str:
    """The manage token of reminder mails: ``<id>.<HMAC>``, derived, so every reminder carries
    the same link and the first mail's link stays valid. It dies with the stored hash (erasure)."""
    return tokens.derived_token(REMINDER_SALT, application.id, application.token_hash)


def find_by_token(token: str) -> Application | None:
    """The application of a manage token: the random one of the first mail or a reminder's."""
    return tokens.find_by_token(Application, token, REMINDER_SALT)


def confirmation_signature(application: Application) -> str:
    return tokens.sign(CONFIRM_SALT, application.id)


def check_confirmation_link(token: str, signature: str) -> Application:
    """The application a confirmation link belongs to, if the link is genuine and not expired.

    :raises ApplicationError: ``not_found``, ``link_invalid``, ``link_expired``.
    """
    max_age = int(current_app.config["APPLICATION_CONFIRM_HOURS"]) * 3600
    application, problem = tokens.check_confirmation(Application, token, signature, link_salt=REMINDER_SALT,
                                                     confirm_salt=CONFIRM_SALT, max_age_seconds=max_age)
    if problem == "link_expired":
        raise ApplicationError(
            _l("This confirmation link has expired. Apply again with the same email address "
               "and you will receive a new link."), "link_expired")
    if problem is not None:
        raise ApplicationError(_l("This link is not valid."), problem)
    return application
