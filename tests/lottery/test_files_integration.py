"""Sortition Foundation files through HTTP, the representativeness report, and bad input."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from tests.factories.lottery import commit, draw, post, table_counts, upload


def criteria_of(app, event_id):
    from app.events.models import Criterion

    with app.app_context():
        rows = db.session.execute(sa.select(Criterion).where(Criterion.event_id == event_id)).scalars().all()
        return {c.key: {o.value: (o.min_seats, o.max_seats) for o in c.options} for c in rows}


def test_export_categories_and_people_without_personal_data(app, admin, lottery_event):
    ev = lottery_event(seats=2, criteria={"gender": {"f": (1, 1), "m": (1, None)}},
                       people=[{"gender": "f"}, {"gender": "m"}, {"gender": "m"}])
    categories = admin.get(f"/manage/events/{ev.event_id}/lottery/categories.csv").get_data(as_text=True)
    assert categories.splitlines() == ["feature,value,min,max", "gender,f,1,1", "gender,m,1,2"]
    people = admin.get(f"/manage/events/{ev.event_id}/lottery/people.csv").get_data(as_text=True)
    assert people.splitlines()[0] == "id,gender" and len(people.splitlines()) == 4
    assert "Person" not in people and "example.org" not in people
    commit(admin, ev.event_id)
    people = admin.get(f"/manage/events/{ev.event_id}/lottery/people.csv").get_data(as_text=True)
    assert all(line.startswith("A-") for line in people.splitlines()[1:])


def test_import_categories_creates_criteria(app, admin, create_event):
    event_id = create_event(seats=4, status="draft").id
    response = upload(admin, event_id, "import",
                      **{"import-categories": "feature,value,min,max\ngender,f,1,3\ngender,m,1,4\nage,young,0,2\nage,old,1,4\n"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert criteria_of(app, event_id) == {"gender": {"f": (1, 3), "m": (1, None)},
                                          "age": {"young": (0, 2), "old": (1, None)}}


def test_bad_categories_file_names_the_row_and_changes_nothing(app, admin, create_event):
    event_id = create_event(seats=4, status="draft").id
    bad = "feature,value,min,max\ngender,f,1,3\ngender,m,zwei,4\n"
    response = upload(admin, event_id, "import", **{"import-categories": bad})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Kategoriendatei, Zeile 3: min „zwei“ ist keine ganze Zahl." in html
    assert criteria_of(app, event_id) == {}
    # A quota no draw could meet (minimums above the seats) is refused too, nothing stored.
    response = upload(admin, event_id, "import",
                      **{"import-categories": "feature,value,min,max\ngender,f,3,4\ngender,m,3,4\n"})
    assert response.status_code == 422 and criteria_of(app, event_id) == {}
    # Binary garbage.
    response = upload(admin, event_id, "import", **{"import-categories": b"\x00\xff\xfe" * 100})
    assert response.status_code == 422 and criteria_of(app, event_id) == {}


def test_import_refused_once_applications_exist(app, admin, lottery_event):
    ev = lottery_event(seats=2, count=3)
    response = upload(admin, ev.event_id, "import",
                      **{"import-categories": "feature,value,min,max\ngender,f,1,1\ngender,m,1,1\n"})
    assert response.status_code == 422
    assert criteria_of(app, ev.event_id) == {}


def dry_run_result(admin, response):
    """Follow a dry run's POST to its job's page and from there to the result (the files page)."""
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    job_page = admin.get(response.headers["Location"])
    html = job_page.get_data(as_text=True)
    assert job_page.status_code == 200 and 'id="job-file"' in html, html[:3000]
    link = html.split('id="job-result"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    return admin.get(link)


def test_dry_run_with_people_file_stores_nothing(app, admin, lottery_event):
    """Issue 20: the dry run is a job (run inside the request here, JOBS_IMMEDIATE); its page links
    to the result and offers the CSV; the uploaded people file is not kept with the job."""
    from app.jobs.models import Job

    ev = lottery_event(seats=2, criteria={"gender": {"f": (1, 1), "m": (1, 1)}}, count=0)
    people = "id,gender\np1,f\np2,f\np3,m\np4,m\np5,m\np6,m\n"
    response = dry_run_result(admin, upload(admin, ev.event_id, "dry_run", **{"dry-people": people}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="dry-run-summary"' in html
    assert "50,00\u00a0%" in html and "25,00\u00a0%" in html
    assert html.index(">p1<") < html.index(">p3<")  # the file's order
    file_url = html.split('id="dry-run-csv"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    csv = admin.get(file_url)
    assert csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).splitlines()[:2] == ["id,probability", "p1,0.5"]
    # The CSV button: the job is done at once here, so the answer is its file.
    direct = upload(admin, ev.event_id, "dry_run_csv", **{"dry-people": people})
    assert direct.status_code == 303 and direct.headers["Location"].endswith("/file")
    assert admin.get(direct.headers["Location"]).get_data(as_text=True) == csv.get_data(as_text=True)
    with app.app_context():
        jobs = db.session.execute(sa.select(Job).where(Job.kind == "lottery.dry_run")).scalars().all()
        assert len(jobs) == 2 and all(j.status == "done" and j.params == {} for j in jobs)
        job_ids = [j.id for j in jobs]
    bad = upload(admin, ev.event_id, "dry_run", **{"dry-people": "id,gender\np1,f\np2,x\n"})
    assert bad.status_code == 422 and "Zeile 3" in bad.get_data(as_text=True)
    too_few = upload(admin, ev.event_id, "dry_run", **{"dry-people": "id,gender\np1,f\n"})
    assert too_few.status_code == 422
    with app.app_context():  # a bad file makes no job
        assert db.session.execute(sa.select(sa.func.count()).where(Job.kind == "lottery.dry_run")).scalar() == 2
    assert table_counts(app) == (0, 0, 0)
    # The result belongs to its event: under another event's address it does not exist.
    other = lottery_event(seats=2, count=0)
    assert admin.get(f"/manage/events/{other.event_id}/lottery/files?job={job_ids[0]}").status_code == 404
    assert admin.get(f"/manage/events/{ev.event_id}/lottery/files?job=999999").status_code == 404
    assert admin.get(f"/manage/events/{ev.event_id}/lottery/files?job=abc").status_code == 404


def test_representativeness_table_and_svg(app, admin, lottery_event):
    from app.events.models import CriterionOption

    ev = lottery_event(seats=2, criteria={"gender": {"f": (1, 1), "m": (1, 1)}},
                       people=[{"gender": "f"}, {"gender": "m"}, {"gender": "m"}, {"gender": "m"}])
    with app.app_context():
        for option in db.session.execute(sa.select(CriterionOption)).scalars():
            option.population_share = 0.51 if option.value == "f" else 0.49
        db.session.commit()
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "1")
    html = admin.get(f"/manage/events/{ev.event_id}/lottery/representativeness").get_data(as_text=True)
    assert 'role="img"' in html and "<title id=\"chart-gender-title\">" in html
    assert "25,0\u00a0%" in html and "75,0\u00a0%" in html  # applicants
    assert "50,0\u00a0%" in html  # selected: one of each
    assert "51,0\u00a0%" in html  # population
    assert "style=" not in html  # CSP: no inline styles


def test_bad_input_gives_messages_not_errors(app, admin, client, lottery_event):
    ev = lottery_event(seats=2, count=4)
    base = f"/manage/events/{ev.event_id}/lottery"
    # A refused form: the lottery page again with the message (422), never a 500 (issue 16 item 7).
    assert post(admin, f"{base}/commit", {"number_source": "public", "description": "\x00" * 3}).status_code == 422
    assert post(admin, f"{base}/commit", {"number_source": "dice", "description": "x"}).status_code == 422
    assert post(admin, f"{base}/commit", {"number_source": "public", "description": "x" * 100_000}).status_code == 422
    assert table_counts(app) == (0, 0, 0)
    commit(admin, ev.event_id)
    assert post(admin, f"{base}/draw", {"number": "5", "deadline": "not a date"}).status_code == 422
    assert post(admin, f"{base}/supersede", {"reason": "\x00" * 50}).status_code == 422
    assert post(admin, f"{base}/process").status_code == 303
    assert commit(admin, ev.event_id).status_code == 422  # a second commitment is refused
    assert table_counts(app)[0] == 1
    assert client.get(f"/applications/{'x' * 5000}/seat").status_code == 404
    assert client.get(f"/events/{ev.event_id}/lottery/audit.json?attempt=abc").status_code == 200
    assert client.get(f"/events/{ev.event_id}/lottery/audit.json?attempt=99").status_code == 404


def test_dry_run_and_import_say_a_file_was_read_as_windows_1252(app, admin, lottery_event, create_event):
    """Issue 22: the web dry-run shows the note the command line prints for a Windows-1252 file."""
    ev = lottery_event(seats=2, criteria={"age": {"jünger": (1, 1), "älter": (1, 1)}}, count=0)
    people = "id;age\np1;jünger\np2;älter\np3;älter\n".encode("cp1252")
    html = dry_run_result(admin, upload(admin, ev.event_id, "dry_run", **{"dry-people": people})).get_data(as_text=True)
    assert 'id="dry-run-summary"' in html
    note = html.split('class="flash flash-warning dry-run-note"', 1)[1].split("</p>", 1)[0]
    assert "Windows-1252" in note and "Umlaute" in note
    utf8 = dry_run_result(admin, upload(admin, ev.event_id, "dry_run", **{"dry-people": people.decode("cp1252")})
                          ).get_data(as_text=True)
    assert "dry-run-note" not in utf8
    draft = create_event(seats=4, status="draft").id
    # Option keys are ASCII; a label-like header cell ("Größe") makes the file Windows-1252 all the same.
    response = upload(admin, draft, "import", **{"import-categories": "feature,value,min,max,Größe\n"
                                                                      "age,young,1,3,\nage,old,1,3,\n".encode("cp1252")})
    assert response.status_code == 303
    follow = admin.get(f"/manage/events/{draft}/lottery/files").get_data(as_text=True)
    assert "Windows-1252" in follow and "flash-warning" in follow
