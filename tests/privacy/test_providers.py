"""Personal data is declared where it lives (issue 23, item 6).

Every column marked ``info=PERSONAL`` is covered by some feature's ``privacy.py`` (how it is
exported to the person and how it is erased); the audit log leaves out exactly the marked
columns; columns whose names say "personal" carry the mark.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.core.personal import is_personal, is_secret, marked_columns, sensitive_keys
from app.extensions import db as _db
from app.privacy import providers

#: Column names that hold personal data wherever they appear (a table's column with one of
#: these names must be marked personal, or secret).
PERSONAL_NAMES = re.compile(
    r"^(name|first_name|last_name|full_name|email|e_mail|phone|telephone|mobile|address|street|"
    r"postcode|postal_code|zip|city_of_residence|birth_date|date_of_birth|said_by|holder_name|"
    r"recipient|ip|ip_address|remote_addr|user_agent)$|_(name|email|phone|address)$")
#: Columns with such a name that hold no personal data, with the reason.
NOT_PERSONAL = {
    "sign_language_video.file_name": "a random file name",
}


def _key(column: sa.Column) -> str:
    return f"{column.table.name}.{column.name}"


def test_every_personal_column_is_covered_by_a_provider(app):
    covered = providers.covers()
    missing = [_key(c) for c in marked_columns(_db.metadata) if _key(c) not in covered]
    assert not missing, (
        "personal columns no privacy provider covers (add them to COVERS in the feature's privacy.py, "
        f"with how they are exported and erased, and export/anonymise/purge them): {missing}")
    twice = {key: [name for name, _ in found] for key, found in covered.items() if len(found) > 1}
    assert not twice, f"covered by more than one provider: {twice}"


def test_providers_cover_only_marked_columns_and_say_how(app):
    marked = {_key(c) for c in marked_columns(_db.metadata)}
    for key, found in providers.covers().items():
        assert key in marked, f"{key} is in a provider's COVERS but not marked info=PERSONAL"
        for name, cover in found:
            assert cover.export.strip() and cover.erase.strip(), f"{name}: say how {key} is exported and erased"


def test_providers_are_the_features_privacy_modules(app):
    names = {module.__name__ for module in providers.providers()}
    assert {"app.events.privacy", "app.voting.privacy", "app.ideas.privacy", "app.core.privacy",
            "app.lottery.privacy"} <= names
    for module in providers.providers():
        assert hasattr(module, "COVERS"), f"{module.__name__} has no COVERS"


def test_columns_named_like_personal_data_are_marked(app):
    unmarked = [_key(c) for table in _db.metadata.sorted_tables for c in table.columns
                if PERSONAL_NAMES.search(c.name) and not (is_personal(c) or is_secret(c))
                and _key(c) not in NOT_PERSONAL]
    assert not unmarked, f"columns that look personal but carry no info=PERSONAL (or SECRET): {unmarked}"


def test_the_audit_leaves_out_exactly_the_marked_columns(app):
    for mapper in _db.Model.registry.mappers:
        keys = sensitive_keys(mapper)
        for attr in mapper.column_attrs:
            marked = any(is_personal(c) or is_secret(c) for c in attr.columns)
            assert (attr.key in keys) == marked, f"{mapper.class_.__name__}.{attr.key}"


def test_a_snapshot_of_an_application_names_nobody(app, create_event):
    from app.audit.services import pending_changes, snapshot
    from app.events.models import Application

    event_id = create_event(status="open").id
    with app.app_context():
        application = Application(event_id=event_id, name="Heribert Schnappschuss", email="h@snap.example",
                                  token_hash="0" * 64)
        _db.session.add(application)
        _db.session.flush()
        taken = snapshot(application)
        assert "name" not in taken and "email" not in taken and "token_hash" not in taken
        assert taken["status"] == "unconfirmed"
        application.name = "Heriberta Schnappschuss"
        application.language = "en"
        changes = pending_changes(application)
        assert changes["after"] == {"language": "en"}
