"""Staff forms for processes, events and criteria.

Times are entered as local Esslingen time (``datetime-local`` inputs) and
converted to naive UTC, as the database stores them.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import BooleanField, Form, FieldList, FormField, IntegerField, StringField, TextAreaField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.core.forms import FlaskForm
from app.core.text import clean_text
from app.events.services import MAX_OPTIONS, MAX_RETENTION_DAYS, MAX_SEATS, EventData, OptionData

MAX_MARKDOWN = 20_000


def _line(value):
    return clean_text(value) if isinstance(value, str) else value


def _text(value):
    return clean_text(value, multiline=True) if isinstance(value, str) else value


def _local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Berlin"))


class LocalDateTimeField(DateTimeLocalField):
    """A ``datetime-local`` input in the city's time zone; ``.data`` is naive UTC."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and len(valuelist[0]) > 40:
            self.data = None
            raise ValueError(self.gettext("Not a valid datetime value."))
        super().process_formdata(valuelist)
        if self.data is not None:
            if not 1900 <= self.data.year <= 2999:
                self.data = None
                raise ValueError(_l("Please enter a date between 1900 and 2999."))
            local = self.data.replace(tzinfo=_local_zone())
            self.data = local.astimezone(timezone.utc).replace(tzinfo=None)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if self.data is None:
            return ""
        local = self.data.replace(tzinfo=timezone.utc).astimezone(_local_zone())
        return local.strftime("%Y-%m-%dT%H:%M")


def utc_to_local(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc).astimezone(_local_zone()).replace(tzinfo=None)


class ProcessForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)], filters=[_line])
    description = TextAreaField(_l("Description"), validators=[Length(max=MAX_MARKDOWN)], filters=[_text])
    easy_summary = TextAreaField(_l("Summary in Leichte Sprache"), validators=[Length(max=MAX_MARKDOWN)],
                                 filters=[_text])
    stakeholder_groups = TextAreaField(_l("Stakeholder groups"), validators=[Length(max=5000)], filters=[_text])


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)], filters=[_line])
    description = TextAreaField(_l("Description"), validators=[Length(max=MAX_MARKDOWN)], filters=[_text])
    easy_summary = TextAreaField(_l("Summary in Leichte Sprache"), validators=[Length(max=MAX_MARKDOWN)],
                                 filters=[_text])
    place = StringField(lazy_pgettext("venue", "Place"), validators=[Length(max=300)], filters=[_line])
    starts_at = LocalDateTimeField(_l("Starts"), validators=[Optional()])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[Optional()])
    seats = IntegerField(_l("Seats"), validators=[InputRequired(), NumberRange(min=0, max=MAX_SEATS)], default=0)
    applications_open_at = LocalDateTimeField(_l("Applications open"), validators=[Optional()])
    applications_close_at = LocalDateTimeField(_l("Applications close"), validators=[Optional()])
    stakeholder_group = StringField(_l("Stakeholder group"), validators=[Length(max=120)], filters=[_line])
    consent_text = TextAreaField(_l("Consent and privacy notice"), validators=[Length(max=MAX_MARKDOWN)],
                                 filters=[_text])
    retention_days = IntegerField(_l("Keep personal data for (days after the event)"),
                                  validators=[InputRequired(), NumberRange(min=0, max=MAX_RETENTION_DAYS)],
                                  default=90)
    purge_unselected_early = BooleanField(
        _l("Delete the data of applicants without a seat as soon as the waiting list has expired"))
    lottery_one_per_household = BooleanField(_l("Lottery: at most one seat per household"))
    invitation_only = BooleanField(_l("Invitation only: only invitees from the residents' register apply, "
                                      "with the personal code from their letter"))

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The event must end after it starts."))

    def validate_applications_close_at(self, field):
        opens = self.applications_open_at.data
        if field.data and opens and field.data <= opens:
            raise ValidationError(_l("The application window must close after it opens."))
        if field.data and self.starts_at.data and field.data > self.starts_at.data:
            raise ValidationError(_l("The application window must close before the event starts."))

    def to_data(self) -> EventData:
        return EventData(**{name: getattr(self, name).data for name in EventData.__dataclass_fields__})


class PercentField(StringField):
    """A percentage, accepting a decimal comma (``12,5``); empty is None."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist:
            return
        raw = clean_text(valuelist[0]).replace(",", ".").rstrip("%").strip()
        if not raw:
            return
        try:
            number = float(raw) if len(raw) <= 20 else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or not 0 <= number <= 100:
            raise ValueError(_l("Enter a percentage between 0 and 100."))
        self.data = number

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:g}"


class OptionForm(Form):
    """One row of the criteria editor (no CSRF of its own: the outer form has it)."""

    label = StringField(_l("Option"), validators=[Length(max=200)], filters=[_line])
    value = StringField(_l("Short name"), validators=[Length(max=60)], filters=[_line])
    min_seats = IntegerField(_l("Minimum seats"), validators=[Optional(), NumberRange(min=0, max=MAX_SEATS)])
    max_seats = IntegerField(_l("Maximum seats"), validators=[Optional(), NumberRange(min=0, max=MAX_SEATS)])
    population_percent = PercentField(_l("Population share (percent)"))


class CriterionForm(FlaskForm):
    label = StringField(_l("Question"), validators=[DataRequired(), Length(max=200)], filters=[_line])
    key = StringField(_l("Short name"), validators=[Length(max=60)], filters=[_line])
    options = FieldList(FormField(OptionForm), min_entries=0, max_entries=MAX_OPTIONS)

    def to_options(self) -> list[OptionData]:
        # row.form, not row: a FormField has a "label" of its own.
        return [
            OptionData(label=row.form.label.data or "", value=row.form.value.data or "",
                       min_seats=row.form.min_seats.data or 0, max_seats=row.form.max_seats.data,
                       population_percent=row.form.population_percent.data)
            for row in self.options
        ]


def criterion_form(criterion=None) -> CriterionForm:
    """The criteria editor; for an existing ``criterion`` filled with its question and options
    (each option once), unless the request submitted the form.

    Not ``CriterionForm(obj=criterion)``: the options' population share is a fraction on the
    model and a percentage in the form.
    """
    if criterion is None:
        return CriterionForm()
    return CriterionForm(data={
        "label": criterion.label, "key": criterion.key,
        "options": [{
            "label": option.label, "value": option.value, "min_seats": option.min_seats,
            "max_seats": option.max_seats,
            "population_percent": None if option.population_share is None
            else round(option.population_share * 100, 4),
        } for option in criterion.options],
    })


def pad_options(form: CriterionForm, blank_rows: int = 3) -> None:
    """Add empty rows to the editor so a few more options can be entered without JavaScript."""
    while len(form.options) < MAX_OPTIONS and blank_rows > 0:
        form.options.append_entry()
        blank_rows -= 1
