"""Forms of the measures feature (every check that needs the database is in the services)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import FlaskForm
from app.measures.base import STATUS_LABELS


def status_choices(statuses=None) -> list[tuple[str, object]]:
    return [(value, label) for value, label in STATUS_LABELS.items() if statuses is None or value in statuses]


class _TextsForm(FlaskForm):
    """Lengths and the unique title are checked by the service, which gives the messages."""

    title = StringField(_l("Title"))
    chapter = StringField(_l("Chapter or field of action"))
    office = StringField(_l("Responsible office"))
    description = TextAreaField(_l("Description"))
    progress = IntegerField(_l("Progress in percent (0–100)"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=100)])


class MeasureEditForm(_TextsForm):
    pass


class MeasureCreateForm(_TextsForm):
    status = SelectField(_l("Status"), choices=status_choices(), default="proposed")
    changed_on = DateField(_l("Date of the status"), validators=[Optional()],
                           format="%Y-%m-%d")
    comment = TextAreaField(_l("Public comment on the status (optional)"))


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[InputRequired()])
    changed_on = DateField(_l("Date of the change"), validators=[Optional()], format="%Y-%m-%d")
    comment = TextAreaField(_l("Public comment (shown on the public page and in the mail)"))
    progress = IntegerField(_l("Progress in percent (0–100), optional"),
                            validators=[Optional(), NumberRange(min=0, max=100)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LinkIdeasForm(FlaskForm):
    idea_ids = MultiCheckboxField(_l("Ideas"), coerce=int, validate_choice=False)


class LinkMeasureForm(FlaskForm):
    """From an idea list: take this idea into one measure of the process."""

    measure_id = SelectField(_l("Measure"), coerce=int, validate_choice=False)


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Public reason why the idea is not taken"))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"))


class ConfirmForm(FlaskForm):
    """Only the CSRF token: unlink, confirm an import, opt out."""
