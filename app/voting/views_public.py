"""Participants: open the voting page with the ticket code (typed or scanned), give and take back dots.

The code is entered once and then kept in the session (a ticket session, not a
staff login), so it never appears in later URLs; the QR link with the code logs
the ticket in and redirects to the code-free voting page. Every form works
without JavaScript (POST, redirect back to the idea's anchor); ``ballot.js``
sends the same forms with ``fetch`` and updates the counts in place.
"""
from __future__ import annotations

import logging

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.core.access import public
from app.core.domain import error_body
from app.core.logs import log_event
from app.core import ratelimit
from app.events.models import Event
from app.events.services import public_event_or_404
from app.extensions import db
from app.voting import bp
from app.voting.ballot import ballot
from app.voting.base import VotingError, settings_for
from app.voting.dots import DotResult, cast_dot, quick_dot, release_removed_dots, remove_dot
from app.voting.forms import CodeForm, EmptyForm
from app.voting.models import Ticket, VotingState
from app.voting.receipts import published_receipts, receipt
from app.voting.rules import check_ticket
from app.voting.tickets import find_ticket
from app.voting.totals import channel_sums, totals

SESSION_KEY = "voting_tickets"


def _not_a_wrong_code(response) -> bool:
    """Only wrong codes count towards the guessing limit (typed and QR links share it), so a
    hall full of participants behind one address is blocked neither by the correct codes nor
    by a moment in which the server could not answer (a 503 while the database restarts).
    Every attempt is charged before it is checked and the others are given back, so
    simultaneous guesses cannot pass the limit."""
    return response.status_code not in (404, 422)


def session_ticket(event: Event) -> Ticket | None:
    """The ticket this browser entered for ``event``, if any (also a revoked one: the
    services refuse it with ``ticket_revoked``, and the pages say so).

    The session holds the ticket's id and code: a ticket given a new code (a seat won
    again in a new draw) does not open for a browser that entered the old one.
    """
    entry = _session_entry(event.id)
    if entry is None:
        return None
    ticket = db.session.get(Ticket, entry[0])
    if ticket is None or ticket.event_id != event.id or ticket.code != entry[1]:
        return None
    return ticket


def _session_entry(event_id: int) -> tuple[int, str] | None:
    """(ticket id, code) this browser entered for the event, unchecked."""
    entry = (session.get(SESSION_KEY) or {}).get(str(event_id))
    if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int)
            and isinstance(entry[1], str)):
        return None
    return entry[0], entry[1]


def _remember(ticket: Ticket) -> None:
    tickets = dict(session.get(SESSION_KEY) or {})
    tickets[str(ticket.event_id)] = [ticket.id, ticket.code]
    session[SESSION_KEY] = tickets
    session.permanent = True


def _forget(event: Event) -> None:
    tickets = dict(session.get(SESSION_KEY) or {})
    tickets.pop(str(event.id), None)
    session[SESSION_KEY] = tickets


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/events/<int:event_id>/vote", methods=["GET", "POST"])
@public
@ratelimit.limit("VOTING_CODE_RATE_LIMIT", scope="voting-code", methods=["POST"], refund_when=_not_a_wrong_code,
                 keep_form=True)
def vote(event_id: int):
    """The voting page: the code form, or (with a ticket in the session) the ideas and the dots."""
    event = public_event_or_404(event_id)
    ticket = session_ticket(event)
    error = None
    if ticket is not None and request.method == "GET":
        try:
            check_ticket(ticket)
        except VotingError as exc:
            # The seat was given back: say so instead of showing the ballot. The ticket stays in the
            # session so that, after the close, the results page still shows its receipt.
            error = exc
        else:
            return render_template("voting/ballot.html", event=event, ticket=ticket,
                                   ballot=ballot(ticket), form=EmptyForm())
    form = CodeForm()
    if ratelimit.refused():  # the code again as typed, with how long to wait; not checked
        flash(ratelimit.refused(), "error")
        return render_template("voting/enter_code.html", event=event, form=form, error=None)
    if form.validate_on_submit():
        try:
            ticket = find_ticket(event, form.code.data)
        except VotingError as exc:
            error = exc
            log_event("voting.code_failed", logging.WARNING, event_id=event.id, code=exc.code)
        else:
            _remember(ticket)
            return redirect(url_for("voting.vote", event_id=event.id))
    status = 422 if request.method == "POST" else 200
    return render_template("voting/enter_code.html", event=event, form=form, error=error), status


@bp.route("/events/<int:event_id>/vote/t/<code>")
@public
@ratelimit.limit("VOTING_CODE_RATE_LIMIT", scope="voting-code", refund_when=_not_a_wrong_code)
def ticket_link(event_id: int, code: str):
    """The QR link: log the ticket in and continue on the code-free voting page."""
    event = public_event_or_404(event_id)
    try:
        ticket = find_ticket(event, code)
    except VotingError as exc:
        log_event("voting.code_failed", logging.WARNING, event_id=event.id, code=exc.code)
        form = CodeForm(formdata=None)
        return render_template("voting/enter_code.html", event=event, form=form, error=exc), 404
    _remember(ticket)
    return redirect(url_for("voting.vote", event_id=event.id))


def _dot_response(event_id: int, result: DotResult | None, error: VotingError | None):
    if wants_json():
        if error is not None:
            return jsonify(error_body(error, 409)), 409
        return jsonify({"idea_id": result.idea_id, "mine": result.mine, "remaining": result.remaining,
                        "scope_id": result.scope_id})
    if error is not None:
        flash(str(error.message), "error")
    anchor = f"idea-{result.idea_id}" if result is not None else "dots-left"
    return redirect(url_for("voting.vote", event_id=event_id, _anchor=anchor))


def _dot_by_full_path(event_id: int, op: str) -> DotResult | None:
    """Give or take back a dot with the ticket object; None if this browser holds no ticket."""
    ticket = session_ticket(public_event_or_404(event_id))
    if ticket is None:
        return None
    if op == "remove":
        return remove_dot(ticket, request.form.get("idea_id"))
    if op == "add":
        return cast_dot(ticket, request.form.get("idea_id"))
    raise VotingError(_("Unknown action."), "bad_request")


def _no_ticket(event_id: int):
    if wants_json():
        return jsonify(error_body(VotingError(_("Please enter your ticket code first."), "no_ticket"), 401)), 401
    flash(_("Please enter your ticket code first."), "error")
    return redirect(url_for("voting.vote", event_id=event_id))


@bp.route("/events/<int:event_id>/vote/dots", methods=["POST"])
@public
def dot(event_id: int):
    """Give (``op=add``) or take back (``op=remove``) one dot on ``idea_id``."""
    op = request.form.get("op", "add")
    entry = _session_entry(event_id)
    try:
        result = None
        if op == "add" and entry is not None:
            # The common case in two statements (dots.quick_dot); None: the full path decides.
            result = quick_dot(event_id, *entry, request.form.get("idea_id"))
        if result is None:
            result = _dot_by_full_path(event_id, op)
        if result is None:
            return _no_ticket(event_id)
    except VotingError as exc:
        db.session.rollback()  # refused: the page's redirect must not commit
        log_event("voting.dot_refused", event_id=event_id, op=op if op in ("add", "remove") else "other",
                  code=exc.code)
        return _dot_response(event_id, None, exc)
    log_event("voting.dot", event_id=event_id, op=op, idea_id=result.idea_id)
    return _dot_response(event_id, result, None)


@bp.route("/events/<int:event_id>/vote/release", methods=["POST"])
@public
def release(event_id: int):
    """Take back the dots on ideas that the moderators removed."""
    event = public_event_or_404(event_id)
    ticket = session_ticket(event)
    if ticket is not None:
        try:
            count = release_removed_dots(ticket)
            flash(ngettext("%(num)d dot is free again.", "%(num)d dots are free again.", count), "success")
        except VotingError as exc:
            db.session.rollback()  # refused: the redirect below must not commit
            flash(str(exc.message), "error")
    return redirect(url_for("voting.vote", event_id=event.id, _anchor="dots-left"))


@bp.route("/events/<int:event_id>/vote/leave", methods=["POST"])
@public
def leave(event_id: int):
    """Forget the ticket in this browser (on a shared device)."""
    event = public_event_or_404(event_id)
    _forget(event)
    flash(_("This device has forgotten your ticket."), "success")
    return redirect(url_for("voting.vote", event_id=event.id))


@bp.route("/events/<int:event_id>/vote/results")
@public
def results(event_id: int):
    """After voting closed: the totals and every voter's receipt, so anyone can check their vote."""
    event = public_event_or_404(event_id)
    settings = settings_for(event)
    if settings.state != VotingState.CLOSED.value:
        return render_template("voting/results_pending.html", event=event, settings=settings)
    receipts = published_receipts(event)
    ticket = session_ticket(event)
    mine = receipt(ticket) if ticket is not None else None
    return render_template("voting/results.html", event=event, settings=settings, totals=totals(event),
                           receipts=receipts, sums=channel_sums(event), mine=mine,
                           receipt_dots=sum(r.dots for r in receipts))
