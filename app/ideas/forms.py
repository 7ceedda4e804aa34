"""Forms of the ideas feature (the capture form also works without JavaScript)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from app.core.forms import FlaskForm
from app.core.security import MAX_ID
from app.ideas.services import MAX_REASON_LENGTH, MAX_SAID_BY_LENGTH, MAX_STAND_DESCRIPTION, MAX_STAND_TITLE


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StandForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=MAX_STAND_TITLE)])
    description = TextAreaField(_l("Short description"), validators=[Length(max=MAX_STAND_DESCRIPTION)])
    position = IntegerField(_l("Order"), default=0, validators=[Optional(), NumberRange(min=0, max=999)])
    moderators = MultiCheckboxField(_l("Moderators"), coerce=int, validate_choice=False)


class CaptureForm(FlaskForm):
    """Text length and tags are checked by the service, which gives the clear messages."""

    text = StringField(_l("Idea"))
    said_by = StringField(_l("Said by (optional)"), validators=[Length(max=MAX_SAID_BY_LENGTH)])
    client_id = HiddenField()


class IdeaEditForm(FlaskForm):
    text = TextAreaField(_l("Text"))
    tags = StringField(_l("Tags"))
    said_by = StringField(_l("Said by (optional)"), validators=[Length(max=MAX_SAID_BY_LENGTH)])


class HideForm(FlaskForm):
    reason = StringField(_l("Reason for hiding"), validators=[
        DataRequired(message=_l("Please give a reason for hiding the idea.")), Length(max=MAX_REASON_LENGTH)])


class IdeaNumberField(IntegerField):
    """An idea's number as staff see it: "12", "#12" or "Nr. 12" are all idea 12 (a text input, so the
    "#" can be typed; the numeric keyboard on phones and tablets)."""

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = str(valuelist[0]).strip().removeprefix("#").removeprefix("Nr.").removeprefix("No.").strip()
        self.data = int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None
        if text and self.data is None:
            raise ValueError(_l("Please give the number of an idea, for example 12."))


class MergeForm(FlaskForm):
    source_id = IdeaNumberField(_l("Number of the idea to merge into this one"), validators=[
        InputRequired(_l("Please give the number of an idea to merge.")),
        NumberRange(min=1, max=MAX_ID, message=_l("There is no idea with this number."))])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: for buttons such as un-merge or renewing the wall link."""
