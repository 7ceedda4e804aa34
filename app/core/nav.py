"""Staff navigation: each feature registers its entries with the roles that see them."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavEntry:
    label: object  # a lazy translatable string
    endpoint: str
    roles: frozenset[str]
    order: int = 100


_ENTRIES: list[NavEntry] = []


def register_staff_nav(label, endpoint: str, roles: tuple[str, ...] = (), order: int = 100) -> None:
    if any(e.endpoint == endpoint for e in _ENTRIES):
        return
    _ENTRIES.append(NavEntry(label, endpoint, frozenset(roles), order))


def init_app(app: Flask) -> None:
    @app.context_processor
    def inject_nav():
        def staff_nav():
            if not current_user.is_authenticated:
                return []
            roles = current_user.role_names
            items = []
            for entry in sorted(_ENTRIES, key=lambda e: e.order):
                if entry.roles and not (entry.roles & roles):
                    continue
                url = url_for(entry.endpoint)
                items.append({"label": entry.label, "url": url, "active": request.path == url})
            return items

        return {"staff_nav": staff_nav}
