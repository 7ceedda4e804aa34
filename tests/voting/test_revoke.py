"""A seat given back ends its ticket: decline, withdraw, erase, a superseded draw.

The revoked code opens no ballot (typed or QR link), checks nobody in, and a browser
that entered it earlier can place no dot; the dots it gave before stay counted. The
seat's next holder gets a working ticket; walk-ins are not affected.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.voting.codes import format_code
from app.voting.models import Dot

REVOKED_DE = "Dieses Ticket gilt nicht mehr"


@pytest.fixture
def app_config():
    return {"VOTING_CODE_RATE_LIMIT": "100 per minute"}


def respond(app, application_id: int, accept: bool) -> str:
    from app.lottery.seats import respond_to_seat
    from app.lottery.models import LotteryDraw, LotteryEntry

    with app.test_request_context():
        entry = _db.session.execute(
            sa.select(LotteryEntry).join(LotteryDraw)
            .where(LotteryEntry.application_id == application_id, LotteryDraw.state == "drawn")).scalar_one()
        outcome = respond_to_seat(entry, accept)
        _db.session.commit()
        return outcome


def _dots(app, ticket_id: int) -> int:
    with app.app_context():
        return _db.session.execute(sa.select(sa.func.count(Dot.id)).where(Dot.ticket_id == ticket_id)).scalar_one()


def _dot(client, event_id: int, idea_id: int, op: str = "add"):
    return client.post(f"/events/{event_id}/vote/dots", data={"idea_id": idea_id, "op": op},
                       headers={"Accept": "application/json", "X-CSRFToken": client.csrf_token()})


def assert_revoked_everywhere(app, client, staff, ev, browser) -> None:
    """The code is refused on the vote page, by the QR link and at check-in; the browser that
    had entered it can neither add nor remove dots and sees the message instead of the ballot."""
    added = _dot(browser, ev.event_id, ev.idea_ids[1])
    assert added.status_code == 409 and added.json["error"]["code"] == "ticket_revoked"
    assert REVOKED_DE in added.json["error"]["message"]
    removed = _dot(browser, ev.event_id, ev.idea_ids[0], op="remove")
    assert removed.status_code == 409 and removed.json["error"]["code"] == "ticket_revoked"
    page = browser.get(f"/events/{ev.event_id}/vote").get_data(as_text=True)
    assert REVOKED_DE in page and 'name="code"' in page and 'id="remaining"' not in page
    # Plain form (no JavaScript): refused too, back to the code form.
    plain = browser.submit(f"/events/{ev.event_id}/vote/dots", {"idea_id": ev.idea_ids[1], "op": "add"})
    assert plain.status_code == 302
    typed = client.submit(f"/events/{ev.event_id}/vote", {"code": format_code(ev.code)})
    assert typed.status_code == 422 and REVOKED_DE in typed.get_data(as_text=True)
    qr = client.get(f"/events/{ev.event_id}/vote/t/{ev.code}")
    assert qr.status_code == 404 and REVOKED_DE in qr.get_data(as_text=True)
    checkin = staff.submit(f"/manage/events/{ev.event_id}/checkin", {"code": ev.code},
                           headers={"Accept": "application/json"})
    assert checkin.status_code == 422 and checkin.json["code"] == "ticket_revoked"
    with app.app_context():
        ticket = ev.ticket
        assert ticket.revoked_at is not None and ticket.checked_in_at is None
    # The dot given while the seat was held stays counted.
    assert _dots(app, ev.ticket_id) == 1


def _enter_and_vote(client, ev) -> None:
    assert client.submit(f"/events/{ev.event_id}/vote", {"code": ev.code}).status_code == 302
    assert _dot(client, ev.event_id, ev.idea_ids[0]).status_code == 200


def _replacement_votes(app, ev, application_id: int) -> None:
    """The seat's next holder confirms and gets a working ticket."""
    from app.events.models import Application
    from app.voting.tickets import ticket_of

    assert respond(app, application_id, True) == "confirmed"
    with app.app_context():
        ticket = ticket_of(_db.session.get(Application, application_id))
        code = ticket.code
    other = app.test_client()
    assert other.submit(f"/events/{ev.event_id}/vote", {"code": code}).status_code == 302
    assert _dot(other, ev.event_id, ev.idea_ids[2]).status_code == 200


def test_decline_after_confirm_revokes_the_ticket(app, client, staff_client, seated):
    from app.audit.models import AuditEntry
    from app.results.participation import participation
    from app.voting.checkin import attendance

    ev = seated()
    browser = app.test_client()
    _enter_and_vote(browser, ev)
    staff = staff_client("admin")
    assert respond(app, ev.voter_id, False) == "declined"
    assert_revoked_everywhere(app, client, staff, ev, browser)
    with app.app_context():
        entry = _db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "voting.ticket_revoke")
                                    ).scalar_one()
        assert entry.target_id == ev.ticket_id and entry.after["reason"] == "declined"
        counts = attendance(ev.event)
        assert (counts.tickets, counts.checked_in, counts.revoked) == (0, 0, 1)
        assert participation([ev.event_id])[ev.event_id].checked_in == 0
    # The waiting list's first moved up; confirming gives a working ticket.
    _replacement_votes(app, ev, ev.waiting_ids[0])
    # The staff pages show the revoked ticket as revoked, not as a badge to print.
    badges = staff.get(f"/manage/events/{ev.event_id}/badges").get_data(as_text=True)
    assert badges.count('class="badge-card"') == 1 and format_code(ev.code) not in badges
    assert "Widerrufen" in badges
    ticket_page = staff.get(f"/manage/tickets/{ev.ticket_id}").get_data(as_text=True)
    assert "Widerrufen" in ticket_page and format_code(ev.code) not in ticket_page


def test_withdraw_revokes_the_ticket(app, client, staff_client, seated):
    from app.events.application_services import withdraw

    ev = seated()
    browser = app.test_client()
    _enter_and_vote(browser, ev)
    with app.test_request_context():
        withdraw(ev.voter)
        _db.session.commit()
    assert_revoked_everywhere(app, client, staff_client("admin"), ev, browser)
    # The freed seat is refilled from the waiting list (as the lottery does on its next pass).
    from app.lottery.seats import process_draw
    from app.lottery.models import LotteryDraw

    with app.test_request_context():
        process_draw(_db.session.execute(
            sa.select(LotteryDraw).where(LotteryDraw.event_id == ev.event_id)).scalar_one())
        _db.session.commit()
    _replacement_votes(app, ev, ev.waiting_ids[0])


def test_erasure_revokes_a_used_ticket(app, client, staff_client, seated):
    from app.privacy.services import erase_application

    ev = seated()
    browser = app.test_client()
    _enter_and_vote(browser, ev)
    with app.test_request_context():
        assert erase_application(ev.voter) == "anonymised"
        _db.session.commit()
    assert_revoked_everywhere(app, client, staff_client("admin"), ev, browser)
    _replacement_votes(app, ev, ev.waiting_ids[0])


def test_superseded_draw_revokes_and_a_new_seat_gets_a_new_code(app, client, staff_client, seated):
    from app.core.models import OutboxMail
    from app.lottery.supersede import supersede_draw
    from app.lottery.models import LotteryDraw
    from app.voting.tickets import issue_ticket_for_application

    ev = seated()
    browser = app.test_client()
    _enter_and_vote(browser, ev)
    with app.test_request_context():
        current = _db.session.execute(sa.select(LotteryDraw).where(LotteryDraw.event_id == ev.event_id)).scalar_one()
        supersede_draw(current, None, "Ein Fehler in der Kriterienliste wurde entdeckt.")
        _db.session.commit()
    assert_revoked_everywhere(app, client, staff_client("admin"), ev, browser)
    # A new draw seats the same person again: the same ticket (its dot still counts) with a new code.
    with app.test_request_context():
        application = ev.voter
        application.status = "confirmed"
        mails_before = _db.session.execute(sa.select(sa.func.count(OutboxMail.id))).scalar_one()
        ticket = issue_ticket_for_application(application)
        _db.session.commit()
        assert ticket.id == ev.ticket_id and ticket.revoked_at is None and ticket.code != ev.code
        assert _db.session.execute(sa.select(sa.func.count(OutboxMail.id))).scalar_one() == mails_before + 1
        new_code = ticket.code
    assert _dots(app, ev.ticket_id) == 1
    # The old code and the browser that entered it stay locked out.
    assert client.submit(f"/events/{ev.event_id}/vote", {"code": ev.code}).status_code == 422
    assert _dot(browser, ev.event_id, ev.idea_ids[1]).status_code == 401
    fresh = app.test_client()
    assert fresh.submit(f"/events/{ev.event_id}/vote", {"code": new_code}).status_code == 302
    result = _dot(fresh, ev.event_id, ev.idea_ids[1])
    assert result.status_code == 200 and result.json["remaining"] == 3


def test_bulk_issue_gives_a_reseated_application_its_ticket_back(app, seated):
    from app.voting.tickets import issue_tickets_for_event

    ev = seated()
    assert respond(app, ev.voter_id, False) == "declined"
    with app.test_request_context():
        ev.voter.status = "confirmed"  # as a new draw after a superseded one would leave it
        assert issue_tickets_for_event(ev.event) == 1
        ticket = ev.ticket
        assert ticket.revoked_at is None and ticket.code != ev.code


def test_checked_in_before_revoke_still_counts_as_attended(app, seated):
    from app.results.participation import participation
    from app.voting.checkin import attendance, check_in

    ev = seated()
    with app.test_request_context():
        check_in(ev.event, ev.code)
        _db.session.commit()
    assert respond(app, ev.voter_id, False) == "declined"
    with app.app_context():
        assert participation([ev.event_id])[ev.event_id].checked_in == 1
        counts = attendance(ev.event)
        assert (counts.checked_in, counts.revoked) == (0, 1)


def test_walk_ins_are_not_affected(app, client, staff_client, seated):
    from app.voting.tickets import issue_walk_in

    ev = seated()
    with app.test_request_context():
        walk_in = issue_walk_in(ev.event, "Gast")
        _db.session.commit()
        code = walk_in.code
    assert respond(app, ev.voter_id, False) == "declined"
    assert client.submit(f"/events/{ev.event_id}/vote", {"code": code}).status_code == 302
    assert _dot(client, ev.event_id, ev.idea_ids[0]).status_code == 200
    staff = staff_client("admin")
    checkin = staff.submit(f"/manage/events/{ev.event_id}/checkin", {"code": code},
                           headers={"Accept": "application/json"})
    assert checkin.status_code == 200 and checkin.json["ok"]


def test_revoke_is_idempotent_and_without_ticket_does_nothing(app, seated):
    from app.voting.tickets import revoke_ticket_for_application

    ev = seated()
    with app.test_request_context():
        application = ev.voter
        first = revoke_ticket_for_application(application, "withdrawn")
        at = first.revoked_at
        again = revoke_ticket_for_application(application, "declined")
        assert again.revoked_at == at and again.revoke_reason == "withdrawn"
        other = ev.waiting[0]
        assert revoke_ticket_for_application(other, "declined") is None
        with pytest.raises(ValueError):
            revoke_ticket_for_application(application, "whatever")
