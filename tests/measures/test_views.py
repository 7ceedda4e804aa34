"""HTTP: admin pages and their access, CSRF, escaping, the public page, the idea-list controls,
and the opt-in on the application form."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.core.models import utcnow
from app.events.models import Application
from app.ideas.models import Idea
from app.measures.models import IdeaNotTaken, Measure, MeasureIdea, MeasureStatusChange

#: Markup that every measures page must show escaped.
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def admin(staff_client):
    return staff_client("admin")


def test_non_admins_get_403_and_anonymous_the_login(measures_world, make_measure, staff_client, client):
    w = measures_world()
    measure_id = make_measure(w.process_id).id
    urls = [f"/manage/measures", f"/manage/processes/{w.process_id}/measures",
            f"/manage/processes/{w.process_id}/measures/new", f"/manage/measures/{measure_id}",
            f"/manage/processes/{w.process_id}/measures/import"]
    for role in ("moderator", "council"):
        other = staff_client(role)
        for url in urls:
            assert other.get(url).status_code == 403, (role, url)
        assert other.submit(f"/manage/measures/{measure_id}/status", {"status": "adopted"}).status_code == 403
        assert other.submit(f"/manage/ideas/{w.idea_ids[0]}/measures",
                            {"measure_id": measure_id}).status_code == 403
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location


def test_state_changes_need_csrf(measures_world, make_measure, admin, db):
    w = measures_world()
    measure_id = make_measure(w.process_id).id
    posts = [
        (f"/manage/measures/{measure_id}/status", {"status": "adopted"}),
        (f"/manage/measures/{measure_id}/ideas", {"idea_ids": str(w.idea_ids[0])}),
        (f"/manage/ideas/{w.idea_ids[0]}/measures", {"measure_id": str(measure_id)}),
        (f"/manage/ideas/{w.idea_ids[1]}/not-taken", {"reason": "Nein"}),
        (f"/manage/processes/{w.process_id}/measures/new", {"title": "Neu", "chapter": "X", "status": "proposed"}),
    ]
    for url, data in posts:
        assert admin.post(url, data=data).status_code == 400, url
    assert db.session.execute(sa.select(sa.func.count()).select_from(MeasureIdea)).scalar_one() == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(Measure)).scalar_one() == 1
    assert db.session.get(Measure, measure_id).status == "proposed"


def test_admin_creates_links_and_changes_status(measures_world, admin, db):
    w = measures_world()
    response = admin.submit(f"/manage/processes/{w.process_id}/measures/new", {
        "title": "Online-Terminvergabe", "chapter": "Bürgerportal", "office": "Bürgeramt",
        "description": "Termine online", "status": "proposed", "changed_on": "2019-05-15", "comment": "",
        "progress": "0"})
    assert response.status_code == 303
    measure = db.session.execute(sa.select(Measure)).scalar_one()
    url = f"/manage/measures/{measure.id}"
    page = admin.get(url + "?q=termin").get_data(as_text=True)
    assert f'value="{w.idea_ids[0]}"' in page and f'value="{w.idea_ids[5]}"' in page  # both workshops
    assert f'value="{w.idea_ids[2]}"' not in page  # "WLAN" does not match
    assert admin.submit(url + "/ideas", {"idea_ids": [str(w.idea_ids[0]), str(w.idea_ids[5])]}).status_code == 303
    bad = admin.submit(url + "/status", {"status": "adopted", "changed_on": "2019-05-01", "comment": "x"})
    assert bad.status_code == 422 and "nicht vor dem Datum" in bad.get_data(as_text=True)
    skip = admin.submit(url + "/status", {"status": "done", "changed_on": "", "comment": ""})
    assert skip.status_code == 422  # not a next status from "proposed"
    ok = admin.submit(url + "/status", {"status": "adopted", "changed_on": "2019-07-22",
                                        "comment": "Vom Gemeinderat beschlossen"})
    assert ok.status_code == 303
    db.session.expire_all()
    measure = db.session.get(Measure, measure.id)
    assert measure.status == "adopted" and len(measure.history) == 2
    assert {i.status for i in db.session.execute(
        sa.select(Idea).where(Idea.id.in_([w.idea_ids[0], w.idea_ids[5]]))).scalars()} == {"adopted"}
    unlink = admin.submit(f"{url}/ideas/{w.idea_ids[0]}/unlink")
    assert unlink.status_code == 303
    assert db.session.execute(sa.select(MeasureIdea.idea_id)).scalars().all() == [w.idea_ids[5]]


def test_bad_form_input_gives_messages_not_errors(measures_world, make_measure, admin, db):
    w = measures_world()
    measure_id = make_measure(w.process_id).id
    for data in ({"title": "", "chapter": "x", "status": "proposed"},
                 {"title": "x" * 5000, "chapter": "x", "status": "proposed"},
                 {"title": "A", "chapter": "x", "status": "nonsense"},
                 {"title": "A", "chapter": "x", "status": "proposed", "progress": "200"},
                 {"title": "A", "chapter": "x", "status": "proposed", "changed_on": "31.02.2019"},
                 {"title": "A\x00", "chapter": "\x00" * 10, "status": "proposed", "changed_on": "2999-01-01"}):
        response = admin.submit(f"/manage/processes/{w.process_id}/measures/new", data)
        assert response.status_code == 422, data
    # The measure's page again with the message at the list of ideas (issue 16 item 7).
    assert admin.submit(f"/manage/measures/{measure_id}/ideas", {"idea_ids": "abc"}).status_code == 422
    assert admin.submit(f"/manage/measures/{measure_id}/ideas", {"idea_ids": "999999"}).status_code == 422
    assert admin.submit(f"/manage/ideas/{w.idea_ids[0]}/measures", {"measure_id": "x"}).status_code == 422
    assert admin.get("/manage/measures/999999").status_code == 404
    assert admin.get(f"/manage/measures/{measure_id}?event=abc&q=" + "%00" * 10).status_code == 200
    assert db.session.execute(sa.select(sa.func.count()).select_from(Measure)).scalar_one() == 1
    assert db.session.execute(sa.select(sa.func.count()).select_from(MeasureIdea)).scalar_one() == 0


def test_a_refused_link_shows_the_search_again_with_the_ideas_ticked(measures_world, make_measure, admin, db):
    w = measures_world()
    measure_id = make_measure(w.process_id).id
    url = f"/manage/measures/{measure_id}"
    nothing = admin.submit(url + "/ideas?q=termin", {})
    assert nothing.status_code == 422
    html = nothing.get_data(as_text=True)
    assert 'aria-describedby="idea_ids-error"' in html and 'id="error-summary"' in html
    assert "Bitte wählen Sie mindestens eine Idee." in html.split('id="idea_ids-error"')[1].split("</p>")[0]
    assert 'value="termin"' in html and f'value="{w.idea_ids[2]}"' not in html  # the same search

    gone = admin.submit(url + "/ideas?q=termin", {"idea_ids": [str(w.idea_ids[0]), "999999"]})
    assert gone.status_code == 422
    html = gone.get_data(as_text=True)
    assert "gibt es nicht (mehr)" in html.split('id="idea_ids-error"')[1].split("</p>")[0]
    assert re.search(rf'value="{w.idea_ids[0]}" id="idea-{w.idea_ids[0]}" checked', html)  # still ticked
    assert db.session.execute(sa.select(sa.func.count()).select_from(MeasureIdea)).scalar_one() == 0

    admin.submit("/language", {"lang": "en", "next": "/"})
    html = admin.submit(url + "/ideas", {}).get_data(as_text=True)
    assert "Choose at least one idea." in html.split('id="idea_ids-error"')[1].split("</p>")[0]
    # Corrected, the link is made.
    assert admin.submit(url + "/ideas", {"idea_ids": [str(w.idea_ids[0])]}).status_code == 303
    assert db.session.execute(sa.select(MeasureIdea.idea_id)).scalars().all() == [w.idea_ids[0]]


def test_idea_list_controls_for_admins_only(measures_world, make_measure, admin, staff_client, db):
    w = measures_world()
    measure_id = make_measure(w.process_id, title="Servicekonto").id
    stand_url = f"/stands/{w.stand_ids[0]}/ideas"
    page = admin.get(stand_url).get_data(as_text=True)
    assert "In Maßnahme aufnehmen" in page and "Servicekonto" in page
    response = admin.submit(f"/manage/ideas/{w.idea_ids[0]}/measures", {"measure_id": str(measure_id),
                                                                        "next": stand_url})
    assert response.status_code == 303 and response.location.endswith(stand_url)
    page = admin.get(stand_url).get_data(as_text=True)
    assert "in eine Maßnahme aufgenommen" in page.lower() or "aufgenommen" in page
    assert f"/manage/measures/{measure_id}/ideas/{w.idea_ids[0]}/unlink" in page
    reason = admin.submit(f"/manage/ideas/{w.idea_ids[1]}/not-taken", {"reason": "Gibt es schon", "next": stand_url})
    assert reason.status_code == 303
    assert db.session.execute(sa.select(IdeaNotTaken.reason)).scalar_one() == "Gibt es schon"
    detail = admin.get(f"/ideas/{w.idea_ids[0]}").get_data(as_text=True)
    assert "Servicekonto" in detail
    # An off-site "next" is ignored.
    response = admin.submit(f"/manage/ideas/{w.idea_ids[1]}/not-taken", {"reason": "", "next": "//evil.example"})
    assert response.location.endswith(f"/ideas/{w.idea_ids[1]}")

    moderator = staff_client("moderator")
    with db.session.begin_nested():
        pass
    from app.accounts.models import User

    stand = w.stands[0]
    stand.moderators.append(db.session.get(User, moderator.user.id))
    db.session.commit()
    page = moderator.get(stand_url).get_data(as_text=True)
    assert "In Maßnahme aufnehmen" not in page


def test_a_refused_row_form_comes_back_at_its_field_in_the_idea_list(measures_world, make_measure, admin, db):
    """The idea list again (422), the message at that idea's field, the typed reason kept and its
    disclosure open, nothing stored (issue 16 item 7)."""
    w = measures_world()
    make_measure(w.process_id, title="Servicekonto", idea_ids=[w.idea_ids[0]])
    stand_url = f"/stands/{w.stand_ids[0]}/ideas"
    typed = "Ist schon Teil des Servicekontos " + "x" * 1000
    response = admin.submit(f"/manage/ideas/{w.idea_ids[1]}/not-taken", {"reason": typed, "next": stand_url})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    field = f"reason-{w.idea_ids[1]}"
    tag = re.search(rf'<textarea[^>]*id="{field}"[^>]*>([^<]*)</textarea>', html)
    assert f'aria-describedby="{field}-error"' in tag.group(0) and tag.group(1) == typed
    assert "höchstens" in html.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert f'<a href="#{field}">' in html.split('id="error-summary"')[1]
    assert db.session.execute(sa.select(sa.func.count()).select_from(IdeaNotTaken)).scalar_one() == 0

    admin.submit("/language", {"lang": "en", "next": "/"})
    nothing = admin.submit(f"/manage/ideas/{w.idea_ids[1]}/measures", {"measure_id": "", "next": stand_url})
    assert nothing.status_code == 422
    html = nothing.get_data(as_text=True)
    assert "Choose a measure." in html.split(f'id="measure-for-{w.idea_ids[1]}-error">')[1].split("</p>")[0]
    assert f'aria-describedby="measure-for-{w.idea_ids[1]}-error"' in html
    # Corrected, the reason is saved.
    assert admin.submit(f"/manage/ideas/{w.idea_ids[1]}/not-taken",
                        {"reason": "Gibt es schon", "next": stand_url}).status_code == 303


def test_public_page_shows_the_path_of_the_ideas_and_no_personal_data(measures_world, make_measure, client, admin, db):
    w = measures_world(applicants=[{"email": "geheim@example.org", "name": "Erika Privat"}])
    measure_id = make_measure(w.process_id, idea_ids=[w.idea_ids[0], w.idea_ids[4], w.idea_ids[2]]).id
    from app.ideas import services as ideas
    from app.measures.lifecycle import change_status
    from app.measures.links import set_not_taken

    with client.application.test_request_context():
        ideas.hide_idea(w.ideas[2], "Beleidigung", user=None)
        change_status(db.session.get(Measure, measure_id), "adopted", comment="Beschlossen am 22.7.")
        set_not_taken(w.ideas[3], "Macht der Landkreis")
        db.session.commit()
    page = client.get(f"/processes/{w.process_id}/outcome").get_data(as_text=True)
    assert "Was aus den Ideen wurde" in page
    assert "Online-Terminvergabe" in page and "vom Gemeinderat beschlossen" in page and "Beschlossen am 22.7." in page
    assert "Termine online buchen" in page and "Schul-App für Vertretungspläne" in page
    assert "Bürger-Workshop" in page and "Jugend-Workshop" in page and "Stand 1.1" in page
    assert "WLAN in der Innenstadt" not in page  # hidden
    assert "Sperrmüll online anmelden" in page and "Macht der Landkreis" in page
    for private in ("Erika Geheim", "Erika Privat", "geheim@example.org", "Beleidigung", "Staff"):
        assert private not in page
    # Linked from the public process and event pages.
    assert f"/processes/{w.process_id}/outcome" in client.get(f"/processes/{w.process_id}").get_data(as_text=True)
    assert f"/processes/{w.process_id}/outcome" in client.get(f"/events/{w.event_ids[0]}").get_data(as_text=True)
    assert client.get("/processes/999999/outcome").status_code == 404


def test_output_is_escaped(measures_world, make_measure, admin, client, db):
    w = measures_world()
    from app.ideas import services as ideas

    with client.application.test_request_context():
        idea, _ = ideas.record_idea(w.stands[0], XSS)
        db.session.commit()
        idea_id = idea.id
    measure_id = make_measure(w.process_id, title=XSS, chapter=XSS, office=XSS, description=XSS,
                              comment=XSS, idea_ids=[idea_id]).id
    with client.application.test_request_context():
        from app.measures.links import set_not_taken

        set_not_taken(w.ideas[1], XSS)
        db.session.commit()
    pages = [client.get(f"/processes/{w.process_id}/outcome"), admin.get(f"/manage/measures/{measure_id}"),
             admin.get(f"/manage/processes/{w.process_id}/measures"), admin.get(f"/stands/{w.stand_ids[0]}/ideas")]
    for response in pages:
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "&lt;script&gt;" in body


def test_application_form_has_an_explicit_opt_in(app, client, db):
    from datetime import timedelta

    from app.events.models import Event, Process

    process = Process(title="P")
    db.session.add(process)
    db.session.flush()
    now = utcnow()
    event = Event(process_id=process.id, title="Workshop", seats=10, status="open",
                  applications_open_at=now - timedelta(days=1), applications_close_at=now + timedelta(days=1))
    db.session.add(event)
    db.session.commit()
    form = client.get(f"/events/{event.id}/apply").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="notify_measures"[^>]*>', form).group(0)
    assert "checked" not in checkbox  # off by default
    assert "Informieren Sie mich, was aus den Ideen dieser Veranstaltung wird" in form
    for email, ticked in (("ja@example.org", True), ("nein@example.org", False)):
        data = {"name": "Ada", "email": email, "consent": "y"}
        if ticked:
            data["notify_measures"] = "y"
        assert client.submit(f"/events/{event.id}/apply", data).status_code == 302
    stored = dict(db.session.execute(sa.select(Application.email, Application.notify_measures)).all())
    assert stored == {"ja@example.org": True, "nein@example.org": False}


def test_history_rows_are_kept_for_every_change(measures_world, make_measure, admin, db):
    w = measures_world()
    measure_id = make_measure(w.process_id).id
    for status in ("adopted", "in_progress", "done", "in_progress"):
        assert admin.submit(f"/manage/measures/{measure_id}/status", {"status": status}).status_code == 303
    rows = db.session.execute(sa.select(MeasureStatusChange.to_status).where(
        MeasureStatusChange.measure_id == measure_id).order_by(MeasureStatusChange.id)).scalars().all()
    assert rows == ["proposed", "adopted", "in_progress", "done", "in_progress"]


def test_process_management_links_to_the_measures_for_admins(measures_world, admin, staff_client):
    w = measures_world()
    url = f"/manage/processes/{w.process_id}"
    assert f"/manage/processes/{w.process_id}/measures" in admin.get(url).get_data(as_text=True)
    council_page = staff_client("council").get(url)
    assert council_page.status_code == 200
    assert f"/manage/processes/{w.process_id}/measures" not in council_page.get_data(as_text=True)


def test_staff_actions_write_the_audit_log(measures_world, make_measure, admin, db):
    from app.audit.models import AuditEntry

    w = measures_world()
    measure_id = make_measure(w.process_id).id
    admin.submit(f"/manage/measures/{measure_id}/ideas", {"idea_ids": [str(w.idea_ids[0])]})
    admin.submit(f"/manage/measures/{measure_id}/status", {"status": "adopted", "comment": "Beschlossen"})
    admin.submit(f"/manage/measures/{measure_id}/ideas/{w.idea_ids[0]}/unlink")
    admin.submit(f"/manage/ideas/{w.idea_ids[1]}/not-taken", {"reason": "Gibt es schon"})
    entries = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action.like("measure.%")
                                 | AuditEntry.action.like("idea.not_taken%")).order_by(AuditEntry.id)).scalars().all()
    assert [e.action for e in entries] == ["measure.create", "measure.link_ideas", "measure.status",
                                           "measure.unlink_idea", "idea.not_taken"]
    status = entries[2]
    assert status.process_id == w.process_id and status.user_id == admin.user.id
    assert status.before == {"status": "proposed"} and status.after["status"] == "adopted"


def test_names_with_a_measure_title_mark_its_language(measures_world, make_measure, client, admin, db):
    """Issue 16 item 6: the progress bar and the 'remove' button are named by a hidden element whose
    title carries lang="de" on the English page (an aria-label cannot mark a part); German: no mark."""
    w = measures_world()
    measure_id = make_measure(w.process_id, title="Servicekonto", idea_ids=[w.idea_ids[0]]).id
    outcome = f"/processes/{w.process_id}/outcome"
    german = client.get(outcome).get_data(as_text=True)
    assert f'aria-labelledby="progress-{measure_id}-name"' in german
    assert f'<span hidden id="progress-{measure_id}-name">Fortschritt von „Servicekonto“</span>' in german
    client.submit("/language", {"lang": "en", "next": outcome})
    english = client.get(outcome).get_data(as_text=True)
    assert f'<span hidden id="progress-{measure_id}-name">Progress of “<span lang="de">Servicekonto</span>”</span>' \
        in english
    admin.submit("/language", {"lang": "en", "next": "/"})
    stand = admin.get(f"/stands/{w.stand_ids[0]}/ideas").get_data(as_text=True)
    button = re.search(r'<button[^>]*aria-labelledby="(unlink-[^"]+)"', stand).group(1)
    assert re.search(rf'<span hidden id="{button}">Remove idea [^<]+ from “<span lang="de">Servicekonto</span>”</span>',
                     stand)
