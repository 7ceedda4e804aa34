"""Objections to the lottery record (issue 22, receipts): stored in their own table (personal data), never as
text in the audit log; staff of the event answer them, the answer is mailed in the applicant's language and
shown on the receipt page; the applicant's export contains them, erasure and the retention purge delete them."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from tests.factories.lottery import commit, post

GENDER = {"gender": {"f": (1, 2), "m": (1, 2)}}
PEOPLE = [{"gender": g} for g in "ffmmfm"]
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _objections(app):
    from app.lottery.models import LotteryObjection

    with app.app_context():
        return [(o.id, o.entry.application_id, o.text, o.status, o.answer)
                for o in db.session.execute(sa.select(LotteryObjection).order_by(LotteryObjection.id)).scalars()]


def _audit(app, action):
    from app.audit.models import AuditEntry

    with app.app_context():
        return [(e.after, e.detail, e.event_id) for e in db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars()]


def _object(app, client, admin, lottery_event, text="Mein Geschlecht ist falsch erfasst.", language="de"):
    ev = lottery_event(seats=2, criteria=GENDER, people=PEOPLE, language=language)
    commit(admin, ev.event_id)
    assert post(client, f"/applications/{ev.tokens[1]}/lottery", {"objection": text}).status_code == 303
    return ev, _objections(app)[-1][0]


def test_objection_is_stored_in_its_table_and_not_in_the_audit_log(app, admin, client, lottery_event):
    ev, objection_id = _object(app, client, admin, lottery_event)
    assert _objections(app) == [(objection_id, ev.application_ids[1], "Mein Geschlecht ist falsch erfasst.",
                                 "open", None)]
    [(after, detail, event_id)] = _audit(app, "lottery.objection")
    assert after == {"objection_id": objection_id, "state": "committed"} and detail == "" \
        and event_id == ev.event_id
    assert "falsch erfasst" not in json.dumps(after)
    # The organisers see it on the lottery page with a link to answer it.
    page = admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert 'id="objection-list"' in page and "Mein Geschlecht ist falsch erfasst." in page
    assert f"/manage/events/{ev.event_id}/lottery/objections/{objection_id}" in page and "offen: antworten" in page


def test_a_too_short_objection_keeps_the_text_and_names_the_field(app, admin, client, lottery_event):
    ev = lottery_event(seats=2, criteria=GENDER, people=PEOPLE)
    commit(admin, ev.event_id)
    response = post(client, f"/applications/{ev.tokens[0]}/lottery", {"objection": "x<b>"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="error-summary"' in page
    assert 'aria-invalid="true"' in page and "mindestens 5 Zeichen" in page
    assert ">x&lt;b&gt;</textarea>" in page
    assert _objections(app) == [] and _audit(app, "lottery.objection") == []


def test_staff_answer_is_mailed_in_the_applicants_language_and_shown_on_the_receipt(
        app, admin, client, lottery_event, smtp):
    for language, subject, words in (
            ("de", "Antwort auf Ihren Widerspruch", ("Sie haben geschrieben:", "Die Antwort des Organisationsteams:",
                                                     "Das Organisationsteam hat am")),
            ("en", "Answer to your objection", ("You wrote:", "The organisers answer:", "The organisers answered on"))):
        smtp.clear()
        ev, objection_id = _object(app, client, admin, lottery_event, language=language)
        url = f"/manage/events/{ev.event_id}/lottery/objections/{objection_id}"
        page = admin.get(url).get_data(as_text=True)
        assert "Mein Geschlecht ist falsch erfasst." in page and 'name="answer"' in page
        # The texts and the answer field are marked with the applicant's language (WCAG 3.1.2).
        textarea = re.search(r"<textarea[^>]*>", page).group(0)
        assert f'id="objection-text" lang="{language}"' in page and f'lang="{language}"' in textarea
        # An empty answer: the error at the field, nothing saved, nothing mailed.
        response = post(admin, url, {"answer": "   "})
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert 'id="error-summary"' in page and "Schreiben Sie die Antwort." in page and 'aria-invalid="true"' in page
        too_long = "a" * 2001
        response = post(admin, url, {"answer": too_long})
        assert response.status_code == 422 and too_long in response.get_data(as_text=True)  # the input is kept
        assert _objections(app)[-1][3:] == ("open", None)
        answer = "Wir haben es geprüft: Ihre Angabe war „weiblich“.\nBitte melden Sie sich, falls das nicht stimmt."
        response = post(admin, url, {"answer": answer})
        assert response.status_code == 303 and response.headers["Location"].endswith("#objections")
        assert _objections(app)[-1][3:] == ("answered", answer)
        [*_, (after, detail, _e)] = _audit(app, "lottery.objection_answer")
        assert after == {"objection_id": objection_id, "status": "answered"} and detail == ""
        [mail] = smtp.wait_for(lambda m: subject in m["Subject"])
        text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert mail["To"] == ev.emails[1] and words[0] in text and words[1] in text and answer in text
        assert "Mein Geschlecht ist falsch erfasst." in text
        assert f"/applications/" in text and "/lottery" in text  # the receipt link
        if language == "en":
            client.set_cookie("ideenmarkt_lang", "en")
        receipt = client.get(f"/applications/{ev.tokens[1]}/lottery").get_data(as_text=True)
        client.delete_cookie("ideenmarkt_lang")
        assert words[2] in receipt and "Bitte melden Sie sich" in receipt
        assert "beantwortet" in admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True)


def test_answering_needs_csrf_an_admin_and_the_objections_own_event(app, admin, client, staff_client,
                                                                    lottery_event):
    ev, objection_id = _object(app, client, admin, lottery_event)
    other = lottery_event(seats=2, criteria=GENDER, people=PEOPLE)
    url = f"/manage/events/{ev.event_id}/lottery/objections/{objection_id}"
    # Without the CSRF token nothing is saved.
    assert admin.post(url, data={"answer": "ohne Token"}).status_code in (400, 403)
    # Another event's staff (a moderator, a council member) are refused; anonymous visitors go to the login.
    for role in ("moderator", "council"):
        someone = staff_client(role)
        assert someone.get(url).status_code == 403
        assert post(someone, url, {"answer": "Übernommen"}).status_code == 403
    assert client.get(url).status_code in (302, 303)
    # The objection under another event's address does not exist; an unknown one neither.
    wrong = f"/manage/events/{other.event_id}/lottery/objections/{objection_id}"
    assert admin.get(wrong).status_code == 404 and post(admin, wrong, {"answer": "Übernommen"}).status_code == 404
    assert admin.get(f"/manage/events/{ev.event_id}/lottery/objections/999999").status_code == 404
    assert _objections(app)[-1][3:] == ("open", None)
    assert _audit(app, "lottery.objection_answer") == []


def test_objection_and_answer_texts_are_escaped(app, admin, client, lottery_event, smtp):
    ev, objection_id = _object(app, client, admin, lottery_event, text=XSS)
    url = f"/manage/events/{ev.event_id}/lottery/objections/{objection_id}"
    for page in (admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True),
                 admin.get(url).get_data(as_text=True)):
        assert "<script>alert" not in page and "<img src=x" not in page and "&lt;script&gt;" in page
    assert post(admin, url, {"answer": XSS}).status_code == 303
    receipt = client.get(f"/applications/{ev.tokens[1]}/lottery").get_data(as_text=True)
    assert "<script>alert" not in receipt and "<img src=x" not in receipt and receipt.count("&lt;script&gt;") == 2
    [mail] = smtp.wait_for(lambda m: "Antwort auf Ihren Widerspruch" in m["Subject"])
    html = mail.get_body(("html",)).get_content()
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_export_contains_the_objections_and_erasure_deletes_them(app, admin, client, lottery_event):
    ev, objection_id = _object(app, client, admin, lottery_event)
    post(admin, f"/manage/events/{ev.event_id}/lottery/objections/{objection_id}", {"answer": "Geprüft, stimmt."})
    data = json.loads(client.get(f"/applications/{ev.tokens[1]}/data").get_data(as_text=True))
    [exported] = data["lottery_objections"]
    assert exported["text"] == "Mein Geschlecht ist falsch erfasst." and exported["answer"] == "Geprüft, stimmt."
    assert exported["status"] == "answered" and exported["pseudonym"] == data["lottery"][0]["pseudonym"]
    assert "objection answered" in [h["what"] for h in data["status_history"]]
    # Another applicant's export has none of it.
    other = client.get(f"/applications/{ev.tokens[0]}/data").get_data(as_text=True)
    assert json.loads(other)["lottery_objections"] == [] and "Mein Geschlecht" not in other
    assert client.submit(f"/applications/{ev.tokens[1]}/erase").status_code == 303
    assert _objections(app) == []
    # The audit log keeps the facts (with the ids), never the texts.
    assert [a for a, _d, _e in _audit(app, "lottery.objection")] == [{"objection_id": objection_id,
                                                                       "state": "committed"}]


def test_retention_purge_deletes_the_objections_of_the_event(app, admin, client, lottery_event):
    from app.events.models import Event
    from app.privacy.services import purge

    ev, objection_id = _object(app, client, admin, lottery_event)
    keep, kept_id = _object(app, client, admin, lottery_event, text="Mein Alter ist falsch erfasst.")
    with app.app_context():
        due = ev.event.retention_ends_at + timedelta(minutes=1)
        db.session.get(Event, keep.event_id).retention_days = 3650
        db.session.commit()
        dry = purge(now=due, dry_run=True)
        db.session.rollback()
        assert [part.count for part in dry.parts if part.key == "lottery_objections"] == [1]
        assert any(f"Widerspruch {objection_id} gegen die Auslosung: würde" in line for line in dry.lines())
    assert [o[0] for o in _objections(app)] == [objection_id, kept_id]
    with app.app_context():
        report = purge(now=due)
        db.session.commit()
        assert report.summary()["lottery_objections"] == 1
    assert [o[0] for o in _objections(app)] == [kept_id]
