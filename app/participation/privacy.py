"""Personal data of online participants (issue 18; orchestrated by app/privacy): the display
name and the e-mail address. The participant downloads (:func:`participant_data`) and erases
(:func:`erase_participation`) them with their private participation link (app/participation/views_public.py).
"""
from __future__ import annotations

import sqlalchemy as sa

from app.audit.services import jsonable, log_action
from app.core.models import utcnow
from app.core.personal import Cover
from app.core import privacy as core_privacy
from app.core.privacy import mails_to
from app.events.models import Application
from app.extensions import db
from app.ideas.models import Idea
from app.participation.models import Comment, Follow, Participant, Report, Support
from app.participation.comments import state_of as comment_state
from app.participation.retention import purge_participants
from app.participation.services import state_of

COVERS = {
    Participant.display_name: Cover(
        export="in the participant's own-data file (participation link → my data)",
        erase="deleted with the participant when they erase their participation; their ideas stay, "
              "without a name"),
    Participant.email: Cover(
        export="in the participant's own-data file (participation link → my data)",
        erase="deleted with the participant when they erase their participation"),
    Follow.participant_id: Cover(
        export="the ideas the participant follows, in their own-data file (participation link → my data)",
        erase="the follows are deleted when the participant erases their participation"),
}


def participant_data(participant: Participant) -> dict:
    """Everything stored about the participant: the sign-up and their contributions."""
    ideas = db.session.execute(sa.select(Idea).where(Idea.participant_id == participant.id)
                               .order_by(Idea.created_at, Idea.id)).scalars().all()
    return {
        "format": "ideenmarkt-own-data", "version": 1, "exported_at": jsonable(utcnow()),
        "participant": {
            "process": {"id": participant.process_id, "title": participant.process.title},
            "display_name": participant.display_name,
            "show_name_publicly": participant.show_name_publicly,
            "email": participant.email,
            "language": participant.language,
            "consent_at": jsonable(participant.consent_at),
            "confirmed_at": jsonable(participant.confirmed_at),
            "blocked_at": jsonable(participant.blocked_at),
            "created_at": jsonable(participant.created_at),
            "updated_at": jsonable(participant.updated_at),
        },
        "ideas": [
            {"id": idea.id, "event": idea.stand.event.title, "stand": idea.stand.title, "text": idea.text,
             "state": state_of(idea), "hidden_reason": idea.hidden_reason or None,
             "created_at": jsonable(idea.created_at), "updated_at": jsonable(idea.updated_at),
             "withdrawn_at": jsonable(idea.withdrawn_at)}
            for idea in ideas
        ],
        "supports": [
            {"idea_id": idea.id, "idea": idea.text, "created_at": jsonable(created_at)}
            for idea, created_at in db.session.execute(
                sa.select(Idea, Support.created_at).join(Support, Support.idea_id == Idea.id)
                .where(Support.participant_id == participant.id).order_by(Support.created_at, Support.id)).all()
        ],
        "comments": [
            {"id": comment.id, "idea_id": comment.idea_id, "answer_to": comment.parent_id, "text": comment.text,
             "state": comment_state(comment), "hidden_reason": comment.hidden_reason or None,
             "created_at": jsonable(comment.created_at), "updated_at": jsonable(comment.updated_at),
             "withdrawn_at": jsonable(comment.withdrawn_at)}
            for comment in db.session.execute(sa.select(Comment).where(Comment.participant_id == participant.id)
                                              .order_by(Comment.created_at, Comment.id)).scalars()
        ],
        "follows": [
            {"idea_id": idea.id, "idea": idea.text, "created_at": jsonable(created_at)}
            for idea, created_at in db.session.execute(
                sa.select(Idea, Follow.created_at).join(Follow, Follow.idea_id == Idea.id)
                .where(Follow.participant_id == participant.id).order_by(Follow.created_at, Follow.id)).all()
        ],
        "reports": [
            {"idea_id": row.idea_id, "comment_id": row.comment_id, "reason": row.reason, "details": row.details,
             "created_at": jsonable(row.created_at), "resolved_at": jsonable(row.resolved_at)}
            for row in db.session.execute(sa.select(Report).where(Report.participant_id == participant.id)
                                          .order_by(Report.created_at, Report.id)).scalars()
        ],
        **core_privacy.export(participant),
    }


def erase_participation(participant: Participant) -> None:
    """The participant erases their participation: the row (name, address, link) is deleted and
    the mails to the address with it (unless an application or another participation still uses
    the address: then its unsent mails stay); their supports and follows are deleted; their ideas and comments
    stay, without anyone's name, and so do their reports."""
    email = participant.email
    still_used = set()
    if db.session.execute(sa.select(Application.id).where(Application.email == email).limit(1)).first() or \
            db.session.execute(sa.select(Participant.id).where(Participant.email == email,
                                                               Participant.id != participant.id).limit(1)).first():
        still_used.add(email)
    for mail in mails_to([email], still_used):
        db.session.delete(mail)
    support_count = db.session.execute(
        sa.delete(Support).where(Support.participant_id == participant.id)).rowcount
    follow_count = db.session.execute(
        sa.delete(Follow).where(Follow.participant_id == participant.id)).rowcount
    idea_count = db.session.execute(
        sa.update(Idea).where(Idea.participant_id == participant.id).values(participant_id=None)).rowcount
    comment_count = db.session.execute(
        sa.update(Comment).where(Comment.participant_id == participant.id).values(participant_id=None)).rowcount
    db.session.execute(sa.update(Report).where(Report.participant_id == participant.id).values(participant_id=None))
    participant_id, process_id = participant.id, participant.process_id
    db.session.delete(participant)
    db.session.flush()
    log_action("participation.erased_by_participant", target=None, process_id=process_id,
               after={"participant_id": participant_id, "ideas_kept": idea_count,
                      "supports_deleted": support_count,
                      "follows_deleted": follow_count,
                      "comments_kept": comment_count})


def purge(plan, report):
    """The participants' data whose time is over (see app/participation/retention.py)."""
    return purge_participants(report)
