"""Admin forms of the lottery. Values that need the draw (the number) are checked in the services."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.core.forms import FlaskForm
from app.events.forms import LocalDateTimeField

MAX_UPLOAD = 5 * 1024 * 1024


class CommitForm(FlaskForm):
    number_source = RadioField(
        _l("How will the number be drawn?"),
        choices=[("public", _l("In public (dice, lotto balls, …); an admin enters the number")),
                 ("server", _l("By the server from a cryptographic random source"))],
        default="public", validators=[InputRequired(_l("Choose how the number will be drawn."))])
    description = StringField(_l("Where, when and how the number is drawn in public"),
                              validators=[Optional(), Length(max=400)])
    public_value_source = StringField(_l("Public value combined with the number (optional)"),
                                      validators=[Optional(), Length(max=400)])


class DrawForm(FlaskForm):
    number = StringField(_l("Number drawn"), validators=[Optional(), Length(max=40)])
    public_value = StringField(_l("Public value, as published"), validators=[Optional(), Length(max=200)])
    deadline = LocalDateTimeField(_l("Selected applicants confirm their seat by"),
                                  validators=[InputRequired(_l("Set the deadline for confirmations."))])


class SupersedeForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the re-draw (published)"),
                           validators=[InputRequired(_l("Give the reason for the re-draw.")), Length(max=2000)])


class CategoriesImportForm(FlaskForm):
    categories = FileField(_l("Categories file (feature,value,min,max)"))


class DryRunForm(FlaskForm):
    people = FileField(_l("People file (id plus one column per criterion)"))
    dry_categories = FileField(_l("Categories file (optional; default: the event's quotas)"))
    already_selected = FileField(_l("Already selected (optional; a people file of those who already have a seat)"))
    seats = IntegerField(_l("Seats (optional; default: the event's seats)"),
                         validators=[Optional(), NumberRange(min=1, max=10_000)])


class ObjectionAnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer (mailed to the applicant)"),
                           validators=[InputRequired(_l("Write the answer.")), Length(max=2000)])
