"""``flask privacy purge [--dry-run]``: the daily retention job."""
from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.privacy.services import purge


@click.group("privacy")
def privacy_cli() -> None:
    """Retention of personal data."""


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be removed; change nothing.")
@click.option("--now", "now_text", default=None, hidden=True,
              help="Pretend it is this UTC time (ISO format; for tests and catch-up runs).")
@with_appcontext
def purge_command(dry_run: bool, now_text: str | None) -> None:
    """Remove personal data whose retention period has ended (run daily)."""
    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text).replace(tzinfo=None)
        except ValueError:
            raise click.BadParameter("use an ISO date and time, e.g. 2027-01-31T03:00", param_hint="--now") from None
    report = purge(now=now, dry_run=dry_run)
    for line in report.lines():
        click.echo(line)
    if dry_run:
        db.session.rollback()
        click.echo(report.closing_line())
    else:
        db.session.commit()
        click.echo(report.closing_line())
