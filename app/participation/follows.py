"""Following ideas (issue 18): a confirmed participant follows an idea of their process and gets
one mail when it is merged into another idea, taken into a measure, or a measure holding it
changes status.

Rules (one home):

* only a confirmed, unblocked participant of the idea's process follows (``check_active``), and
  only an idea the public list shows (:func:`app.participation.supports.find_idea`) that is
  visible (not hidden, merged or withdrawn); following needs no open phase: what becomes of an
  idea is decided long after the workshop;
* one follow per idea and participant: the unique constraint keeps it when two requests come at
  once (the second one finds the row and changes nothing);
* unfollowing always works (also for a blocked link, and for an idea hidden or merged since), by
  the button or by the opt-out link of each mail (:func:`unfollow_token`: an HMAC over the idea
  and the participant's stored link hash, so it works without the participation link and dies
  with the participation);
* the buttons are rate-limited per link (``PARTICIPATION_FOLLOW_RATE_LIMIT``), the opt-out link
  is not (it only ever removes).

The mails (receivers of the signals of app/core/signals.py, in the sender's transaction): per
event each follower gets exactly one mail, in their own mail language, through the outbox,
listing the ideas they follow that the event concerns. An idea followed before it was merged
into another still hears what becomes of the survivor: taken into a measure, a measure's new
status. Unconfirmed, blocked and erased participants get nothing.

Follows are not written to the audit log one by one (as supports: every resident's click would
flood it; the rows are the record, with their time); the mails are in the outbox.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core import tokens
from app.core.security import MAX_ID
from app.core.mail import queue_templated_mail
from app.core.urls import absolute_url
from app.events.models import Process
from app.extensions import db
from app.ideas import merge_groups
from app.ideas.models import Idea
from app.measures.base import STATUS_LABELS
from app.measures.models import Measure, MeasureIdea, MeasureStatusChange
from app.participation.models import Follow, Participant
from app.participation.services import (
    ParticipationError, charge_link, check_active, insert_once, link_token, mail_language)

UNFOLLOW_SALT = "ideenmarkt.participation-unfollow"


def check_followable(participant: Participant, idea: Idea) -> None:
    """:raises ParticipationError: ``unconfirmed``, ``blocked``, ``idea_invalid``, ``not_followable``."""
    check_active(participant)
    if idea.stand.event.process_id != participant.process_id:
        raise ParticipationError(_l("This idea does not exist in this process."), "idea_invalid")
    if not idea.is_visible:
        raise ParticipationError(
            _l("This idea cannot be followed: it is hidden, merged into another idea or not yet approved."),
            "not_followable")


def _charge(participant: Participant) -> None:
    charge_link(participant, "PARTICIPATION_FOLLOW_RATE_LIMIT", "participation-follow",
                _l("You have followed or unfollowed many ideas in a short time. Please try again later (%(wait)s)."))


def follows(participant: Participant, idea: Idea) -> bool:
    """Whether the participant follows the idea."""
    return db.session.execute(sa.select(Follow.id).where(
        Follow.participant_id == participant.id, Follow.idea_id == idea.id).limit(1)).first() is not None


def follow(participant: Participant, idea: Idea) -> bool:
    """The participant follows the idea. Flushes; the caller commits.

    :return: True if the follow was added, False if the participant already followed it.
    :raises ParticipationError: see :func:`check_followable`, ``rate_limited``.
    """
    check_followable(participant, idea)
    if follows(participant, idea):
        return False
    _charge(participant)
    return insert_once(Follow(participant_id=participant.id, idea_id=idea.id))


def unfollow(participant: Participant, idea: Idea, *, charge: bool = True) -> bool:
    """The participant no longer follows the idea (the button: ``charge``; the mail's opt-out link: not).

    :return: True if a follow was removed, False if there was none.
    :raises ParticipationError: ``rate_limited`` (only with ``charge``).
    """
    if not follows(participant, idea):
        return False
    if charge:
        _charge(participant)
    db.session.execute(sa.delete(Follow).where(Follow.participant_id == participant.id, Follow.idea_id == idea.id))
    db.session.flush()
    return True


def followed_idea(participant: Participant, idea_id: object) -> Idea | None:
    """An idea the participant follows, by its number (also one no longer public), or None."""
    try:
        number = int(idea_id) if idea_id not in (None, "") else 0
    except (TypeError, ValueError, OverflowError):
        return None
    return db.session.execute(sa.select(Idea).join(Follow, Follow.idea_id == Idea.id).where(
        Follow.participant_id == participant.id, Follow.idea_id == number)).scalar_one_or_none() \
        if 0 < number <= MAX_ID else None


def own_followed(participant: Participant) -> list[Idea]:
    """The ideas the participant follows, newest follow first."""
    return db.session.execute(
        sa.select(Idea).join(Follow, Follow.idea_id == Idea.id).where(Follow.participant_id == participant.id)
        .order_by(Follow.created_at.desc(), Follow.id.desc())).scalars().all()


# ------------------------------------------------------------------ the opt-out link


def unfollow_token(participant: Participant, idea_id: int) -> str:
    """The opt-out token of the mails about ``idea_id`` (the same in every mail)."""
    return tokens.derived_token(f"{UNFOLLOW_SALT}:{idea_id}", participant.id, participant.token_hash)


def participant_for_unfollow(idea_id: int, token: object) -> Participant | None:
    """The participant whose opt-out token for ``idea_id`` this is, or None (forged, for another
    idea, or the participation erased). Only the derived form counts, never a participation link."""
    if not isinstance(token, str) or "." not in token:
        return None
    return tokens.find_by_token(Participant, token, f"{UNFOLLOW_SALT}:{idea_id}")


# ------------------------------------------------------------------ the mails


def _followers(idea_ids: sa.Select | Sequence[int]) -> dict[int, tuple[Participant, list[Idea]]]:
    """Per participant who may get mail (confirmed, not blocked): the ideas of ``idea_ids`` they follow."""
    rows = db.session.execute(
        sa.select(Participant, Idea).join(Follow, Follow.participant_id == Participant.id)
        .join(Idea, Idea.id == Follow.idea_id)
        .where(Follow.idea_id.in_(idea_ids), Participant.confirmed_at.is_not(None), Participant.blocked_at.is_(None))
        .order_by(Participant.id, Idea.id)).all()
    result: dict[int, tuple[Participant, list[Idea]]] = {}
    for participant, idea in rows:
        result.setdefault(participant.id, (participant, []))[1].append(idea)
    return result


def _mail(participant: Participant, ideas: list[Idea], kind: str, subject, **context) -> None:
    process = db.session.get(Process, participant.process_id)
    link = link_token(participant)
    items = [{"idea": idea,
              "url": absolute_url("participation.participant_idea", link=link, idea_id=idea.id),
              "unfollow_url": absolute_url("participation.stop_following", idea_id=idea.id,
                                           follow_token=unfollow_token(participant, idea.id))}
             for idea in ideas]
    language = mail_language(participant)
    queue_templated_mail(participant.email, language, subject, "participation/mail/followed",
                         {"participant": participant, "process": process, "kind": kind, "items": items,
                          "language": language, **context})


def on_ideas_merged(target: Idea, sources: Iterable[Idea] = (), **_kw) -> None:
    """Receiver of ``ideas_merged``: one mail to each follower of the merged ideas."""
    source_ids = [idea.id for idea in sources]
    if not source_ids:
        return
    for participant, ideas in _followers(source_ids).values():
        _mail(participant, ideas, "merged",
              _l("An idea you follow was merged with another one: %(title)s",
                 title=db.session.get(Process, participant.process_id).title),
              target=target)


def _groups_of(root_ids: sa.Select | Sequence[int]) -> sa.Select:
    """The ideas of the merge groups of the surviving ideas ``root_ids``."""
    members = merge_groups.groups(name="follow_group")
    return sa.select(members.c.idea_id).where(members.c.root_id.in_(root_ids))


def on_measure_ideas_linked(measure: Measure, ideas: Iterable[Idea] = (), **_kw) -> None:
    """Receiver of ``measure_ideas_linked``: one mail to each follower of the ideas taken into the
    measure (or of an idea merged into one of them)."""
    root_ids = [merge_groups.root_of(idea).id for idea in ideas]
    if not root_ids:
        return
    outcome_url = absolute_url("measures.outcome", process_id=measure.process_id) + f"#measure-{measure.id}"
    for participant, followed in _followers(_groups_of(root_ids)).values():
        _mail(participant, followed, "linked",
              _l("An idea you follow was taken into the measure “%(measure)s”", measure=measure.title),
              measure=measure, outcome_url=outcome_url)


def on_measure_status_changed(measure: Measure, change: MeasureStatusChange | None = None, **_kw) -> None:
    """Receiver of ``measure_status_changed``: one mail to each follower of an idea the measure
    holds (directly or through the idea it was merged into)."""
    if change is None:
        return
    roots = merge_groups.groups(name="follow_measure_root")
    linked_roots = (sa.select(roots.c.root_id).join(MeasureIdea, MeasureIdea.idea_id == roots.c.idea_id)
                    .where(MeasureIdea.measure_id == measure.id))
    outcome_url = absolute_url("measures.outcome", process_id=measure.process_id) + f"#measure-{measure.id}"
    for participant, followed in _followers(_groups_of(linked_roots)).values():
        _mail(participant, followed, "status",
              _l("News on an idea you follow: “%(measure)s” is now %(status)s", measure=measure.title,
                 status=STATUS_LABELS.get(change.to_status, change.to_status)),
              measure=measure, change=change, outcome_url=outcome_url)
