"""Processes, events (workshops) and residents' applications for seats."""
from flask_babel import lazy_gettext as _l

from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("events", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static/events",
                      parts=("views_manage", "views_public", "views_applications_manage", "views_apply"))


def init_app(app):
    from app.core.markdown import render_markdown
    from app.core.nav import register_staff_nav
    from app.core.start import register_start_steps
    from app.events import start
    from app.events import calendar, display, services

    app.jinja_env.filters["markdown"] = render_markdown
    register_staff_nav(_l("Processes"), "events.manage_processes", ("admin", "council"), order=10)
    register_staff_nav(_l("Applications"), "events.applications_overview", ("admin", "council"), order=20)
    register_start_steps(start.start_steps)

    def upcoming_events(process, limit=3):
        upcoming, _ = services.split_upcoming(services.public_events(process))
        return upcoming[:limit]

    # Globals rather than a context processor, so imported macros see them too.
    app.jinja_env.globals.update(
        event_status_label=services.EVENT_STATUS_LABELS,
        action_label=lambda action: services.ACTION_LABELS.get(action, action),
        upcoming_events=upcoming_events,
        public_event_count=lambda process: len(services.public_events(process)),
        event_when=display.event_when,
        window_text=display.window_text,
        event_ics_filename=calendar.ics_filename,
        list_processes=services.list_processes,  # the start page (core/index.html)
    )
