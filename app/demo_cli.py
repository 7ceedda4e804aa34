"""``flask demo load``: the demo data of :mod:`app.demo` from the command line."""
from __future__ import annotations

import logging

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.logs import LOGGER_NAME
from app.demo import database_is_empty, known_logins, load_demo

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no data yet.")
def load_demo_command(if_empty: bool) -> None:
    """Load the "Esslingen 4.0" demo (idempotent) and print the demo logins."""
    if if_empty and not database_is_empty():
        click.echo("The database already holds data; the demo was not loaded.")
        _print_logins(known_logins())
        return
    # The demo's audit entries are stored as usual; their log lines would only bury the logins.
    quiet = logging.getLogger(LOGGER_NAME)
    level = quiet.level
    quiet.setLevel(max(level, logging.WARNING))
    try:
        result = load_demo()
    finally:
        quiet.setLevel(level)
    if result.created:
        click.echo("Demo data loaded: Esslingen 4.0.")
    else:
        click.echo("Demo data already present; nothing changed.")
    _print_logins(result.logins)


def _print_logins(logins) -> None:
    if not logins:
        return
    click.echo("Demo logins (change these before any real use):")
    for email, password, roles in logins:
        click.echo(f"  {email:<44} {password:<18} {', '.join(roles)}")


def register(app: Flask) -> None:
    app.cli.add_command(demo_cli)
