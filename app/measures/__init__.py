"""Strategy measures: status tracking, ideas taken into measures, the public page
"what became of the ideas", notifications and the CSV import."""
from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

bp = Blueprint("measures", __name__, template_folder="templates")

from app.measures import views_manage, views_public  # noqa: E402,F401


def init_app(app):
    from app.core.nav import register_staff_nav
    from app.ideas import services as idea_services
    from app.measures import importer, services

    app.config.setdefault("MEASURES_IMPORT_MAX_BYTES", importer.MAX_BYTES)
    register_staff_nav(_l("Measures"), "measures.overview", ("admin",), order=50)
    if services._after_idea_visibility_change not in idea_services.AFTER_VISIBILITY_CHANGE:
        idea_services.AFTER_VISIBILITY_CHANGE.append(services._after_idea_visibility_change)
    app.jinja_env.globals["measure_status_label"] = services.status_label
    app.jinja_env.globals["idea_measure_controls"] = views_manage.idea_measure_controls
    app.jinja_env.globals["measure_count"] = services.measure_count

    # Before CSRF (which reads the form): an upload over the import's limit is refused
    # from its Content-Length, and a body without one is cut off while it streams.
    funcs = app.before_request_funcs.setdefault(None, [])
    position = next((n for n, f in enumerate(funcs) if getattr(f, "__name__", "") == "csrf_protect"), 0)
    funcs.insert(position, _limit_import_upload)


def _limit_import_upload():
    from flask import current_app

    if request.endpoint != "measures.import_measures" or request.method != "POST":
        return None
    limit = current_app.config["MEASURES_IMPORT_MAX_BYTES"]
    # Room for the multipart framing and the CSRF token around the file itself.
    request.max_content_length = limit + 64 * 1024
    if request.content_length is not None and request.content_length > request.max_content_length:
        return views_manage.upload_too_large()
    return None
