"""Forms of the moderation queue (app/participation/views_moderation.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired, NumberRange

from app.core.forms import FlaskForm
from app.core.security import MAX_ID
from app.ideas.forms import IdeaNumberField


class _PerIdeaForm(FlaskForm):
    """A form shown once per idea of the queue (with the idea in its prefix). Its token is the
    page's plain ``csrf_token``, checked for every POST by CSRFProtect (app/extensions.py); a
    prefixed copy per form would only repeat it."""

    class Meta(FlaskForm.Meta):
        csrf = False


class NetiquetteHideForm(_PerIdeaForm):
    """The public reason is one of the process's netiquette rules (choices set by the view)."""

    reason = SelectField(_l("Public reason (netiquette)"), validate_choice=False)


class MergeIntoRoomForm(_PerIdeaForm):
    target_id = IdeaNumberField(_l("Number of the room idea to merge this idea into"), validators=[
        InputRequired(_l("Please give the number of an idea to merge.")),
        NumberRange(min=1, max=MAX_ID, message=_l("There is no idea with this number."))])
