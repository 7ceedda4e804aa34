"""Privacy and trust: retention purge, the applicant's own data and erasure, the privacy
page, the accessibility statement with its feedback form."""
from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("privacy", __name__, template_folder="templates", parts=("views_public",))


def init_app(app):
    from app.core.slots import register_slot

    register_slot(app, "application_own_data", "privacy/_own_data_slot.html", order=10)
    from app.privacy.cli import privacy_cli

    app.cli.add_command(privacy_cli)
