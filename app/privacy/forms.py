"""The feedback form of the accessibility statement (BITV 2.0 feedback mechanism)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.core.forms import FlaskForm
from app.core.text import clean_text
from app.events.application_services import ApplicationError, clean_email

MESSAGE_MAX = 5000


def _line(value):
    return clean_text(value)[:500] if isinstance(value, str) else value


def _text(value):
    return clean_text(value, multiline=True) if isinstance(value, str) else value


class FeedbackForm(FlaskForm):
    name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=200)], filters=[_line])
    email = EmailField(_l("Your email address (optional, if you would like an answer)"),
                       validators=[Optional(), Length(max=254)], filters=[_line])
    message = TextAreaField(_l("Which barrier did you meet, and where?"),
                            validators=[DataRequired(), Length(max=MESSAGE_MAX)], filters=[_text])
    #: Honeypot, as on the application form: people never see it.
    website = StringField(_l("Leave this field empty"), validators=[Length(max=10_000)])

    def validate_email(self, field):
        if field.data:
            try:
                field.data = clean_email(field.data)
            except ApplicationError as exc:
                raise ValidationError(str(exc.message)) from None
