"""A small, complete world for the security walks, and URL parameter values taken from it.

One process with one event ("the world event") that has been through everything: criteria
with quotas, eight confirmed applications, a published commitment and a draw, stands A
and B with their own moderators, ideas at both stands, a wall link, tickets for applicants
A and B, open voting and dots. A second event of the same process ("the other event")
exists for id swaps; its stand X has moderator X (persona ``moderator_x``, a moderator of
another event, whom every event-scoped staff page of the world event must refuse) and
one walk-in ticket.

:func:`url_values` fills URL parameters **by name**. A route with a parameter name that
is not known here fails the walks with a message naming this file: add the name to
:data:`PARAMETERS` (and, if it needs a new object, build it in :func:`build_world`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import sqlalchemy as sa
from flask import Flask

#: Persona names of the role matrix, from least to most privileged.
PERSONAS = ("anonymous", "resident", "participant", "moderator_x", "moderator_a", "moderator_b", "council",
            "admin")


@dataclass
class Side:
    """The objects of one side (A or B) of the world: its stand, moderator, applicant, ticket."""

    stand_id: int
    moderator_id: int
    moderator_email: str
    idea_id: int
    application_id: int
    token: str
    signature: str
    ticket_id: int
    code: str
    #: the opt-out link of the measure mails (the applicant asked to hear about measures)
    mail_token: str = ""
    #: an online participant of the process: its private link, confirmation signature and idea
    participant_id: int = 0
    link: str = ""
    link_signature: str = ""
    online_idea_id: int = 0
    #: the participant's comment on the side's (room) idea, waiting for approval
    comment_id: int = 0
    #: the opt-out link of the participant's mails about the side's (room) idea (issue 18, follows)
    follow_token: str = ""


@dataclass
class World:
    process_id: int
    event_id: int
    other_event_id: int
    criterion_id: int
    wall_token: str
    admin_email: str
    council_email: str
    #: moderator X: moderates stand X of the other event only
    other_moderator_email: str
    other_stand_id: int
    other_ticket_id: int
    a: Side
    b: Side
    extra: dict[str, object] = field(default_factory=dict)
    #: pages of side A that no route's URL parameters reach (an id of another event than the world
    #: event's): the forms and XSS walks open them as well as every route
    pages: list[str] = field(default_factory=list)

    def side(self, name: str) -> Side:
        return self.a if name == "a" else self.b


#: URL parameter name → how to read its value from a side of the world. Routes name
#: their parameters consistently across features; a new name needs a line here.
PARAMETERS: dict[str, Callable[[World, Side], object]] = {
    "process_id": lambda w, s: w.process_id,
    "event_id": lambda w, s: w.event_id,
    "criterion_id": lambda w, s: w.criterion_id,
    "stand_id": lambda w, s: s.stand_id,
    "idea_id": lambda w, s: s.idea_id,
    "application_id": lambda w, s: s.application_id,
    "token": lambda w, s: s.token,
    "signature": lambda w, s: s.signature,
    "ticket_id": lambda w, s: s.ticket_id,
    "code": lambda w, s: s.code,
    "wall_token": lambda w, s: w.wall_token,
    "user_id": lambda w, s: s.moderator_id,
    "measure_id": lambda w, s: w.extra["measure_id"],
    "import_id": lambda w, s: 1,  # an upload that does not exist: the routes must answer 404
    "extract_id": lambda w, s: 1,  # a register extract that does not exist (admins only): 404
    # the first outbox mail and its first attachment (admin-only pages; off in testing: 404)
    "mail_id": lambda w, s: 1,
    "attachment_id": lambda w, s: 1,
    # a section of the explanations in Leichte Sprache / sign language (no video: the files 404)
    "key": lambda w, s: "auslosung",
    "mail_token": lambda w, s: s.mail_token,
    # online participation: the participant's private link, its confirmation and online idea
    "link": lambda w, s: s.link,
    "link_signature": lambda w, s: s.link_signature,
    "online_idea_id": lambda w, s: s.online_idea_id,
    "comment_id": lambda w, s: s.comment_id,
    "follow_token": lambda w, s: s.follow_token,
    # a finished lottery preview job of the event (admins only)
    "job_id": lambda w, s: w.extra["job_id"],
    # an applicant's objection to the world event's lottery record (admins only)
    "objection_id": lambda w, s: w.extra["objection_id"],
}

#: Parameters that identify something of one event: a staff route with one of them is
#: event-scoped (a moderator of another event must be refused, 403 or 404).
EVENT_SCOPED = ("event_id", "criterion_id", "stand_id", "idea_id", "application_id", "ticket_id", "code",
                "token", "signature", "wall_token", "job_id", "objection_id", "comment_id")

#: Parameters that identify something belonging to one side (swapped in the IDOR walk).
SIDED = ("stand_id", "idea_id", "application_id", "token", "signature", "ticket_id", "code", "user_id",
         "mail_token", "link", "link_signature", "online_idea_id", "comment_id", "follow_token")


def url_values(world: World, rule, side: str = "a") -> dict[str, object]:
    """Values for every URL parameter of ``rule``, from side ``a`` or ``b`` of the world."""
    missing = [name for name in rule.arguments if name not in PARAMETERS]
    assert not missing, (
        f"route {rule.rule} ({rule.endpoint}) has URL parameters {missing} that the security "
        "suite cannot fill: add them to PARAMETERS in tests/security/world.py (and build the "
        "object they name in build_world)"
    )
    chosen = world.side(side)
    return {name: PARAMETERS[name](world, chosen) for name in rule.arguments}


def build_world(app: Flask, create_user) -> World:
    """Create the world in the (empty) database of ``app``."""
    from app.core.models import utcnow
    from app.events import application_services as applications
    from app.events.models import Application, ApplicationAnswer, Criterion, CriterionOption, Event, Process
    from app.extensions import db
    from app.ideas import services as ideas
    from app.ideas.models import Stand
    from app.lottery.commitment import publish_commitment
    from app.lottery.draw import perform_draw
    from app.voting.dots import cast_dot
    from app.voting.state import open_voting
    from app.voting.tickets import issue_ticket

    admin = create_user(roles=("admin",), email="admin@world.example", name="World Admin")
    council = create_user(roles=("council",), email="council@world.example", name="World Council")
    moderators = [create_user(roles=("moderator",), email=f"moderator.{s}@world.example",
                              name=f"Moderator {s.upper()}") for s in "abx"]
    now = utcnow()
    with app.test_request_context():
        process = Process(title="World process")
        db.session.add(process)
        event = Event(process=process, title="World event", seats=4, status="closed",
                      starts_at=now + timedelta(days=10), ends_at=now + timedelta(days=10, hours=3),
                      applications_open_at=now - timedelta(days=10),
                      applications_close_at=now - timedelta(days=1), consent_text="I agree.")
        other = Event(process=process, title="Other event", seats=4, status="open",
                      starts_at=now + timedelta(days=20), ends_at=now + timedelta(days=20, hours=3),
                      applications_open_at=now - timedelta(days=1),
                      applications_close_at=now + timedelta(days=5), consent_text="I agree.")
        db.session.add_all([event, other])
        db.session.flush()
        options: dict[tuple[str, str], CriterionOption] = {}
        for position, (key, values) in enumerate({"gender": ("f", "m"), "age": ("young", "old")}.items()):
            for target in (event, other):
                criterion = Criterion(event=target, key=key, label=key.title(), position=position)
                for index, value in enumerate(values):
                    option = CriterionOption(value=value, label=value.title(), min_seats=1, max_seats=3,
                                             position=index)
                    criterion.options.append(option)
                    if target is event:
                        options[(key, value)] = option
                db.session.add(criterion)
        db.session.flush()
        apps, tokens = [], []
        for n in range(8):
            token = f"world-token-{n}-abcdefghijklmnopqrstuvwxyz0123456789"
            application = Application(event_id=event.id, name=f"Resident {n}", email=f"resident{n}@world.example",
                                      status="applied", token_hash=applications.hash_token(token),
                                      source="online", consent_at=now, confirmed_at=now)
            for key, value in (("gender", "fm"[n % 2]), ("age", ("young", "old")[(n // 2) % 2])):
                option = options[(key, value)]
                application.answers.append(ApplicationAnswer(criterion_id=option.criterion_id, option_id=option.id))
            db.session.add(application)
            apps.append(application)
            tokens.append(token)
        db.session.flush()
        draw = publish_commitment(event, admin, "server", table_size=20)
        perform_draw(draw, admin, None, now + timedelta(days=3))
        event.status = "held"

        stands, idea_ids = [], []
        for side, moderator in zip("ab", moderators):
            stand = Stand(event=event, title=f"Stand {side.upper()}", position=len(stands))
            db.session.add(stand)
            db.session.flush()
            stand.moderators.append(db.session.merge(moderator))
            idea, _ = ideas.record_idea(stand, f"Idea at stand {side.upper()} #world", user=None)
            stands.append(stand)
            idea_ids.append(idea.id)
        other_stand = Stand(event=other, title="Stand X", position=0)
        db.session.add(other_stand)
        db.session.flush()
        other_stand.moderators.append(db.session.merge(moderators[2]))
        other_ticket = issue_ticket(other, kind="walk_in", holder_name="Walk-in X")
        link = ideas.wall_link(event)
        open_voting(event)
        tickets = [issue_ticket(event, application=apps[i]) for i in (0, 1)]
        db.session.flush()
        cast_dot(tickets[0], idea_ids[0])
        cast_dot(tickets[1], idea_ids[1])
        criterion_id = db.session.execute(
            sa.select(Criterion.id).where(Criterion.event_id == event.id).order_by(Criterion.position)
        ).scalars().first()
        sides = [
            Side(stand_id=stands[i].id, moderator_id=moderators[i].id, moderator_email=moderators[i].email,
                 idea_id=idea_ids[i], application_id=apps[i].id, token=tokens[i],
                 signature=applications.confirmation_signature(apps[i]), ticket_id=tickets[i].id,
                 code=tickets[i].code)
            for i in (0, 1)
        ]
        world = World(process_id=process.id, event_id=event.id, other_event_id=other.id,
                      criterion_id=criterion_id, wall_token=link.token, admin_email=admin.email,
                      council_email=council.email, other_moderator_email=moderators[2].email,
                      other_stand_id=other_stand.id, other_ticket_id=other_ticket.id, a=sides[0], b=sides[1])
        _measures(world, process, apps)
        _participants(world, process, other, other_stand)
        from app.jobs.models import Job

        job = Job(kind="lottery.preview", key=f"world:{event.id}", event_id=event.id, status="done", stage="done",
                  progress=100, params_json="{}", result_json="null")
        db.session.add(job)
        db.session.flush()
        world.extra["job_id"] = job.id
        from app.lottery import receipts

        world.extra["objection_id"] = receipts.object_to_entry(
            next(e for e in draw.entries if e.application_id == apps[0].id), "World objection: my answer is wrong.").id
        db.session.commit()
    return world


def _participants(world: World, process, other, other_stand) -> None:
    """Online participants A and B of the process, each with an idea at stand X of the other event,
    whose online phase before the event is open; and an approved idea of B to support (the phase
    after the event open as well)."""
    from app.core import tokens
    from app.core.models import utcnow
    from app.extensions import db
    from app.ideas import services as ideas
    from app.participation import follows
    from app.participation import services as participation
    from app.participation.models import Comment, Follow, OnlinePhase, OnlineSettings, Participant

    now = utcnow()
    db.session.add(OnlinePhase(event_id=other.id, kind="before", enabled=True, opens_at=now - timedelta(days=1),
                               closes_at=now + timedelta(days=5)))
    db.session.add(OnlineSettings(process_id=process.id, moderation="pre", netiquette='["No insults"]'))
    for name, side in (("a", world.a), ("b", world.b)):
        token = f"world-link-{name}-abcdefghijklmnopqrstuvwxyz0123456789"
        participant = Participant(process_id=process.id, display_name=f"Online {name.upper()}",
                                  email=f"online-{name}@example.org", token_hash=tokens.hash_token(token),
                                  consent_at=now, confirmed_at=now)
        db.session.add(participant)
        db.session.flush()
        # Recorded as participation.submit_idea does, without its rate-limit charge: the charge writes
        # on a connection of its own (on SQLite it waited 30 s for this session's open transaction) and
        # would use up a limit of the world before any test.
        idea, _created = ideas.record_idea(other_stand, f"Online idea {name.upper()}", channel="online",
                                           participant_id=participant.id, moderation="pending")
        side.participant_id, side.link, side.online_idea_id = participant.id, token, idea.id
        side.link_signature = participation.confirmation_signature(participant)
        side.follow_token = follows.unfollow_token(participant, side.idea_id)
        comment = Comment(idea_id=side.idea_id, participant_id=participant.id, moderation="pending",
                          text=f"World comment {name.upper()}")
        db.session.add(comment)
        db.session.flush()
        side.comment_id = comment.id
    # An approved online idea of B while the other event's phase after the workshop is open too: the
    # participants' list shows it with the support form (issue 18), so the forms walk reaches it.
    db.session.add(OnlinePhase(event_id=other.id, kind="after", enabled=True, opens_at=now - timedelta(days=1),
                               closes_at=now + timedelta(days=30)))
    supportable, _created = ideas.record_idea(other_stand, "Supportable online idea", channel="online",
                                              participant_id=world.b.participant_id, moderation="visible")
    world.extra["supportable_idea_id"] = supportable.id
    # A follows it and the side's room idea: "my participation" shows the unfollow forms, the opt-out
    # links their confirm form (issue 18).
    db.session.add_all([Follow(participant_id=world.a.participant_id, idea_id=supportable.id),
                        Follow(participant_id=world.a.participant_id, idea_id=world.a.idea_id),
                        Follow(participant_id=world.b.participant_id, idea_id=world.b.idea_id)])
    # Comments on it (that phase open): one of A, which A may edit and withdraw, and one of B, which
    # anyone may report. The walks open the idea with A's comment and answer forms, the report forms
    # of the idea and of B's comment, and A's edit and withdraw forms (the routes' ``idea_id`` and
    # ``comment_id`` are the world event's, whose room ideas are not public before its results are), and
    # stand X's online queue, where the comments wait (admins).
    own, others = (Comment(idea_id=supportable.id, participant_id=side.participant_id, moderation="visible",
                           text=f"Visible comment {name}") for name, side in (("A", world.a), ("B", world.b)))
    db.session.add_all([own, others])
    db.session.flush()
    a, p, i = world.a.link, process.id, supportable.id
    world.pages += [f"/processes/{p}/ideas/{i}", f"/participation/{a}/ideas/{i}",
                    f"/processes/{p}/ideas/{i}/report", f"/participation/{a}/ideas/{i}/report",
                    f"/processes/{p}/comments/{others.id}/report", f"/participation/{a}/comments/{others.id}/report",
                    f"/participation/{a}/comments/{own.id}/edit", f"/participation/{a}/comments/{own.id}/withdraw",
                    f"/stands/{other_stand.id}/online"]


def _measures(world: World, process, applications) -> None:
    """A measure of the process; applicants A and B asked to hear about measures."""
    from app.measures import notify
    from app.measures.lifecycle import create_measure

    measure = create_measure(process, title="World measure", chapter="World")
    world.extra["measure_id"] = measure.id
    for side, application in zip((world.a, world.b), applications):
        application.notify_measures = True
        side.mail_token = notify.optout_token([application.id])
