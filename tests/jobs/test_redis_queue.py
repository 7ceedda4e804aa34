"""The job queue on Redis (``REDIS_URL`` set: what several app machines share), with a real
redis-server and a real worker process. The queue carries job ids only; the job table decides
what runs: a message delivered twice runs the job once, and a job left ``running`` by a worker
on another machine whose heartbeat stopped is queued again and finished here."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest

from tests.factories.jobs import CRITERIA, PEOPLE, eager_preview, job_row
from tests.support import wait_until
from tests.support.servers import RedisServer

pytestmark = pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed")


@pytest.fixture(scope="module")
def redis_server():
    with RedisServer() as server:
        yield server


@pytest.fixture
def app_config(redis_server):
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()
    return {"JOBS_IMMEDIATE": False, "REDIS_URL": redis_server.url}


def job_messages(huey) -> int:
    """Messages for jobs waiting in Redis (the worker's scheduler adds its periodic tasks' messages
    at each full minute, so the queue's length alone is not the jobs')."""
    from app.jobs.services import TASK_NAME

    return sum(1 for task in huey.pending() if task.name == TASK_NAME)


def test_a_job_goes_through_redis_to_a_worker(app, admin, lottery_event, start_worker, redis_server):
    from huey import RedisHuey

    huey = app.extensions["huey"]
    assert isinstance(huey, RedisHuey)
    ev = lottery_event(seats=5, criteria=CRITERIA, people=PEOPLE)
    admin.submit(f"/manage/events/{ev.event_id}/lottery/preview").close()
    job = job_row(app)
    assert job.status == "queued" and job_messages(huey) == 1  # the message waits in Redis
    start_worker(env={"REDIS_URL": redis_server.url})
    wait_until(lambda: job_row(app).status == "done", timeout=60, message="the worker did not take the job from Redis")
    assert job_messages(huey) == 0 and job_row(app).result == eager_preview(app, ev.event_id)
    assert not os.path.exists(os.path.join(app.instance_path, "jobs.sqlite"))  # not the one-machine queue


def test_a_duplicate_message_runs_once_and_another_hosts_stale_job_is_finished(
        app, admin, lottery_event, start_worker, redis_server):
    from app.core.models import utcnow
    from app.extensions import db
    from app.jobs import services
    from app.jobs.models import Job

    first = lottery_event(seats=5, criteria=CRITERIA, people=PEOPLE)
    second = lottery_event(seats=4, criteria=CRITERIA, people=PEOPLE)
    admin.submit(f"/manage/events/{first.event_id}/lottery/preview").close()
    admin.submit(f"/manage/events/{second.event_id}/lottery/preview").close()
    with app.app_context():
        duplicate = db.session.query(Job).filter_by(event_id=first.event_id).one().id
        app.extensions["jobs.run_job"](duplicate)  # the queue delivers it twice
        # The second event's job: claimed by a worker on another machine that then went away.
        stale = db.session.query(Job).filter_by(event_id=second.event_id).one()
        stale.status, stale.worker, stale.attempts = "running", "other-machine:4242", 1
        stale.started_at = stale.heartbeat_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        stale_id = stale.id
    assert job_messages(app.extensions["huey"]) == 3
    start_worker(env={"REDIS_URL": redis_server.url, "IDEENMARKT_JOBS_STALE_SECONDS": "60"})

    def finished():
        with app.app_context():
            jobs = {job.id: job for job in db.session.query(Job)}
            done = all(job.status == "done" for job in jobs.values())
            return done and jobs
    # The worker recovers the stale job when it starts (and every minute).
    jobs = wait_until(finished, timeout=90, message="the jobs were not finished")
    assert jobs[duplicate].attempts == 1  # run once, although its message came twice
    assert jobs[stale_id].attempts == 2 and not jobs[stale_id].worker.startswith("other-machine:")
    assert jobs[stale_id].result == eager_preview(app, second.event_id)
    with app.app_context():
        assert services.recover() == []  # nothing left behind
