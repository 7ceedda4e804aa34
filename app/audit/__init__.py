"""Audit log: who changed what, when; append-only for the application."""
from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("audit", __name__, template_folder="templates", parts=("views",))


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from app.core.nav import register_staff_nav

    from app.audit import display

    app.jinja_env.globals.update(audit_action=display.ACTION_LABELS, audit_field=display.FIELD_LABELS,
                                 audit_target=display.TARGET_LABELS, audit_change=display.change_html,
                                 audit_detail=display.detail_text)
    register_staff_nav(_l("Audit log"), "audit.log", ("admin",), order=96)
