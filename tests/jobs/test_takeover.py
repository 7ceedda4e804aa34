"""A worker cut off by a network split keeps running its job while :func:`recover` on another
machine queues it again and a second worker claims it. When the first run ends, its result must
not overwrite the second's (or be stored beside it): the final write holds only while the claim is
still this run's (status running, this worker, this attempt)."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.jobs import services
from app.jobs.models import Job


def _taken_over_while_running(outcome: str):
    def run(job, report):
        # Meanwhile another machine's recover + worker claimed the job (attempt 2 elsewhere).
        with db.engine.begin() as connection:
            connection.execute(sa.update(Job).where(Job.id == job.id).values(
                worker="elsewhere:1", attempts=Job.attempts + 1))
        job.params_json = '{"touched": true}'  # a change of this run, which must be discarded too
        if outcome == "fail":
            raise RuntimeError("late failure of the cut-off run")
        return {"answer": "from the cut-off run"}, "ref:cut-off"
    return run


def _job(kind: str) -> int:
    job = Job(kind=kind, key=None, status="queued")
    db.session.add(job)
    db.session.commit()
    return job.id


def test_a_run_whose_job_was_taken_over_stores_nothing(app):
    with app.app_context():
        for outcome in ("done", "fail"):
            kind = f"test.takeover.{outcome}"
            services.register_kind(kind, _taken_over_while_running(outcome), "test")
            try:
                job_id = _job(kind)
                services.execute(job_id)
                job = db.session.get(Job, job_id)
                db.session.refresh(job)
                assert (job.status, job.worker, job.attempts) == ("running", "elsewhere:1", 2)
                assert job.result_json is None and job.result_ref is None and job.error_code is None
                assert job.params == {}
            finally:
                services.KINDS.pop(kind, None)


def test_a_run_that_still_holds_its_claim_stores_its_result(app):
    with app.app_context():
        kind = "test.takeover.kept"
        services.register_kind(kind, lambda job, report: ({"answer": 42}, "ref:kept"), "test")
        try:
            job_id = _job(kind)
            services.execute(job_id)
            job = db.session.get(Job, job_id)
            db.session.refresh(job)
            assert (job.status, job.result, job.result_ref, job.attempts) == ("done", {"answer": 42}, "ref:kept", 1)
        finally:
            services.KINDS.pop(kind, None)


def test_mail_a_job_queues_goes_out_when_it_ends_in_full_batches(app, smtp):
    """A commitment mails every applicant from the worker, where no request delivers afterwards:
    the worker delivers when the job ends, batch after batch until nothing is due."""
    from app.core import mail

    app.config["MAIL_BATCH_SIZE"] = 3
    with app.app_context():
        kind = "test.mails"

        def run(job, report):
            for n in range(7):
                mail.queue_mail(f"person{n}@example.org", f"Quittung {n}", "Text")
            return None, None

        services.register_kind(kind, run, "test")
        try:
            services.execute(_job(kind))
        finally:
            services.KINDS.pop(kind, None)
    assert sorted(str(m["Subject"]) for m in smtp.messages) == [f"Quittung {n}" for n in range(7)]
