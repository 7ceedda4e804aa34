"""The representativeness report's "attended" column comes from the check-in (signal ``attendance``),
and the seat life cycle reaches voting through the signals ``seat_confirmed`` / ``seat_released``."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db


def _drawn(app, lottery_event):
    """Four applicants (f, m, m, m) for two seats, committed and drawn; returns the event id."""
    from app.core.models import utcnow
    from app.lottery.commitment import publish_commitment
    from app.lottery.draw import perform_draw

    ev = lottery_event(seats=2, criteria={"gender": {"f": (1, 1), "m": (1, 1)}},
                       people=[{"gender": "f"}, {"gender": "m"}, {"gender": "m"}, {"gender": "m"}])
    with app.test_request_context():
        event = ev.event
        draw = publish_commitment(event, None, "server")
        perform_draw(draw, None, None, utcnow() + timedelta(days=7))
        db.session.commit()
    return ev.event_id


def test_attended_column_counts_who_checked_in(app, admin, lottery_event):
    from app.events.models import Event
    from app.lottery.representativeness import representativeness
    from app.lottery.seats import respond_to_seat
    from app.lottery.models import LotteryEntry
    from app.voting.checkin import check_in
    from app.voting.models import Ticket

    event_id = _drawn(app, lottery_event)
    with app.test_request_context():
        event = db.session.get(Event, event_id)
        _reports, sizes = representativeness(event)
        assert sizes["attended"] == 0
        assert all(o.shares["attended"] is None for r in _reports for o in r.options)  # nobody checked in yet
        seated = db.session.execute(sa.select(LotteryEntry).where(LotteryEntry.seat_since.is_not(None),
                                                                  LotteryEntry.rank.is_(None))).scalars().all()
        for entry in seated:
            assert respond_to_seat(entry, True) == "confirmed"
        tickets = db.session.execute(sa.select(Ticket).where(Ticket.event_id == event_id)).scalars().all()
        assert len(tickets) == 2  # seat_confirmed → voting issued one ticket per confirmed seat
        women = [t for t in tickets if t.application.answers and
                 any(a.option.value == "f" for a in t.application.answers)]
        check_in(event, women[0].code)
        db.session.commit()
        reports, sizes = representativeness(event)
        assert sizes["attended"] == 1
        shares = {o.value: o.shares["attended"] for o in reports[0].options}
        assert shares == {"f": 1.0, "m": 0.0}
    html = admin.get(f"/manage/events/{event_id}/lottery/representativeness").get_data(as_text=True)
    assert ">Anwesend</th>" in html


def test_declining_a_confirmed_seat_revokes_the_ticket(app, lottery_event):
    from app.lottery.seats import respond_to_seat
    from app.lottery.models import LotteryEntry
    from app.voting.models import Ticket

    event_id = _drawn(app, lottery_event)
    with app.test_request_context():
        entry = db.session.execute(sa.select(LotteryEntry).where(LotteryEntry.seat_since.is_not(None),
                                                                 LotteryEntry.rank.is_(None))).scalars().first()
        respond_to_seat(entry, True)
        ticket = db.session.execute(sa.select(Ticket).where(Ticket.application_id == entry.application_id)).scalar_one()
        assert ticket.revoked_at is None
        assert respond_to_seat(entry, False) == "declined"
        db.session.commit()
        assert ticket.revoked_at is not None and ticket.revoke_reason == "declined"
        assert db.session.execute(sa.select(sa.func.count()).select_from(Ticket)
                                  .where(Ticket.event_id == event_id)).scalar_one() == 1
