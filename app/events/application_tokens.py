"""The links of an application's mails: the manage token (random, only its SHA-256 stored), the
reminder's derived token, and the signed confirmation link."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.events.application_input import ApplicationError
from app.events.models import Application
from app.extensions import db

CONFIRM_SALT = "ideenmarkt.application-confirm"
REMINDER_SALT = "ideenmarkt.application-reminder"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    """A manage-link token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def reminder_token(application: Application) -> str:
    """The manage token of reminder mails: ``<id>.<HMAC>``, derived, so every reminder carries
    the same link and the first mail's link stays valid. It dies with the stored hash (erasure)."""
    message = f"{REMINDER_SALT}:{application.id}:{application.token_hash}".encode()
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()
    return f"{application.id}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def find_by_token(token: str) -> Application | None:
    """The application of a manage token: the random one of the first mail or a reminder's."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    id_part, dot, _mac = token.partition(".")
    if dot:
        if not (id_part.isascii() and id_part.isdigit()) or len(id_part) > 18:
            return None
        application = db.session.get(Application, int(id_part))
        if application is None or not hmac.compare_digest(reminder_token(application), token):
            return None
        return application
    return db.session.execute(
        sa.select(Application).where(Application.token_hash == hash_token(token))
    ).scalar_one_or_none()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)


def confirmation_signature(application: Application) -> str:
    return _serializer().dumps(application.id)


def check_confirmation_link(token: str, signature: str) -> Application:
    """The application a confirmation link belongs to, if the link is genuine and not expired.

    :raises ApplicationError: ``not_found``, ``link_invalid``, ``link_expired``.
    """
    application = find_by_token(token)
    if application is None:
        raise ApplicationError(_l("This link is not valid."), "not_found")
    max_age = int(current_app.config["APPLICATION_CONFIRM_HOURS"]) * 3600
    try:
        application_id = _serializer().loads(signature, max_age=max_age)
    except SignatureExpired:
        raise ApplicationError(
            _l("This confirmation link has expired. Apply again with the same email address "
               "and you will receive a new link."), "link_expired") from None
    except BadSignature:
        raise ApplicationError(_l("This link is not valid."), "link_invalid") from None
    if application_id != application.id:
        raise ApplicationError(_l("This link is not valid."), "link_invalid")
    return application
