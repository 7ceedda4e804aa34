"""Every form the application shows: extra fields are ignored, text comes back escaped.

The forms are found by opening every page a persona may open (tests/security/forms.py),
so a form added later is covered without a change here.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.security.walks import body_of, discover_forms, walked_pages
from tests.security.world import PERSONAS

FORM_PERSONAS = ["anonymous", "resident", "participant", "moderator_a", "council", "admin"]


# ------------------------------------------------------------------ mass assignment

def _extras(world) -> dict[str, str]:
    """Fields no form offers, with values that would do harm if a view passed them on."""
    b = world.b
    return {
        "role": "admin", "roles": "admin", "is_admin": "1", "active": "y", "status": "published",
        "state": "open", "dots": "99", "dots_per_ticket": "99", "selected": "1", "confirmed": "1",
        "event_id": str(world.other_event_id), "process_id": "999999", "stand_id": str(b.stand_id),
        "ticket_id": str(b.ticket_id), "application_id": str(b.application_id), "user_id": str(b.moderator_id),
        "created_by_id": str(b.moderator_id), "id": "999999", "seats": "999", "checked_in_at": "2020-01-01",
    }


def protected_state(world) -> dict[str, dict]:
    """The values that only their own forms may change."""
    from app.accounts.models import UserRole
    from app.events.models import Application, Event
    from app.ideas.models import Idea, Stand
    from app.voting.models import Dot, Ticket, VotingSettings

    def pairs(query):
        return {tuple(row[:-1]) if len(row) > 2 else row[0]: row[-1] for row in db.session.execute(query).all()}

    roles: dict[int, set[str]] = {}
    for user_id, role in db.session.execute(sa.select(UserRole.user_id, UserRole.role)).all():
        roles.setdefault(user_id, set()).add(role)
    return {
        "roles": roles,
        "event_status": pairs(sa.select(Event.id, Event.status)),
        "event_seats": pairs(sa.select(Event.id, Event.seats)),
        "application_event": pairs(sa.select(Application.id, Application.event_id)),
        "application_status": pairs(sa.select(Application.id, Application.status)),
        "ticket_event": pairs(sa.select(Ticket.id, Ticket.event_id)),
        "ticket_checkin": pairs(sa.select(Ticket.id, Ticket.checked_in_at)),
        "stand_event": pairs(sa.select(Stand.id, Stand.event_id)),
        "idea_stand": pairs(sa.select(Idea.id, Idea.stand_id)),
        "dots": pairs(sa.select(Dot.ticket_id, sa.func.count()).group_by(Dot.ticket_id)),
        "voting": {row[0]: tuple(row[1:]) for row in db.session.execute(
            sa.select(VotingSettings.event_id, VotingSettings.dots_per_ticket, VotingSettings.state)).all()},
        "other_event_rows": {"applications": db.session.execute(
            sa.select(sa.func.count()).select_from(Application).where(Application.event_id == world.other_event_id)
        ).scalar_one()},
    }


#: Which forms may change which protected value (judged by the form's action and fields).
MAY_CHANGE = {
    "roles": lambda form: "roles" in form.names,
    "event_status": lambda form: form.action.endswith("/status") or "/lottery" in form.action,
    "event_seats": lambda form: "seats" in form.names,
    "application_status": lambda form: bool(re.search(r"/lottery|/seat|/withdraw|/confirm/|/remove", form.action)),
    "ticket_checkin": lambda form: form.action.endswith("/checkin"),
    "dots": lambda form: "/vote" in form.action,
    "voting": lambda form: "/voting/" in form.action,
}


def _changed(before: dict, after: dict, form) -> list[str]:
    problems = []
    for category, old in before.items():
        if MAY_CHANGE.get(category, lambda f: False)(form):
            continue
        new = after[category]
        for key in old.keys() & new.keys():
            if old[key] != new[key]:
                problems.append(f"{category}[{key}]: {old[key]!r} → {new[key]!r}")
        if category == "dots":
            problems += [f"dots of ticket {k} appeared" for k in new.keys() - old.keys()]
    return problems


@pytest.mark.parametrize("persona_name", FORM_PERSONAS)
def test_extra_fields_are_ignored(app, world, persona, in_app, persona_name):
    forms = discover_forms(app, world, persona(persona_name))
    assert forms or persona_name == "council", f"no forms found for {persona_name}"
    for form in forms:
        extras = {k: v for k, v in _extras(world).items() if k not in form.names}
        client = persona(persona_name)
        data = {**form.filled(), **{k: [v] for k, v in extras.items()}, "csrf_token": [client.csrf_token()]}
        before = in_app(lambda: protected_state(world))
        response = client.post(form.action, data=data)
        body_of(response)
        assert response.status_code < 500, f"{form} with extra fields: {response.status_code}"
        problems = in_app(lambda: _changed(before, protected_state(world), form))
        assert not problems, f"{form} as {persona_name} with extra fields {sorted(extras)} changed: {problems}"
        with app.app_context():
            from app.events.models import Event
            from app.voting.base import settings_for

            limit = settings_for(db.session.get(Event, world.event_id)).dots_per_ticket
        assert all(count <= limit for count in in_app(lambda: protected_state(world))["dots"].values())


# ------------------------------------------------------------------ XSS

XSS_TEXT = "<script>alert('xss{n}')</script><img src=x onerror=alert({n})>\"'><svg onload=alert({n})>"
XSS_SIGNS = re.compile(r"<script>alert\(|<img src=x onerror|<svg onload", re.I)
#: Responses a browser renders as a document that can run script.
RENDERED = {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml"}


def _check_escaped(response, where: str) -> None:
    if response.mimetype not in RENDERED:
        body_of(response)
        return
    body = response.get_data(as_text=True)
    match = XSS_SIGNS.search(body)
    assert match is None, f"{where}: unescaped payload …{body[max(0, match.start() - 120):match.end() + 40]}…"


def _stored_payloads(app) -> set[str]:
    """``table.column`` of every stored text value that carries a payload."""
    found = set()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, (sa.String, sa.Text)):
                    hit = db.session.execute(sa.select(sa.func.count()).select_from(table)
                                             .where(column.contains("alert('xss"))).scalar_one()
                    if hit:
                        found.add(f"{table.name}.{column.name}")
    return found


def test_xss_payload_in_every_text_input_is_escaped_everywhere(app, world, persona):
    """Every text input of every form gets a payload; then every page, as every persona, is read."""
    counter = iter(range(1, 100_000))
    submitted = 0
    for persona_name in FORM_PERSONAS:
        for form in discover_forms(app, world, persona(persona_name)):
            if not form.text_fields() or form.action.endswith("/account/password"):
                continue
            client = persona(persona_name)
            data = form.filled()
            for field in form.text_fields():
                data[field.name] = [XSS_TEXT.format(n=next(counter))]
            data["csrf_token"] = [client.csrf_token()]
            response = client.post(form.action, data=data, follow_redirects=True)
            assert response.status_code < 500, f"{form}: {response.status_code}"
            _check_escaped(response, f"response to {form}")
            submitted += 1
    assert submitted >= 10
    stored = _stored_payloads(app)
    assert len(stored) >= 5, f"too few payloads reached the database to test the views: {stored}"
    for persona_name in PERSONAS:
        client = persona(persona_name)
        for url in walked_pages(app, world, persona_name):
            _check_escaped(client.get(url), f"GET {url} as {persona_name}")


def test_the_walks_reach_the_comment_and_report_forms(app, world, persona):
    """The world's extra pages put the comment, answer, report, edit and withdraw forms of online
    participation (issue 18) into the walks above."""
    actions = {(form.action, frozenset(form.names)) for form in discover_forms(app, world, persona("anonymous"))}
    link, idea = world.a.link, world.extra["supportable_idea_id"]
    idea_page = f"/participation/{link}/ideas/{idea}"
    assert (idea_page, frozenset({"csrf_token", "text"})) in actions  # a comment
    assert (idea_page, frozenset({"csrf_token", "text", "parent_id"})) in actions  # an answer
    reports = {action for action, names in actions if action.endswith("/report") and "reason" in names}
    assert {f"/processes/{world.process_id}/ideas/{idea}/report", f"{idea_page}/report"} <= reports
    assert sum("/comments/" in action for action in reports) == 2  # B's comment, publicly and with A's link
    assert any(action.startswith(f"/participation/{link}/comments/") and action.endswith("/edit")
               for action, _names in actions)


# ------------------------------------------------------------------ a form sent after the session expired

def test_every_form_keeps_the_typed_text_after_the_session_expired(app, world, persona):
    """Issue 16 item 7: the form token is bound to the session (12 hours). Every form, as every
    persona, is filled with a distinct text in each text field and sent after its session expired:
    the answer is 400 and shows each typed text again (in the form, on the page it was on; for staff,
    whose login ended with the session, as text to copy)."""
    from urllib.parse import urlsplit

    from tests.support.clients import expire_session

    counter = iter(range(1, 100_000))
    lost, sent = [], 0
    for persona_name in FORM_PERSONAS:
        for form in discover_forms(app, world, persona(persona_name)):
            if not form.text_fields():
                continue
            client = persona(persona_name)
            data = form.filled()
            typed = {}
            for field in form.text_fields():
                typed[field.name] = f"Getippt{next(counter)}Text"
                data[field.name] = [typed[field.name]]
            data["csrf_token"] = [client.csrf_token()]
            page = urlsplit(form.page)
            data["_page"] = [page.path + (f"?{page.query}" if page.query else "")]
            expire_session(app, client)
            response = client.post(form.action, data=data)
            html = response.get_data(as_text=True)
            missing = [name for name, text in typed.items() if text not in html]
            if response.status_code != 400 or missing:
                lost.append(f"{persona_name}: {form} → {response.status_code}, lost {missing}")
            sent += 1
    assert sent >= 10
    assert not lost, "\n".join(lost)
