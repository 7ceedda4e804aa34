"""The seat lottery: a leximin-fair quota draw with a public commitment, audit and waiting list.

The pure algorithmic core (``algorithm``, ``audit``, ``sortition_csv``, ``cli``) needs no
database; ``models``, the service modules and the views bring it into the application:

- :mod:`~app.lottery.base`: the pool of an event, its draws and entries, the draw lock (shared by the others)
- :mod:`~app.lottery.preview`: ``preview()``; :mod:`~app.lottery.commitment`: ``publish_commitment()``
- :mod:`~app.lottery.number`: how the number is obtained and read; :mod:`~app.lottery.draw`: ``perform_draw()``
- :mod:`~app.lottery.seats`: answers, deadlines, the waiting list, replacements, what the pages show of seats
- :mod:`~app.lottery.supersede`: ``supersede_draw()``; :mod:`~app.lottery.published`: the audit record
- :mod:`~app.lottery.seat_tokens`: the seat link; :mod:`~app.lottery.mails`: the applicants' mails
- :mod:`~app.lottery.representativeness`, :mod:`~app.lottery.sortition_files` (Sortition Foundation files)

The life of a draw (functions flush; the calling view or command commits once)::

    event closed ──preview()──▶ probabilities per applicant, or the infeasibility report (nothing stored)
                 ──publish_commitment()──▶ draw "committed": applicant list frozen under pseudonyms,
                                           table of M panels and commitment published
                 ──perform_draw()──▶ draw "drawn", event "drawn": the number picks the panel,
                                     everyone else is on the waiting list in drawn order; mails
    selected     ──respond_to_seat()──▶ confirmed / declined (a decline frees the seat)
                 ──respond_on_behalf()──▶ the same, recorded by staff for a phone or paper applicant
    deadline     ──process_draw() / expire_all_due()──▶ unconfirmed seats lapse
    free seat    ──fill_vacancies()──▶ the first waiting applicant who keeps every quota gets it
    any time     ──supersede_draw(reason)──▶ draw "superseded" (stays public), applications reset

**Waiting list.** Everyone in the frozen list who is not selected is
waitlisted, in the order derived from the number (the audit's order). There
is no length limit: a cut-off would make replacements depend on a parameter
the audit does not contain. ``not_selected`` is for applications that were
entered after the commitment (staff may still add paper applications to a
closed event): they did not take part in the draw.

**Replacements** are written to :class:`~app.lottery.models.LotteryReplacement`
exactly as the audit file lists them, so ``flask lottery verify`` replays
them: ``declined`` holds the seats given up since the previous replacement,
``skipped`` the waiting applicants passed over because they withdrew.

**Concurrency.** Every operation that changes seats first locks the draw
row (:func:`~app.lottery.base.lock_draw`: ``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite
an ``UPDATE`` of the row takes the database's write lock) and then reads
the entries afresh, so two declines at once never admit the same person.
Operations are idempotent: confirming twice or declining twice changes
nothing the second time.
"""
from flask_babel import lazy_gettext as _l

from app.core.blueprints import FeatureBlueprint
from app.core.labels import label, register_labels

bp = FeatureBlueprint("lottery", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static/lottery", parts=("jobs", "views_manage", "views_public"))


def init_app(app):
    from app.core.slots import register_slot

    register_slot(app, "event_public_links", "lottery/_event_public_link.html", order=20)
    register_slot(app, "event_manage_links", "lottery/_event_manage_link.html", order=10)
    register_slot(app, "application_seat", "lottery/_seat_slot.html", order=10)
    from app.core.start import register_start_steps
    from app.lottery import commands, start
    from app.lottery.cli import lottery_cli
    from app.lottery.number import number_source_label, number_verifiable
    from app.lottery.seats import ON_BEHALF_CHANNELS, has_receipt, releases_of, seat_of_application

    commands.register(lottery_cli)
    register_start_steps(start.start_steps)
    app.cli.add_command(lottery_cli)
    app.jinja_env.globals.update(
        lottery_seat=seat_of_application,
        lottery_has_receipt=has_receipt,
        lottery_releases=releases_of,
        number_source_label=number_source_label,
        number_verifiable=number_verifiable,
        draw_state_label=DRAW_STATE_LABELS,
        release_label=RELEASE_LABELS,
        objection_status_label=OBJECTION_STATUS_LABELS,
        release_channel_label=RELEASE_CHANNEL_LABELS,
        group_label=lambda group: GROUP_LABELS.get(group, group),
        application_status_label=lambda status: label(status, "application.status"),
        on_behalf_channels=ON_BEHALF_CHANNELS,
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
