"""Personal data of background jobs: a job's parameters (a lottery dry run carries the uploaded
people file) and the files jobs make (exports) (issue 23, item 6; orchestrated by app/privacy)."""
from __future__ import annotations

from app.core.personal import Cover
from app.jobs.models import Job, JobFile
from app.jobs.services import purge_finished

COVERS = {
    Job.params_json: Cover(export="not exported: staff's work, linked to no application",
                           erase="the dry run empties it once done; finished jobs are deleted after "
                                 "JOBS_RETENTION_DAYS by the purge"),
    JobFile.data: Cover(export="not exported: a file for staff (an export, a report), linked to no application",
                        erase="deleted with its job after JOBS_RETENTION_DAYS by the purge"),
}


def purge(plan, report):
    """Finished jobs and their files after ``JOBS_RETENTION_DAYS``."""
    report.jobs = purge_finished(plan.now, dry_run=True)
    return lambda: purge_finished(plan.now)
