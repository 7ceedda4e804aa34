"""``flask voting issue-tickets EVENT`` and ``flask voting recount EVENT``."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import ngettext

from app.events.models import Event
from app.extensions import db
from app.voting import totals
from app.voting.tickets import issue_tickets_for_event

voting_cli = AppGroup("voting", help="Tickets and dot voting.")


def _event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise click.ClickException(f"no event with id {event_id}")
    return event


@voting_cli.command("issue-tickets")
@click.argument("event_id", type=int)
def issue_tickets(event_id: int) -> None:
    """Issue tickets (and queue their mails) for all confirmed participants without one."""

    issued = issue_tickets_for_event(_event(event_id))
    db.session.commit()
    # The same words as the staff page, in the site's default language (German).
    click.echo(ngettext("%(num)d ticket issued and sent.", "%(num)d tickets issued and sent.", issued))


@voting_cli.command("recount")
@click.argument("event_id", type=int)
def recount(event_id: int) -> None:
    """Recompute totals and receipts from the stored dots; exit 1 if they differ from the published ones."""

    result = totals.recount(_event(event_id))
    for line in result.lines:
        click.echo(line)
    if not result.ok:
        sys.exit(1)
