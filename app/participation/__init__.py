"""Online participation (issue 18): participants without an account, online phases per event,
moderation of online ideas, public idea lists."""
from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("participation", __name__, template_folder="templates",
                      parts=("views_comments", "views_follows", "views_lists", "views_manage", "views_moderation",
                             "views_public", "views_reports"))


def init_app(app):
    from app.core.slots import register_slot

    register_slot(app, "process_public_links", "participation/lists/_process_link.html", order=30)
    register_slot(app, "process_public_links", "participation/_process_link.html", order=40)
    register_slot(app, "event_manage_links", "participation/_event_manage_link.html", order=20)
    from app.core import signals
    from app.participation import follows, services

    app.jinja_env.globals.update(participation_open=services.is_open)
    # Followers hear what becomes of the ideas they follow (one mail per event, in the same transaction).
    signals.ideas_merged.connect(follows.on_ideas_merged)
    signals.measure_ideas_linked.connect(follows.on_measure_ideas_linked)
    signals.measure_status_changed.connect(follows.on_measure_status_changed)
