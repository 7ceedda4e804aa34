"""The household rule of an event (issue 21 item 1): the setting, the preview, the commitment, the draw."""
from __future__ import annotations

from datetime import timedelta

from app.extensions import db

# Two women in one household, one woman alone, a man; both seats go to women.
PEOPLE = [{"gender": "f"}, {"gender": "f"}, {"gender": "m"}, {"gender": "f"}]
CRITERIA = {"gender": {"f": (2, 2), "m": (0, 2)}}


def household_event(app, lottery_event, rule=True):
    ev = lottery_event(seats=2, criteria=CRITERIA, people=PEOPLE)
    with app.app_context():
        ev.event.lottery_one_per_household = rule
        for application in ev.applications[:2]:
            application.household_key = "H-7F3K2Q"
        db.session.commit()
    return ev


def test_the_preview_keeps_at_most_one_seat_per_household(app, lottery_event):
    from app.lottery.preview import preview

    ruled = household_event(app, lottery_event)
    free = household_event(app, lottery_event, rule=False)
    with app.app_context():
        with_rule = preview(ruled.event)
        without = preview(free.event)
    assert sorted(round(t.probability, 6) for t in with_rule.types) == [0.0, 0.5, 1.0]
    assert sorted(round(t.probability, 6) for t in without.types) == [0.0, 0.666667]


def test_the_commitment_and_the_draw_keep_the_rule_and_verify(app, lottery_event):
    from app.core.models import utcnow
    from app.lottery.commitment import publish_commitment
    from app.lottery.draw import perform_draw
    from app.lottery.published import audit_json, audit_of
    from app.lottery.audit import all_passed, verify_audit

    ev = household_event(app, lottery_event)
    with app.app_context():
        draw = publish_commitment(ev.event, None, "server")
        record = draw.record
        assert len(record["households"]) == 1 and len(record["households"][0]) == 2
        assert "H-7F3K2Q" not in audit_json(draw)
        perform_draw(draw, None, None, utcnow() + timedelta(days=7))
        audit = audit_of(draw)
        together = set(audit["households"][0])
        assert len(together & set(audit["selected"])) == 1
        checks = verify_audit(audit)
        assert all_passed(checks), [c for c in checks if not c.ok]


def test_staff_set_the_rule_on_the_event_form(app, admin, lottery_event):
    ev = lottery_event(seats=2, criteria=CRITERIA, people=PEOPLE, status="draft")
    page = admin.get(f"/manage/events/{ev.event_id}/edit").get_data(as_text=True)
    assert "lottery_one_per_household" in page


def test_the_lottery_page_shows_the_rule_in_the_preview_and_the_commitment(app, admin, lottery_event):
    from app.lottery.commitment import publish_commitment

    ev = household_event(app, lottery_event)
    admin.submit(f"/manage/events/{ev.event_id}/lottery/preview", {}).close()  # as jobs.js does
    page = admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert "Haushalt" in page and "mit anderen Bewerberinnen und Bewerbern" in page
    with app.app_context():
        publish_commitment(ev.event, None, "server")
        db.session.commit()  # as the commitment job does
    page = admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert 'id="household-rule"' in page and "Höchstens ein Platz pro Haushalt: 1 Haushalt" in page
    assert 'id="time-limited"' not in page
