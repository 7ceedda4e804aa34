"""Forms of the invitations feature: the register upload (the column mapping is read from the request
by field name, one select per register field, see templates/invitations/mapping.html; the services
check it), the invitee's code and answer, and staff entering a paper or phone answer."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, StringField, TelField
from wtforms.validators import DataRequired, Length, ValidationError

from app.core.forms import FlaskForm
from app.events import application_services as applications
from app.events.application_forms import CriterionRadioField, StaffEntryFields, criterion_field_name


class ExtractUploadForm(FlaskForm):
    register_file = FileField(_l("Register extract (CSV or Excel XLSX)"),
                              validators=[FileRequired(_l("Please choose the file of the register extract."))])


class CodeForm(FlaskForm):
    """The invitee types the personal code from the letter (the QR link fills it in)."""

    code = StringField(_l("Invitation code"), validators=[Length(max=64)])


class _AnswerForm(FlaskForm):
    code = HiddenField()
    email = EmailField(_l("Email (optional if you give a phone number)"), validators=[Length(max=300)])
    phone = TelField(_l("Phone number (optional if you give an email address)"), validators=[Length(max=60)])
    consent = BooleanField(
        _l("I agree to the processing of my data as described above."),
        validators=[DataRequired(message=_l("Please agree to the processing of your data."))],
    )

    @property
    def criterion_fields(self):
        return [self[name] for name in self._criterion_names]

    def answers(self) -> dict[int, int]:
        return {int(name.split("_", 1)[1]): self[name].data for name in self._criterion_names}

    def validate_email(self, field):
        # The service's checks, so that every mistake is shown at once; either contact will do.
        if (field.data or "").strip():
            _checked(applications.clean_email, field)
        elif not (self.phone.data or "").strip():
            raise ValidationError(_l("Please enter an email address or a phone number, so that we can reach you."))

    def validate_phone(self, field):
        if (field.data or "").strip():
            _checked(applications.clean_phone, field)


def _checked(clean, field) -> None:
    try:
        field.data = clean(field.data)
    except applications.ApplicationError as exc:
        raise ValidationError(str(exc.message)) from None


class _StaffAnswerForm(StaffEntryFields, _AnswerForm):
    email = EmailField(_l("Email (optional if a phone number is given)"), validators=[Length(max=300)])
    phone = TelField(_l("Phone number (optional if an email address is given)"), validators=[Length(max=60)])


def answer_form(criteria: list, *, staff: bool = False, **kwargs) -> FlaskForm:
    """The answer form with one radio group per criterion the invitee answers (``criteria``)."""
    fields = {criterion_field_name(c.id): CriterionRadioField(c.label, choices=[(o.id, o.label) for o in c.options],
                                                             validate_choice=False)
              for c in criteria}
    base = _StaffAnswerForm if staff else _AnswerForm
    form_class = type(f"{base.__name__}Dynamic", (base,), {**fields, "_criterion_names": list(fields)})
    return form_class(**kwargs)
