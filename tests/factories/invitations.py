"""Factories of the invitations tests: ``register_event`` (the id of an open event on 1 March 2027
whose seats are given by invitations from the register), and :func:`draw_invitations`: an event
with drawn invitations (register imported, plan, commitment, draw) and criteria of which the
register answers some (age band, gender) and the invitee the rest (education), for the answer
tests and the answer journey (call it inside an application context of the test's app)."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from app.events.models import Criterion, CriterionOption, Event
from app.extensions import db
from app.invitations import codes, jobs, services, stage1
from app.invitations.models import Invitation
from tests.support.register_files import csv_bytes, register_rows

CRITERIA = (
    ("age", "Altersgruppe", [("16-29", "16–29"), ("30-44", "30–44"), ("45-64", "45–64"), ("65+", "65 und älter")]),
    ("gender", "Geschlecht", [("w", "weiblich"), ("m", "männlich"), ("d", "divers")]),
    ("education", "Höchster Schulabschluss", [("none", "Kein Abschluss"), ("school", "Haupt- oder Realschule"),
                                               ("abitur", "Abitur oder höher")]),
)


def add_criteria(event: Event) -> None:
    for position, (key, label, options) in enumerate(CRITERIA):
        criterion = Criterion(event_id=event.id, key=key, label=label, position=position)
        criterion.options = [CriterionOption(value=v, label=lab, position=i) for i, (v, lab) in enumerate(options)]
        db.session.add(criterion)
    db.session.flush()
    db.session.expire(event, ["criteria"])


def draw_invitations(event_id: int, *, rows: int = 40, letters: int = 8,
                     answer_deadline: datetime | None = datetime(2027, 1, 31)) -> list[tuple[int, str]]:
    """Import ``rows`` residents, draw ``letters`` invitations; (invitation id, code) of each, committed."""
    event = db.session.get(Event, event_id)
    if not event.criteria:
        add_criteria(event)
    extract = services.upload_extract(event, None, "r.csv", csv_bytes(register_rows(rows)))
    services.preview(extract, extract.mapping)
    jobs.confirm_import(extract, None)
    planned = stage1.save_plan(event, letters=letters, by_district=False, age_bands="16-29, 30-44, 45-64, 65+",
                               response_rate_percent=10, group_settings={}, one_per_household=True,
                               answer_deadline=answer_deadline)
    stage1.commit(planned, None, "server", "")
    stage1.perform(planned, None)
    db.session.commit()
    invitations = db.session.execute(sa.select(Invitation).where(Invitation.event_id == event_id)
                                     .order_by(Invitation.id)).scalars().all()
    return [(i.id, codes.invitation_code(i.code_nonce)) for i in invitations]


@pytest.fixture
def register_event(app, create_event) -> int:
    """The id of an open event with 15 seats on 1 March 2027 (the register tests' event)."""
    return create_event(starts_at=datetime(2027, 3, 1, 9), ends_at=datetime(2027, 3, 1, 17), seats=15,
                        status="open").id
