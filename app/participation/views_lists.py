"""Public pages: the ideas of a process and of one stand, both channels, with filters, sorting
and pages (plain links and a GET form: no JavaScript needed). The queries are in
:mod:`app.participation.lists`."""
from __future__ import annotations

from flask import abort, render_template, request

from app.core.access import public
from app.events.models import Process
from app.extensions import db
from app.ideas.models import Stand
from app.participation import bp, comments, lists, supports
from app.participation.models import Participant


def render_list(process: Process, stand: Stand | None = None, participant: Participant | None = None,
                token: str | None = None):
    """The list page; with ``participant`` (their private list, ``token`` their link) the ideas
    they may support carry the support form."""
    stands = lists.public_stands(process)
    tags = lists.public_tags(process)
    filters = lists.Filters.from_args(request.args, stands, tags)
    if stand is not None:
        filters.stand_id = stand.id
    page = lists.page_of_ideas(process, filters)
    items = list(page.items)
    return render_template(
        "participation/lists/ideas.html", process=process, stand=stand, stands=stands, filters=filters, page=page,
        outcomes=lists.outcomes(items), tags=tags, status_filters=lists.STATUS_FILTERS, sorts=lists.SORTS,
        support_counts=supports.counts(items), comment_counts=comments.public_counts([i.id for i in items]),
        participant=participant, token=token,
        supported=supports.supported_ids(participant, items) if participant else set(),
        supportable=supports.supportable_ids(participant, items) if participant else set())


def _page(process: Process, stand: Stand | None = None):
    return render_list(process, stand)


@bp.route("/processes/<int:process_id>/ideas")
@public
def process_ideas(process_id: int):
    process = db.session.get(Process, process_id)
    if process is None:
        abort(404)
    return _page(process)


@bp.route("/processes/<int:process_id>/stands/<int:stand_id>/ideas")
@public
def stand_public_ideas(process_id: int, stand_id: int):
    process = db.session.get(Process, process_id)
    stand = db.session.get(Stand, stand_id)
    if process is None or stand is None or stand.id not in {s.id for s in lists.public_stands(process)}:
        abort(404)
    return _page(process, stand)
