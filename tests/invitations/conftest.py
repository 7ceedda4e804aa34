"""Fixtures of the invitations tests (the files come from tests/support/register_files.py)."""
from __future__ import annotations

import pytest


@pytest.fixture
def register_event(app, create_event):
    from datetime import datetime

    return create_event(starts_at=datetime(2027, 3, 1, 9), ends_at=datetime(2027, 3, 1, 17), seats=15, status="open").id
