"""Personal data of applicants: retention (the purge), the applicant's own data, erasure.

This module orchestrates; the features say what they hold. Personal columns are marked where
they are declared (``info=PERSONAL``, app/core/personal.py), and each feature's ``privacy.py``
exports and erases its own (app/privacy/providers.py): the application's name and email
(events), the name on a walk-in ticket (voting), "said by" on an idea (ideas), mails in the
outbox and the client addresses in rate-limit counters (core), finished jobs' parameters and
files (jobs); the lottery and the audit log add their part of the own-data file.
What stays after a purge, pseudonymous: the application row (status, dates and the
criteria answers, i.e. option ids, of a row that names nobody) for the counts, the
lottery's entries and audit record (pseudonyms and criteria answers fixed when the
commitment was published), tickets and dots (the votes), ideas' texts. Unconfirmed
applications and applications erased before any lottery listed them are deleted whole.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from app.accounts.models import User, UserRole
from app.audit.services import log_action
from app.core.mail import queue_mail
from app.core.models import utcnow
from app.core.privacy import mails_to
from app.events import application_status
from app.events.application_services import can_withdraw
from app.events.models import Application, ApplicationStatus, Event, EventStatus
from app.extensions import db
from app.privacy import providers

#: Statuses of applicants who never held a seat (for the early purge after the waiting list).
UNSELECTED = (ApplicationStatus.WAITLISTED.value, ApplicationStatus.NOT_SELECTED.value,
              ApplicationStatus.WITHDRAWN.value)
#: Event statuses in which the waiting list is over.
AFTER_WAITING_LIST = (EventStatus.HELD.value, EventStatus.PUBLISHED.value)


# ------------------------------------------------------------------ the purge


@dataclass
class PurgePart:
    """Another feature's removals in a purge (noted by its privacy provider's ``purge``)."""

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
    #: What other features' privacy providers remove (register data, objections, participants).
    parts: list[PurgePart] = field(default_factory=list)

    def add_part(self, key: str, count: int, lines: list[str]) -> None:
        """A privacy provider's ``purge`` notes what it removes (or, in a dry run, would remove)."""
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
    return event.retention_ends_at


def waiting_list_expired(event: Event, now: datetime) -> bool:
    """No replacement can come any more: the event has started (or is marked held)."""
    return event.status in AFTER_WAITING_LIST or (event.starts_at is not None and event.starts_at <= now)


@dataclass
class PurgePlan:
    """Who leaves in a purge, as the providers' ``purge`` hooks read it (before anything changes)."""

    now: datetime
    #: Events whose retention period is over.
    event_ids: list[int]
    #: Applications about to be anonymised.
    anonymised_ids: list[int]
    #: The addresses of the applications deleted or anonymised ...
    leaving_emails: set[str]
    #: ... and those of them still used by another application (unsent mail to them stays).
    emails_still_used: set[str]


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
    - what the other features' privacy providers find (their ``purge``): the residents' register
      extracts of events whose retention is over, the register data of invitees who did not
      answer once the answer window plus ``INVITATIONS_UNANSWERED_KEEP_DAYS`` is over, the
      objections to those events' lottery records, the online participants' data
      (app/participation/retention.py).

    The applications are chosen here; what each feature removes with them, its privacy
    provider's ``purge`` finds (app/privacy/providers.py).

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

    leaving = [*unconfirmed, *to_anonymise]
    leaving_emails, still_used = _leaving_emails(leaving)
    plan = PurgePlan(now=now, event_ids=[e.id for e in retention_over],
                     anonymised_ids=[a.id for a in to_anonymise],
                     leaving_emails=leaving_emails, emails_still_used=still_used)
    removals = [removal for hook in providers.with_hook("purge") if (removal := hook(plan, report)) is not None]
    if dry_run:
        return report

    for remove in removals:
        remove()
    for application in unconfirmed:
        db.session.delete(application)
    for application in to_anonymise:
        anonymise(application, now)
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
    return any(held_seat(application) for held_seat in providers.with_hook("held_seat"))


def _leaving_emails(leaving: list[Application]) -> tuple[set[str], set[str]]:
    """The addresses of applications about to lose their personal data, and those of them that
    another (live) application still uses."""
    emails = {a.email for a in leaving if a.email}
    if not emails:
        return set(), set()
    leaving_ids = {a.id for a in leaving}
    still_used = set(db.session.execute(
        sa.select(Application.email).where(Application.email.in_(emails), Application.id.not_in(leaving_ids))
    ).scalars())
    return emails, still_used


def anonymise(application: Application, now: datetime | None = None) -> None:
    """Erase the personal data of ``application`` in every feature; the row (status, dates,
    criteria answers) stays.

    The manage link stops working. What remains is pseudonymous: the criteria answers
    (option ids) of a row that names nobody, exactly what the lottery's public audit record
    already shows under the entry's pseudonym, and what the aggregate results (participation
    per age band, district, ...) count. Mails to the address go separately (the caller's job).
    """
    now = now or utcnow()
    for hook in providers.with_hook("anonymise"):
        hook(application, now)
    db.session.flush()


# ------------------------------------------------------------------ the applicant's own data


def own_data(application: Application) -> dict:
    """Everything stored about the person behind ``application``, as a JSON-ready dict: each
    provider's sections, and one status history.

    Nothing about anyone else: no other applicant's pseudonym, no staff names.
    """
    data: dict = {"format": "ideenmarkt-own-data", "version": 1, "exported_at": utcnow().isoformat()}
    history: list[dict] = []
    for export in providers.with_hook("export"):
        sections = dict(export(application))
        history += sections.pop("status_history", [])
        data.update(sections)
    data["status_history"] = sorted(history, key=lambda item: item["at"] or "")
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
    now = now or utcnow()
    event = application.event
    emails, still_used = _leaving_emails([application])
    for mail in mails_to(emails, still_used):
        db.session.delete(mail)
    kept = any(keeps_record(application) for keeps_record in providers.with_hook("keeps_record"))
    application_id, event_id = application.id, event.id
    if not kept:
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
    for erased in providers.with_hook("erased"):
        erased(application, now)
        db.session.flush()
    log_action("application.erased_by_applicant", application, before={"status": before},
               after={"status": application.status, "result": "anonymised"})
    return "anonymised"


# ------------------------------------------------------------------ feedback on barriers


def send_feedback(name: str, email: str, message: str, page: str = "") -> int:
    """Mail a barrier report to every active admin through the outbox.

    :return: how many admins it was sent to.
    """
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
