"""The life cycle of an application, declared once (like the event's ``services.TRANSITIONS``).

::

    unconfirmed ─confirm_email→ applied ─select→ selected ─confirm_seat→ confirmed
                                   │  ─waitlist→ waitlisted ─admit→ selected
                                   │  ─not_select→ not_selected
    selected ─expire→ declined;  selected/confirmed ─decline_seat→ declined
    any status up to confirmed ─withdraw / erase→ withdrawn
    selected, waitlisted, not_selected, confirmed, declined ─reset (draw superseded)→ applied

:func:`move` is the only place that changes ``Application.status``; the services that
own each step (applications, lottery, privacy) check their own rules first, then call it.
Giving a confirmed seat back sends :data:`app.core.signals.seat_released` and confirming one
:data:`app.core.signals.seat_confirmed`, in the same transaction (voting revokes or issues
the ticket).
"""
from __future__ import annotations

from app.core import signals
from app.events.models import Application, ApplicationStatus
from app.extensions import db

_S = ApplicationStatus

#: Statuses from which an applicant may withdraw (or erase their application).
WITHDRAWABLE = (_S.UNCONFIRMED.value, _S.APPLIED.value, _S.SELECTED.value, _S.WAITLISTED.value,
                _S.NOT_SELECTED.value, _S.CONFIRMED.value)
#: Statuses reset to "applied" when a draw is superseded.
RESET_ON_SUPERSEDE = (_S.SELECTED.value, _S.WAITLISTED.value, _S.NOT_SELECTED.value, _S.CONFIRMED.value,
                      _S.DECLINED.value)

#: action → (allowed from statuses, resulting status, reason sent with ``seat_released``).
#: The reason is sent for every application the action moves; ``None``: only when it leaves
#: "confirmed" (a superseded draw: "superseded"), or never.
TRANSITIONS: dict[str, tuple[frozenset[str], str, str | None]] = {
    "confirm_email": (frozenset({_S.UNCONFIRMED.value}), _S.APPLIED.value, None),
    "select": (frozenset({_S.APPLIED.value}), _S.SELECTED.value, None),
    "waitlist": (frozenset({_S.APPLIED.value}), _S.WAITLISTED.value, None),
    "not_select": (frozenset({_S.APPLIED.value}), _S.NOT_SELECTED.value, None),
    "admit": (frozenset({_S.WAITLISTED.value}), _S.SELECTED.value, None),
    "confirm_seat": (frozenset({_S.SELECTED.value}), _S.CONFIRMED.value, None),
    "decline_seat": (frozenset({_S.SELECTED.value, _S.CONFIRMED.value}), _S.DECLINED.value, "declined"),
    "expire": (frozenset({_S.SELECTED.value}), _S.DECLINED.value, None),
    "withdraw": (frozenset(WITHDRAWABLE), _S.WITHDRAWN.value, "withdrawn"),
    "erase": (frozenset(WITHDRAWABLE), _S.WITHDRAWN.value, "erased"),
    "reset": (frozenset(RESET_ON_SUPERSEDE), _S.APPLIED.value, None),
}
#: Reason sent when an action without its own reason takes a confirmed seat.
_LEAVING_CONFIRMED = {"reset": "superseded"}


class TransitionNotAllowed(ValueError):
    """A service asked for a step its own checks should have ruled out (a programming error)."""


def can(application: Application, action: str) -> bool:
    return application.status in TRANSITIONS[action][0]


def move(application: Application, action: str) -> str:
    """Apply ``action`` to ``application`` and send the seat signals; returns the old status.

    Flushes before it sends a signal (the receivers query); otherwise the calling service
    flushes, as services do (a draw moves thousands of applications, one flush at the end).

    :raises TransitionNotAllowed: the action is not allowed from the current status.
    """
    sources, target, reason = TRANSITIONS[action]
    before = application.status
    if before not in sources:
        raise TransitionNotAllowed(f"application {application.id}: {action!r} is not allowed from {before!r}")
    application.status = target
    if reason is None and before == _S.CONFIRMED.value:
        reason = _LEAVING_CONFIRMED.get(action)
    if target == _S.CONFIRMED.value or reason is not None:
        db.session.flush()
    if target == _S.CONFIRMED.value:
        signals.seat_confirmed.send(application)
    if reason is not None:
        signals.seat_released.send(application, reason=reason)
    return before


def release_seat(application: Application, reason: str) -> None:
    """The application is about to be deleted (``removed`` by staff, ``erased`` by the applicant):
    whatever seat it holds is given back (no status change)."""
    signals.seat_released.send(application, reason=reason)
