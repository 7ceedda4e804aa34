"""The seat lottery: a leximin-fair quota draw with a public commitment, audit and waiting list.

The pure algorithmic core (``algorithm``, ``audit``, ``sortition_csv``,
``cli``) needs no database; ``models``, ``services`` and the views bring it
into the application (see ``services`` for the life of a draw).
"""
from flask_babel import lazy_gettext as _l

from app.core.blueprints import FeatureBlueprint
from app.core.labels import label, register_labels

bp = FeatureBlueprint("lottery", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static/lottery", parts=("jobs", "views_manage", "views_public"))


def init_app(app):
    from app.core.start import register_start_steps
    from app.lottery import commands, services, start
    from app.lottery.cli import lottery_cli

    commands.register(lottery_cli)
    register_start_steps(start.start_steps)
    app.cli.add_command(lottery_cli)
    app.jinja_env.globals.update(
        lottery_seat=services.seat_of_application,
        lottery_has_receipt=services.has_receipt,
        lottery_releases=services.releases_of,
        number_source_label=services.number_source_label,
        number_verifiable=services.number_verifiable,
        draw_state_label=DRAW_STATE_LABELS,
        release_label=RELEASE_LABELS,
        objection_status_label=OBJECTION_STATUS_LABELS,
        release_channel_label=RELEASE_CHANNEL_LABELS,
        group_label=lambda group: GROUP_LABELS.get(group, group),
        application_status_label=lambda status: label(status, "application.status"),
        on_behalf_channels=services.ON_BEHALF_CHANNELS,
    )


DRAW_STATE_LABELS = register_labels("lottery_draw.state", {
    "committed": _l("commitment published"),
    "drawn": _l("drawn"),
    "superseded": _l("superseded"),
})
RELEASE_LABELS = register_labels("lottery_entry.release_reason", {
    "declined": _l("declined"), "expired": _l("not confirmed in time"), "withdrawn": _l("withdrawn"),
})
RELEASE_CHANNEL_LABELS = register_labels("lottery_entry.release_channel", {
    "link": _l("by the applicant, with their own link"),
    "phone": _l("by staff on the applicant's behalf (by phone)"),
    "paper": _l("by staff on the applicant's behalf (on paper)"),
    "in_person": _l("by staff on the applicant's behalf (in person)"),
    "deadline": _l("the deadline passed without an answer"),
    "withdrawal": _l("the application was withdrawn"),
})
OBJECTION_STATUS_LABELS = register_labels("lottery_objection.status", {
    "open": _l("open"), "answered": _l("answered"),
})
GROUP_LABELS = {
    "applicants": _l("Applicants"),
    "selected": _l("Selected"),
    "confirmed": _l("Confirmed"),
    "attended": _l("Attended"),
    "population": _l("Population"),
}
