"""Privacy and trust: retention purge, the applicant's own data and erasure, the privacy
page, the accessibility statement with its feedback form."""
from flask import Blueprint

bp = Blueprint("privacy", __name__, template_folder="templates")

from app.privacy import views_public  # noqa: E402,F401


def init_app(app):
    from app.privacy.cli import privacy_cli

    #: Unconfirmed applications (email never confirmed) are deleted after this many days.
    app.config.setdefault("PRIVACY_UNCONFIRMED_DAYS", 7)
    #: Sent mails (the outbox's history) are deleted after this many days.
    app.config.setdefault("PRIVACY_SENT_MAIL_DAYS", 90)
    #: The operator named on the privacy page and in the accessibility statement.
    app.config.setdefault("PRIVACY_OPERATOR_NAME", "Stadt Esslingen am Neckar")
    app.config.setdefault("PRIVACY_OPERATOR_ADDRESS", "Rathausplatz 2, 73728 Esslingen am Neckar")
    app.config.setdefault("PRIVACY_CONTACT_EMAIL", "datenschutz@example.org")
    app.config.setdefault("PRIVACY_OFFICER", "Die/der behördliche Datenschutzbeauftragte, datenschutz@example.org")
    #: The supervisory authority residents may complain to.
    app.config.setdefault("PRIVACY_AUTHORITY",
                          "Der Landesbeauftragte für den Datenschutz und die Informationsfreiheit Baden-Württemberg")
    #: The enforcement body of the BITV 2.0 (Schlichtungsstelle / Ombudsstelle).
    app.config.setdefault("ACCESSIBILITY_ENFORCEMENT",
                          "Ombudsstelle für barrierefreie Informationstechnik, Landes-Behindertenbeauftragte "
                          "Baden-Württemberg")
    #: Date of the accessibility statement (ISO), and known barriers (free text, may be empty).
    app.config.setdefault("ACCESSIBILITY_STATEMENT_DATE", "2026-12-01")
    app.config.setdefault("FEEDBACK_RATE_LIMIT", "5 per minute;20 per day")
    app.cli.add_command(privacy_cli)
