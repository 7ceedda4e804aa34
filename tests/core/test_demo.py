"""``flask demo load`` tells the demo's own story on any date (issue 24, defect 16).

The 2019 citizens' workshop as it happened (built through the services: applications, a
verifiable lottery, tickets, check-in, ideas at three stands, dots, published results, measures),
the further stakeholder workshops with their ideas, an event open for applications from today,
and a draft event whose criteria can still change.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import sqlalchemy as sa

from app.core.models import OutboxMail, utcnow
from app.events.models import Application, Event, EventStatus, Process
from app.extensions import db as _db
from app.ideas.models import Idea, Stand
from app.voting.models import Dot, Ticket

ROOT = Path(__file__).resolve().parents[2]


def _event(title: str) -> Event:
    return _db.session.execute(sa.select(Event).where(Event.title == title)).scalar_one()


def _count(stmt) -> int:
    return _db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()


def test_the_2019_workshop_happened_and_its_lottery_verifies(db):
    from app.demo import CITIZEN_WORKSHOP_TITLE, PUBLIC_NUMBER, load_demo
    from app.lottery.base import current_draw
    from app.lottery.published import audit_json
    from app.lottery.audit import verify_audit

    load_demo()
    workshop = _event(CITIZEN_WORKSHOP_TITLE)
    assert workshop.status == EventStatus.PUBLISHED.value and workshop.starts_at.year == 2019
    by_status = dict(db.session.execute(
        sa.select(Application.status, sa.func.count()).where(Application.event_id == workshop.id)
        .group_by(Application.status)).all())
    assert by_status["confirmed"] == 15 and by_status["declined"] == 1
    assert by_status["unconfirmed"] >= 1 and by_status["withdrawn"] == 1 and by_status["waitlisted"] > 10
    sources = dict(db.session.execute(
        sa.select(Application.source, sa.func.count()).where(Application.event_id == workshop.id)
        .group_by(Application.source)).all())
    assert sources["phone"] == 2
    # Times are the story's, not the machine's.
    first = db.session.execute(sa.select(sa.func.min(Application.created_at))
                               .where(Application.event_id == workshop.id)).scalar_one()
    assert first.year == 2019 and first.month == 3

    draw = current_draw(workshop)
    assert draw.state == "drawn" and draw.number == PUBLIC_NUMBER and draw.seats == 15
    assert draw.committed_at < draw.drawn_at < workshop.starts_at
    checks = verify_audit(json.loads(audit_json(draw)))
    assert checks and all(check.ok for check in checks), [c for c in checks if not c.ok]

    tickets = db.session.execute(sa.select(Ticket).where(Ticket.event_id == workshop.id)).scalars().all()
    valid = [t for t in tickets if t.revoked_at is None]
    assert len(valid) == 15 and sum(t.checked_in_at is not None for t in valid) == 14
    stands = db.session.execute(sa.select(Stand).where(Stand.event_id == workshop.id)).scalars().all()
    assert len(stands) == 3
    for stand in stands:
        assert _count(sa.select(Idea.id).where(Idea.stand_id == stand.id)) >= 4
    # One duplicate merged in the room (an online idea merged too: tests/participation/test_demo.py).
    assert _count(sa.select(Idea.id).join(Stand).where(Stand.event_id == workshop.id, Idea.channel == "room",
                                                       Idea.status == "merged")) == 1
    assert _count(sa.select(Dot.id).where(Dot.event_id == workshop.id)) == 14 * 5


def test_the_process_around_it(db, client):
    from app.demo import DRAFT_EVENT_TITLE, OPEN_EVENT_TITLE, PROCESS_TITLE, load_demo
    from app.events import application_services
    from app.events.services import criteria_locked_reason
    from app.lottery import preview as lottery_preview
    from app.measures.models import Measure
    from app.results.scope import make_scope
    from app.results.stakeholders import group_comparison

    load_demo()
    process = db.session.execute(sa.select(Process).where(Process.title == PROCESS_TITLE)).scalar_one()
    events = db.session.execute(sa.select(Event).where(Event.process_id == process.id)).scalars().all()
    published = [e for e in events if e.status == EventStatus.PUBLISHED.value]
    assert len(published) == 5
    groups = group_comparison(make_scope(process, public=True), dimension="tag")
    assert len(groups.groups) == 5 and groups.themes
    assert _count(sa.select(Measure.id).where(Measure.process_id == process.id)) >= 5

    opened = _event(OPEN_EVENT_TITLE)
    assert opened.status == EventStatus.OPEN.value and application_services.window_is_open(opened)
    assert opened.applications_open_at <= utcnow() < opened.applications_close_at < opened.starts_at
    assert opened.criteria and all(o.min_seats or o.max_seats for c in opened.criteria for o in c.options)
    preview = lottery_preview.preview(opened)
    assert preview.error is None and preview.applicants >= 12, preview.error

    draft = _event(DRAFT_EVENT_TITLE)
    assert draft.status == EventStatus.DRAFT.value and draft.criteria and criteria_locked_reason(draft) is None

    # The invented people's mails count as sent: the outbox waits for nothing.
    assert _count(sa.select(OutboxMail.id).where(OutboxMail.sent_at.is_(None))) == 0
    # The public pages tell the story.
    page = client.get(f"/processes/{process.id}").get_data(as_text=True)
    assert "Bewerbung" in page and OPEN_EVENT_TITLE.split("„")[0] in page
    # Issue 24: the demo's own texts say "Veranstaltung"; "Workshop" only in the 2019 events' names
    # (the press release calls them so) and where a text refers to such a name.
    from app.demo import CITIZEN_WORKSHOP_TITLE, FURTHER_WORKSHOPS

    names = {CITIZEN_WORKSHOP_TITLE, *(title for title, *_ in FURTHER_WORKSHOPS)}
    texts = [process.description] + [e.title for e in events if e.title not in names]
    texts += [t for e in events for t in (e.description, e.consent_text) if t]
    leftovers = [t for t in texts if "Workshop" in t.replace("Bürger-Workshop von 2019", "")]
    assert not leftovers, leftovers


def test_a_newcomer_applies_to_the_open_event_and_confirms_by_mail(app, db, client, staff_client):
    from app.demo import OPEN_EVENT_TITLE, load_demo

    load_demo()
    db.session.commit()
    event = _event(OPEN_EVENT_TITLE)
    form = {"name": "Neu Ankömmling", "email": "neu@example.org", "consent": "y", "website": ""}
    for criterion in event.criteria:
        form[f"criterion_{criterion.id}"] = str(criterion.options[-1].id)
    event_id = event.id
    db.session.rollback()
    response = client.submit(f"/events/{event_id}/apply", form)
    response.close()
    assert response.status_code == 302 and response.location.endswith("/apply/sent"), response.get_data(as_text=True)
    mail = db.session.execute(sa.select(OutboxMail).where(OutboxMail.recipient == "neu@example.org")).scalar_one()
    confirm = re.search(r"(/applications/[^/\s]+/confirm/[^/\s]+)", mail.body_text).group(1)
    db.session.rollback()
    assert client.submit(confirm).status_code == 302
    status = db.session.execute(sa.select(Application.status).where(Application.email == "neu@example.org")
                                ).scalar_one()
    assert status == "applied"
    db.session.rollback()
    pool = _count(sa.select(Application.id).where(Application.event_id == event_id,
                                                  Application.status == "applied"))
    db.session.rollback()
    # Staff see the lottery preview while the applications come in, the newcomer counted.
    admin = staff_client("admin")
    admin.submit(f"/manage/events/{event_id}/lottery/preview").close()  # as jobs.js does on loading
    page = admin.get(f"/manage/events/{event_id}/lottery").get_data(as_text=True)
    assert f'<dd id="applicant-count">{pool}</dd>' in page and 'id="probabilities"' in page
    assert 'id="lottery-problem"' not in page and "lottery/commit" not in page


def test_make_run_loads_the_demo_and_prints_the_logins(app):
    recipe = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "flask demo load --if-empty" in recipe and recipe.index("demo load") < recipe.index("flask run")
    result = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Demo logins" in result.output and "admin@esslingen.example" in result.output
    # One random password per installation for all demo logins, hashed once (Argon2 takes about a
    # second a hash; five took 3.9 s of the load), and it works for every one of them.
    from app.accounts.models import User
    from app.accounts.services import verify_password

    logins = dict(line.split("\t", 1) for line in
                  (Path(app.instance_path) / "demo-logins.txt").read_text().splitlines())
    assert len(logins) == 5 and len(set(logins.values())) == 1
    with app.app_context():
        users = _db.session.execute(sa.select(User).where(User.email.in_(logins))).scalars().all()
        assert len(users) == 5 and len({u.password_hash for u in users}) == 1
        assert all(verify_password(u, logins[u.email]) for u in users)
        assert not verify_password(users[0], logins[users[0].email] + "x")


def test_the_citizens_council_drawn_from_the_register(app, db):
    """Issue 17: an invitation-only council with a generated register (fixed seed, bulk import), a
    drawn invitation run whose audit verifies, and answers online and on paper."""
    from app.demo import load_demo
    from app.events.models import Application
    from app.invitations import demo as invitation_demo
    from app.invitations import stage1
    from app.invitations.draw import verify_audit
    from app.invitations.models import Invitation, InvitationDraw, RegisterPerson

    load_demo()
    council = _event(invitation_demo.TITLE)
    assert council.invitation_only and council.lottery_one_per_household and council.status == "open"
    residents = app.config["INVITATIONS_DEMO_RESIDENTS"]
    assert _count(sa.select(RegisterPerson)) == residents
    draw = _db.session.execute(sa.select(InvitationDraw).where(InvitationDraw.event_id == council.id)).scalar_one()
    assert draw.state == "drawn" and draw.answer_deadline is not None
    invited = _count(sa.select(Invitation).where(Invitation.draw_id == draw.id))
    assert invited == max(40, residents // invitation_demo.LETTERS_SHARE)
    assert f"**{invited} Personen**" in council.description
    answered = _db.session.execute(sa.select(Application.source).where(Application.event_id == council.id)).scalars().all()
    assert 0 < len(answered) < invited * 0.2 and {"online", "paper"} <= set(answered)
    checks = verify_audit(json.loads(stage1.audit_json(draw)), draw.commitment)
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]
    # The same register file from the same seed.
    today = council.applications_open_at.date()
    assert invitation_demo.register_file(today, 50) == invitation_demo.register_file(today, 50)
