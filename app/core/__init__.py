"""Core: base layout, error pages, security headers, language switch, health check."""
from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("core", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static/core", parts=("views", "views_outbox"))


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from app.core import deploy, errors, flashes, formreplay, mail, nav, slots
    from flask_babel import get_locale

    from app.core.text import linkify, nest_quotes
    from app.core.urls import absolute_url

    app.jinja_env.filters["linkify"] = linkify
    app.jinja_env.globals["absolute_url"] = absolute_url
    app.jinja_env.globals["form_refusal"] = formreplay.refusal_for  # also in imported macros
    app.jinja_env.globals["form_typed"] = formreplay.typed_for
    app.jinja_env.filters["quoted"] = lambda text: nest_quotes(text, str(get_locale() or "de"))
    errors.register(app)
    flashes.init_app(app)
    slots.init_app(app)
    nav.init_app(app)
    deploy.register(app)
    mail.init_app(app)
    nav.register_staff_nav(_l("What is next"), "core.staff_start", (), order=1)
    nav.register_staff_nav(_l("Mail outbox"), "core.outbox", ("admin",), order=95)
