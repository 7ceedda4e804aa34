"""Plain helpers of the jobs' tests (no fixtures): a lottery whose preview takes a worker a moment,
the newest job row, and the preview computed in the test's own process to compare with."""
from __future__ import annotations

import json

CRITERIA = {"gender": {"f": (2, 3), "m": (2, 3)}, "age": {"young": (1, 4), "old": (1, 4)}}
PEOPLE = ([{"gender": "f", "age": "young"}] * 6 + [{"gender": "m", "age": "old"}] * 5
          + [{"gender": "f", "age": "old"}] * 2 + [{"gender": "m", "age": "young"}] * 3)


def job_row(app, kind="lottery.preview"):
    from app.extensions import db
    from app.jobs.models import Job

    with app.app_context():
        job = db.session.query(Job).filter_by(kind=kind).order_by(Job.id.desc()).first()
        if job is not None:
            db.session.expunge(job)
        return job


def eager_preview(app, event_id):
    from app.events.models import Event
    from app.extensions import db
    from app.lottery.preview import preview, preview_to_json

    with app.app_context():
        return json.loads(json.dumps(preview_to_json(preview(db.session.get(Event, event_id)))))
