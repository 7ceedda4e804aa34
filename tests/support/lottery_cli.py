"""``flask lottery …`` through click's runner, on an app without a database (the file commands
must not need one)."""
from __future__ import annotations

from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask_babel import Babel

from app.lottery.cli import lottery_cli


def bare_app() -> Flask:
    """A minimal app without a database: the commands must not need one."""
    app = Flask("lottery-cli-test")
    Babel(app)
    return app


def run(*args: str):
    """The result of ``flask lottery ARGS`` (click's ``Result``: ``exit_code``, ``output``)."""
    return CliRunner().invoke(lottery_cli, list(args), obj=ScriptInfo(create_app=bare_app))
