"""Staff forms of the invitations feature. The column mapping is read from the request by field name
(one select per register field, see templates/invitations/mapping.html); the services check it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from app.core.forms import FlaskForm


class ExtractUploadForm(FlaskForm):
    register_file = FileField(_l("Register extract (CSV or Excel XLSX)"),
                              validators=[FileRequired(_l("Please choose the file of the register extract."))])
