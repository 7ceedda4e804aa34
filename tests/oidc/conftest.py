"""The OpenID Connect provider of the tests (tests/support/oidc_provider.py), one per module."""
from __future__ import annotations

import pytest

from tests.support.oidc_provider import OIDCProvider


@pytest.fixture(scope="module")
def provider():
    with OIDCProvider() as op:
        yield op


@pytest.fixture
def op(provider):
    """The module's provider, its ID tokens normal again after the test."""
    provider.set_mode("normal")
    yield provider
    provider.set_mode("normal")
