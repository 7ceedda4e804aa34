"""Personal data of staff accounts (issue 23, item 6; orchestrated by app/privacy).

Staff are not residents: they have no own-data file, and their accounts are not purged. An
admin sees and changes them on the staff page; directory and OIDC accounts follow their provider
at every sign-in.
"""
from __future__ import annotations

from app.accounts.models import User
from app.core.personal import Cover

_STAFF_EXPORT = "not in a resident's own-data file: shown to admins on the staff page (/manage/users)"
_STAFF_ERASE = ("kept while the account exists: an admin edits or disables it; the directory's data "
                "replaces it at each sign-in")
COVERS = {
    User.email: Cover(export=_STAFF_EXPORT, erase=_STAFF_ERASE),
    User.name: Cover(export=_STAFF_EXPORT, erase=_STAFF_ERASE),
}
