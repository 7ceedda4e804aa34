"""Lottery jobs through a real worker process: progress on the page and as JSON, the result,
a worker killed in the middle (the job is run once more and gives the same result)."""
from __future__ import annotations

import os
import signal

from tests.factories.jobs import CRITERIA, PEOPLE, eager_preview, job_row
from tests.factories.lottery import commit
from tests.support import wait_until


def test_preview_runs_in_a_worker_and_the_page_shows_it(app, admin, lottery_event, start_worker):
    ev = lottery_event(seats=5, criteria=CRITERIA, people=PEOPLE)
    url = f"/manage/events/{ev.event_id}/lottery"
    admin.submit(url + "/preview").close()  # as jobs.js does when the page loads
    html = admin.get(url).get_data(as_text=True)  # no worker yet: the job waits
    assert "<progress" in html and 'aria-live="polite"' in html and "wartet auf einen Auftragsdienst" in html
    assert '<noscript><meta http-equiv="refresh"' in html
    job = job_row(app)
    assert job.status == "queued" and job.event_id == ev.event_id
    start_worker()
    wait_until(lambda: job_row(app).status == "done", timeout=60, message="the worker did not finish the job")
    html = admin.get(url).get_data(as_text=True)
    assert 'id="probabilities"' in html and "<progress" not in html
    status = admin.get(f"/manage/jobs/{job.id}.json").get_json()
    assert status["status"] == "done" and status["progress"] == 100 and status["attempts"] == 1
    assert status["result_url"] == url
    assert job_row(app).result == eager_preview(app, ev.event_id)
    # The same pool again: the stored result, no second job.
    admin.submit(url + "/preview").close()
    assert job_row(app).id == job.id


def test_a_worker_killed_mid_job_is_replaced_and_the_job_finishes_once_with_the_same_result(
        app, admin, lottery_event, start_worker):
    ev = lottery_event(seats=5, criteria=CRITERIA, people=PEOPLE)
    url = f"/manage/events/{ev.event_id}/lottery"
    admin.submit(url + "/preview").close()
    job_id = job_row(app).id
    doomed = start_worker(block_at="fairness")
    wait_until(lambda: job_row(app).stage == "fairness", timeout=60, message="no progress reported")

    # While it runs: stage, bar and the lowest probability so far, on the page and as JSON.
    status = admin.get(f"/manage/jobs/{job_id}.json").get_json()
    assert status["status"] == "running" and status["stage"] == "fairness"
    assert 5 <= status["progress"] <= 70 and status["detail"]["minimum"] > 0
    page = admin.get(f"/manage/jobs/{job_id}").get_data(as_text=True)
    assert "Die fairsten Auswahlwahrscheinlichkeiten werden berechnet" in page
    assert f'value="{status["progress"]}"' in page and "niedrigste Wahrscheinlichkeit bisher" in page

    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait()
    assert job_row(app).status == "running"  # left behind by the dead worker
    start_worker()  # finds the dead worker's job at start and runs it once more
    wait_until(lambda: job_row(app).status == "done", timeout=60, message="the job was not recovered")
    job = job_row(app)
    assert job.attempts == 2
    assert job.result == eager_preview(app, ev.event_id)
    html = admin.get(url).get_data(as_text=True)
    assert 'id="probabilities"' in html


def test_commitment_in_a_worker_is_published_once(app, admin, lottery_event, start_worker):
    ev = lottery_event(seats=5, criteria=CRITERIA, people=PEOPLE)
    start_worker()
    assert commit(admin, ev.event_id).status_code == 303
    job = job_row(app, "lottery.commit")
    wait_until(lambda: job_row(app, "lottery.commit").status == "done", timeout=60)
    job = job_row(app, "lottery.commit")
    assert job.result_ref == f"lottery_draw:{job.result['draw_id']}"
    html = admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert job.result["commitment"] in html

    # A duplicate message (a queue delivering twice) changes nothing.
    from app.extensions import db
    from app.jobs import services
    from app.lottery.models import LotteryDraw

    with app.app_context():
        services.execute(job.id)
        assert db.session.query(LotteryDraw).count() == 1


def test_the_council_report_is_made_by_a_worker_in_the_language_asked_for(app, admin, lottery_event,
                                                                          start_worker):
    """The worker has no request: the job renders in the language the POST asked for."""
    import io

    from pypdf import PdfReader

    ev = lottery_event(seats=2, people=[{}] * 4)
    with app.app_context():
        process_id = ev.event.process_id
    asked = admin.submit(f"/manage/results/processes/{process_id}/report.pdf", {"lang": "en"})
    assert asked.status_code == 303
    job = job_row(app, "results.export")
    assert job.status == "queued" and admin.get(f"/manage/jobs/{job.id}/file").status_code == 404
    start_worker()
    wait_until(lambda: job_row(app, "results.export").status == "done", timeout=60,
               message="the worker did not make the report")
    download = admin.get(f"/manage/jobs/{job.id}/file")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(download.get_data())).pages)
    assert "Report for the council" in text and "Bericht für den Gemeinderat" not in text
