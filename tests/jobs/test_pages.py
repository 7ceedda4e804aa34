"""Job pages in immediate mode (the job runs inside the request): a failed job's message in
both languages, who may see a job, and the recovery rules for jobs of dead workers."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.factories.lottery import commit, lottery_page

INFEASIBLE = {"gender": {"f": (3, 3), "m": (0, 3)}}


@pytest.fixture
def app_config():
    return {}  # immediate mode, as in the rest of the suite


def latest_job(app):
    from app.extensions import db
    from app.jobs.models import Job

    with app.app_context():
        job = db.session.query(Job).order_by(Job.id.desc()).first()
        db.session.expunge(job)
        return job


def test_a_failed_commitment_says_why_in_german_and_english(app, admin, lottery_event):
    ev = lottery_event(seats=3, criteria=INFEASIBLE, people=[{"gender": "f"}] * 2 + [{"gender": "m"}] * 4)
    response = commit(admin, ev.event_id)
    assert response.status_code == 303
    job = latest_job(app)
    assert job.kind == "lottery.commit" and job.status == "failed" and job.error_code == "infeasible"
    assert set(job.errors) == {"de", "en"} and job.errors["de"] != job.errors["en"]
    page = admin.get(f"/manage/jobs/{job.id}").get_data(as_text=True)
    assert "Der Auftrag ist fehlgeschlagen" in page and job.errors["de"].split(":")[0] in page
    lottery = lottery_page(admin, ev.event_id)
    # The lottery page explains the problem with the preview (no form to publish).
    assert 'id="lottery-problem"' in lottery and "Festlegung veröffentlichen" not in lottery
    english = admin.get(f"/manage/jobs/{job.id}.json", headers={"Accept-Language": "en"})
    admin.post("/language", data={"lang": "en", "csrf_token": admin.csrf_token()})
    status = admin.get(f"/manage/jobs/{job.id}.json").get_json()
    assert english.status_code == 200 and status["status"] == "failed"
    assert status["error"] in (job.errors["en"], job.errors["de"])
    from app.lottery.models import LotteryDraw
    from app.extensions import db

    with app.app_context():
        assert db.session.query(LotteryDraw).count() == 0  # nothing stored


def test_only_staff_of_the_event_see_its_lottery_jobs(app, admin, staff_client, lottery_event, client):
    ev = lottery_event(seats=2, people=[{}] * 4)
    lottery_page(admin, ev.event_id)
    job = latest_job(app)
    assert job.status == "done"
    for path in (f"/manage/jobs/{job.id}", f"/manage/jobs/{job.id}.json"):
        assert admin.get(path).status_code == 200
        assert staff_client("moderator").get(path).status_code == 404
        assert staff_client("council").get(path).status_code == 404
        assert client.get(path).status_code in (302, 401)
    assert admin.get(f"/manage/jobs/{job.id + 99}.json").status_code == 404


def test_recover_queues_a_dead_workers_job_once_then_fails_it(app, admin, lottery_event):
    from app.core.models import utcnow
    from app.extensions import db
    from app.jobs import services
    from app.jobs.models import Job

    ev = lottery_event(seats=2, people=[{}] * 4)
    with app.app_context():
        old = utcnow() - timedelta(hours=1)
        job = Job(kind="lottery.preview", key="test", event_id=ev.event_id, status="running", attempts=1,
                  worker="another-host:1", heartbeat_at=old, started_at=old, params_json="{}")
        db.session.add(job)
        db.session.commit()
        fresh = Job(kind="lottery.preview", key="alive", event_id=ev.event_id, status="running", attempts=1,
                    worker="another-host:2", heartbeat_at=utcnow(), params_json="{}")
        db.session.add(fresh)
        db.session.commit()
        assert services.recover() == [job.id]  # queued again (immediate mode runs it at once)
        db.session.expire_all()
        assert db.session.get(Job, job.id).status == "done" and db.session.get(Job, job.id).attempts == 2
        assert db.session.get(Job, fresh.id).status == "running"  # its worker is alive
        job = db.session.get(Job, job.id)
        job.status, job.heartbeat_at, job.worker = "running", old, "another-host:1"
        db.session.commit()
        assert services.recover() == []
        db.session.expire_all()
        failed = db.session.get(Job, job.id)
        assert failed.status == "failed" and failed.error_code == "interrupted"
        assert "2-mal unterbrochen" in json.loads(failed.error_json)["de"]


def test_a_moderators_job_kind_is_seen_by_the_events_moderators_only(app, lottery_event, monkeypatch):
    """A kind open to moderators: for an event's job, only the moderators of that event's stands see
    it (the check used to import ``works_at_event`` from a module that does not have it)."""
    from dataclasses import replace

    from app.accounts import services as accounts
    from app.extensions import db
    from app.ideas import services as ideas
    from app.jobs import services as jobs
    from app.jobs.models import Job

    ev = lottery_event(seats=2, people=[{}] * 4)
    with app.app_context():
        kind = replace(next(iter(jobs.KINDS.values())), name="test.moderated", roles=("moderator",))
        monkeypatch.setitem(jobs.KINDS, kind.name, kind)
        ours = accounts.create_user("stand@stadt.example", "Stand", "ein-langes-passwort-1", ["moderator"])
        other = accounts.create_user("anderswo@stadt.example", "Anderswo", "ein-langes-passwort-1", ["moderator"])
        ideas.save_stand(ev.event, None, title="Radwege", position=0,
                         moderator_ids=[ours.id])
        job = Job(kind=kind.name, event_id=ev.event_id)
        assert jobs.may_see(ours, job) and not jobs.may_see(other, job)
        db.session.rollback()
