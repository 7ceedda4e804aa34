"""Market stands, live idea capture, tags and the projector wall."""
from jinja2 import pass_context
from flask_babel import lazy_gettext as _l

from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("ideas", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static/ideas", parts=("views_manage", "views_wall"))


def init_app(app):
    from app.core.nav import register_staff_nav
    from app.core.start import register_start_steps
    from app.ideas import start
    from app.ideas import display

    register_staff_nav(_l("Stands"), "ideas.overview", ("admin", "moderator"), order=30)
    register_start_steps(start.start_steps)
    app.jinja_env.globals["idea_history_text"] = display.history_text
    # pass_context: Jinja must not fold '{id}'|idea_number into the first request's language.
    app.jinja_env.filters["idea_number"] = pass_context(lambda _context, number: display.idea_number(number))
