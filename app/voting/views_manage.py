"""Staff: voting settings, open/close, tickets (bulk, walk-ins, badges), check-in and board counts.

Staff pages show totals only: nobody can see who gave which dot. Moderators see the pages
of the events where they moderate a stand only (admins: every event): another event's
pages answer 403, its tickets 404.
"""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

import sqlalchemy as sa

from app.audit.services import log_action
from app.core.access import staff_required
from app.events.models import Event
from app.extensions import db
from app.ideas.services import can_moderate, event_ids_worked_at, works_at_event
from app.voting import bp, state
from app.voting.ballot import event_ideas
from app.voting.base import VotingError, settings_for
from app.voting.board import board_counts, parse_count, set_board_count
from app.voting.checkin import attendance, check_in, tickets_for_badges
from app.voting.codes import format_code
from app.voting.forms import CheckInForm, EmptyForm, SettingsForm, WalkInForm
from app.voting.models import Ticket
from app.voting.ticket_mail import ticket_qr
from app.voting.tickets import issue_tickets_for_event, issue_walk_in
from app.voting.totals import channel_sums, totals

DOOR = ("admin", "moderator")


def get_event(event_id: int) -> Event:
    """The event, or 404; 403 unless the user works at it (:func:`works_at_event`)."""
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    if not works_at_event(current_user, event.id):
        abort(403)
    return event


def get_ticket(ticket_id: int) -> Ticket:
    """The ticket, or 404, also when it belongs to an event the user does not work at (so
    sequential ids reveal nothing about other events)."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not works_at_event(current_user, ticket.event_id):
        abort(404)
    return ticket


@bp.route("/manage/voting")
@staff_required(*DOOR)
def overview():
    """Events with their voting state and attendance (for moderators: the events they work at)."""
    query = sa.select(Event).order_by(Event.starts_at.desc(), Event.id)
    if not current_user.has_role("admin"):
        query = query.where(Event.id.in_(sorted(event_ids_worked_at(current_user))))
    events = list(db.session.execute(query).scalars())
    return render_template("voting/manage/overview.html", events=events,
                           states={e.id: settings_for(e).state for e in events})


@bp.route("/manage/events/<int:event_id>/voting")
@staff_required(*DOOR)
def manage(event_id: int):
    """Attendance and totals; for admins also the settings and open/close."""
    event = get_event(event_id)
    return _manage_page(event, SettingsForm(obj=settings_for(event)))


def _manage_page(event: Event, form: SettingsForm, status: int = 200):
    return render_template("voting/manage/event.html", event=event, settings=settings_for(event),
                           form=form, action_form=EmptyForm(), attendance=attendance(event),
                           totals=totals(event), sums=channel_sums(event)), status


@bp.route("/manage/events/<int:event_id>/voting/settings", methods=["POST"])
@staff_required("admin")
def save_settings(event_id: int):
    event = get_event(event_id)
    settings = settings_for(event)
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            state.update_settings(
                event, dots_per_ticket=form.dots_per_ticket.data, max_per_idea=form.max_per_idea.data,
                scope=form.scope.data, walk_ins_allowed=form.walk_ins_allowed.data,
                online_enabled=settings.online_enabled, online_opens_at=settings.online_opens_at,
                online_closes_at=settings.online_closes_at, user=current_user)
            flash(_("Voting settings saved."), "success")
            return redirect(url_for("voting.manage", event_id=event.id))
        except VotingError as exc:
            form.dots_per_ticket.errors = [*form.dots_per_ticket.errors, str(exc.message)]
    return _manage_page(event, form, 422)


def _state_action(event_id: int, action, done: str):
    event = get_event(event_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        action(event, current_user)
        flash(done, "success")
    except VotingError as exc:
        db.session.rollback()  # refused: the redirect below must not commit
        flash(str(exc.message), "error")
    return redirect(url_for("voting.manage", event_id=event.id))


@bp.route("/manage/events/<int:event_id>/voting/open", methods=["POST"])
@staff_required("admin")
def open_voting(event_id: int):
    return _state_action(event_id, state.open_voting, _("Voting is open."))


@bp.route("/manage/events/<int:event_id>/voting/close", methods=["POST"])
@staff_required("admin")
def close_voting(event_id: int):
    return _state_action(event_id, state.close_voting, _("Voting is closed; totals and receipts are published."))


@bp.route("/manage/events/<int:event_id>/tickets", methods=["POST"])
@staff_required("admin")
def issue_tickets(event_id: int):
    """Tickets and mails for every confirmed participant who has none yet (safety net for the lottery hook)."""
    event = get_event(event_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    issued = issue_tickets_for_event(event, user=current_user)
    flash(ngettext("%(num)d ticket issued and sent.", "%(num)d tickets issued and sent.", issued), "success")
    return redirect(url_for("voting.manage", event_id=event.id))


@bp.route("/manage/events/<int:event_id>/badges")
@staff_required(*DOOR)
def badges(event_id: int):
    """A print-styled sheet: one badge per ticket with name, code and QR code."""
    event = get_event(event_id)
    # Badges print names: an export of personal data.
    log_action("voting.badges_export", event)
    tickets = tickets_for_badges(event)
    qr_label = _("QR code of the ticket")
    return render_template("voting/manage/badges.html", event=event,
                           badges=[(t, None if t.revoked else ticket_qr(t, qr_label)) for t in tickets])


@bp.route("/manage/events/<int:event_id>/checkin", methods=["GET", "POST"])
@staff_required(*DOOR)
def checkin(event_id: int):
    """Check participants in by typed or scanned code; checking in twice is harmless."""
    event = get_event(event_id)
    form = CheckInForm()
    result = None
    status = 200
    if form.validate_on_submit():
        try:
            ticket, newly = check_in(event, form.code.data, user=current_user)
            result = {"ok": True, "newly": newly, "name": ticket.display_name,
                      "code": format_code(ticket.code)}
        except VotingError as exc:
            result = {"ok": False, "code": exc.code, "message": str(exc.message)}
            status = 422
        if request.accept_mimetypes.best == "application/json":
            counts = attendance(event)
            return jsonify({**result, "checked_in": counts.checked_in, "confirmed": counts.confirmed}), status
        form = CheckInForm(formdata=None)
    elif request.method == "POST":
        status = 422
    return _checkin_page(event, form, WalkInForm(), result), status


def _checkin_page(event, form, walk_in_form, result=None) -> str:
    return render_template("voting/manage/checkin.html", event=event, form=form, result=result,
                           attendance=attendance(event), walk_in_form=walk_in_form,
                           settings=settings_for(event))


@bp.route("/manage/events/<int:event_id>/walk-in", methods=["POST"])
@staff_required(*DOOR)
def walk_in(event_id: int):
    """Issue a ticket at the door (if the admin allows walk-ins), already checked in."""
    event = get_event(event_id)
    form = WalkInForm()
    if form.validate_on_submit():
        try:
            ticket = issue_walk_in(event, form.name.data or "", user=current_user)
        except VotingError as exc:
            db.session.rollback()  # refused: the redirect below must not commit (or the page again)
            if exc.code != "bad_name":  # walk-ins were switched off meanwhile: no form to show it at
                flash(str(exc.message), "error")
                return redirect(url_for("voting.checkin", event_id=event.id))
            form.name.errors = [str(exc.message)]
        else:
            return redirect(url_for("voting.ticket", ticket_id=ticket.id))
    # The check-in page again, the message at the name field (issue 16 item 7), the name kept.
    return _checkin_page(event, CheckInForm(formdata=None), form), 422


@bp.route("/manage/tickets/<int:ticket_id>")
@staff_required(*DOOR)
def ticket(ticket_id: int):
    """One ticket to show or print at the door (e.g. right after a walk-in)."""
    ticket_ = get_ticket(ticket_id)
    return render_template("voting/manage/ticket.html", ticket=ticket_, event=ticket_.event,
                           qr=ticket_qr(ticket_, _("QR code of the ticket")))


@bp.route("/manage/events/<int:event_id>/board", methods=["GET", "POST"])
@staff_required(*DOOR)
def board(event_id: int):
    """Moderators enter the paper dots counted on the physical board, per idea."""
    event = get_event(event_id)
    stands = event_ideas(event)
    if not current_user.has_role("admin"):
        stands = [(s, ideas) for s, ideas in stands if can_moderate(current_user, s)]
    errors: dict[int, str] = {}
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        allowed = {idea.id: idea for _, ideas in stands for idea in ideas}
        changed = 0
        current = board_counts(event)
        for key, raw in request.form.items():
            if not key.startswith("count-"):
                continue
            idea = allowed.get(int(key[6:])) if key[6:].isdigit() and len(key) < 20 else None
            if idea is None or raw.strip() == "":
                continue
            try:
                value = parse_count(raw)
                if current.get(idea.id) is None or current[idea.id].count != value:
                    set_board_count(idea, value, user=current_user)
                    changed += 1
            except VotingError as exc:
                errors[idea.id] = str(exc.message)
        if errors:
            db.session.rollback()  # before the page: it shows the stored counts, not the half-saved ones
        else:
            flash(ngettext("%(num)d count saved.", "%(num)d counts saved.", changed), "success")
            return redirect(url_for("voting.board", event_id=event.id))
    return render_template("voting/manage/board.html", event=event, stands=stands, errors=errors,
                           counts=board_counts(event), form=EmptyForm(),
                           values=request.form if errors else {}), 422 if errors else 200
