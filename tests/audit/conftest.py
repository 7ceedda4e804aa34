"""The audit tests reuse the privacy world: a drawn lottery, a ticket with dots, ideas."""
from tests.privacy.conftest import admin, app_config, lottery_event, world  # noqa: F401 (fixtures)
