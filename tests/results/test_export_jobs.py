"""Exports and the council report are made by jobs, never in the request: the POST leads to the
job's page, the file is downloaded from the job by the staff who may read results, a failure
says why in both languages, and finished jobs go after JOBS_RETENTION_DAYS."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader


@pytest.fixture
def world(app, smtp):
    from tests.factories.api import build_world

    with app.test_request_context():
        return build_world()


def jobs_in(app) -> list:
    from app.extensions import db
    from app.jobs.models import Job

    with app.app_context():
        rows = db.session.execute(sa.select(Job).order_by(Job.id)).scalars().all()
        db.session.expunge_all()
        return rows


def test_the_request_asks_for_a_job_and_its_page_offers_the_file(app, staff_client, world):
    council = staff_client("council")
    url = f"/manage/results/processes/{world.process_id}/report.pdf"
    assert council.get(url).status_code == 405  # no GET renders a report
    dashboard = council.get(f"/manage/results/processes/{world.process_id}").get_data(as_text=True)
    assert 'id="exports"' in dashboard and f'formaction="{url}"' in dashboard
    assert jobs_in(app) == []  # showing the dashboard asks for nothing

    asked = council.submit(url, {"lang": "en"})
    assert asked.status_code == 303
    [job] = jobs_in(app)
    assert asked.location.endswith(f"/manage/jobs/{job.id}") and job.kind == "results.export"
    assert job.status == "done" and job.params["format"] == "pdf" and job.params["language"] == "en"
    page = council.get(f"/manage/jobs/{job.id}").get_data(as_text=True)
    assert 'id="job-file"' in page and f"council-report-process-{world.process_id}-en.pdf" in page

    download = council.get(f"/manage/jobs/{job.id}/file")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Cache-Control"] == "no-store"
    assert f'filename="council-report-process-{world.process_id}-en.pdf"' in download.headers["Content-Disposition"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(download.get_data())).pages)
    assert "Report for the council" in text

    # Another reader of results may fetch it; a moderator, a visitor and a wrong id may not.
    assert staff_client("admin").get(f"/manage/jobs/{job.id}/file").status_code == 200
    assert staff_client("moderator").get(f"/manage/jobs/{job.id}/file").status_code == 404
    assert staff_client("moderator").get(f"/manage/jobs/{job.id}").status_code == 404
    assert council.get(f"/manage/jobs/{job.id + 1}/file").status_code == 404


def test_the_file_of_a_job_still_running_or_failed_is_not_offered(app, staff_client, world, monkeypatch):
    from flask_babel import lazy_gettext as _l

    from app.jobs.services import JobError
    from app.results import report

    def broken(process):
        raise JobError("broken", _l("The process no longer exists."))

    monkeypatch.setattr(report, "council_report", broken)
    council = staff_client("council")
    council.submit(f"/manage/results/processes/{world.process_id}/report.pdf")
    [job] = jobs_in(app)
    assert job.status == "failed" and job.error_code == "broken"
    assert set(job.errors) == {"de", "en"} and job.errors["de"] != job.errors["en"]
    page = council.get(f"/manage/jobs/{job.id}").get_data(as_text=True)
    assert "Der Auftrag ist fehlgeschlagen" in page and job.errors["de"] in page and 'id="job-file"' not in page
    assert council.get(f"/manage/jobs/{job.id}/file").status_code == 404


def test_a_wrong_filter_is_refused_at_once_without_a_job(app, staff_client, world):
    council = staff_client("council")
    response = council.submit(f"/manage/results/processes/{world.process_id}/ideas.csv", {"event": "abc"})
    assert response.status_code == 400
    assert jobs_in(app) == []


def test_finished_jobs_and_their_files_go_after_the_retention_period(app, staff_client, world):
    from app.core.models import utcnow
    from app.extensions import db
    from app.jobs.models import Job, JobFile
    from app.privacy.cli import privacy_cli

    council = staff_client("council")
    for kind in ("csv", "json"):
        council.submit(f"/manage/results/processes/{world.process_id}/ideas.{kind}")
    old, recent = jobs_in(app)
    days = app.config["JOBS_RETENTION_DAYS"]
    with app.app_context():
        db.session.get(Job, old.id).finished_at = utcnow() - timedelta(days=days, hours=1)
        running = Job(kind="results.export", status="running", params_json="{}",
                      started_at=utcnow() - timedelta(days=days + 5))
        db.session.add(running)
        db.session.commit()
        running_id = running.id

    runner = app.test_cli_runner()
    dry = runner.invoke(privacy_cli, ["purge", "--dry-run"])
    # The CLI speaks the default language (German); ids only.
    assert f"Hintergrundauftrag {old.id}: würde mit seiner Datei gelöscht" in dry.output
    assert f"Hintergrundauftrag {recent.id}" not in dry.output
    assert len(jobs_in(app)) == 3
    done = runner.invoke(privacy_cli, ["purge"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        left = set(db.session.execute(sa.select(Job.id)).scalars())
        files = set(db.session.execute(sa.select(JobFile.job_id)).scalars())
    assert left == {recent.id, running_id} and files == {recent.id}
    assert council.get(f"/manage/jobs/{old.id}/file").status_code == 404
    assert council.get(f"/manage/jobs/{recent.id}/file").status_code == 200
