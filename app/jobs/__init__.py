"""Background jobs (Huey): the job table, the worker command and the job status pages.

See ``services`` for how a job runs and survives a worker restart; features register their
kinds of job (``services.register_kind``), e.g. the lottery's preview and commitment.
"""
import click
from flask.cli import with_appcontext
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("jobs", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static/jobs", parts=("views",))

STATUS_LABELS = {
    "queued": _l("waiting for a job worker"),
    "running": _l("running"),
    "done": _l("finished"),
    "failed": _l("failed"),
}
#: Stages reported by the kinds of job (``report(stage, ...)``).
STAGE_LABELS = {
    "queued": _l("Waiting to start"),
    "started": _l("Started"),
    "pool": _l("Reading the applicants"),
    "fairness": _l("Computing the fairest selection probabilities"),
    "panels": _l("Finding panels that keep every quota"),
    "rounding": _l("Rounding to the table of panels"),
    "collecting": _l("Reading the results"),
    "rendering": _l("Writing the file"),
    "register_rows": _l("Importing the register rows"),
    "done": _l("Finished"),
}


def init_app(app):
    from app.jobs import services

    services.create_huey(app)
    app.cli.add_command(jobs_cli)
    from app.jobs.views import detail_text, error_text, estimate_text

    app.jinja_env.globals.update(job_detail_text=detail_text, job_error_text=error_text,
                                 job_estimate_text=estimate_text,
                                 job_status_label=lambda s: STATUS_LABELS.get(s, s),
                                 job_stage_label=lambda s: STAGE_LABELS.get(s, s))


@click.group("jobs", help="Background jobs: run a worker, list and recover jobs.")
def jobs_cli():
    pass


@jobs_cli.command("worker")
@click.option("--workers", type=int, default=None, help="Threads running jobs (default JOBS_WORKERS).")
def worker_command(workers):
    """Run a job worker (a Huey consumer) until Ctrl-C / SIGTERM."""
    from flask import current_app

    from app.jobs import services

    services.run_worker(current_app._get_current_object(), workers)


@jobs_cli.command("recover")
@with_appcontext
def recover_command():
    """Queue again the jobs of workers that died (done by every worker at start and every minute)."""
    from app.jobs import services

    ids = services.recover()
    click.echo(ngettext("%(num)d job queued again.", "%(num)d jobs queued again.", len(ids)))
