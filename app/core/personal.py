"""Personal data and secrets are marked where the column is declared (issue 23, item 6).

A column holding personal data (a name, an email address, a phone number, an address, a
resident's free text the privacy design treats as personal, a client address …)::

    name: Mapped[str | None] = mapped_column(String(200), info=PERSONAL)

and a secret (a token or its hash, a salt, a ticket code, a device id)::

    token_hash: Mapped[str] = mapped_column(String(64), info=SECRET)

What reads the marks:

- the audit log: :func:`sensitive_keys` are never copied into before/after
  (``app.audit.services.snapshot`` and ``pending_changes``);
- privacy: every personal column is covered by the ``privacy.py`` of some feature (its
  ``COVERS``: how the column is exported to the person and how it is erased);
  ``tests/privacy/test_providers.py`` fails for a marked column no provider covers.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

#: ``info=`` of a column holding personal data.
PERSONAL = {"personal": True}
#: ``info=`` of a column holding a secret (never in the audit log, never exported to others).
SECRET = {"secret": True}


@dataclass(frozen=True)
class Cover:
    """How a feature's privacy provider handles one personal column.

    :param export: where the value appears in the person's own-data file, or why it cannot
        (nothing links it to an applicant).
    :param erase: how it goes: on erasure by the applicant, at the retention purge, or why it stays.
    """

    export: str
    erase: str


def is_personal(column: sa.Column) -> bool:
    return bool(column.info.get("personal"))


def is_secret(column: sa.Column) -> bool:
    return bool(column.info.get("secret"))


def marked_columns(metadata: sa.MetaData, mark: str = "personal") -> list[sa.Column]:
    """Every column of ``metadata`` with ``info[mark]`` set, in table and column order."""
    return [column for table in metadata.sorted_tables for column in table.columns if column.info.get(mark)]


def sensitive_keys(mapper) -> frozenset[str]:
    """The attribute names of ``mapper``'s personal and secret columns (left out of audit entries)."""
    keys = set()
    for attr in mapper.column_attrs:
        if any(is_personal(column) or is_secret(column) for column in attr.columns):
            keys.add(attr.key)
    return frozenset(keys)
