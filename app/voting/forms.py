"""Forms of the voting feature (CSRF included through Flask-WTF)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.forms import FlaskForm
from app.voting.models import MAX_DOTS


class CodeForm(FlaskForm):
    code = StringField(_l("Ticket code"), validators=[DataRequired(_l("Please enter the code of your ticket.")),
                                                      Length(max=64)])


class CheckInForm(FlaskForm):
    code = StringField(_l("Ticket code"), validators=[DataRequired(_l("Please enter or scan a ticket code.")),
                                                      Length(max=64)])


class WalkInForm(FlaskForm):
    #: The length is checked by tickets.issue_walk_in (its message goes to the field).
    name = StringField(_l("Name on the badge (optional)"), validators=[Optional()], render_kw={"maxlength": 200})


class SettingsForm(FlaskForm):
    dots_per_ticket = IntegerField(_l("Dots per participant"), validators=[
        InputRequired(), NumberRange(min=1, max=MAX_DOTS)])
    max_per_idea = IntegerField(_l("Most dots on one idea (empty: no limit)"), validators=[
        Optional(), NumberRange(min=1, max=MAX_DOTS)])
    scope = RadioField(_l("The dots are"), choices=[
        ("event", _l("for the whole event")), ("stand", _l("for each stand"))], default="event")
    walk_ins_allowed = BooleanField(_l("Staff may issue tickets at the door (walk-ins)"))


class EmptyForm(FlaskForm):
    """Only the CSRF token (buttons that change state)."""
