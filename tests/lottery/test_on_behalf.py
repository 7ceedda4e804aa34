"""Staff confirm or decline a seat for a phone or paper applicant (issue 24, defect 3): the same seat life
cycle as the applicant's own answer (a decline draws the replacement), audited with the channel; the list
of applications flags drawn people without email."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from tests.factories.lottery import commit, draw, post


def _drawn_without_email(app, admin, lottery_event):
    """A drawn event of one seat whose selected applicant applied by phone, without email."""
    from app.events.models import Application
    from app.lottery.models import LotteryEntry

    ev = lottery_event(seats=1, count=3)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "2")
    with app.app_context():
        entries = db.session.execute(sa.select(LotteryEntry)).scalars().all()
        seated = next(e for e in entries if e.rank is None)
        first_waiting = min((e for e in entries if e.rank is not None), key=lambda e: e.rank)
        application = db.session.get(Application, seated.application_id)
        application.email, application.source = None, "phone"
        db.session.commit()
        return ev, seated.application_id, first_waiting.application_id


def _status(app, application_id):
    from app.events.models import Application

    with app.app_context():
        return db.session.get(Application, application_id).status


def _url(ev, application_id):
    return f"/manage/events/{ev.event_id}/applications/{application_id}/seat"


def test_list_flags_drawn_people_without_email_and_offers_the_answer(app, admin, lottery_event):
    ev, phone_id, _waiting = _drawn_without_email(app, admin, lottery_event)
    page = admin.get(f"/manage/events/{ev.event_id}/applications").get_data(as_text=True)
    assert 'id="to-call"' in page and "call-flag" in page
    assert f'id="behalf-{phone_id}"' in page
    # The phone applicant's channel is preselected.
    assert f'id="behalf-{phone_id}-phone" name="channel" value="phone" required checked' in page
    # The choice is required: marked with the asterisk that the form explains (issue 16 item 7).
    assert 'How did the person answer?' not in page  # German page
    assert 'Wie hat die Person geantwortet? <span class="required-mark" aria-hidden="true">*</span></legend>' in page
    only = admin.get(f"/manage/events/{ev.event_id}/applications?call=1").get_data(as_text=True)
    assert only.count("call-flag") == 1 and only.count("<tr>") == 2  # the header and the one person
    lottery_page = admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert f'id="behalf-{phone_id}"' in lottery_page and "call-flag" in lottery_page


def test_decline_on_behalf_draws_the_replacement_and_is_audited(app, admin, lottery_event):
    from app.audit.models import AuditEntry

    ev, phone_id, waiting_id = _drawn_without_email(app, admin, lottery_event)
    back = f"/manage/events/{ev.event_id}/applications"
    response = post(admin, _url(ev, phone_id), {"answer": "decline", "channel": "phone", "next": back})
    assert response.status_code == 303 and response.headers["Location"].endswith(back)
    assert _status(app, phone_id) == "declined"
    assert _status(app, waiting_id) == "selected"  # the replacement, drawn at once
    with app.app_context():
        entry = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "lottery.seat_on_behalf")
                                   ).scalar_one()
        assert entry.after["channel"] == "phone" and entry.after["answer"] == "decline"
        assert entry.after["outcome"] == "declined" and entry.user_id == admin.user.id
        assert entry.event_id == ev.event_id
        assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "lottery.replacement")).scalar_one() == 1
    # The replacement says yes in person; a second click changes nothing.
    post(admin, _url(ev, waiting_id), {"answer": "confirm", "channel": "in_person"})
    assert _status(app, waiting_id) == "confirmed"
    again = post(admin, _url(ev, waiting_id), {"answer": "confirm", "channel": "in_person"})
    assert again.status_code == 303 and _status(app, waiting_id) == "confirmed"


def test_bad_input_changes_nothing_and_says_why(app, admin, lottery_event):
    ev, phone_id, waiting_id = _drawn_without_email(app, admin, lottery_event)
    back = f"/manage/events/{ev.event_id}/applications"
    for data in ({"answer": "decline"}, {"answer": "decline", "channel": "carrier pigeon"}):
        # The list again (422), its answer form open, the message at the choice (issue 16 item 7).
        response = post(admin, _url(ev, phone_id), {**data, "next": back})
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        field = f"behalf-{phone_id}-channel"
        assert f'<fieldset id="{field}" aria-describedby="{field}-error">' in page
        assert "Bitte wählen Sie, wie die Person geantwortet hat." in page.split(f'id="{field}-error">')[1].split("</p>")[0]
        assert f'<details class="disclosure on-behalf" id="behalf-{phone_id}" open>' in page
        assert f'<a href="#{field}">' in page.split('id="error-summary"')[1]
        assert _status(app, phone_id) == "selected"
    # No answer at all (no button sends that): a message on the page it came from.
    response = post(admin, _url(ev, phone_id), {"answer": "maybe", "channel": "phone"})
    assert response.status_code == 303
    assert "flash-error" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert _status(app, phone_id) == "selected"
    # A waiting applicant holds no seat to answer for.
    post(admin, _url(ev, waiting_id), {"answer": "confirm", "channel": "phone"})
    assert _status(app, waiting_id) == "waitlisted"
    # An application of another event is not found through this event.
    other = lottery_event(seats=1, count=2)
    assert post(admin, _url(other, phone_id), {"answer": "decline", "channel": "phone"}).status_code == 404
    # An outside "next" is not followed.
    response = post(admin, _url(ev, phone_id), {"answer": "confirm", "channel": "phone",
                                               "next": "https://evil.example/"})
    assert response.headers["Location"].endswith(f"/manage/events/{ev.event_id}/lottery")


def test_only_admins_with_a_csrf_token(app, admin, staff_client, lottery_event):
    ev, phone_id, _waiting = _drawn_without_email(app, admin, lottery_event)
    for role in ("council", "moderator"):
        client = staff_client(role)
        assert post(client, _url(ev, phone_id), {"answer": "decline", "channel": "phone"}).status_code == 403
    # Decided in issue 24: a moderator of this very event's stand does not answer on behalf either
    # (answering needs the applicant's personal data, which moderators never see).
    from app.ideas import services as ideas

    moderator = staff_client("moderator")
    with app.app_context():
        ideas.save_stand(ev.event, None, title="Bürgerportal", position=1,
                         moderator_ids=[moderator.user.id])
        db.session.commit()
    assert post(moderator, _url(ev, phone_id), {"answer": "decline", "channel": "phone"}).status_code == 403
    assert moderator.get(f"/manage/events/{ev.event_id}/applications").status_code == 403
    response = admin.post(_url(ev, phone_id), data={"answer": "decline", "channel": "phone"})
    assert response.status_code == 400
    assert _status(app, phone_id) == "selected"
