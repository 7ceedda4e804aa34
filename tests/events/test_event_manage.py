"""Staff pages: processes, events, status buttons and the criteria editor through HTTP."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.core.models import utcnow
from app.events.models import Criterion, Event, Process
from app.extensions import db


def rows(app, model, *where):
    with app.app_context():
        return db.session.execute(sa.select(model).where(*where)).scalars().all()


def local(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M")


def event_form(**overrides):
    data = {
        "title": "Bürger-Workshop", "description": "**15 Plätze**", "place": "Altes Rathaus",
        "starts_at": "2030-04-01T18:00", "ends_at": "2030-04-01T21:00", "seats": "15",
        "applications_open_at": "2030-03-01T08:00", "applications_close_at": "2030-03-22T23:59",
        "stakeholder_group": "Bürgerinnen und Bürger", "consent_text": "Ich willige ein.", "retention_days": "90",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_process_and_an_event(app, staff_client):
    client = staff_client("admin")
    response = client.submit("/manage/processes/new", {"title": "Esslingen 4.0", "description": "",
                                                       "stakeholder_groups": "Bürgerinnen und Bürger\nHochschule"})
    assert response.status_code == 302
    (process,) = rows(app, Process)
    assert process.stakeholder_group_list == ["Bürgerinnen und Bürger", "Hochschule"]

    form_page = client.get(f"/manage/processes/{process.id}/events/new").get_data(as_text=True)
    assert 'list="stakeholder-groups"' in form_page and '<option value="Hochschule">' in form_page

    response = client.submit(f"/manage/processes/{process.id}/events/new", event_form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (event,) = rows(app, Event)
    assert event.status == "draft"
    # 18:00 in Esslingen on 1 April (summer time) is 16:00 UTC; 1 March (winter time) 08:00 is 07:00 UTC.
    assert event.starts_at == datetime(2030, 4, 1, 16, 0)
    assert event.applications_open_at == datetime(2030, 3, 1, 7, 0)
    assert event.seats == 15 and event.retention_days == 90

    edit_page = client.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="2030-04-01T18:00"' in edit_page  # shown again in local time


def test_event_form_errors_store_nothing(app, staff_client, create_process):
    client = staff_client("admin")
    process_id = create_process().id
    response = client.submit(f"/manage/processes/{process_id}/events/new",
                             event_form(seats="abc", ends_at="2030-04-01T17:00", applications_close_at="kaputt"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="error-summary"' in page
    assert "Die Veranstaltung muss nach ihrem Beginn enden." in page
    assert 'aria-invalid="true"' in page
    assert rows(app, Event) == []


def test_admin_edits_an_event(app, staff_client, create_event):
    client = staff_client("admin")
    event_id = create_event().id
    response = client.submit(f"/manage/events/{event_id}/edit", event_form(title="Neuer Titel", seats="20"))
    assert response.status_code == 302
    (event,) = rows(app, Event)
    assert (event.title, event.seats) == ("Neuer Titel", 20)


def test_a_refusal_of_the_rules_is_shown_with_the_form_as_typed(app, staff_client, create_event):
    """Not a flash after a redirect (issue 16 item 7): the form again, the message in its summary."""
    client = staff_client("admin")
    event_id = create_event(status="drawn", seats=15).id
    response = client.submit(f"/manage/events/{event_id}/edit", event_form(title="Neuer Titel", seats="20"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = page.split('id="error-summary"')[1].split("</div>")[0]
    assert "lassen sich nach der Auslosung nicht mehr ändern" in summary
    assert 'value="Neuer Titel"' in page and 'value="20"' in page
    assert rows(app, Event)[0].title == "Bürger-Workshop"
    # A rule with a field: the message is at the field.
    client.submit("/language", {"lang": "en", "next": "/"})
    open_event = create_event(status="draft").id
    response = client.submit(f"/manage/events/{open_event}/edit", event_form(retention_days="100000"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="retention_days-error"' in page and 'value="100000"' in page


def test_status_buttons(app, staff_client, create_event):
    client = staff_client("admin")
    now = utcnow()
    event_id = create_event(starts_at=now + timedelta(days=30),
                            applications_open_at=now - timedelta(days=1),
                            applications_close_at=now + timedelta(days=10)).id
    page = client.get(f"/manage/events/{event_id}").get_data(as_text=True)
    assert 'value="open"' in page
    assert client.submit(f"/manage/events/{event_id}/status", {"action": "open"}).status_code == 302
    assert rows(app, Event)[0].status == "open"
    # A refused action flashes the reason and changes nothing.
    response = client.submit(f"/manage/events/{event_id}/status", {"action": "publish"}, follow_redirects=True)
    assert "ist jetzt nicht möglich" in response.get_data(as_text=True)
    assert rows(app, Event)[0].status == "open"
    assert client.submit(f"/manage/events/{event_id}/status", {"action": "close"}).status_code == 302
    assert rows(app, Event)[0].status == "closed"


def test_marking_held_before_the_date_says_why(app, staff_client, create_event):
    """Issue 24, defect 14: a drawn event cannot become "held" before its date."""
    client = staff_client("admin")
    event_id = create_event(status="drawn", starts_at=utcnow() + timedelta(days=3)).id
    response = client.submit(f"/manage/events/{event_id}/status", {"action": "mark_held"}, follow_redirects=True)
    assert "Die Veranstaltung hat noch nicht begonnen." in response.get_data(as_text=True)
    assert rows(app, Event)[0].status == "drawn"


def test_opening_without_window_names_the_problem(app, staff_client, create_event):
    client = staff_client("admin")
    event_id = create_event().id
    response = client.submit(f"/manage/events/{event_id}/status", {"action": "open"}, follow_redirects=True)
    assert "Bewerbungsphase ein" in response.get_data(as_text=True)
    assert rows(app, Event)[0].status == "draft"


def criterion_form(label="Altersgruppe", key="age", options=()):
    data = {"label": label, "key": key}
    for i, (opt_label, minimum, maximum, share) in enumerate(options):
        data.update({f"options-{i}-label": opt_label, f"options-{i}-value": "",
                     f"options-{i}-min_seats": minimum, f"options-{i}-max_seats": maximum,
                     f"options-{i}-population_percent": share})
    return data


def test_criteria_editor(app, staff_client, create_event):
    client = staff_client("admin")
    event_id = create_event().id
    page = client.get(f"/manage/events/{event_id}/criteria/new").get_data(as_text=True)
    assert page.count('name="options-') >= 4 * 5  # empty rows to fill in

    response = client.submit(f"/manage/events/{event_id}/criteria/new", criterion_form(options=[
        ("16 bis 29", "2", "5", "20,5"), ("30 bis 64", "5", "", "55"), ("65+", "2", "8", ""), ("", "", "", "")]))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    (criterion,) = rows(app, Criterion)
    with app.app_context():
        criterion = db.session.get(Criterion, criterion.id)
        assert [(o.label, o.min_seats, o.max_seats, o.population_share) for o in criterion.options] == [
            ("16 bis 29", 2, 5, 0.205), ("30 bis 64", 5, None, 0.55), ("65+", 2, 8, None)]

    edit = client.get(f"/manage/criteria/{criterion.id}").get_data(as_text=True)
    assert 'value="20.5"' in edit and 'value="16 bis 29"' in edit

    overview = client.get(f"/manage/events/{event_id}").get_data(as_text=True)
    assert "Altersgruppe" in overview and "20,5\u00a0%" in overview

    assert client.submit(f"/manage/criteria/{criterion.id}/delete").status_code == 302
    assert rows(app, Criterion) == []


def test_unsatisfiable_criterion_is_refused_with_its_name(app, staff_client, create_event):
    client = staff_client("admin")
    event_id = create_event(seats=10).id
    response = client.submit(f"/manage/events/{event_id}/criteria/new", criterion_form(
        label="Stadtteil", key="district", options=[("Innenstadt", "6", "", ""), ("Rand", "6", "", "")]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Kriterium „Stadtteil“: Die Minima ergeben zusammen 12 Plätze" in page
    assert 'value="Innenstadt"' in page  # the input is kept
    assert rows(app, Criterion) == []


def test_row_errors_are_listed_and_linked(app, staff_client, create_event):
    client = staff_client("admin")
    event_id = create_event().id
    response = client.submit(f"/manage/events/{event_id}/criteria/new", criterion_form(
        options=[("a", "x", "", "150"), ("b", "0", "", "")]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#options-0-min_seats"' in page and 'href="#options-0-population_percent"' in page
    assert rows(app, Criterion) == []


def test_criteria_locked_once_applications_exist(app, staff_client, create_event, create_criterion, add_application):
    client = staff_client("admin")
    event_id = create_event(status="open").id
    criterion_id = create_criterion(event_id).id
    add_application(event_id)
    response = client.get(f"/manage/criteria/{criterion_id}", follow_redirects=True)
    assert "Die Kriterien lassen sich nicht mehr ändern" in response.get_data(as_text=True)
    response = client.submit(f"/manage/criteria/{criterion_id}", criterion_form(
        options=[("x", "0", "", ""), ("y", "0", "", "")]))
    assert response.status_code == 302
    assert client.submit(f"/manage/criteria/{criterion_id}/delete").status_code == 302
    (criterion,) = rows(app, Criterion)
    assert criterion.key == "age"


@pytest.mark.parametrize("role", ["moderator", "council"])
def test_only_admins_change_anything(app, staff_client, create_event, create_criterion, role):
    client = staff_client(role)
    event_id = create_event().id
    criterion_id = create_criterion(event_id).id
    process_id = rows(app, Event)[0].process_id
    for method, url in [
        ("GET", "/manage/processes/new"), ("POST", "/manage/processes/new"),
        ("GET", f"/manage/processes/{process_id}/edit"), ("POST", f"/manage/processes/{process_id}/events/new"),
        ("POST", f"/manage/events/{event_id}/edit"), ("POST", f"/manage/events/{event_id}/status"),
        ("POST", f"/manage/events/{event_id}/criteria/new"), ("POST", f"/manage/criteria/{criterion_id}"),
        ("POST", f"/manage/criteria/{criterion_id}/delete"),
    ]:
        data = {"csrf_token": client.csrf_token(), "action": "open", "title": "x"} if method == "POST" else None
        assert client.open(url, method=method, data=data).status_code == 403, (method, url)
    assert rows(app, Event)[0].status == "draft"


def test_council_sees_overviews_read_only_without_personal_data(app, staff_client, create_event, add_application):
    client = staff_client("council")
    event_id = create_event(status="open").id
    add_application(event_id, email="secret.person@example.org")
    process_id = rows(app, Event)[0].process_id
    for url in ("/manage/processes", f"/manage/processes/{process_id}", f"/manage/events/{event_id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert "secret.person" not in page and "Test Person" not in page
        assert "/edit" not in page and 'name="action"' not in page
    assert "1 Bewerbung" in client.get(f"/manage/events/{event_id}").get_data(as_text=True)


def test_moderator_cannot_see_the_overviews(staff_client):
    client = staff_client("moderator")
    assert client.get("/manage/processes").status_code == 403


def test_nav_entry_for_admin_and_council(staff_client):
    assert 'href="/manage/processes"' in staff_client("admin").get("/").get_data(as_text=True)
    assert 'href="/manage/processes"' in staff_client("council").get("/").get_data(as_text=True)
    assert 'href="/manage/processes"' not in staff_client("moderator").get("/").get_data(as_text=True)
