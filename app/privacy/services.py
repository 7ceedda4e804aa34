"""Personal data of applicants: retention (the purge), the applicant's own data, erasure.

What is personal here: an application's name, email and answers; the name on a
walk-in ticket; "said by" on an idea; mails in the outbox (addressed to a person,
often greeting them by name); the client addresses in expired rate-limit counters.
What stays after a purge, pseudonymous: the application row (status, dates and the
criteria answers, i.e. option ids, of a row that names nobody) for the counts, the
lottery's entries and audit record (pseudonyms and criteria answers fixed when the
commitment was published), tickets and dots (the votes), ideas' texts. Unconfirmed
applications and applications erased before any lottery listed them are deleted whole.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from app.audit.services import jsonable, log_action
from app.core import signals
from app.core.models import OutboxMail, RateLimitCounter, utcnow
from app.events import application_status
from app.events.models import Application, ApplicationStatus, Event, EventStatus
from app.extensions import db
from app.jobs.services import purge_finished

#: Statuses of applicants who never held a seat (for the early purge after the waiting list).
UNSELECTED = (ApplicationStatus.WAITLISTED.value, ApplicationStatus.NOT_SELECTED.value,
              ApplicationStatus.WITHDRAWN.value)
#: Event statuses in which the waiting list is over.
AFTER_WAITING_LIST = (EventStatus.HELD.value, EventStatus.PUBLISHED.value)


# ------------------------------------------------------------------ the purge


@dataclass
class PurgePart:
    """Another feature's removals in a purge (sent :data:`app.core.signals.purge_due`)."""

    #: Key in :meth:`PurgeReport.summary`, e.g. ``register_persons``.
    key: str
    count: int
    #: One translated line per removal (ids only), already worded for a dry run or not.
    lines: list[str] = field(default_factory=list)


@dataclass
class PurgeReport:
    """What :func:`purge` removed (or, in a dry run, would remove). Ids only, no personal data."""

    now: datetime
    dry_run: bool
    #: application id → reason (``unconfirmed``)
    deleted: dict[int, str] = field(default_factory=dict)
    #: application id → reason (``retention``, ``not_drawn``)
    anonymised: dict[int, str] = field(default_factory=dict)
    tickets: list[int] = field(default_factory=list)
    ideas: list[int] = field(default_factory=list)
    mails: list[int] = field(default_factory=list)
    rate_limit_counters: int = 0
    #: Finished background jobs (with their files) past ``JOBS_RETENTION_DAYS``.
    jobs: list[int] = field(default_factory=list)
    #: What other features removed through :data:`app.core.signals.purge_due` (register data).
    parts: list[PurgePart] = field(default_factory=list)

    def add_part(self, key: str, count: int, lines: list[str]) -> None:
        """A receiver of ``purge_due`` reports what it removed (or, in a dry run, would remove)."""
        if count:
            self.parts.append(PurgePart(key, count, list(lines)))

    @property
    def total(self) -> int:
        return (len(self.deleted) + len(self.anonymised) + len(self.tickets) + len(self.ideas)
                + len(self.mails) + self.rate_limit_counters + len(self.jobs)
                + sum(part.count for part in self.parts))

    def lines(self) -> list[str]:
        """One line per removal, in the current language (ids only, no personal data)."""
        dry = self.dry_run
        reasons = {"unconfirmed": _("email never confirmed"), "retention": _("retention period over"),
                   "not_drawn": _("not drawn, waiting list over")}
        out = []
        for app_id, reason in sorted(self.deleted.items()):
            out.append((_("application %(id)d: would delete (%(reason)s)") if dry
                        else _("application %(id)d: delete (%(reason)s)")) % {"id": app_id,
                                                                             "reason": reasons.get(reason, reason)})
        for app_id, reason in sorted(self.anonymised.items()):
            out.append((_("application %(id)d: would erase name and email (%(reason)s)") if dry
                        else _("application %(id)d: erase name and email (%(reason)s)"))
                       % {"id": app_id, "reason": reasons.get(reason, reason)})
        for ticket_id in self.tickets:
            out.append((_("ticket %(id)d: would erase the holder's name") if dry
                        else _("ticket %(id)d: erase the holder's name")) % {"id": ticket_id})
        for idea_id in self.ideas:
            out.append((_("idea %(id)d: would erase “said by”") if dry
                        else _("idea %(id)d: erase “said by”")) % {"id": idea_id})
        for mail_id in self.mails:
            out.append((_("outbox mail %(id)d: would delete") if dry else _("outbox mail %(id)d: delete"))
                       % {"id": mail_id})
        if self.rate_limit_counters:
            out.append(ngettext("%(num)d expired rate-limit counter: would delete",
                                "%(num)d expired rate-limit counters: would delete", self.rate_limit_counters)
                       if dry else ngettext("%(num)d expired rate-limit counter: delete",
                                            "%(num)d expired rate-limit counters: delete", self.rate_limit_counters))
        for job_id in self.jobs:
            out.append((_("job %(id)d: would delete with its file") if dry
                        else _("job %(id)d: delete with its file")) % {"id": job_id})
        for part in self.parts:
            out.extend(part.lines)
        return out

    def closing_line(self) -> str:
        """The last line of ``flask privacy purge``, with the right plural."""
        if self.dry_run:
            return ngettext("Dry run: %(num)d item would be removed; nothing was changed.",
                            "Dry run: %(num)d items would be removed; nothing was changed.", self.total)
        return ngettext("%(num)d item removed.", "%(num)d items removed.", self.total)

    def summary(self) -> dict[str, int]:
        return {"deleted": len(self.deleted), "anonymised": len(self.anonymised), "tickets": len(self.tickets),
                "ideas": len(self.ideas), "mails": len(self.mails), "rate_limit_counters": self.rate_limit_counters,
                "finished_jobs": len(self.jobs), **{part.key: part.count for part in self.parts}}


def retention_ends_at(event: Event) -> datetime | None:
    """When the applicants' personal data of ``event`` is due for deletion (None: no date yet)."""
    end = event.ends_at or event.starts_at
    if end is None:
        return None
    return end + timedelta(days=event.retention_days)


def waiting_list_expired(event: Event, now: datetime) -> bool:
    """No replacement can come any more: the event has started (or is marked held)."""
    return event.status in AFTER_WAITING_LIST or (event.starts_at is not None and event.starts_at <= now)


def purge(now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Remove the personal data whose time is over (``flask privacy purge``, daily).

    - unconfirmed applications older than ``PRIVACY_UNCONFIRMED_DAYS`` (7): deleted;
    - applicants of events whose retention period (``retention_days`` after the end)
      is over: name and email erased and the manage link voided (the row with its status
      and criteria answers stays, pseudonymous, for the results and the lottery audit),
      walk-in tickets' names and ideas' "said by" erased;
    - with ``purge_unselected_early``: applicants who never held a seat, as soon as the
      waiting list has expired;
    - mails in the outbox addressed to any of them, and every mail sent more than
      ``PRIVACY_SENT_MAIL_DAYS`` (90) ago; expired rate-limit counters;
    - finished background jobs and their files after ``JOBS_RETENTION_DAYS`` (14);
    - what other features keep (:data:`app.core.signals.purge_due`): the residents' register
      extracts of events whose retention is over, the register data of invitees who did not
      answer once the answer window plus ``INVITATIONS_UNANSWERED_KEEP_DAYS`` is over.

    Flushes; the caller commits (a dry run changes nothing and the caller rolls back).

    :param now: naive UTC (tests inject a clock); default now.
    :return: what was (or would be) removed.
    """
    now = now or utcnow()
    report = PurgeReport(now=now, dry_run=dry_run)
    cutoff = now - timedelta(days=int(current_app.config["PRIVACY_UNCONFIRMED_DAYS"]))
    unconfirmed = db.session.execute(
        sa.select(Application).where(Application.status == ApplicationStatus.UNCONFIRMED.value,
                                     Application.created_at < cutoff).order_by(Application.id)
    ).scalars().all()
    for application in unconfirmed:
        report.deleted[application.id] = "unconfirmed"

    to_anonymise: list[Application] = []
    retention_over: list[Event] = []
    for event in db.session.execute(sa.select(Event).order_by(Event.id)).scalars():
        ends = retention_ends_at(event)
        if ends is not None and ends <= now:
            retention_over.append(event)
            for application in _live_applications(event):
                if application.id not in report.deleted:
                    report.anonymised[application.id] = "retention"
                    to_anonymise.append(application)
        elif event.purge_unselected_early and waiting_list_expired(event, now):
            for application in _live_applications(event, statuses=UNSELECTED):
                if application.id not in report.deleted and not _ever_seated(application):
                    report.anonymised[application.id] = "not_drawn"
                    to_anonymise.append(application)

    from app.ideas.models import Idea, Stand
    from app.voting.models import Ticket

    event_ids = [e.id for e in retention_over]
    anonymised_ids = [a.id for a in to_anonymise]
    tickets = db.session.execute(
        sa.select(Ticket).where(Ticket.holder_name.is_not(None), sa.or_(
            Ticket.event_id.in_(event_ids), Ticket.application_id.in_(anonymised_ids)))
        .order_by(Ticket.id)
    ).scalars().all() if (event_ids or anonymised_ids) else []
    report.tickets = [t.id for t in tickets]
    ideas = db.session.execute(
        sa.select(Idea).join(Stand, Stand.id == Idea.stand_id)
        .where(Stand.event_id.in_(event_ids), Idea.said_by != "").order_by(Idea.id)
    ).scalars().all() if event_ids else []
    report.ideas = [i.id for i in ideas]

    leaving = [*unconfirmed, *to_anonymise]
    mails = _mails_to_leaving(leaving)
    # Any sent mail is history after a while (feedback mails carry a name and address too).
    mail_cutoff = now - timedelta(days=int(current_app.config["PRIVACY_SENT_MAIL_DAYS"]))
    known = {m.id for m in mails}
    mails += [m for m in db.session.execute(
        sa.select(OutboxMail).where(OutboxMail.sent_at.is_not(None), OutboxMail.sent_at < mail_cutoff)
        .order_by(OutboxMail.id)).scalars() if m.id not in known]
    report.mails = [m.id for m in mails]
    wall_clock = time.time()
    report.rate_limit_counters = db.session.execute(
        sa.select(sa.func.count()).select_from(RateLimitCounter).where(RateLimitCounter.expires_at < wall_clock)
    ).scalar_one()
    report.jobs = purge_finished(now, dry_run=True)
    signals.purge_due.send(report)
    if dry_run:
        return report

    purge_finished(now)
    for mail in mails:
        db.session.delete(mail)
    for application in unconfirmed:
        db.session.delete(application)
    for application in to_anonymise:
        anonymise(application, now)
    for ticket in tickets:
        ticket.holder_name = None
    for idea in ideas:
        idea.said_by = ""
    db.session.execute(sa.delete(RateLimitCounter).where(RateLimitCounter.expires_at < wall_clock))
    db.session.flush()
    if report.total:
        log_action("privacy.purge", after={**report.summary(), "as_of": now})
    return report


def _live_applications(event: Event, statuses: tuple[str, ...] | None = None) -> list[Application]:
    query = sa.select(Application).where(Application.event_id == event.id, Application.anonymised_at.is_(None))
    if statuses:
        query = query.where(Application.status.in_(statuses))
    return list(db.session.execute(query.order_by(Application.id)).scalars())


def _ever_seated(application: Application) -> bool:
    from app.lottery.models import LotteryEntry

    return db.session.execute(
        sa.select(sa.func.count()).select_from(LotteryEntry)
        .where(LotteryEntry.application_id == application.id, LotteryEntry.seat_since.is_not(None))
    ).scalar_one() > 0


def _mails_to_leaving(leaving: list[Application]) -> list[OutboxMail]:
    """Mails to the addresses of applications about to lose their personal data.

    A sent mail is history and goes. An unsent one goes too, unless the same address
    still has a live application elsewhere (the mail may be about that one).
    """
    emails = {a.email for a in leaving if a.email}
    if not emails:
        return []
    leaving_ids = {a.id for a in leaving}
    still_used = set(db.session.execute(
        sa.select(Application.email).where(Application.email.in_(emails), Application.id.not_in(leaving_ids))
    ).scalars())
    mails = db.session.execute(
        sa.select(OutboxMail).where(sa.func.lower(OutboxMail.recipient).in_(emails)).order_by(OutboxMail.id)
    ).scalars().all()
    return [m for m in mails if m.sent_at is not None or m.recipient.lower() not in still_used]


def anonymise(application: Application, now: datetime | None = None) -> None:
    """Erase name and email of ``application``; the row (status, dates, criteria answers) stays.

    The manage link stops working (a random hash replaces the token's). What remains is
    pseudonymous: the criteria answers (option ids) of a row that names nobody, exactly
    what the lottery's public audit record already shows under the entry's pseudonym, and
    what the aggregate results (participation per age band, district, ...) count.
    Mails to the address go with :func:`_mails_to_leaving` (the caller's job).
    """
    from app.voting.models import Ticket

    application.name = None
    application.email = None
    application.token_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
    application.anonymised_at = now or utcnow()
    application.notify_measures = False  # no address left to tell about the measures
    db.session.execute(sa.update(Ticket).where(Ticket.application_id == application.id).values(holder_name=None))
    db.session.flush()


# ------------------------------------------------------------------ the applicant's own data


def own_data(application: Application) -> dict:
    """Everything stored about the person behind ``application``, as a JSON-ready dict.

    Nothing about anyone else: no other applicant's pseudonym, no staff names.
    """
    from app.audit.models import AuditEntry
    from app.ideas.models import Idea
    from app.lottery.models import LotteryDraw, LotteryEntry
    from app.voting.models import Dot, Ticket

    event = application.event
    data: dict = {
        "format": "ideenmarkt-own-data",
        "version": 1,
        "exported_at": utcnow().isoformat(),
        "application": {
            "id": application.id,
            "event": {"id": event.id, "title": event.title, "starts_at": jsonable(event.starts_at),
                      "ends_at": jsonable(event.ends_at), "retention_days": event.retention_days,
                      "personal_data_deleted_after": jsonable(retention_ends_at(event))},
            "name": application.name,
            "email": application.email,
            "status": application.status,
            "language": application.language,
            "source": application.source,
            "consent_at": jsonable(application.consent_at),
            "created_at": jsonable(application.created_at),
            "confirmed_at": jsonable(application.confirmed_at),
            "updated_at": jsonable(application.updated_at),
            "notify_about_measures": application.notify_measures,
        },
        "answers": [
            {"question": a.criterion.label, "key": a.criterion.key, "answer": a.option.label, "value": a.option.value}
            for a in sorted(application.answers, key=lambda a: a.criterion.position)
        ],
    }
    history = [{"at": jsonable(application.created_at), "what": "applied"}]
    if application.confirmed_at:
        history.append({"at": jsonable(application.confirmed_at), "what": "email confirmed"})
    staff_changes = db.session.execute(
        sa.select(AuditEntry.created_at, AuditEntry.action, AuditEntry.after)
        .where(AuditEntry.target_type == "application", AuditEntry.target_id == application.id)
        .order_by(AuditEntry.id)
    ).all()
    for at, action, after in staff_changes:
        history.append({"at": jsonable(at), "what": action, "change": after})

    entries = db.session.execute(
        sa.select(LotteryEntry, LotteryDraw).join(LotteryDraw, LotteryDraw.id == LotteryEntry.draw_id)
        .where(LotteryEntry.application_id == application.id).order_by(LotteryDraw.attempt)
    ).all()
    data["lottery"] = []
    for entry, draw in entries:
        data["lottery"].append({
            "draw_attempt": draw.attempt, "draw_state": draw.state, "pseudonym": entry.pseudonym,
            "drawn": entry.seat_since is not None and entry.rank is None,
            "waiting_list_rank": entry.rank, "seat_since": jsonable(entry.seat_since),
            "confirm_deadline": jsonable(entry.confirm_deadline), "released_at": jsonable(entry.released_at),
            "release_reason": entry.release_reason,
        })
        if entry.seat_since:
            history.append({"at": jsonable(entry.seat_since), "what": "seat given"})
        if entry.released_at:
            history.append({"at": jsonable(entry.released_at), "what": f"seat released ({entry.release_reason})"})

    ticket = db.session.execute(sa.select(Ticket).where(Ticket.application_id == application.id)).scalar_one_or_none()
    data["ticket"] = None
    data["dots"] = []
    if ticket is not None:
        data["ticket"] = {"code": ticket.code, "kind": ticket.kind, "channel": ticket.channel,
                          "holder_name": ticket.holder_name, "issued_at": jsonable(ticket.issued_at),
                          "checked_in_at": jsonable(ticket.checked_in_at), "revoked_at": jsonable(ticket.revoked_at)}
        if ticket.checked_in_at:
            history.append({"at": jsonable(ticket.checked_in_at), "what": "checked in"})
        rows = db.session.execute(
            sa.select(Dot.idea_id, Idea.text).join(Idea, Idea.id == Dot.idea_id).where(Dot.ticket_id == ticket.id)
        ).all()
        counts = Counter(idea_id for idea_id, _ in rows)
        texts = dict(rows)
        data["dots"] = [{"idea_id": idea_id, "idea": texts[idea_id], "dots": n} for idea_id, n in sorted(counts.items())]
    data["status_history"] = sorted(history, key=lambda item: item["at"] or "")
    mails = []
    if application.email:
        mails = db.session.execute(
            sa.select(OutboxMail).where(sa.func.lower(OutboxMail.recipient) == application.email.lower())
            .order_by(OutboxMail.id)
        ).scalars().all()
    data["mails"] = [{"created_at": jsonable(m.created_at), "sent_at": jsonable(m.sent_at), "to": m.recipient,
                      "subject": m.subject, "text": m.body_text} for m in mails]
    return data


# ------------------------------------------------------------------ erasure on request


def erase_application(application: Application, now: datetime | None = None) -> str:
    """The applicant erases their application (from the manage link).

    Before any lottery commitment listed it: the application is deleted with its
    answers. Afterwards it is anonymised so the published audit stays consistent: the
    lottery entry keeps its pseudonym; a held seat is released as ``withdrawn`` through
    the lottery (the waiting list moves up); an unused ticket is deleted, a used one revoked
    (its dots stay counted). Mails to the
    address in the outbox are deleted either way.

    :return: ``deleted`` or ``anonymised``.
    """
    from app.events.application_services import can_withdraw
    from app.lottery.models import DrawState, LotteryDraw, LotteryEntry
    from app.lottery.services import process_draw
    from app.voting.models import Dot, Ticket

    now = now or utcnow()
    event = application.event
    for mail in _mails_to_leaving([application]):
        db.session.delete(mail)
    in_lottery = db.session.execute(
        sa.select(sa.func.count()).select_from(LotteryEntry).where(LotteryEntry.application_id == application.id)
    ).scalar_one()
    application_id, event_id = application.id, event.id
    if not in_lottery:
        application_status.release_seat(application, "erased")  # seat_released: its ticket stops working
        db.session.delete(application)
        db.session.flush()
        log_action("application.erased_by_applicant", target=None, event_id=event_id,
                   process_id=event.process_id, after={"application_id": application_id, "result": "deleted"})
        return "deleted"

    before = application.status
    if can_withdraw(application):
        # The seat is given back: seat_released stops the ticket (first, so no dot is in flight below).
        application_status.move(application, "erase")
    anonymise(application, now)
    ticket = db.session.execute(sa.select(Ticket).where(Ticket.application_id == application.id)).scalar_one_or_none()
    if ticket is not None and ticket.checked_in_at is None and not db.session.execute(
            sa.select(sa.func.count()).select_from(Dot).where(Dot.ticket_id == ticket.id)).scalar_one():
        db.session.delete(ticket)
    db.session.flush()
    draw = db.session.execute(
        sa.select(LotteryDraw).where(LotteryDraw.event_id == event.id, LotteryDraw.state == DrawState.DRAWN.value)
    ).scalar_one_or_none()
    if draw is not None:
        process_draw(draw, now=now)
    log_action("application.erased_by_applicant", application, before={"status": before},
               after={"status": application.status, "result": "anonymised"})
    return "anonymised"


# ------------------------------------------------------------------ feedback on barriers


def send_feedback(name: str, email: str, message: str, page: str = "") -> int:
    """Mail a barrier report to every active admin through the outbox.

    :return: how many admins it was sent to.
    """
    from flask_babel import gettext as _

    from app.accounts.models import User, UserRole
    from app.core.mail import queue_mail

    admins = db.session.execute(
        sa.select(User.email).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "admin", User.active.is_(True)).order_by(User.id)
    ).scalars().all()
    body = "\n".join([
        _("Someone reported a barrier on the Ideenmarkt (feedback form of the accessibility statement)."),
        "",
        _("Name: %(name)s", name=name or "–"),
        _("Email: %(email)s", email=email or "–"),
        *([_("Page: %(page)s", page=page)] if page else []),
        "",
        message,
        "",
        _("Please answer within a reasonable time (BITV 2.0); if no address was given, no answer is possible."),
    ])
    subject = _("Accessibility feedback")
    for address in admins:
        queue_mail(address, subject, body)
    return len(admins)
