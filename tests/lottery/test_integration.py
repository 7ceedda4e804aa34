"""The lottery end to end through HTTP: preview, commitment, draw, public page, audit download."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.factories.lottery import commit, deadline_text, draw, lottery_page, post, run_verify, statuses, table_counts

GENDER_AGE = {"gender": {"f": (2, 3), "m": (2, 3)}, "age": {"young": (1, 4), "old": (1, 4)}}


def event_status(app, event_id):
    from app.events.models import Event

    with app.app_context():
        return db.session.get(Event, event_id).status


def job_count(app) -> int:
    from app.jobs.models import Job

    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(Job)).scalar_one()


def test_the_page_reads_and_its_form_starts_the_preview(app, admin, lottery_event):
    """GET changes nothing: the page offers the preview's form (sent by jobs.js); its POST asks for the job."""
    ev = lottery_event(seats=3, count=7)
    html = admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert 'id="preview-start"' in html and "data-job-autostart" in html and 'id="applicant-count"' not in html
    assert job_count(app) == 0
    response = post(admin, f"/manage/events/{ev.event_id}/lottery/preview")
    assert response.status_code == 303 and response.location.endswith(f"/manage/events/{ev.event_id}/lottery")
    html = admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert 'id="applicant-count">7<' in html and 'id="preview-start"' not in html
    # The same pool is not computed again.
    post(admin, f"/manage/events/{ev.event_id}/lottery/preview")
    assert job_count(app) == 1


def test_a_message_stays_while_the_page_reloads_itself_for_the_preview(app, admin, lottery_event):
    """The page sends the preview's form as soon as it has loaded (and follows the job): the message
    it was opened with ("applications closed") is shown again after that reload, not only for a
    moment, and once more only until a page is shown that stays."""
    ev = lottery_event(seats=3, count=7)
    url = f"/manage/events/{ev.event_id}/lottery"
    message = "Die Bewerbungsphase ist beendet <b>."
    with admin.session_transaction() as session:
        session["_flashes"] = [("success", message)]
    escaped = "Die Bewerbungsphase ist beendet &lt;b&gt;."
    html = admin.get(url).get_data(as_text=True)
    assert "data-job-autostart" in html and escaped in html
    post(admin, f"{url}/preview")  # what jobs.js sends; the job runs in the request here
    html = admin.get(url).get_data(as_text=True)
    assert 'id="applicant-count">7<' in html and escaped in html  # after the reload: still there
    assert escaped not in admin.get(url).get_data(as_text=True)  # a page that stays showed it: gone


def test_uniform_draw_without_quotas_end_to_end(app, admin, client, lottery_event, tmp_path):
    ev = lottery_event(seats=3, count=7)
    post(admin, f"/manage/events/{ev.event_id}/lottery/preview")
    page = admin.get(f"/manage/events/{ev.event_id}/lottery")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="applicant-count">7<' in html
    assert "42,86\u00a0%" in html  # 3/7 for everybody, German formatting

    response = commit(admin, ev.event_id)
    assert response.status_code == 303
    public = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert "id=\"draw-pending\"" in public
    from app.lottery.models import LotteryDraw

    with app.app_context():
        record = db.session.execute(sa.select(LotteryDraw)).scalar_one()
        assert record.commitment in public
        assert record.state == "committed"

    assert draw(admin, ev.event_id, "17").status_code == 303
    result = statuses(app, ev.application_ids)
    assert sorted(result.values()).count("selected") == 3
    assert sorted(result.values()).count("waitlisted") == 4
    assert event_status(app, ev.event_id) == "drawn"

    public = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert 'id="drawn-number">17<' in public
    assert "Person 0" not in public and "example.org" not in public

    audit_response = client.get(f"/events/{ev.event_id}/lottery/audit.json")
    assert audit_response.status_code == 200
    audit = json.loads(audit_response.get_data())
    assert audit["number"] == 17 and len(audit["selected"]) == 3 and len(audit["waiting_list"]) == 4
    assert "example.org" not in audit_response.get_data(as_text=True)
    path = tmp_path / "audit.json"
    path.write_bytes(audit_response.get_data())
    outcome = run_verify(path)
    assert outcome.exit_code == 0, outcome.output
    assert "All checks passed." in outcome.output


def test_quota_draw_end_to_end_meets_quotas(app, admin, lottery_event):
    people = [{"gender": g, "age": a} for g, a in
              [("f", "young"), ("f", "old"), ("f", "old"), ("m", "young"), ("m", "old"), ("m", "old"),
               ("f", "old"), ("m", "old"), ("f", "old")]]
    ev = lottery_event(seats=5, criteria=GENDER_AGE, people=people)
    html = lottery_page(admin, ev.event_id)
    assert 'id="probabilities"' in html and 'id="probability-range"' in html
    assert commit(admin, ev.event_id, "server", "").status_code == 303
    assert draw(admin, ev.event_id, number=None).status_code == 303
    from app.lottery.models import LotteryDraw

    with app.app_context():
        record = db.session.execute(sa.select(LotteryDraw)).scalar_one()
        assert record.number_source_kind == "server" and 1 <= record.number <= 1000
        assert record.number_source.startswith("server:")
    result = statuses(app, ev.application_ids)
    selected = [people[i] for i, app_id in enumerate(ev.application_ids) if result[app_id] == "selected"]
    assert len(selected) == 5
    assert 2 <= sum(p["gender"] == "f" for p in selected) <= 3
    assert 1 <= sum(p["age"] == "young" for p in selected) <= 4


def test_infeasible_quotas_change_nothing(app, admin, lottery_event):
    people = [{"gender": "f"}] * 5 + [{"gender": "m"}]
    ev = lottery_event(seats=4, criteria={"gender": {"f": (1, 2), "m": (2, 4)}}, people=people)
    html = lottery_page(admin, ev.event_id)
    assert 'id="lottery-problem"' in html
    assert "Kriterium „Gender“, Antwort „M“" in html  # names the conflicting option by its labels
    assert "Publish commitment" not in html and "Festlegung veröffentlichen" not in html
    response = commit(admin, ev.event_id)
    assert response.status_code == 303
    assert table_counts(app) == (0, 0, 0)
    assert set(statuses(app, ev.application_ids).values()) == {"applied"}
    assert event_status(app, ev.event_id) == "closed"


@pytest.mark.parametrize("count", [0, 2])
def test_empty_or_fewer_than_seats_is_refused(app, admin, lottery_event, count):
    ev = lottery_event(seats=3, count=count)
    html = lottery_page(admin, ev.event_id)
    assert 'id="lottery-problem"' in html
    commit(admin, ev.event_id)
    assert table_counts(app) == (0, 0, 0)


DICE = "Enter the four dice as four digits in the stated order"


@pytest.mark.parametrize("number, message", [
    ("", DICE), ("abc", DICE), ("10001", DICE), ("-3", DICE), ("1.5", DICE), ("\x00", DICE),
    ("9" * 5000, "Field cannot be longer"),
])
def test_number_validation(app, staff_client, lottery_event, number, message):
    admin = staff_client("admin")
    admin.submit("/language", {"lang": "en", "next": "/"})
    ev = lottery_event(seats=2, count=4)
    commit(admin, ev.event_id)
    deadline = deadline_text()  # once: computing it again could cross a minute boundary
    response = draw(admin, ev.event_id, number, deadline=deadline)
    # The page again (issue 16 item 7): the message at the number field, the deadline as typed.
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page.split('id="number-error"')[1].split("</p>")[0]
    assert 'aria-describedby="number-hint number-error"' in page and 'id="error-summary"' in page
    assert f'value="{deadline}"' in page
    assert set(statuses(app, ev.application_ids).values()) == {"applied"}
    assert event_status(app, ev.event_id) == "closed"


def test_deadline_must_be_in_the_future(app, admin, lottery_event):
    ev = lottery_event(seats=2, count=4)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "5", deadline=deadline_text(-1))
    assert set(statuses(app, ev.application_ids).values()) == {"applied"}


def test_redraw_requires_reason_and_keeps_the_first_visible(app, admin, client, lottery_event, smtp, tmp_path,
                                                             staff_client):
    ev = lottery_event(seats=2, count=5)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "3")
    first = json.loads(client.get(f"/events/{ev.event_id}/lottery/audit.json").get_data())

    admin.submit(f"/manage/events/{ev.event_id}/lottery/supersede", {"reason": "   "})
    from app.lottery.models import LotteryDraw

    with app.app_context():
        assert db.session.execute(sa.select(LotteryDraw.state)).scalar_one() == "drawn"

    reason = "Die Würfel wurden vor Beginn der Sitzung geworfen."
    assert post(admin, f"/manage/events/{ev.event_id}/lottery/supersede", {"reason": reason}).status_code == 303
    # The request alone changes nothing: a second admin has to approve it (issue 22, item 4) ...
    with app.app_context():
        assert db.session.execute(sa.select(LotteryDraw.state)).scalar_one() == "drawn"
    page = admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert "Am " in page and f"wurde eine Neuauslosung beantragt. Begründung: {reason}" in page
    # ... and not the admin who asked (the lottery page again, with the message at the form).
    assert post(admin, f"/manage/events/{ev.event_id}/lottery/supersede", {"reason": reason}).status_code == 422
    with app.app_context():
        assert db.session.execute(sa.select(LotteryDraw.state)).scalar_one() == "drawn"
    second = staff_client("admin")
    assert post(second, f"/manage/events/{ev.event_id}/lottery/supersede",
                {"reason": "ein anderer Grund, der nicht zählt"}).status_code == 303
    assert set(statuses(app, ev.application_ids).values()) == {"applied"}
    smtp.wait_for(lambda m: "wiederholt" in m["Subject"], count=5)

    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "4")
    public = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert reason in public
    assert first["commitment"] in public
    with app.app_context():
        draws = db.session.execute(sa.select(LotteryDraw).order_by(LotteryDraw.attempt)).scalars().all()
        assert [(d.attempt, d.state) for d in draws] == [(1, "superseded"), (2, "drawn")]
        assert draws[0].supersede_reason == reason
    old = client.get(f"/events/{ev.event_id}/lottery/audit.json?attempt=1")
    assert json.loads(old.get_data())["number"] == 3
    # The pseudonyms stay the same across the re-draw.
    second = json.loads(client.get(f"/events/{ev.event_id}/lottery/audit.json").get_data())
    assert set(second["probabilities"]) == set(first["probabilities"])
    path = tmp_path / "old.json"
    path.write_bytes(old.get_data())
    assert run_verify(path).exit_code == 0


def test_downloaded_audit_verifies_and_tampering_fails(app, admin, client, lottery_event, tmp_path):
    people = [{"gender": g} for g in "ffffmmmm"]
    ev = lottery_event(seats=4, criteria={"gender": {"f": (1, 3), "m": (1, 3)}}, people=people)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "999")
    raw = client.get(f"/events/{ev.event_id}/lottery/audit.json").get_data()
    genuine = tmp_path / "audit.json"
    genuine.write_bytes(raw)
    outcome = run_verify(genuine)
    assert outcome.exit_code == 0
    # The published file carries the LP dual certificates of the leximin stages, and verify checks them.
    assert json.loads(raw)["leximin_certificate"]["stages"] and "OK   certificate: " in outcome.output

    audit = json.loads(raw)
    tampered = dict(audit, number=audit["number"] - 1)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(tampered))
    outcome = run_verify(path)
    assert outcome.exit_code != 0 and "FAIL" in outcome.output

    swapped = json.loads(raw)
    kind = swapped["pool_counts"]["types"][0]
    kind["answers"]["gender"] = "m" if kind["answers"]["gender"] == "f" else "f"
    path.write_text(json.dumps(swapped))
    assert run_verify(path).exit_code != 0


def test_public_page_only_for_non_draft_events(app, client, lottery_event):
    ev = lottery_event(seats=2, count=3, status="draft")
    assert client.get(f"/events/{ev.event_id}/lottery").status_code == 404
    assert client.get(f"/events/{ev.event_id}/lottery/audit.json").status_code == 404


def test_council_reads_public_page_but_cannot_run_the_lottery(app, staff_client, lottery_event):
    ev = lottery_event(seats=2, count=3)
    council = staff_client("council")
    assert council.get(f"/events/{ev.event_id}/lottery").status_code == 200
    assert council.get(f"/manage/events/{ev.event_id}/lottery/representativeness").status_code == 200
    assert council.get(f"/manage/events/{ev.event_id}/lottery").status_code == 403
    assert commit(council, ev.event_id).status_code == 403
    assert table_counts(app) == (0, 0, 0)


def test_commitment_is_public_in_the_api_before_the_draw(app, admin, client, lottery_event):
    """Issue 22, item 6: the open-data API shows the commitment from the moment it is published, so it
    can be archived before the number is drawn; the record before the draw verifies."""
    from app.lottery.audit import all_passed, verify_audit

    ev = lottery_event(seats=2, count=5)
    assert client.get(f"/api/v1/events/{ev.event_id}/lottery").status_code == 404
    commit(admin, ev.event_id)
    data = client.get(f"/api/v1/events/{ev.event_id}/lottery").get_json()
    assert data["state"] == "committed" and data["number"] is None
    assert data["commitment"] == data["audit"]["commitment"] and "number" not in data["audit"]
    checks = verify_audit(data["audit"], expected_commitment=data["commitment"])
    assert all_passed(checks), [c for c in checks if not c.ok]
    assert any(c.name == "draw" for c in checks)
