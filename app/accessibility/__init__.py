"""Accessibility beyond the pages themselves (BITV 2.0): the explanations in Leichte Sprache,
the same explanations in German Sign Language (videos uploaded by admins), and the
accessibility statement made from the maintained list of known barriers."""
from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("accessibility", __name__, template_folder="templates",
                      parts=("views_manage", "views_public"))


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from app.accessibility.easy_language import PAGE, section
    from app.core.nav import register_staff_nav

    app.jinja_env.globals["easy_page"] = PAGE
    app.jinja_env.globals["easy_section"] = section
    register_staff_nav(_l("Sign language"), "accessibility.manage_videos", ("admin",), order=90)
