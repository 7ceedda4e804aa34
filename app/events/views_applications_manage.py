"""Staff side of applications: counts (admin and council), list, phone/paper entries, removal,
CSV export (admin only: these show personal data)."""
from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import staff_required
from app.core.forms import attach_error
from app.core.security import int_arg
from app.events import bp
from app.events import application_services as services
from app.events.application_forms import staff_add_form
from app.events.application_services import ApplicationData, ApplicationError
from app.events.models import Application, Event
from app.events.services import PUBLIC_EVENT
from app.extensions import db

#: Excel with German settings opens ";"-separated files directly; LibreOffice detects it.
CSV_DELIMITER = ";"
#: Rows written to the response per chunk of the streamed CSV.
CSV_CHUNK_ROWS = 500


def get_event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


def get_application_or_404(event: Event, application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or application.event_id != event.id:
        abort(404)
    return application


@bp.route("/manage/applications")
@staff_required("admin", "council")
def applications_overview():
    counts = db.session.execute(
        sa.select(Application.event_id, Application.status, sa.func.count())
        .group_by(Application.event_id, Application.status)
    ).all()
    by_event: dict[int, dict[str, int]] = {}
    for event_id, status, count in counts:
        by_event.setdefault(event_id, {})[status] = count
    events = db.session.execute(
        sa.select(Event).where(PUBLIC_EVENT)
        .order_by(Event.starts_at.desc().nulls_last(), Event.id.desc())
    ).scalars().all()
    return render_template("events/applications_overview.html", events=events, by_event=by_event,
                           status_labels=services.STATUS_LABELS)


@bp.route("/manage/events/<int:event_id>/applications/summary")
@staff_required("admin", "council")
def application_summary(event_id: int):
    event = get_event_or_404(event_id)
    return render_template(
        "events/application_summary.html", event=event,
        by_status=services.counts_by_status(event), by_option=services.counts_by_option(event),
        status_labels=services.STATUS_LABELS, is_admin="admin" in current_user.role_names,
    )


@bp.route("/manage/events/<int:event_id>/applications")
@staff_required("admin")
def manage_applications(event_id: int):
    event = get_event_or_404(event_id)
    term = request.args.get("q", "", type=str)[:100]
    needs_call = request.args.get("call") == "1"
    origin = request.args.get("origin", "", type=str)
    origin = origin if origin in services.ORIGINS else ""
    page = db.paginate(services.search_query(event, term, needs_call, origin), page=int_arg("page", 1, maximum=1_000_000),
                       per_page=current_app.config["APPLICATIONS_PER_PAGE"], max_per_page=200,
                       error_out=False, count=True)
    return render_template("events/applications_list.html", event=event, page=page, q=term,
                           needs_call=needs_call, to_call=services.count_needing_call(event),
                           origin=origin, invitations=services.has_invitations(event) or event.invitation_only,
                           invited=services.invited_ids(a.id for a in page.items),
                           status_labels=services.STATUS_LABELS, source_labels=services.SOURCE_LABELS)


@bp.route("/manage/events/<int:event_id>/applications/new", methods=["GET", "POST"])
@staff_required("admin")
def add_application(event_id: int):
    event = get_event_or_404(event_id)
    form = staff_add_form(event)
    if form.validate_on_submit():
        data = ApplicationData(name=form.name.data, email=form.email.data or "", answers=form.answers(),
                               consent=bool(form.consent.data), language=form.language.data)
        try:
            application = services.add_by_staff(event, data, current_user, form.source.data)
        except ApplicationError as exc:
            attach_error(form, exc)
        else:
            flash(_("The application of %(name)s has been added.", name=application.name), "success")
            return redirect(url_for("events.manage_applications", event_id=event.id))
    status = 422 if form.is_submitted() else 200
    return render_template("events/application_add.html", event=event, form=form), status


@bp.route("/manage/events/<int:event_id>/applications/<int:application_id>/remove", methods=["GET", "POST"])
@staff_required("admin")
def remove_application(event_id: int, application_id: int):
    event = get_event_or_404(event_id)
    application = get_application_or_404(event, application_id)
    if request.method == "POST":
        name = application.name
        services.remove(application)
        flash(_("The application of %(name)s has been removed.", name=name or "–"), "success")
        return redirect(url_for("events.manage_applications", event_id=event.id))
    return render_template("events/application_remove.html", event=event, application=application,
                           status_labels=services.STATUS_LABELS)


@bp.route("/manage/events/<int:event_id>/applications.csv")
@staff_required("admin")
def export_applications(event_id: int):
    event = get_event_or_404(event_id)
    services.log_export(event)
    app = current_app._get_current_object()
    locale = str(get_locale() or "de")

    def generate():
        yield "\ufeff"  # the BOM makes Excel read UTF-8
        # An own app context (not stream_with_context), entered only once the body is read
        # beyond its first chunk: a response that is never read leaves nothing to clean up.
        with app.app_context(), force_locale(locale):
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
            streamed_event = db.session.get(Event, event_id)
            for n, row in enumerate(services.export_rows(streamed_event), start=1):
                writer.writerow(row)
                if n % CSV_CHUNK_ROWS == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()
            db.session.remove()

    filename = f"applications-event-{event.id}.csv"
    return Response(
        generate(), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "no-store"},
    )
