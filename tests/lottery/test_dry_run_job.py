"""Issue 20: the web dry-run's request only checks the files and queues a job; a job worker
computes the leximin distribution (here :func:`app.jobs.services.execute`, as the worker calls it)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.factories.lottery import upload

PEOPLE = "id,gender\np1,f\np2,f\np3,m\np4,m\np5,m\np6,m\n"


@pytest.fixture
def app_config():
    return {"JOBS_IMMEDIATE": False}  # a queue (SQLite file) and no worker: the job waits


def test_the_request_queues_the_dry_run_and_computes_nothing(app, admin, lottery_event, monkeypatch):
    from app.jobs import services as jobs
    from app.jobs.models import Job
    from app.lottery import sortition_csv

    ev = lottery_event(seats=2, criteria={"gender": {"f": (1, 1), "m": (1, 1)}}, count=0)
    computed: list[int] = []
    original = sortition_csv.leximin_distribution

    def counting(*args, **kwargs):
        computed.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(sortition_csv, "leximin_distribution", counting)
    response = upload(admin, ev.event_id, "dry_run", **{"dry-people": PEOPLE})
    assert response.status_code == 303 and "/manage/jobs/" in response.headers["Location"]
    assert computed == []  # the request computed no distribution
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="job-result"' not in page and 'id="job-file"' not in page
    with app.app_context():
        job = db.session.execute(sa.select(Job).where(Job.kind == "lottery.dry_run")).scalar_one()
        assert job.status == "queued" and job.event_id == ev.event_id and job.params["seats"] == 2
        job_id = job.id
    # Not finished: no result under the files page either.
    assert admin.get(f"/manage/events/{ev.event_id}/lottery/files?job={job_id}").status_code == 404
    # The worker runs it.
    with app.app_context():
        jobs.execute(job_id)
    assert computed == [1]
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "done" and job.progress == 100 and job.params == {}
    status = admin.get(f"/manage/jobs/{job_id}.json").get_json()
    assert status["file"]["name"] == f"event-{ev.event_id}-probabilities.csv"
    assert status["result_url"].endswith(f"/lottery/files?job={job_id}#dry-run-result")
    html = admin.get(f"/manage/events/{ev.event_id}/lottery/files?job={job_id}").get_data(as_text=True)
    assert 'id="dry-run-summary"' in html and "50,00\u00a0%" in html and "25,00\u00a0%" in html
    csv = admin.get(status["file"]["url"])
    assert csv.get_data(as_text=True).splitlines()[:2] == ["id,probability", "p1,0.5"]


def test_a_dry_run_the_quotas_cannot_meet_fails_with_a_message(app, admin, lottery_event):
    """Each quota alone can be met (the request's checks pass), together they cannot: the job fails
    and its page says why, in both languages."""
    from app.jobs import services as jobs
    from app.jobs.models import Job

    ev = lottery_event(seats=2, criteria={"gender": {"f": (1, 1), "m": (1, 1)},
                                          "age": {"young": (2, 2), "old": (0, 0)}}, count=0)
    people = "id,gender,age\np1,f,old\np2,f,old\np3,m,young\np4,m,young\n"
    response = upload(admin, ev.event_id, "dry_run", **{"dry-people": people})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        jobs.execute(job_id)
        job = db.session.get(Job, job_id)
        assert job.status == "failed" and job.error_code == "infeasible" and set(job.errors) == {"de", "en"}
    status = admin.get(f"/manage/jobs/{job_id}.json").get_json()
    assert status["status"] == "failed" and status["error"] and status["file"] is None
    assert admin.get(f"/manage/events/{ev.event_id}/lottery/files?job={job_id}").status_code == 404


def test_already_selected_in_the_web_dry_run(app, admin, lottery_event):
    """Issue 22, Sortition Foundation parity: the web dry run takes an "already selected" file as
    ``flask lottery probabilities --already-selected`` does: they leave the pool, their seats and
    answers count against the quotas; the job keeps no file once done."""
    from app.jobs import services as jobs
    from app.jobs.models import Job

    ev = lottery_event(seats=4, criteria={"gender": {"f": (2, 2), "m": (2, 2)}}, count=0)
    people = "id,gender\n" + "".join(f"f{i},f\n" for i in range(4)) + "".join(f"m{i},m\n" for i in range(4))
    response = upload(admin, ev.event_id, "dry_run", **{"dry-people": people,
                                                        "dry-already_selected": "id,gender\nf0,f\nf1,f\nm0,m\n"})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        assert db.session.get(Job, job_id).params["already"]
        jobs.execute(job_id)
        job = db.session.get(Job, job_id)
        assert job.status == "done" and job.params == {} and job.result["already_selected"] == 3
    html = admin.get(f"/manage/events/{ev.event_id}/lottery/files?job={job_id}").get_data(as_text=True)
    assert 'id="dry-run-already"' in html and "3 bereits ausgewählte Personen" in html
    assert "Personen: 5, Plätze: 1" in html
    csv = admin.get(f"/manage/jobs/{job_id}.json").get_json()["file"]["url"]
    lines = admin.get(csv).get_data(as_text=True).splitlines()
    assert lines == ["id,probability", "f2,0", "f3,0", "m1,0.333333333333", "m2,0.333333333333",
                     "m3,0.333333333333"]


def test_an_already_selected_file_beyond_a_maximum_is_refused_at_once(app, admin, lottery_event):
    ev = lottery_event(seats=4, criteria={"gender": {"f": (1, 2), "m": (1, 2)}}, count=0)
    response = upload(admin, ev.event_id, "dry_run", **{"dry-people": PEOPLE,
                                                        "dry-already_selected": "id,gender\np1,f\np2,f\nx,f\n"})
    assert response.status_code == 422
    assert "mehr als das Maximum" in response.get_data(as_text=True)
    from app.jobs.models import Job

    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Job)).scalar_one() == 0
