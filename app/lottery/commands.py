"""``flask lottery expire``: the database command of the lottery (the file commands are in ``cli``).

Run it regularly, e.g. every 15 minutes from cron::

    */15 * * * * cd /srv/ideenmarkt && .venv/bin/flask lottery expire

It lets selected applicants' seats lapse once their confirmation deadline has
passed, and gives every free seat (declined, lapsed, withdrawn) to the first
waiting applicant who keeps all quotas, with a mail and their own deadline.
"""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from app.extensions import db
from app.lottery.seats import expire_all_due


def register(group: AppGroup) -> None:
    @group.command("expire")
    @with_appcontext
    def expire_command() -> None:
        """Let unconfirmed seats past their deadline lapse and fill free seats from the waiting lists."""
        results = expire_all_due()
        db.session.commit()
        for draw, result in results:
            line = (f"event {draw.event_id}: {len(result.expired)} lapsed, {len(result.admitted)} admitted"
                    f"{' (' + ', '.join(result.admitted) + ')' if result.admitted else ''}, {result.free} free")
            if result.blocked is not None:
                line += f"; blocked: {result.blocked}"
            click.echo(line)
        if not results:
            click.echo("No drawn lottery is waiting for confirmations.")
