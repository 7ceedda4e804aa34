"""The security suite's walks: every route with the ids of the world's sides, who may open what, the
forms on the pages a persona may open, and snapshots of the database to show that a refused request
changed nothing. Used by tests/security and tests/accessibility/test_crawl.py; the fixtures (the
world, one client per persona) are in tests/security/conftest.py."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask

from app.core.access import Access, access_of
from app.extensions import db
from tests.security.world import EVENT_SCOPED, PERSONAS, World, url_values

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
#: Tables that legitimately change on any request (rate-limit bookkeeping).
VOLATILE_TABLES = {"rate_limit_counter"}
#: Persona → the staff roles it holds (None: not logged in).
PERSONA_ROLES: dict[str, tuple[str, ...] | None] = {
    "anonymous": None, "resident": None, "participant": None,
    "moderator_x": ("moderator",), "moderator_a": ("moderator",), "moderator_b": ("moderator",), "council": ("council",), "admin": ("admin",),
}
assert set(PERSONA_ROLES) == set(PERSONAS)


@dataclass(frozen=True)
class Route:
    rule: object
    endpoint: str
    access: Access | None

    @property
    def methods(self) -> list[str]:
        return sorted((self.rule.methods or set()) - {"HEAD", "OPTIONS"})

    @property
    def state_changing(self) -> list[str]:
        return [m for m in self.methods if m in STATE_CHANGING]

    def __str__(self) -> str:
        return f"{self.rule.rule} ({self.endpoint})"


def all_routes(app: Flask) -> list[Route]:
    """Every rule of the application but the static file routes."""
    return [Route(rule, rule.endpoint, access_of(app.view_functions[rule.endpoint]))
            for rule in app.url_map.iter_rules() if not rule.endpoint.endswith("static")]


def build_url(app: Flask, route: Route, world: World, side: str = "a", **override) -> str:
    values = {**url_values(world, route.rule, side), **override}
    with app.test_request_context():
        from flask import url_for

        return url_for(route.endpoint, **values)


def table_digest(tables=None) -> str:
    """A digest of every row of every table (but rate-limit counters); needs an app context."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        if table.name in VOLATILE_TABLES or (tables is not None and table.name not in tables):
            continue
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


def row_counts() -> dict[str, int]:
    return {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables if t.name not in VOLATILE_TABLES}


def side_digest(world: World, side: str = "b") -> str:
    """A digest of everything that belongs to one side: its stand, ideas, applicant, ticket, dots."""
    from app.accounts.models import User, UserRole
    from app.events.models import Application, ApplicationAnswer
    from app.ideas.models import Idea, Stand, StandModerator
    from app.lottery.models import LotteryEntry
    from app.participation.models import Participant
    from app.voting.models import Dot, Ticket

    s = world.side(side)
    queries = [
        sa.select(Stand).where(Stand.id == s.stand_id),
        sa.select(StandModerator).where(StandModerator.stand_id == s.stand_id),
        sa.select(Idea).where(Idea.stand_id == s.stand_id).order_by(Idea.id),
        sa.select(Application).where(Application.id == s.application_id),
        sa.select(ApplicationAnswer).where(ApplicationAnswer.application_id == s.application_id)
        .order_by(ApplicationAnswer.criterion_id),
        sa.select(LotteryEntry).where(LotteryEntry.application_id == s.application_id),
        sa.select(Ticket).where(Ticket.id == s.ticket_id),
        sa.select(Dot).where(Dot.ticket_id == s.ticket_id).order_by(*Dot.__table__.primary_key.columns),
        sa.select(User.id, User.email, User.active, User.password_hash).where(User.id == s.moderator_id),
        sa.select(UserRole).where(UserRole.user_id == s.moderator_id),
        sa.select(Idea).where(Idea.id == s.online_idea_id),
        sa.select(Participant).where(Participant.id == s.participant_id),
    ]
    digest = hashlib.sha256()
    for query in queries:
        rows = db.session.execute(query).all()
        digest.update(repr([tuple(_columns(r)) for r in rows]).encode())
    return digest.hexdigest()


def _columns(row):
    for value in row:
        if hasattr(value, "__table__"):
            yield tuple(getattr(value, c.key) for c in value.__table__.columns)
        else:
            yield value


def side_of(persona_name: str) -> str:
    """The side of the world a persona owns: moderator B works at stand B, everyone else is A."""
    return "b" if persona_name.endswith("_b") else "a"


def walked_pages(app: Flask, world: World, persona_name: str) -> list[str]:
    """The URL of every GET route the persona may open (own side's ids), and the world's extra pages."""
    urls = [build_url(app, route, world, side_of(persona_name)) for route in all_routes(app)
            if "GET" in route.methods and not expected_denial(route.access, persona_name)]
    return urls + world.pages


def discover_forms(app: Flask, world: World, persona) -> list:
    """Every POST form on every page the persona may open (own side's ids), one per action and
    field set."""
    from tests.security.forms import find_forms

    name = persona.persona
    seen, forms = set(), []
    for url in walked_pages(app, world, name):
        response = persona.get(url)
        if response.mimetype != "text/html" or response.status_code != 200:
            body_of(response)
            continue
        for form in find_forms(response.get_data(as_text=True), url):
            key = (form.action, tuple(sorted(form.names)))
            if form.method != "POST" or key in seen:
                continue
            seen.add(key)
            forms.append(form)
    return forms


def expected_denial(access: Access | None, persona_name: str) -> str | None:
    """``"login"``, ``"403"`` or None (allowed) for a persona on a route with ``access``."""
    assert access is not None
    if access.kind == "public":
        return None
    roles = PERSONA_ROLES[persona_name]
    if roles is None:
        return "login"
    if access.roles and not (access.roles & set(roles)):
        return "403"
    return None


def event_scoped(route: Route) -> bool:
    """A staff route whose URL names an event or something of one event."""
    return route.access is not None and route.access.kind == "staff" \
        and bool(set(route.rule.arguments) & set(EVENT_SCOPED))


def scope_denial(route: Route, persona_name: str) -> bool:
    """Whether the persona's role allows the route but the event is not theirs: moderator X
    (of the other event) on an event-scoped staff route, called with the world event's ids."""
    return persona_name == "moderator_x" and expected_denial(route.access, persona_name) is None \
        and event_scoped(route)


def body_of(response) -> str:
    """The body, unless it is an endless event stream (only its headers are looked at)."""
    if response.mimetype == "text/event-stream":
        response.close()
        return ""
    data = response.get_data()
    if response.mimetype.startswith("text/") or response.mimetype.endswith(("json", "xml", "javascript")):
        return data.decode("utf-8", errors="replace")
    return ""  # binary (PDF, XLSX, images)
