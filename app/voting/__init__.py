"""Tickets, check-in and dot voting."""
from flask_babel import lazy_gettext as _l

from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("voting", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static/voting", parts=("live", "views_manage", "views_public"))


def init_app(app):
    from app.core import signals
    from app.core.nav import register_staff_nav
    from app.voting import live
    from app.voting.checkin import attended_applications
    from app.voting.cli import voting_cli
    from app.voting.codes import format_code
    from app.voting.tickets import on_seat_confirmed, on_seat_released

    # The seat life cycle (app/events/application_status.py) and the representativeness report.
    signals.seat_confirmed.connect(on_seat_confirmed)
    signals.seat_released.connect(on_seat_released)
    signals.attendance.connect(attended_applications)
    # The check-in counter and the public results, live (after the commit, app/voting/live.py).
    live.init_app(app)

    app.cli.add_command(voting_cli)
    app.jinja_env.filters["ticket_code"] = format_code
    states = {"not_open": _l("not open yet"), "open": _l("open"), "closed": _l("closed")}
    app.jinja_env.globals["voting_state_label"] = lambda state: states.get(state, state)
    register_staff_nav(_l("Voting"), "voting.overview", ("admin", "moderator"), order=40)
