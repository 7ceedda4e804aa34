"""Recording staff actions in the audit log.

Call :func:`log_action` from the service (or the thin view) that changes data, in the
same transaction as the change: the entry is flushed with it and committed by the
request, or rolled back with it. Example::

    before = snapshot(event, ("title", "status"))
    event.status = EventStatus.OPEN
    log_action("event.status", event, **diff(before, event))
"""
from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from flask import g, has_app_context, has_request_context
from flask_login import current_user

from app.audit.models import AuditEntry
from app.core.logs import log_event
from app.core.personal import sensitive_keys
from app.extensions import db

# Never copied into before/after: the columns marked personal or secret where they are declared
# (``info=PERSONAL`` / ``info=SECRET``, app/core/personal.py), read per model by ``sensitive_keys``.


def log_action(action: str, target: object | None = None, *, before: dict | None = None,
               after: dict | None = None, detail: str = "", event_id: int | None = None,
               process_id: int | None = None) -> AuditEntry:
    """Record one staff action; flushes, never commits.

    :param action: a stable code such as ``event.edit`` or ``lottery.draw``.
    :param target: the changed object (its table name and id are stored); may be None.
    :param before: the changed fields' old values (see :func:`diff`).
    :param after: the changed fields' new values.
    :param detail: a short free text (no residents' names or email addresses).
    :param event_id: the event concerned; taken from ``target`` when not given.
    :param process_id: the process concerned; taken from ``target`` when not given.
    :return: the new (flushed) entry.

    The user and the request id come from the current request; outside a request (the
    command line) the user is None.
    """
    target_type, target_id = _target_key(target)
    if event_id is None:
        event_id = _infer_event_id(target)
    if process_id is None:
        process_id = _infer_process_id(target)
    user = _current_staff_user()
    entry = AuditEntry(
        action=action[:80],
        target_type=target_type,
        target_id=target_id,
        event_id=event_id,
        process_id=process_id,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        detail=detail or "",
        user_id=user.id if user is not None else None,
        user_label=(user.name if user is not None else "")[:200],
        request_id=_request_id(),
    )
    db.session.add(entry)
    db.session.flush()
    log_event("audit", audit_id=entry.id, action=entry.action, target_type=target_type, target_id=target_id,
              event_id=event_id)
    return entry


# Before/after of changed fields -------------------------------------------------

#: Bookkeeping columns left out of default snapshots (they change with every edit).
BOOKKEEPING_FIELDS = frozenset({"created_at", "updated_at", "lock_counter"})


def snapshot(obj: object, fields: Iterable[str] | None = None, *,
             exclude: Iterable[str] = ()) -> dict:
    """The current values of ``fields`` of a model instance (default: every column
    except the personal and secret ones, :data:`BOOKKEEPING_FIELDS` and ``exclude``), JSON-ready."""
    if fields is None:
        mapper = sa.inspect(type(obj))
        skip = sensitive_keys(mapper) | BOOKKEEPING_FIELDS | set(exclude)
        fields = [c.key for c in mapper.column_attrs if c.key not in skip]
    return {name: jsonable(getattr(obj, name)) for name in fields}


def diff(before: Mapping, after: object | Mapping) -> dict:
    """``{"before": {...}, "after": {...}}`` with only the fields that differ.

    :param before: a :func:`snapshot` taken before the change.
    :param after: the changed instance (the same fields are read) or a second snapshot.
    """
    if not isinstance(after, Mapping):
        after = {name: jsonable(getattr(after, name)) for name in before}
    changed = [k for k in before if before.get(k) != after.get(k)]
    changed += [k for k in after if k not in before]
    return {"before": {k: before.get(k) for k in changed},
            "after": {k: after.get(k) for k in changed}}


def pending_changes(obj: object, *, exclude: Iterable[str] = ()) -> dict:
    """Before/after of the columns changed on ``obj`` since it was loaded (before the
    flush: afterwards SQLAlchemy forgets the history). Ready for ``log_action(**...)``."""
    state = sa.inspect(obj)
    skip = sensitive_keys(state.mapper) | BOOKKEEPING_FIELDS | set(exclude)
    before: dict = {}
    after: dict = {}
    for attr in state.mapper.column_attrs:
        if attr.key in skip:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if jsonable(old) != jsonable(new):
                before[attr.key] = jsonable(old)
                after[attr.key] = jsonable(new)
    return {"before": before, "after": after}


def jsonable(value):
    """A JSON-serialisable copy of ``value`` (dates as ISO text, enums by value)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


# Context ---------------------------------------------------------------------

def _current_staff_user():
    if not has_request_context():
        return getattr(g, "audit_user", None) if has_app_context() else None

    try:
        user = current_user._get_current_object()
    except Exception:  # noqa: BLE001 - no login manager state (e.g. during errors)
        return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def _request_id() -> str | None:
    if has_app_context():
        rid = g.get("request_id")
        return rid[:64] if rid else None
    return None


def _target_key(target: object | None) -> tuple[str | None, int | None]:
    if target is None:
        return None, None
    table = getattr(target, "__tablename__", None) or type(target).__name__.lower()
    target_id = getattr(target, "id", None)
    if target_id is None and sa.inspect(target, raiseerr=False) is not None:
        db.session.flush()
        target_id = getattr(target, "id", None)
    return str(table)[:60], target_id if isinstance(target_id, int) else None


def _infer_event_id(target: object | None) -> int | None:
    if target is None:
        return None
    if getattr(target, "__tablename__", None) == "event":
        return target.id  # type: ignore[attr-defined]
    value = getattr(target, "event_id", None)
    return value if isinstance(value, int) else None


def _infer_process_id(target: object | None) -> int | None:
    if target is None:
        return None
    if getattr(target, "__tablename__", None) == "process":
        return target.id  # type: ignore[attr-defined]
    value = getattr(target, "process_id", None)
    if isinstance(value, int):
        return value
    event = getattr(target, "event", None)
    value = getattr(event, "process_id", None) if event is not None else None
    return value if isinstance(value, int) else None
