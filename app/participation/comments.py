"""Comments (issue 18): a confirmed participant comments an idea of the public list, with one
level of replies, and edits or withdraws their own comment; moderators of the idea's stand
approve (under pre-moderation), hide with a public reason from the netiquette and show again.

Rules (one home):

* only a confirmed, unblocked participant of the idea's process (``check_active``);
* only an idea the public list shows (:func:`app.participation.supports.find_idea`) that is
  visible (released, not hidden, merged or withdrawn);
* only while the "after" phase of the idea's event is open: after the workshop residents read,
  support and comment its ideas until a date (the issue), as for supports;
* a reply answers a top-level comment of the same idea that the public sees (one level);
* the text: plain text (no HTML: templates escape it, links stay text), at most
  ``COMMENT_MAX_LENGTH`` characters;
* new comments and changes are rate-limited per link (``PARTICIPATION_COMMENT_RATE_LIMIT``);
* the process's moderation mode applies as for online ideas: under pre-moderation a new or
  changed comment waits for approval.

Moderation actions and withdrawals are in the audit log. Services flush; the request commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext, pgettext
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.services import log_action
from app.core.labels import register_labels
from app.core.models import utcnow
from app.core.security import MAX_ID
from app.core.text import clean_text
from app.extensions import db
from app.ideas.models import Idea, Stand
from app.ideas.services import IdeaError
from app.participation import reports
from app.participation.moderation import MODERATION_LABELS, QueuePage, netiquette_reasons, page_of_sections
from app.participation.models import Comment, CommentModeration, ModerationMode, Participant, PhaseKind
from app.participation.services import ParticipationError, charge_link, check_active, moderation_mode, phase_open

COMMENT_MAX_LENGTH = 1000

#: How a comment's moderation state reads in the audit log: the words of the ideas' (same codes).
register_labels("comment.moderation", {m.value: MODERATION_LABELS[m.value] for m in CommentModeration})

#: What a participant sees of their own comment's state.
STATE_LABELS = {"pending": _l("waiting for approval"), "visible": _l("shown"),
                "hidden": _l("hidden by the moderation"), "withdrawn": _l("withdrawn")}


def comment_number(comment_id: int) -> str:
    """A comment's number as moderators read it: "K12" in German, "C12" in English (an idea's is "Nr. 12")."""
    return pgettext("comment number", "C%(number)s", number=comment_id)


# ------------------------------------------------------------------ participants


def clean_comment_text(value: object) -> str:
    """:raises ParticipationError: ``text_missing``, ``text_too_long`` (on ``text``)."""
    text = clean_text(value, multiline=True) if isinstance(value, str) else ""
    if not text:
        raise ParticipationError(_l("Please enter your comment."), "text_missing", "text")
    if len(text) > COMMENT_MAX_LENGTH:
        raise ParticipationError(
            lazy_ngettext("A comment can have at most %(num)d character.",
                          "A comment can have at most %(num)d characters.", COMMENT_MAX_LENGTH),
            "text_too_long", "text")
    return text


def comments_open(idea: Idea) -> bool:
    """The idea takes comments now: it is visible and its event's "after" phase is open."""
    return idea.is_visible and phase_open(idea.stand.event_id, PhaseKind.AFTER.value)


def check_commentable(participant: Participant, idea: Idea) -> None:
    """:raises ParticipationError: ``unconfirmed``, ``blocked``, ``idea_invalid``, ``not_commentable``, ``closed``."""
    check_active(participant)
    if idea.stand.event.process_id != participant.process_id:
        raise ParticipationError(_l("This idea does not exist in this process."), "idea_invalid")
    if not idea.is_visible:
        raise ParticipationError(
            _l("This idea cannot be commented: it is hidden, merged into another idea or not yet approved."),
            "not_commentable")
    if not phase_open(idea.stand.event_id, PhaseKind.AFTER.value):
        raise ParticipationError(
            _l("Ideas of this event can only be commented while the online phase after the workshop is open."),
            "closed")


def _charge(participant: Participant) -> None:
    charge_link(participant, "PARTICIPATION_COMMENT_RATE_LIMIT", "participation-comment",
                _l("You have written many comments in a short time. Please try again later (%(wait)s)."))


def _parent(idea: Idea, parent_id: object) -> Comment | None:
    if parent_id in (None, ""):
        return None
    try:
        number = int(parent_id)
    except (TypeError, ValueError, OverflowError):
        number = 0
    parent = db.session.get(Comment, number) if 0 < number <= MAX_ID else None
    if parent is None or parent.idea_id != idea.id or parent.parent_id is not None or not parent.is_visible:
        raise ParticipationError(_l("This comment cannot be answered: it is not shown or is itself an answer."),
                                 "parent_invalid", "text")
    return parent


def _initial_moderation(participant: Participant) -> str:
    if moderation_mode(participant.process) == ModerationMode.PRE.value:
        return CommentModeration.PENDING.value
    return CommentModeration.VISIBLE.value


def write_comment(participant: Participant, idea: Idea, text: object, parent_id: object = None) -> Comment:
    """The participant comments the idea (or answers the top-level comment ``parent_id``).

    :raises ParticipationError: see :func:`check_commentable`; ``parent_invalid``, text checks,
        ``rate_limited``.
    """
    check_commentable(participant, idea)
    parent = _parent(idea, parent_id)
    cleaned = clean_comment_text(text)  # the checks first: a refused text uses up no allowance
    _charge(participant)
    comment = Comment(idea_id=idea.id, participant_id=participant.id, parent_id=parent.id if parent else None,
                      text=cleaned, moderation=_initial_moderation(participant))
    db.session.add(comment)
    db.session.flush()
    return comment


def own_comment(participant: Participant, comment_id: int) -> Comment | None:
    """The participant's own comment, or None (another's comment is as unknown as a missing one)."""
    comment = db.session.get(Comment, comment_id) if 0 < comment_id <= MAX_ID else None
    if comment is None or comment.participant_id != participant.id:
        return None
    return comment


def own_comments(participant: Participant) -> list[Comment]:
    """The participant's comments, newest first."""
    return db.session.execute(
        sa.select(Comment).where(Comment.participant_id == participant.id)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .options(selectinload(Comment.idea))).scalars().all()


def state_of(comment: Comment) -> str:
    if comment.withdrawn_at is not None:
        return "withdrawn"
    if comment.hidden_at is not None:
        return "hidden"
    if comment.moderation == CommentModeration.PENDING.value:
        return "pending"
    return "visible"


def can_change(comment: Comment) -> bool:
    """Editable and withdrawable by its author: not withdrawn, and its idea's event's "after" phase open."""
    return comment.withdrawn_at is None and phase_open(comment.idea.stand.event_id, PhaseKind.AFTER.value)


NOT_CHANGEABLE = _l("This comment can no longer be changed: the online phase is closed or it was withdrawn.")


def _check_changeable(participant: Participant, comment: Comment) -> None:
    check_active(participant)
    if not can_change(comment):
        raise ParticipationError(NOT_CHANGEABLE, "not_changeable")


def edit_comment(participant: Participant, comment: Comment, text: object) -> Comment:
    """The participant corrects their comment; under pre-moderation it waits for approval again.

    :raises ParticipationError: ``unconfirmed``, ``blocked``, ``not_changeable``, text checks, ``rate_limited``.
    """
    _check_changeable(participant, comment)
    cleaned = clean_comment_text(text)
    if cleaned == comment.text:
        return comment
    _charge(participant)
    comment.text = cleaned
    comment.updated_at = utcnow()
    if moderation_mode(participant.process) == ModerationMode.PRE.value and comment.hidden_at is None:
        comment.moderation = CommentModeration.PENDING.value
    db.session.flush()
    return comment


def withdraw_comment(participant: Participant, comment: Comment) -> Comment:
    """The participant takes their comment back: it is no longer shown (its answers stay).

    :raises ParticipationError: ``unconfirmed``, ``blocked``, ``not_changeable``.
    """
    _check_changeable(participant, comment)
    comment.withdrawn_at = utcnow()
    db.session.flush()
    log_action("comment.withdraw", comment, event_id=comment.idea.stand.event_id,
               after={"withdrawn": True, "idea_id": comment.idea_id})
    return comment


# ------------------------------------------------------------------ public display


@dataclass
class Thread:
    """A top-level comment as the public sees it, with its answers (oldest first)."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)


def _public(comment: Comment) -> bool:
    """Shown in public: released and not withdrawn (a hidden one in its place, with its reason)."""
    return comment.moderation == CommentModeration.VISIBLE.value and comment.withdrawn_at is None


def threads(idea: Idea) -> list[Thread]:
    """The idea's comments the public sees, oldest first, answers under their comment. A withdrawn
    or unapproved top-level comment with shown answers stays as a placeholder (``comment`` with
    ``is_visible`` False)."""
    rows = db.session.execute(
        sa.select(Comment).where(Comment.idea_id == idea.id).order_by(Comment.created_at, Comment.id)
        .options(selectinload(Comment.participant))).scalars().all()
    replies: dict[int, list[Comment]] = {}
    for row in rows:
        if row.parent_id is not None and _public(row):
            replies.setdefault(row.parent_id, []).append(row)
    return [Thread(row, replies.get(row.id, [])) for row in rows
            if row.parent_id is None and (_public(row) or replies.get(row.id))]


def public_counts(idea_ids: list[int]) -> dict[int, int]:
    """Per idea: how many comments the public sees with their text (one query)."""
    if not idea_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Comment.idea_id, sa.func.count(Comment.id))
        .where(Comment.idea_id.in_(idea_ids), Comment.moderation == CommentModeration.VISIBLE.value,
               Comment.hidden_at.is_(None), Comment.withdrawn_at.is_(None))
        .group_by(Comment.idea_id)).all())


# ------------------------------------------------------------------ moderation


@dataclass
class CommentQueue:
    """A page of the comments on a stand's ideas (:class:`app.participation.moderation.QueuePage`)."""

    pending: list[Comment] = field(default_factory=list)
    shown: list[Comment] = field(default_factory=list)
    hidden: list[Comment] = field(default_factory=list)
    #: every list's full length (the page shows at most ``QUEUE_PER_PAGE`` of each)
    counts: dict[str, int] = field(default_factory=dict)


def queue(stand: Stand, page: QueuePage | None = None, *, keep: Comment | None = None) -> CommentQueue:
    """The comments on the stand's ideas (not withdrawn): waiting for approval (oldest first),
    shown and hidden (newest first); one page of each with their counts (a fixed number of queries).

    :param keep: a comment to show even if its place is on another page (its form failed)."""
    page = page or QueuePage()
    not_hidden = Comment.hidden_at.is_(None)
    rows, counts = page_of_sections(
        sa.select(Comment).join(Idea, Idea.id == Comment.idea_id)
        .where(Idea.stand_id == stand.id, Comment.withdrawn_at.is_(None)),
        {"pending": (sa.and_(not_hidden, Comment.moderation == CommentModeration.PENDING.value), (Comment.id.asc(),)),
         "shown": (sa.and_(not_hidden, Comment.moderation != CommentModeration.PENDING.value), (Comment.id.desc(),)),
         "hidden": (Comment.hidden_at.is_not(None), (Comment.id.desc(),))},
        page, keep=keep, options=(selectinload(Comment.participant), selectinload(Comment.idea)))
    return CommentQueue(**rows, counts=counts)


def _check_not_withdrawn(comment: Comment) -> None:
    if comment.withdrawn_at is not None:
        raise IdeaError(_l("Comment %(id)s has been withdrawn by its author.", id=comment_number(comment.id)),
                        "withdrawn")


def approve(comment: Comment, *, user: User | None) -> Comment:
    """:raises IdeaError: ``withdrawn``, ``not_pending``."""
    _check_not_withdrawn(comment)
    if comment.moderation != CommentModeration.PENDING.value or comment.hidden_at is not None:
        raise IdeaError(_l("Comment %(id)s is not waiting for approval.", id=comment_number(comment.id)),
                        "not_pending")
    comment.moderation = CommentModeration.VISIBLE.value
    db.session.flush()
    log_action("comment.approve", comment, event_id=comment.idea.stand.event_id,
               before={"moderation": CommentModeration.PENDING.value},
               after={"moderation": comment.moderation, "idea_id": comment.idea_id})
    return comment


def hide(comment: Comment, reason: object, *, user: User | None) -> Comment:
    """Hide a comment with a public reason from the process's netiquette (also one waiting for
    approval: it is decided then, and only the reason is shown).

    :raises IdeaError: ``withdrawn``, ``no_netiquette``, ``reason_required``, ``reason_unknown``, ``already_hidden``.
    """
    _check_not_withdrawn(comment)
    reasons = netiquette_reasons(comment.idea.stand.event.process_id)
    if not reasons:
        raise IdeaError(_l("The process has no netiquette yet, so there is no reason to choose. An admin "
                           "sets the netiquette in the process's online participation settings."),
                        "no_netiquette")
    if not isinstance(reason, str) or not reason.strip():
        raise IdeaError(_l("Please choose the rule of the netiquette the comment breaks."), "reason_required")
    if reason.strip() not in reasons:
        raise IdeaError(_l("Please choose one of the netiquette's rules."), "reason_unknown")
    if comment.hidden_at is not None:
        raise IdeaError(_l("Comment %(id)s is already hidden.", id=comment_number(comment.id)), "already_hidden")
    before = {"moderation": comment.moderation, "hidden_reason": ""}
    comment.moderation = CommentModeration.VISIBLE.value
    comment.hidden_at = utcnow()
    comment.hidden_reason = reason.strip()
    comment.hidden_by_id = user.id if user else None
    db.session.flush()
    reports.resolve_open(reports.Item(comment.idea, comment), user=user)
    log_action("comment.hide", comment, event_id=comment.idea.stand.event_id, before=before,
               after={"moderation": comment.moderation, "hidden_reason": comment.hidden_reason,
                      "idea_id": comment.idea_id})
    return comment


def unhide(comment: Comment, *, user: User | None) -> Comment:
    """:raises IdeaError: ``withdrawn``, ``not_hidden``."""
    _check_not_withdrawn(comment)
    if comment.hidden_at is None:
        raise IdeaError(_l("Comment %(id)s is not hidden.", id=comment_number(comment.id)), "not_hidden")
    before = {"hidden_reason": comment.hidden_reason}
    comment.hidden_at = None
    comment.hidden_reason = ""
    comment.hidden_by_id = None
    db.session.flush()
    log_action("comment.unhide", comment, event_id=comment.idea.stand.event_id, before=before,
               after={"hidden_reason": "", "idea_id": comment.idea_id})
    return comment


