"""Staff page of online participation: an event's online phases and the process's moderation mode
and netiquette (issue 18)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.core.access import staff_required
from app.core.forms import attach_error
from app.events.views_manage import get_event_or_404
from app.participation import bp, services
from app.participation.participant_forms import OnlineSettingsForm


@bp.route("/manage/events/<int:event_id>/online", methods=["GET", "POST"])
@staff_required("admin")
def online_settings(event_id: int):
    event = get_event_or_404(event_id)
    form = OnlineSettingsForm()
    if not form.is_filled_in():
        form.fill(services.phases_of(event), services.settings_of(event.process_id))
    elif form.validate():
        try:
            services.save_online_settings(event, form.phases(), form.moderation.data, form.netiquette.data)
        except services.ParticipationError as exc:
            attach_error(form, exc)
        else:
            flash(_("The online participation settings have been saved."), "success")
            return redirect(url_for("participation.online_settings", event_id=event.id))
    status = 422 if form.is_submitted() else 200
    return render_template("participation/manage/online_settings.html", event=event, form=form), status
