"""Forms for applying, correcting an application, and staff entries.

The criteria differ per event, so each form class is built per event with one
radio group per criterion (:func:`criterion_fields`). The field validators call
the same checks as the services, so the messages are the same everywhere.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.core.forms import FlaskForm
from app.core.forms import service_check as _service_check
from app.events import application_services as services
from app.events.models import Event

#: Name of the honeypot field. People never see it; bots that fill every field do.
HONEYPOT = "website"


def criterion_field_name(criterion_id: int) -> str:
    return f"criterion_{criterion_id}"


class CriterionRadioField(RadioField):
    """A radio group whose value must be one of the criterion's own option ids.

    The data is the option id as an ``int``; ``coerce=int`` makes the rendered radios
    compare it with the ids as ints too, so a chosen answer shows as checked (after a
    validation error, and on the correction form filled from the stored answers).
    """

    _bad_value = False

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", int)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist:
            try:
                self.data = int(valuelist[0])
            except (TypeError, ValueError):
                self.data = None
                self._bad_value = True

    def pre_validate(self, form):
        if self.data is None:
            if getattr(self, "_bad_value", False):
                raise ValidationError(_l("Please choose one of the answers."))
            raise ValidationError(_l("Please choose an answer."))
        if self.data not in {choice[0] for choice in self.choices}:
            raise ValidationError(_l("Please choose one of the answers."))


class _BaseApplicationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[_service_check(services.clean_name)])

    @property
    def criterion_fields(self):
        return [self[name] for name in self._criterion_names]

    def answers(self) -> dict[int, int]:
        return {int(name.split("_", 1)[1]): self[name].data for name in self._criterion_names}

    def set_answers(self, answers: dict[int, int]) -> None:
        for criterion_id, option_id in answers.items():
            name = criterion_field_name(criterion_id)
            if name in self:
                self[name].data = option_id


class _ApplyForm(_BaseApplicationForm):
    email = EmailField(_l("Email"), validators=[_service_check(services.clean_email)])
    consent = BooleanField(
        _l("I agree to the processing of my data as described above."),
        validators=[DataRequired(message=_l("Please agree to the processing of your data."))],
    )
    notify_measures = BooleanField(_l("Tell me what becomes of the ideas of this event"), default=False)
    website = StringField(_l("Leave this field empty"), validators=[Length(max=10_000)])


class _ManageForm(_BaseApplicationForm):
    pass


class StaffEntryFields:
    """What staff record when they enter an application received by phone or on paper (the staff
    add form and an invitation's paper answer)."""

    source = RadioField(_l("Received"), choices=[("phone", _l("by phone")), ("paper", _l("on paper"))],
                        validators=[DataRequired(message=_l("Choose how the application was received."))])
    language = SelectField(_l("Language of the applicant's mails"),
                           choices=[("de", "Deutsch"), ("en", "English")], default="de")
    consent = BooleanField(
        _l("The applicant has consented to the processing of their data (recorded by me)."),
        validators=[DataRequired(message=_l("Record the applicant's consent to the processing of their data."))],
    )


class _StaffAddForm(StaffEntryFields, _BaseApplicationForm):
    email = EmailField(_l("Email (optional)"))

    def validate_email(self, field):
        if field.data and field.data.strip():
            try:
                field.data = services.clean_email(field.data)
            except services.ApplicationError as exc:
                raise ValidationError(str(exc.message)) from None
        else:
            field.data = ""


def criterion_fields(event: Event) -> dict[str, RadioField]:
    fields = {}
    for criterion in event.criteria:
        fields[criterion_field_name(criterion.id)] = CriterionRadioField(
            criterion.label,
            choices=[(option.id, option.label) for option in criterion.options],
            validate_choice=False,  # checked in pre_validate with our own message
        )
    return fields


def _build(base: type[FlaskForm], event: Event, **kwargs) -> FlaskForm:
    fields = criterion_fields(event)
    form_class = type(f"{base.__name__}For{event.id}", (base,), {**fields, "_criterion_names": list(fields)})
    return form_class(**kwargs)


def apply_form(event: Event, **kwargs):
    """The public application form of ``event``."""
    return _build(_ApplyForm, event, **kwargs)


def manage_form(event: Event, **kwargs):
    """The applicant's correction form (name and answers; the email stays)."""
    return _build(_ManageForm, event, **kwargs)


def staff_add_form(event: Event, **kwargs):
    """Staff entering an application received by phone or on paper."""
    return _build(_StaffAddForm, event, **kwargs)
