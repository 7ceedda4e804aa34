"""Sample values for URL parameters, used by the route walks (CSRF, role matrix).

Add an entry when a route introduces a new parameter name.
"""
from __future__ import annotations

from flask import Flask


def build_samples(app: Flask, demo: dict, staff_ids: dict[str, int]) -> dict[str, object]:
    return {
        "user_id": staff_ids["moderator"],
        "process_id": demo["process_id"],
        "event_id": demo["event_id"],
        "stand_id": demo["stand_id"],
    }
