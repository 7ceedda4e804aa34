"""Public pages: the event's lottery page with the audit, its JSON download, and the applicant's seat."""
from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.core.access import public
from app.core.logs import log_event
from app.events.services import public_event_or_404
from app.extensions import db
from app.lottery import bp
from app.lottery.base import draws_of
from app.lottery.published import audit_json, audit_of, pool_groups
from app.lottery.seat_tokens import entry_for_token
from app.lottery.seats import respond_to_seat, seat_of
from app.lottery.errors import LotteryError
from app.lottery.models import DrawState
from app.lottery import receipts
from app.lottery.schema import SCHEMA_PATH


@bp.route("/events/<int:event_id>/lottery")
@public
def public_lottery(event_id: int):
    event = public_event_or_404(event_id)
    draws = draws_of(event)
    current = next((d for d in draws if d.is_active), None)
    audit = audit_of(current) if current is not None else None
    groups = pool_groups(event, audit) if audit is not None else []
    return render_template("lottery/public.html", event=event, draw=current, audit=audit, groups=groups,
                           small_group=int(current_app.config["LOTTERY_SMALL_GROUP"]),
                           superseded=[(d, audit_of(d)) for d in draws if not d.is_active])


@bp.route("/events/<int:event_id>/lottery/audit.json")
@public
def audit_download(event_id: int):
    """The current draw's audit file; ``?attempt=N`` for an earlier (superseded) one."""
    event = public_event_or_404(event_id)
    draws = draws_of(event)
    attempt = request.args.get("attempt", type=int)
    if attempt is not None:
        chosen = next((d for d in draws if d.attempt == attempt), None)
    else:
        chosen = next((d for d in draws if d.is_active), None)
    if chosen is None:
        abort(404)
    suffix = "" if attempt is None else f"-attempt-{chosen.attempt}"
    return Response(audit_json(chosen), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="lottery-event-{event.id}{suffix}.json"'})


@bp.route("/applications/<token>/seat", methods=["GET", "POST"])
@public
def seat(token: str):
    """Confirm or decline a seat: by the link in the mail, or from the application's manage page."""
    entry = entry_for_token(token)
    if entry is None:
        abort(404)
    if entry.draw.state == DrawState.SUPERSEDED.value:
        return render_template("lottery/seat_void.html", event=entry.draw.event), 410
    if request.method == "POST":
        answer = request.form.get("answer")
        if answer not in ("confirm", "decline"):
            flash(_("Choose whether you confirm or decline the seat."), "error")
            return redirect(url_for("lottery.seat", token=token), 303)
        try:
            outcome = respond_to_seat(entry, answer == "confirm")
        except LotteryError as exc:
            db.session.rollback()  # refused: the redirect below must not commit
            flash(str(exc.message), "error")
            return redirect(url_for("lottery.seat", token=token), 303)
        log_event("lottery.seat_response", event_id=entry.draw.event_id, draw_id=entry.draw_id, outcome=outcome)
        messages = {
            "confirmed": (_("Thank you! Your seat is confirmed. We look forward to seeing you."), "success"),
            "declined": (_("You have declined your seat. Thank you for letting us know; it goes to the next "
                           "person on the waiting list."), "success"),
            "unchanged": (_("Your answer had already been recorded."), "success"),
            "expired": (_("The deadline to confirm has passed; the seat has gone to the waiting list."), "error"),
        }
        flash(*messages[outcome])
        return redirect(url_for("lottery.seat", token=token), 303)
    entry = db.session.get(type(entry), entry.id)
    return render_template("lottery/seat.html", seat=seat_of(entry), entry=entry,
                           event=entry.draw.event, token=token)


@bp.route("/applications/<token>/lottery", methods=["GET", "POST"])
@public
def receipt(token: str):
    """The applicant's receipt: what the public record of each draw says about them, and an objection."""
    application = receipts.application_for_token(token)
    if application is None:
        abort(404)
    found = receipts.receipts_for(application)
    if request.method == "POST":
        current = next((r for r in found if not r.superseded), None)
        if current is None:
            flash(_("There is no current draw to object to."), "error")
            return redirect(url_for("lottery.receipt", token=token), 303)
        try:
            receipts.object_to_entry(current.entry, request.form.get("objection"))
        except LotteryError as exc:
            # The page again with the message at the field and the text as typed.
            return render_template("lottery/receipt.html", event=application.event, application=application,
                                   receipts=receipts.receipts_for(application), token=token,
                                   objection_error=str(exc.message),
                                   objection_text=request.form.get("objection", "")[:receipts.MAX_OBJECTION * 2]), 422
        log_event("lottery.objection", event_id=application.event_id, draw_id=current.draw.id)
        flash(_("Your objection has been recorded. The organisers will look into it and answer you."), "success")
        return redirect(url_for("lottery.receipt", token=token), 303)
    return render_template("lottery/receipt.html", event=application.event, application=application,
                           receipts=found, token=token)


#: The single-file verifier (standard library only) that the public lottery page offers.
VERIFIER_PATH = Path(__file__).resolve().parents[2] / "scripts" / "verify_lottery.py"


@bp.route("/lottery/verify_lottery.py")
@public
def verifier_download():
    """The single-file verifier, to check an audit file without Ideenmarkt."""
    return Response(VERIFIER_PATH.read_bytes(), mimetype="text/x-python",
                    headers={"Content-Disposition": 'attachment; filename="verify_lottery.py"'})


@bp.route("/lottery/audit-schema.json")
@public
def audit_schema():
    """The JSON Schema of the audit file, for any validator."""
    return Response(SCHEMA_PATH.read_bytes(), mimetype="application/schema+json")
