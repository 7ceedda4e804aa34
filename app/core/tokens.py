"""Secret links of residents without an account (applications, online participation).

One mechanism for every such link:

- a random token of 256 bits (:func:`new_token`), of which only the SHA-256 is stored
  (:func:`hash_token`);
- a derived token ``<id>.<HMAC>`` (:func:`derived_token`) that a later mail can carry because the
  random one is not kept: an HMAC under ``SECRET_KEY`` over a salt, the row's id and its stored
  hash, so it is the same in every mail and dies with the stored hash (erasure, a new token);
- a signed, expiring value (:func:`sign` / :func:`unsign`, itsdangerous with a salt per purpose)
  for confirmation links (double opt-in).

:func:`find_by_token` finds the row of either kind of token.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db

__all__ = ["BadSignature", "SignatureExpired", "check_confirmation", "derived_token", "find_by_token",
           "hash_token", "new_token", "sign", "unsign"]

#: The longest token a link may carry (longer ones find nothing, without a database look-up).
MAX_TOKEN_LENGTH = 100

Row = TypeVar("Row")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    """A link token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def derived_token(salt: str, row_id: int, token_hash: str) -> str:
    """``<id>.<HMAC>`` over ``salt``, the id and the stored hash (see the module docstring)."""
    message = f"{salt}:{row_id}:{token_hash}".encode()
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()
    return f"{row_id}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def find_by_token(model: type[Row], token: object, salt: str) -> Row | None:
    """The row of ``model`` (with ``id`` and ``token_hash``) that ``token`` belongs to: a random
    token by its hash, a derived one (``salt``) by its id and HMAC; None for anything else."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    id_part, dot, _mac = token.partition(".")
    if dot:
        if not (id_part.isascii() and id_part.isdigit()) or len(id_part) > 18:
            return None
        row = db.session.get(model, int(id_part))
        if row is None or not hmac.compare_digest(derived_token(salt, row.id, row.token_hash), token):
            return None
        return row
    return db.session.execute(
        sa.select(model).where(model.token_hash == hash_token(token))
    ).scalar_one_or_none()


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def sign(salt: str, value: Any) -> str:
    """A signature over ``value`` for the purpose ``salt`` (check it with :func:`unsign`)."""
    return _serializer(salt).dumps(value)


def unsign(salt: str, signature: str, max_age_seconds: int) -> Any:
    """The value signed by :func:`sign`.

    :raises SignatureExpired: older than ``max_age_seconds``.
    :raises BadSignature: forged, damaged, or signed for another purpose.
    """
    return _serializer(salt).loads(signature, max_age=max_age_seconds)


def check_confirmation(model: type[Row], token: object, signature: object, *, link_salt: str,
                       confirm_salt: str, max_age_seconds: int) -> tuple[Row | None, str | None]:
    """The row a confirmation link (``token`` plus the signature over the row's id) belongs to.

    :return: ``(row, None)`` for a genuine link in time, else ``(row or None, problem)`` with the
        problem ``not_found`` (no such token), ``link_expired`` or ``link_invalid``; the caller
        words it for its feature.
    """
    row = find_by_token(model, token, link_salt)
    if row is None:
        return None, "not_found"
    if not isinstance(signature, str):
        return row, "link_invalid"
    try:
        row_id = unsign(confirm_salt, signature, max_age_seconds)
    except SignatureExpired:
        return row, "link_expired"
    except BadSignature:
        return row, "link_invalid"
    return (row, None) if row_id == row.id else (row, "link_invalid")
