"""The audit tests reuse the privacy world (tests/factories/privacy.py): a drawn lottery, a ticket
with dots, ideas."""
from __future__ import annotations

import pytest


@pytest.fixture
def app_config() -> dict:
    """No delivery thread after requests, as in the privacy tests whose world this is."""
    return {"MAIL_SEND_AFTER_REQUEST": False}


@pytest.fixture
def world(privacy_world):
    return privacy_world
