"""The project's form base: Flask-WTF's ``FlaskForm`` for HTML forms only.

Flask-WTF also reads a JSON body as form data (``ImmutableMultiDict(request.get_json())``),
which no page uses and which failed on bodies that are no flat object (a list, nested
values: a 500). A form here reads the form fields only; a JSON body posted to it counts as
an empty form, which answers with the form's own "required" messages. The JSON endpoints
read their bodies with ``request.get_json`` (bounded by app/core/jsonbody.py).

After a refused form token, the page shown again fills the sent form with what was typed
(app/core/formreplay.py).

Every feature's ``forms.py`` imports ``FlaskForm`` from here, not from ``flask_wtf``.
"""
from __future__ import annotations

from flask import request
from wtforms.validators import ValidationError

from app.core import formreplay
from app.core.domain import DomainError
from flask_wtf import FlaskForm as _FlaskWTFForm
from flask_wtf.form import _Auto  # Flask-WTF's marker for "read the request"


class FlaskForm(_FlaskWTFForm):
    class Meta(_FlaskWTFForm.Meta):
        def wrap_formdata(self, form, formdata):
            if formdata is _Auto and request.is_json:
                return None
            if formdata is _Auto and request.method == "GET":
                # The page shown again after a refused form token (app/core/formreplay.py).
                replay = formreplay.values_for(form)
                if replay is not None:
                    form._replayed = True
                    return replay
            return super().wrap_formdata(form, formdata)

    def is_filled_in(self) -> bool:
        """Sent now, or shown again with what was typed before the session expired: a view fills
        the stored values in only when this is false, or it would overwrite the typed ones."""
        return self.is_submitted() or getattr(self, "_replayed", False)


def service_check(check):
    """A field validator that runs a service's cleaning function (``check(value)`` → clean value,
    or raises a :class:`~app.core.domain.DomainError`), so a field shows the service's own message."""
    def validator(form, field):
        try:
            field.data = check(field.data)
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from None

    validator.field_flags = {"required": True}  # the service refuses an empty value: marked with "*"
    return validator


def attach_error(form, error, field: str | None = None) -> None:
    """Show a refusal on the form page, not in a flash: at its field (``field``, else the
    :class:`~app.core.domain.DomainError`'s own ``field``) when the form has it, else at the top of
    the form's error summary (``form.form_errors``). ``error`` is a DomainError or a message."""
    message = str(getattr(error, "message", error))
    name = field or getattr(error, "field", None)
    if name and name in form:
        form[name].errors = [*form[name].errors, message]
    else:
        form.form_errors.append(message)
