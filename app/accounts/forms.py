"""Forms of the accounts feature."""
from __future__ import annotations

from collections.abc import Mapping

from flask import flash
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.errors import AccountError
from app.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from app.core.forms import FlaskForm
from app.core.text import clean_text

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "moderator": _l("Moderator"),
    "council": _l("Council"),
}
ROLE_CHOICES = [SelectChoice(value, label) for value, label in ROLE_LABELS.items()]


def show_error(form: FlaskForm, exc: AccountError, fields: Mapping[str, str]) -> None:
    """Put the error under the form field it belongs to (``fields`` maps the error's field to
    the form's, e.g. ``{"password": "new_password"}``), or flash it."""
    name = fields.get(exc.field or "")
    if name and name in form:
        form[name].errors = [*form[name].errors, str(exc.message)]
    else:
        flash(str(exc.message), "error")


def _strip(value):
    return clean_text(value) if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)], filters=[_strip])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords do not match."))],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserCreateForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)], filters=[_strip])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)], filters=[_strip])
    roles = MultiCheckboxField(_l("Roles"), choices=ROLE_CHOICES, validators=[DataRequired(message=_l("Choose at least one role."))])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
    )


class UserEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)], filters=[_strip])
    roles = MultiCheckboxField(_l("Roles"), choices=ROLE_CHOICES, validators=[DataRequired(message=_l("Choose at least one role."))])
    active = BooleanField(_l("Account is active"))
    new_password = PasswordField(
        _l("Set a new password (optional)"),
        validators=[Length(max=MAX_PASSWORD_LENGTH)],
    )
