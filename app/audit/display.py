"""How audit entries read on the admin page: values in words and in the visitor's date format."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.core.formatting import format_day, format_moment, format_number
from app.core.i18n import content
from app.core.labels import Labels, labels_for

#: Every action code passed to ``log_action`` in words (a test checks that none is missing).
ACTION_LABELS = Labels({
    "accessibility.video_delete": _l("Sign-language video removed"),
    "accessibility.video_upload": _l("Sign-language video uploaded"),
    "application.add": _l("Application added by staff"),
    "application.erased_by_applicant": _l("Application erased by the applicant"),
    "application.export": _l("Applications exported"),
    "application.remove": _l("Application removed"),
    "comment.approve": _l("Comment approved"),
    "comment.hide": _l("Comment hidden"),
    "comment.unhide": _l("Comment shown again"),
    "comment.withdraw": _l("Comment withdrawn by its participant"),
    "criterion.create": _l("Criterion created"),
    "criterion.delete": _l("Criterion deleted"),
    "criterion.edit": _l("Criterion edited"),
    "event.create": _l("Event created"),
    "event.edit": _l("Event edited"),
    "event.status": _l("Event status changed"),
    "idea.approve": _l("Online idea approved"),
    "idea.create": _l("Idea recorded"),
    "idea.edit": _l("Idea edited"),
    "idea.hide": _l("Idea hidden"),
    "idea.merge": _l("Ideas merged"),
    "idea.not_taken": _l("Idea marked as not taken into a measure"),
    "idea.not_taken_cleared": _l("“Not taken” mark removed from an idea"),
    "idea.take_into_room": _l("Online idea taken into the room's list"),
    "idea.unhide": _l("Idea shown again"),
    "idea.unmerge": _l("Merge undone"),
    "idea.withdraw": _l("Online idea withdrawn by its participant"),
    "invitation.reminders": _l("Reminder letters made for invitees who have not answered"),
    "lottery.commit": _l("Lottery commitment published"),
    "lottery.draw": _l("Seats drawn"),
    "lottery.expire": _l("Expired confirmations processed"),
    "lottery.replacement": _l("Seat given to the waiting list"),
    "lottery.seat_on_behalf": _l("Seat confirmed or declined on behalf of the applicant"),
    "lottery.redraw_request": _l("Re-draw requested (waits for a second admin)"),
    "lottery.supersede": _l("Draw superseded"),
    "lottery.objection": _l("Objection of an applicant to the lottery record"),
    "lottery.objection_answer": _l("Objection to the lottery record answered"),
    "measure.create": _l("Measure created"),
    "measure.edit": _l("Measure edited"),
    "measure.import": _l("Measures imported"),
    "measure.link_ideas": _l("Ideas taken into a measure"),
    "measure.status": _l("Measure status changed"),
    "measure.unlink_idea": _l("Idea removed from a measure"),
    "participant.block": _l("Participation link blocked"),
    "participant.unblock": _l("Participation link unblocked"),
    "participation.erased_by_participant": _l("Online participation erased by the participant"),
    "participation.settings": _l("Online participation settings changed"),
    "report.resolve": _l("Reports of a contribution resolved"),
    "privacy.purge": _l("Personal data deleted after the retention period"),
    "process.create": _l("Process created"),
    "process.edit": _l("Process edited"),
    "results.publish": _l("Results published"),
    "stand.create": _l("Stand created"),
    "stand.edit": _l("Stand edited"),
    "user.active": _l("Account activated or deactivated"),
    "user.create": _l("Account created"),
    "user.login": _l("Signed in"),
    "user.password": _l("Password changed"),
    "user.roles": _l("Roles changed"),
    "voting.badges_export": _l("Badges exported"),
    "voting.board_count": _l("Board dots counted"),
    "voting.check_in": _l("Participant checked in"),
    "voting.close": _l("Voting closed"),
    "voting.open": _l("Voting opened"),
    "voting.settings": _l("Voting settings changed"),
    "voting.ticket_reissue": _l("Ticket issued again"),
    "voting.ticket_revoke": _l("Ticket revoked"),
    "voting.tickets_issue": _l("Tickets issued"),
    "voting.walk_in": _l("Walk-in participant admitted"),
    "wall_link.renew": _l("Wall link renewed"),
})

#: What a changed field is called on the audit page (fields not listed show their name).
FIELD_LABELS = Labels({
    "active": _l("Active"),
    "admitted": _l("Admitted"),
    "answer": _l("Answer"),
    "answer_deadline": _l("Answer deadline"),
    "again": _l("Reminded again"),
    "anonymised": _l("Applications anonymised"),
    "applicants": _l("Applicants"),
    "application_id": _l("Application"),
    "applications_close_at": _l("Applications close"),
    "applications_open_at": _l("Applications open"),
    "applications_reset": _l("Applications reset"),
    "as_of": _l("As of"),
    "attempt": _l("Attempt"),
    "blocked_at": _l("Blocked"),
    "channel": _l("Channel"),
    "chapter": _l("Chapter"),
    "checked_in_at": _l("Checked in"),
    "closed_at": _l("Closed"),
    "comment": _l("Comment"),
    "commitment": _l("Commitment"),
    "confirm_deadline": _l("Confirm by"),
    "consent_text": _l("Consent text"),
    "count": _l("Number"),
    "date": _l("Date"),
    "deleted": _l("Applications deleted"),
    "description": _l("Description"),
    "new_deadline": _l("New answer deadline"),
    "easy_summary": _l("Summary in Leichte Sprache"),
    "dots_per_ticket": _l("Dots per ticket"),
    "ends_at": _l("End"),
    "expired": _l("Seats expired"),
    "file": _l("File"),
    "hidden_reason": _l("Reason for hiding"),
    "id": _l("Number"),
    "idea_id": _l("Idea"),
    "idea_ids": _l("Ideas"),
    "ideas": _l("Ideas"),
    "invited": _l("Invited"),
    "issued": _l("Issued"),
    "key": _l("Key"),
    "kind": _l("Kind"),
    "label": _l("Label"),
    "mails": _l("Mails"),
    "max_per_idea": _l("Dots per idea at most"),
    "measures": _l("Measures"),
    "merged_into_id": _l("Merged into idea"),
    "moderation": _l("Moderation"),
    "netiquette": _l("Netiquette"),
    "participant_id": _l("Participant"),
    "comments_kept": _l("Comments kept"),
    "ideas_kept": _l("Ideas kept"),
    "supports_deleted": _l("Supports deleted"),
    "follows_deleted": _l("Follows deleted"),
    "reports_resolved": _l("Reports resolved"),
    "withdrawn": _l("Withdrawn"),
    "before_enabled": _l("Online phase before the event"),
    "before_opens_at": _l("Online phase before the event opens"),
    "before_closes_at": _l("Online phase before the event closes"),
    "after_enabled": _l("Online phase after the event"),
    "after_opens_at": _l("Online phase after the event opens"),
    "after_closes_at": _l("Online phase after the event closes"),
    "public_value": _l("Public value"),
    "public_value_source": _l("Source of the public value"),
    "seed": _l("Seed"),
    "number": _l("Number drawn"),
    "number_source_kind": _l("How the number is drawn"),
    "objection_id": _l("Objection"),
    "lottery_objections": _l("Objections to the lottery record"),
    "office": _l("Office"),
    "online_closes_at": _l("Online voting closes"),
    "online_enabled": _l("Online voting"),
    "online_opens_at": _l("Online voting opens"),
    "opened_at": _l("Opened"),
    "options": _l("Options"),
    "outcome": _l("Outcome"),
    "place": _l("Venue"),
    "pseudonym": _l("Pseudonym"),
    "position": _l("Position"),
    "process_id": _l("Process"),
    "progress": _l("Progress"),
    "purge_unselected_early": _l("Delete data of people not drawn early"),
    "lottery_one_per_household": _l("At most one seat per household"),
    "invitation_only": _l("Invitation only"),
    "rate_limit_counters": _l("Rate limit counters"),
    "finished_jobs": _l("Finished background jobs"),
    # The privacy purge's parts from other features (PurgeReport.add_part).
    "register_extracts": _l("Register extracts emptied"),
    "register_unanswered_invitees": _l("Register data of invitees who did not answer"),
    # "lottery_objections" (above) names the lottery's part too.
    "participants_deleted": _l("Online participants deleted (address never confirmed)"),
    "participants_anonymised": _l("Online participants anonymised"),
    "participant_mails": _l("Mails to online participants"),
    "reason": _l("Reason"),
    "requested": _l("Re-draw requested"),
    "receipts": _l("Receipts"),
    "released": _l("Seats given up"),
    "result": _l("Result"),
    "retention_days": _l("Retention (days)"),
    "revoked_at": _l("Revoked"),
    "roles": _l("Roles"),
    "scope": _l("Scope"),
    "seats": _l("Seats"),
    "selected": _l("Selected"),
    "skipped": _l("Passed over"),
    "source": _l("Channel"),
    "stakeholder_group": _l("Stakeholder group"),
    "stakeholder_groups": _l("Stakeholder groups"),
    "stand_id": _l("Stand"),
    "starts_at": _l("Start"),
    "state": _l("Status"),
    "status": _l("Status"),
    "status_date": _l("Status date"),
    "table_size": _l("Table of panels"),
    "taken_into_room_at": _l("Taken into the room's list"),
    "tags": _l("Tags"),
    "tags_added_to_target": _l("Tags added"),
    "text": _l("Text"),
    "tickets": _l("Tickets"),
    "title": _l("Title"),
    "waiting_list": _l("Waiting list"),
    "walk_ins_allowed": _l("Walk-ins allowed"),
    "with_email": _l("With email address"),
    "with_name": _l("With name"),
})


#: What kind of object an entry concerns (by its table).
TARGET_LABELS = Labels({
    "application": _l("Application"),
    "comment": _l("Comment"),
    "criterion": _l("Criterion"),
    "event": _l("Event"),
    "idea": _l("Idea"),
    "lottery_draw": _l("Draw"),
    "lottery_replacement": _l("Replacement"),
    "measure": _l("Measure"),
    "measure_import": _l("Measure import"),
    "participant": _l("Online participant"),
    "process": _l("Process"),
    "stand": _l("Stand"),
    "ticket": _l("Ticket"),
    "user": _l("Account"),
    "sign_language_video": _l("Sign-language video"),
    "voting_settings": _l("Voting settings"),
    "wall_link": _l("Wall link"),
})


#: Actions whose free-text detail is a code of another set (the event's status buttons).
_DETAIL_LABELS = {"event.status": "event.transition", "results.publish": "event.transition"}


def detail_text(action: str, detail: str) -> str:
    """An entry's detail: the label where the detail is a code (``mark_held``), else the text."""
    name = _DETAIL_LABELS.get(action)
    return labels_for(name)(detail) if name and labels_for(name) else (detail or "–")


def change_text(value: object, target_type: str | None, field: str) -> str:
    """A changed value in words: a code of a labelled column (``event.status``) by its label,
    anything else by :func:`value_text`."""
    labels = labels_for(f"{target_type}.{field}") if target_type else None
    if labels is not None and isinstance(value, str):
        return labels(value)
    return value_text(value)

#: Fields whose values are content people wrote (titles, texts, reasons, tags), in the content's
#: language: marked with it on a page in another language (WCAG 3.1.2, issue 16 item 6).
CONTENT_FIELDS = frozenset({
    "chapter", "comment", "consent_text", "description", "easy_summary", "hidden_reason", "label",
    "netiquette", "options", "place", "previous_text", "reason", "stakeholder_group", "stakeholder_groups",
    "tags", "tags_added_to_target", "text", "title",
})


def change_html(value: object, target_type: str | None, field: str) -> Markup:
    """:func:`change_text` for the page: a content field's value marked with the content's language
    when the page is in another one (``<span lang="de">``)."""
    text = change_text(value, target_type, field)
    labelled = target_type is not None and labels_for(f"{target_type}.{field}") is not None
    if field in CONTENT_FIELDS and not labelled and isinstance(value, (str, list, tuple)) and text != "–":
        return content(text)
    return escape(text)


_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def value_text(value: object) -> str:
    """A stored before/after value as text: ``–`` for nothing, dates in the visitor's format,
    lists and mappings spelled out (never JSON with escapes)."""
    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {value_text(item)}" for key, item in value.items())
    if isinstance(value, datetime):
        return format_moment(value)
    if isinstance(value, date):
        return format_day(value)
    text = str(value)
    if _ISO_DAY.fullmatch(text):
        return format_day(date.fromisoformat(text))
    if _ISO_MOMENT.fullmatch(text):
        return format_moment(_moment(text))
    return text
