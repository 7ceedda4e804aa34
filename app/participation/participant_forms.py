"""Forms of online participation: the staff's online settings, the residents' sign-up and ideas.

The rules live in app/participation/services.py; the validators call them, so a message is the
same on every page.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import FlaskForm, service_check
from app.events.application_forms import HONEYPOT
from app.events.forms import LocalDateTimeField
from app.ideas.services import MAX_IDEA_LENGTH
from app.participation import services
from app.participation.models import PhaseKind

__all__ = ["HONEYPOT", "CommentForm", "IdeaForm", "ReportForm", "OnlineSettingsForm", "SignupForm", "StandIdeaForm"]


class OnlineSettingsForm(FlaskForm):
    before_enabled = BooleanField(_l("Online phase before the workshop: residents submit ideas to the stands"))
    before_opens_at = LocalDateTimeField(_l("Before the workshop: opens"), validators=[Optional()])
    before_closes_at = LocalDateTimeField(_l("Before the workshop: closes"), validators=[Optional()])
    after_enabled = BooleanField(_l("Online phase after the workshop: residents read, support and comment the ideas"))
    after_opens_at = LocalDateTimeField(_l("After the workshop: opens"), validators=[Optional()])
    after_closes_at = LocalDateTimeField(_l("After the workshop: closes"), validators=[Optional()])
    moderation = RadioField(_l("Moderation of online contributions (for the whole process)"),
                            choices=list(services.MODE_LABELS.items()), default="pre",
                            validators=[DataRequired(message=_l("Please choose how contributions are moderated."))])
    netiquette = TextAreaField(_l("Netiquette (for the whole process)"), validators=[Length(max=10_000)])

    def phases(self) -> dict[str, services.PhaseData]:
        return {kind.value: services.PhaseData(
            enabled=bool(self[f"{kind.value}_enabled"].data), opens_at=self[f"{kind.value}_opens_at"].data,
            closes_at=self[f"{kind.value}_closes_at"].data) for kind in PhaseKind}

    def fill(self, phases, settings) -> None:
        for kind, row in phases.items():
            if row is not None:
                self[f"{kind}_enabled"].data = row.enabled
                self[f"{kind}_opens_at"].data = row.opens_at
                self[f"{kind}_closes_at"].data = row.closes_at
        if settings is not None:
            self.moderation.data = settings.moderation
            self.netiquette.data = "\n".join(settings.netiquette_reasons)


class SignupForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[service_check(services.clean_display_name)])
    show_name_publicly = RadioField(
        _l("Your name beside your contributions"),
        choices=[("no", _l("Do not show my name: my contributions appear as “anonymous”")),
                 ("yes", _l("Show my display name publicly"))], default="no",
        validators=[DataRequired(message=_l("Please choose whether your name is shown."))])
    email = EmailField(_l("Email"), validators=[service_check(services.clean_participant_email)])
    consent = BooleanField(
        _l("I agree to the processing of my data as described above."),
        validators=[DataRequired(message=_l("Please agree to the processing of your data."))])
    website = StringField(_l("Leave this field empty"), validators=[Length(max=10_000)])


class IdeaForm(FlaskForm):
    text = TextAreaField(_l("Your idea"), validators=[
        DataRequired(message=_l("Please enter the idea's text.")), Length(max=MAX_IDEA_LENGTH)])


class StandIdeaForm(IdeaForm):
    stand = SelectField(_l("Stand"), coerce=str, validate_choice=False,
                        validators=[DataRequired(message=_l("Please choose a stand."))])


class CommentForm(FlaskForm):
    """A comment or (with ``parent_id``) an answer to a comment; the checks are the service's."""

    text = TextAreaField(_l("Your comment"), validators=[
        DataRequired(message=_l("Please enter your comment.")), Length(max=10_000)])
    parent_id = HiddenField(validators=[Length(max=20)])


class ReportForm(FlaskForm):
    """A report: a rule of the netiquette (choices set by the view) and an optional note."""

    reason = SelectField(_l("Which rule of the netiquette does it break?"), validate_choice=False,
                         validators=[DataRequired(message=_l("Please choose the rule of the netiquette the "
                                                             "contribution breaks."))])
    details = TextAreaField(_l("Note for the moderation (optional)"), validators=[Length(max=10_000)])
    website = StringField(_l("Leave this field empty"), validators=[Length(max=10_000)])
