"""Staff accounts and roles: login, logout, own password, staff management, CLI."""
from flask_babel import lazy_gettext as _l

from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("accounts", __name__, template_folder="templates", parts=("views", "views_manage"))


def init_app(app):
    from app.accounts import cli, external, ldap, signin
    from app.accounts.models import load_user
    from app.core.nav import register_staff_nav
    from app.extensions import login_manager

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    app.cli.add_command(cli.users_cli)
    register_staff_nav(_l("Staff"), "accounts.manage_users", ("admin",), order=90)

    app.before_request(signin.revalidate_current_session)
    external.register_revalidator("ldap", ldap.revalidate)

    @app.context_processor
    def inject_role_label():
        from app.accounts.forms import ROLE_LABELS

        return {"role_label": lambda role: ROLE_LABELS.get(role, role)}

