"""Privacy and trust: retention purge, the applicant's own data and erasure, the privacy
page, the accessibility statement with its feedback form."""
from flask import Blueprint

bp = Blueprint("privacy", __name__, template_folder="templates")

from app.privacy import views_public  # noqa: E402,F401


def init_app(app):
    from app.privacy.cli import privacy_cli

    app.cli.add_command(privacy_cli)
