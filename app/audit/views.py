"""Admin page of the audit log: read and filter, nothing else (there is no route that
changes or deletes an entry)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app, render_template, request

from app.audit import bp
from app.audit.models import AuditEntry
from app.core.access import staff_required
from app.extensions import db


@bp.route("/manage/audit")
@staff_required("admin")
def log():
    filters = _filters()
    query = sa.select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if filters["action"]:
        query = query.where(AuditEntry.action == filters["action"])
    if filters["user"] is not None:
        query = query.where(AuditEntry.user_id == filters["user"])
    if filters["event"] is not None:
        query = query.where(AuditEntry.event_id == filters["event"])
    if filters["date_from"]:
        query = query.where(AuditEntry.created_at >= dt.datetime.combine(filters["date_from"], dt.time()))
    if filters["date_to"]:
        end = dt.datetime.combine(filters["date_to"], dt.time()) + dt.timedelta(days=1)
        query = query.where(AuditEntry.created_at < end)
    page = db.paginate(query, page=_positive_int(request.args.get("page")) or 1,
                       per_page=current_app.config["AUDIT_PER_PAGE"], max_per_page=200, error_out=False)
    actions = db.session.execute(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars().all()
    users = db.session.execute(
        sa.select(AuditEntry.user_id, sa.func.max(AuditEntry.user_label))
        .where(AuditEntry.user_id.is_not(None)).group_by(AuditEntry.user_id).order_by(AuditEntry.user_id)
    ).all()
    link_args = {k: v for k, v in (("action", filters["action"]), ("user", filters["user"]),
                                   ("event", filters["event"]), ("from", filters["date_from"]),
                                   ("to", filters["date_to"])) if v}
    return render_template("audit/log.html", page=page, actions=actions, users=users,
                           filters=filters, link_args=link_args)


def _filters() -> dict:
    action = request.args.get("action", "")
    return {
        "action": action if 0 < len(action) <= 80 and action.isprintable() else "",
        "user": _positive_int(request.args.get("user")),
        "event": _positive_int(request.args.get("event")),
        "date_from": _date(request.args.get("from")),
        "date_to": _date(request.args.get("to")),
    }


def _positive_int(raw: str | None) -> int | None:
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 9:
        return int(raw) or None
    return None


def _date(raw: str | None) -> dt.date | None:
    if not raw or len(raw) != 10:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None
