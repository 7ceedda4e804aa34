"""The privacy tests' world is the factories' ``privacy_world`` (tests/factories/privacy.py)."""
from __future__ import annotations

import pytest


@pytest.fixture
def app_config() -> dict:
    """No delivery thread after requests: the tests compare database dumps, and send explicitly."""
    return {"MAIL_SEND_AFTER_REQUEST": False}


@pytest.fixture
def world(privacy_world):
    """Five applicants, two seats, drawn; applicant ``voter`` confirmed, checked in and voted."""
    return privacy_world
