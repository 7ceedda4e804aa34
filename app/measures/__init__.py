"""Strategy measures: status tracking, ideas taken into measures, the public page
"what became of the ideas", notifications and the CSV import."""
from flask_babel import lazy_gettext as _l

from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("measures", __name__, template_folder="templates",
                      parts=("views_manage", "views_public"))


def init_app(app):
    from app.core.slots import register_slot

    register_slot(app, "process_public_links", "measures/_process_public_link.html", order=20)
    register_slot(app, "event_public_links", "measures/_event_public_link.html", order=30)
    register_slot(app, "process_manage_links", "measures/_process_manage_link.html", order=20)
    from app.core import signals
    from app.measures import views_manage
    from app.core.nav import register_staff_nav
    from app.core.uploads import limit_upload
    from app.measures.base import status_label
    from app.measures.lifecycle import measure_count
    from app.measures.links import after_idea_visibility_change

    register_staff_nav(_l("Measures"), "measures.overview", ("admin",), order=50)
    signals.idea_visibility_changed.connect(after_idea_visibility_change)
    app.jinja_env.globals["measure_status_label"] = status_label
    app.jinja_env.globals["idea_measure_controls"] = views_manage.idea_measure_controls
    app.jinja_env.globals["measure_count"] = measure_count
    limit_upload(app, "measures.import_measures", "MEASURES_IMPORT_MAX_BYTES", views_manage.upload_too_large)
