"""Results: dashboards for the council, published results for the public (read-only).

The aggregations are in :mod:`app.results.services`; other features (exports, the
open-data API, the council report) build on them.
"""
from flask import url_for

from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("results", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static/results",
                      parts=("live", "views_exports", "views_manage", "views_public"))


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from app.core.nav import register_staff_nav
    from app.core.start import register_start_steps
    from app.results import start

    from app.core import signals
    from app.results import display, live, services

    signals.event_action.connect(services.refuse_publishing_while_voting)
    live.init_app(app)
    register_staff_nav(_l("Results"), "results.dashboard_index", ("admin", "council"), order=60)
    register_start_steps(start.start_steps)

    app.jinja_env.globals.update(
        funnel_steps=display.funnel_steps,
        funnel_chart=display.funnel_chart,
        event_results_url=lambda event_id: url_for("results.event_results", event_id=event_id),
    )
