"""Reports (issue 18): anyone, or a participant with their link, reports an idea of the public
list or a comment as against the netiquette; the moderators of the item's stand see the open
reports with their counts in the stand's online queue and resolve them (hiding an item resolves
its reports too).

Rules (one home):

* the item must be shown to the public: an idea of the public list that is visible, a comment
  the public sees with its text;
* the reason is one of the rules of the process's netiquette; ``details`` an optional note
  (plain text, at most ``DETAILS_MAX`` characters);
* one report per participant and item: reporting again changes nothing (the unique constraints
  keep it when two requests come at once); reports without a link are limited per address (the
  views) and per link (``PARTICIPATION_REPORT_RATE_LIMIT``).

Reports are not written to the audit log one by one (as supports); resolving is.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.audit.services import log_action
from app.core.models import utcnow
from app.core.text import clean_text
from app.extensions import db
from app.ideas.models import Idea, Stand
from app.ideas.services import IdeaError
from app.participation import moderation
from app.participation.moderation import netiquette_reasons
from app.participation.models import Comment, Participant, Report
from app.participation.services import ParticipationError, charge_link, check_active

DETAILS_MAX = 500


@dataclass
class Item:
    """What is reported: an idea or a comment (``comment`` set), and the idea it belongs to."""

    idea: Idea
    comment: Comment | None = None

    @property
    def process_id(self) -> int:
        return self.idea.stand.event.process_id

    def column_filter(self):
        return Report.comment_id == self.comment.id if self.comment is not None else Report.idea_id == self.idea.id


def check_reportable(item: Item) -> None:
    """:raises ParticipationError: ``not_reportable`` (not shown to the public)."""
    shown = item.comment.is_visible if item.comment is not None else item.idea.is_visible
    if not shown:
        raise ParticipationError(_l("This contribution is not shown (any more), so it cannot be reported."),
                                 "not_reportable")


def clean_report(item: Item, reason: object, details: object) -> tuple[str, str]:
    """:raises ParticipationError: ``reason_required``, ``reason_unknown`` (on ``reason``),
    ``details_too_long`` (on ``details``)."""
    rules = netiquette_reasons(item.process_id)
    chosen = reason.strip() if isinstance(reason, str) else ""
    if not chosen:
        raise ParticipationError(_l("Please choose the rule of the netiquette the contribution breaks."),
                                 "reason_required", "reason")
    if chosen not in rules:
        raise ParticipationError(_l("Please choose one of the netiquette's rules."), "reason_unknown", "reason")
    note = clean_text(details, multiline=True) if isinstance(details, str) else ""
    if len(note) > DETAILS_MAX:
        raise ParticipationError(
            lazy_ngettext("The note can have at most %(num)d character.",
                          "The note can have at most %(num)d characters.", DETAILS_MAX),
            "details_too_long", "details")
    return chosen, note


def already_reported(participant: Participant, item: Item) -> bool:
    return db.session.execute(sa.select(Report.id).where(
        Report.participant_id == participant.id, item.column_filter()).limit(1)).first() is not None


def report(item: Item, reason: object, details: object = "", participant: Participant | None = None) -> bool:
    """Store a report (of ``participant``, or of someone without a link). Flushes.

    :return: False if the participant had already reported the item (nothing changed).
    :raises ParticipationError: ``not_reportable``, the checks of :func:`clean_report`;
        with a participant ``unconfirmed``, ``blocked``, ``idea_invalid``, ``rate_limited``.
    """
    if participant is not None:
        check_active(participant)
        if participant.process_id != item.process_id:
            raise ParticipationError(_l("This idea does not exist in this process."), "idea_invalid")
    check_reportable(item)
    chosen, note = clean_report(item, reason, details)
    if participant is not None:
        if already_reported(participant, item):
            return False
        charge_link(participant, "PARTICIPATION_REPORT_RATE_LIMIT", "participation-report",
                    _l("You have sent many reports in a short time. Please try again later (%(wait)s)."))
    row = Report(idea_id=None if item.comment is not None else item.idea.id,
                 comment_id=item.comment.id if item.comment is not None else None,
                 participant_id=participant.id if participant is not None else None, reason=chosen, details=note)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # the same participant's report sent twice at once: the other one stored it
        return False
    return True


# ------------------------------------------------------------------ moderation


@dataclass
class Reported:
    """An item of the stand with open reports: how many, and the reasons with their counts."""

    item: Item
    count: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"comment-{self.item.comment.id}" if self.item.comment is not None else f"idea-{self.item.idea.id}"


def open_reports(stand: Stand) -> list[Reported]:
    """The stand's ideas and the comments on them with open reports, most reported first (one query)."""
    comment_idea = sa.orm.aliased(Idea)
    rows = db.session.execute(
        sa.select(Report, Idea, Comment, comment_idea)
        .outerjoin(Idea, Idea.id == Report.idea_id)
        .outerjoin(Comment, Comment.id == Report.comment_id)
        .outerjoin(comment_idea, comment_idea.id == Comment.idea_id)
        .where(Report.resolved_at.is_(None),
               sa.or_(Idea.stand_id == stand.id, comment_idea.stand_id == stand.id))
        .order_by(Report.id)).all()
    found: dict[str, Reported] = {}
    reasons: dict[str, Counter] = {}
    for row, idea, comment, parent in rows:
        item = Item(parent, comment) if comment is not None else Item(idea)
        key = f"comment-{comment.id}" if comment is not None else f"idea-{idea.id}"
        entry = found.setdefault(key, Reported(item))
        entry.count += 1
        reasons.setdefault(entry.key, Counter())[row.reason] += 1
        if row.details:
            entry.details.append(row.details)
    for entry in found.values():
        entry.reasons = reasons[entry.key].most_common()
    return sorted(found.values(), key=lambda e: -e.count)


def resolve(item: Item, *, user: User | None) -> int:
    """Mark the item's open reports as resolved (the moderator has looked at them).

    :return: how many were resolved. :raises IdeaError: ``no_reports``.
    """
    count = resolve_open(item, user=user)
    if not count:
        raise IdeaError(_l("There are no open reports for this contribution."), "no_reports")
    return count


def resolve_open(item: Item, *, user: User | None) -> int:
    """Resolve the item's open reports, if any (also when it is hidden); audit-logged. Flushes."""
    count = db.session.execute(
        sa.update(Report).where(item.column_filter(), Report.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=user.id if user else None)).rowcount
    if count:
        target = item.comment if item.comment is not None else item.idea
        log_action("report.resolve", target, event_id=item.idea.stand.event_id,
                   after={"reports_resolved": count, "idea_id": item.idea.id})
    return count


def hide_idea(idea: Idea, reason: object, *, user: User | None) -> Idea:
    """Hide an online idea with a reason of the netiquette (:func:`moderation.hide`) and resolve
    its open reports: a hidden idea needs no further look.

    :raises IdeaError: those of :func:`app.participation.moderation.hide`.
    """
    hidden = moderation.hide(idea, reason, user=user)
    resolve_open(Item(idea), user=user)
    return hidden
