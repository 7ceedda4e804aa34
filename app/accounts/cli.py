"""``flask users create|list``."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import User
from app.core.access import ROLES
from app.extensions import db

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="Role of the account; repeat for several.")
@click.option("--name", default="", help="Display name (default: the email).")
@click.option("--password", default=None, help="Password; asked for when not given.")
def create_user_command(email: str, roles: tuple[str, ...], name: str, password: str | None) -> None:
    """Create a staff account with EMAIL and the given roles."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email, name or email, password, roles)
    except services.AccountError as exc:
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()
    click.echo(f"Created {user.email} with roles {', '.join(sorted(user.role_names))}.")


@users_cli.command("list")
def list_users_command() -> None:
    """List staff accounts with their roles."""
    users = db.session.execute(select(User).order_by(User.email)).scalars()
    for user in users:
        state = "active" if user.active else "disabled"
        click.echo(f"{user.id}\t{user.email}\t{','.join(sorted(user.role_names))}\t{state}")
