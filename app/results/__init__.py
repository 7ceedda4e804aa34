"""Results: dashboards for the council, published results for the public (read-only).

The aggregations are read-only, over applications, tickets, ideas and dots. Every function runs a
fixed number of SQL statements (``GROUP BY`` in the database, never a loop over ORM objects),
whatever the number of ideas or dots; each docstring says how many. They live in these modules
(other features, the exports, the open-data API and the council report build on them):

- :mod:`~app.results.base`: ``ResultsError``, the :class:`~app.results.base.Scope`, the SQL building
  blocks and :func:`~app.results.base.prepared` (shared by the others)
- :mod:`~app.results.scope`: filters → scope; :mod:`~app.results.publishing`: no publishing while voting
- :mod:`~app.results.participation`: the participation funnel; :mod:`~app.results.ranking`: ideas by dots
- :mod:`~app.results.totals`: sums per channel, stand and tag; :mod:`~app.results.stakeholders`:
  stakeholder groups; :mod:`~app.results.records`: ideas one by one (API, exports)

How dots are counted (the same rules as :mod:`app.voting`):

* *room* and *online* dots are :class:`~app.voting.models.Dot` rows with that channel,
  *board* dots are the paper dots a moderator counted (:class:`~app.voting.models.BoardCount`);
  *total* is their sum.
* *supports* (issue 18) are an online participant's backing of an idea
  (:class:`~app.participation.models.Support`), not dots: counted beside the dots and never
  added into *total*; a participant counts once per merge group, for its survivor
  (:func:`app.ideas.merge_groups.supports_per_root`).
* A merged idea (``merged_into_id``) is not shown on its own: its dots (of any channel,
  given at any event) count for the surviving idea at the end of its merge chain.
* Hidden ideas vanish from public results. Staff scopes may include them (flagged by
  their status) and always see how many ideas are hidden or merged.
* Filters (event, stand, tag, stakeholder group) apply to the *surviving* idea: its
  stand, its event (and that event's stakeholder group), its tags (a merge adds the
  sources' tags to the survivor).

Public scopes only ever cover events whose results are published.

The functions other features build on (names are stable):

==============================================  ============================================================
:func:`publishing.check_publishable`            refuses ``publish`` while voting is open (signal ``event_action``)
:func:`base.prepared`                           count the dots of a scope once for a page (temporary table)
:func:`scope.make_scope`                        validated filters → :class:`Scope` (raises :class:`ResultsError`)
:func:`scope.event_scope`                       the scope of one event (public or staff)
:func:`participation.participation`             per event: applications, confirmed, selected, seats confirmed,
                                                checked in, voters → {event_id: :class:`Participation`}
:func:`participation.participation_by_option`   the same per criterion option of one event
:func:`ranking.idea_ranking`                    ideas ranked by dots (room/board/online/total), paginated
:func:`ranking.idea_count`                      how many ideas :func:`idea_ranking` would list
:func:`totals.channel_totals`                   ideas, dots and supports per channel (room / online)
:func:`totals.dot_totals`                       all dots of the scope per channel (:class:`DotTotals`)
:func:`totals.stand_totals`                     ideas and dots per stand (with hidden/merged counts)
:func:`totals.tag_totals`                       ideas and dots per tag, most dots first
:func:`totals.top_tags`                         the first ``limit`` of :func:`tag_totals`
:func:`stakeholders.group_comparison`           stakeholder groups × tags (or stand titles): shares of ideas/dots
:func:`scope.filter_options`                    the stands and tags the filters of a scope can offer
:func:`stakeholders.stakeholder_groups`         the stakeholder groups of a process's events
:func:`scope.published_events`                  the published events of a process
==============================================  ============================================================
"""
from flask import url_for

from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("results", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static/results",
                      parts=("live", "views_exports", "views_manage", "views_public"))


def init_app(app):
    from app.core.slots import register_slot

    register_slot(app, "process_public_links", "results/_process_public_link.html", order=10)
    register_slot(app, "event_public_links", "results/_event_public_link.html", order=10)
    register_slot(app, "process_manage_links", "results/_process_manage_link.html", order=10)
    register_slot(app, "event_overview_links", "results/_event_manage_link.html", order=10)
    from flask_babel import lazy_gettext as _l

    from app.core.nav import register_staff_nav
    from app.core.start import register_start_steps
    from app.results import start

    from app.core import signals
    from app.results import display, live
    from app.results.publishing import refuse_publishing_while_voting

    signals.event_action.connect(refuse_publishing_while_voting)
    live.init_app(app)
    register_staff_nav(_l("Results"), "results.dashboard_index", ("admin", "council"), order=60)
    register_start_steps(start.start_steps)

    app.jinja_env.globals.update(
        funnel_steps=display.funnel_steps,
        funnel_chart=display.funnel_chart,
        event_results_url=lambda event_id: url_for("results.event_results", event_id=event_id),
    )
