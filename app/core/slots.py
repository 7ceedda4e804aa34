"""Places in a feature's page where other features add their part (a link, a card).

The events pages show the way to the results, the lottery, the measures and the online
participation, but the events feature does not know those features. Each feature registers its
template for a named slot in its ``init_app``; the page renders ``{{ slot("event_public_links") }}``
with its own context. A feature that is left out registers nothing, so nothing is shown.

The slots (each page names its own): ``process_public_links``, ``event_public_links``,
``process_manage_links``, ``event_manage_links``.
"""
from __future__ import annotations

from flask import Flask, current_app
from jinja2 import pass_context
from markupsafe import Markup

_KEY = "ideenmarkt_slots"


def register_slot(app: Flask, name: str, template: str, order: int = 50) -> None:
    """Show ``template`` in the slot ``name`` of ``app``'s pages, by ``order`` (then as registered)."""
    parts = app.extensions.setdefault(_KEY, {}).setdefault(name, [])
    if all(t != template for _order, t in parts):
        parts.append((order, template))
        parts.sort(key=lambda part: part[0])


@pass_context
def slot(context, name: str) -> Markup:
    """The slot's parts, rendered with the page's context."""
    environment = context.environment
    parts = current_app.extensions.get(_KEY, {}).get(name, [])
    return Markup("").join(Markup(environment.get_template(template).render(context.get_all()))
                           for _order, template in parts)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["slot"] = slot
