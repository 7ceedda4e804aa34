"""The applicant's seat link: the token in the mailed link and the entry it stands for."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.events.application_tokens import find_by_token
from app.extensions import db
from app.lottery.base import active_entry
from app.lottery.models import LotteryEntry


SEAT_SALT = "ideenmarkt.lottery-seat"


def _seat_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SEAT_SALT)


def seat_token(entry: LotteryEntry) -> str:
    """The secret in the mailed seat link (the raw manage token is never stored)."""
    return _seat_serializer().dumps(entry.id)


def entry_for_token(token: str) -> LotteryEntry | None:
    """The entry for a mailed seat token, or for a manage-link token (the active draw's entry)."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    application = find_by_token(token) if len(token) <= 100 else None
    if application is not None:
        return active_entry(application)
    return entry_for_seat_token(token)


def entry_for_seat_token(token: str) -> LotteryEntry | None:
    """The entry of a mailed seat token (:func:`seat_token`), whatever the state of its draw."""
    try:
        entry_id = _seat_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(entry_id, int) or isinstance(entry_id, bool):
        return None
    return db.session.get(LotteryEntry, entry_id)
