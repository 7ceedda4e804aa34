"""The OpenAPI 3 document of the open-data API (served at ``/api/v1/openapi.json``).

Every response body is described precisely (``additionalProperties: false``)
except the lottery's audit record, whose format belongs to the lottery
(``ideenmarkt-lottery-audit``, see ``app/lottery/audit.py``): its known fields are
described and further ones allowed. Schemathesis checks the API against it.
"""
from __future__ import annotations

from typing import Any

from app.api.errors import MAX_ID
from app.core.urls import public_base_url
from app.results.base import MAX_PAGE_SIZE as MAX_PER_PAGE

#: Ideas per page unless ``per_page`` says otherwise; pages beyond ``MAX_PAGE`` are refused.
DEFAULT_PER_PAGE = 100
MAX_PAGE = 100_000

VERSION = "1.1.0"

ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
COUNT = {"type": "integer", "minimum": 0}
DATETIME = {"type": "string", "format": "date-time", "nullable": True}
HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
MEASURE_STATUS = {"type": "string", "enum": ["proposed", "adopted", "in_progress", "done", "rejected"],
                  "description": "adopted: by the council."}


def _obj(properties: dict[str, Any], required: list[str] | None = None, **extra) -> dict[str, Any]:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required,
            "additionalProperties": False, **extra}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name: str) -> dict[str, Any]:
    return _obj({"items": {"type": "array", "items": _ref(name)}})


SUPPORTS = {**COUNT, "description": "Online supports (issue 18): residents taking part online who back the idea, "
                                   "one per person and merge group. Not dots: never part of dots.total."}
CHANNEL = {"type": "string", "enum": ["room", "online"],
           "description": "room: recorded by a moderator at the stand; online: submitted by a resident online."}

DOTS = _obj({
    "room": {**COUNT, "description": "Dots given with tickets in the room."},
    "board": {**COUNT, "description": "Paper dots on the physical board, as counted by a moderator."},
    "online": {**COUNT, "description": "Dots given online after the event."},
    "total": {**COUNT, "description": "room + board + online."},
}, description="Dots (votes) by channel. Dots given to ideas merged into this one are counted here.")

SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": _obj({
        "code": {"type": "string", "description": "Stable machine-readable code, e.g. not_found, bad_parameter."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "title": {"type": "string"},
        "message": {"type": "string", "description": "In the language asked for by Accept-Language (de, en)."},
    })}),
    "Process": _obj({
        "id": ID,
        "title": {"type": "string"},
        "description": {"type": "string", "description": "Markdown."},
        "stakeholder_groups": {"type": "array", "items": {"type": "string"}},
        "created_at": DATETIME,
        "event_ids": {"type": "array", "items": ID, "description": "The process's public events, by start."},
    }),
    "ProcessList": _list_of("Process"),
    "Participation": _obj({
        "applications": {**COUNT, "description": "Applications with a confirmed email address (or taken by staff)."},
        "selected": {**COUNT, "description": "Applicants given a seat (by the draw or from the waiting list)."},
        "confirmed": {**COUNT, "description": "Participants who confirmed their seat."},
        "checked_in": {**COUNT, "description": "Room tickets checked in at the door (walk-ins included)."},
        "walk_ins": {**COUNT, "description": "Of those checked in, tickets issued at the door."},
        "room_voters": {**COUNT, "description": "Room tickets that gave at least one dot."},
        "online_voters": {**COUNT, "description": "Online tickets that gave at least one dot."},
    }),
    "Stand": _obj({
        "id": ID, "title": {"type": "string"}, "description": {"type": "string"}, "position": {"type": "integer"},
    }),
    "Event": _obj({
        "id": ID,
        "process_id": ID,
        "title": {"type": "string"},
        "description": {"type": "string", "description": "Markdown."},
        "place": {"type": "string"},
        "stakeholder_group": {"type": "string"},
        "starts_at": DATETIME,
        "ends_at": DATETIME,
        "applications_open_at": DATETIME,
        "applications_close_at": DATETIME,
        "seats": COUNT,
        "status": {"type": "string", "enum": ["open", "closed", "drawn", "held", "published"]},
        "results_published": {"type": "boolean",
                              "description": "Ideas and results are available (status published)."},
        "participation": _ref("Participation"),
        "stands": {"type": "array", "items": _ref("Stand"), "description": "Only in the single-event response."},
    }, required=["id", "process_id", "title", "description", "place", "stakeholder_group", "starts_at", "ends_at",
                 "applications_open_at", "applications_close_at", "seats", "status", "results_published",
                 "participation"]),
    "EventList": _list_of("Event"),
    "LotteryAudit": {
        "type": "object",
        "description": "The audit record of the draw (format ideenmarkt-lottery-audit, JSON Schema at "
                       "/lottery/audit-schema.json): the pool per group of identical criteria answers "
                       "(pool_counts: answers, count and pseudonyms; format version 1 listed every applicant's "
                       "answers in applicants), quotas, selection probabilities, the panel table, and once "
                       "drawn the number and the result. Verify it with `flask lottery verify` or "
                       "`scripts/verify_lottery.py` (before the draw: everything but the draw).",
        "required": ["format", "format_version", "algorithm", "seats", "table_size", "number_source", "quotas",
                     "applicants_sha256", "probabilities", "table", "table_sha256", "commitment"],
        "properties": {
            "format": {"type": "string", "enum": ["ideenmarkt-lottery-audit"]},
            "format_version": {"type": "integer"},
            "algorithm": {"type": "object", "required": ["name", "version"],
                          "properties": {"name": {"type": "string"}, "version": {"type": "string"}}},
            "seats": COUNT,
            "table_size": {"type": "integer", "minimum": 1},
            "number_source": {"type": "string"},
            "quotas": {"type": "array", "items": {
                "type": "object", "required": ["feature", "value", "min", "max"],
                "properties": {"feature": {"type": "string"}, "value": {"type": "string"},
                               "min": COUNT, "max": COUNT}}},
            "applicants": {"type": "array", "items": {
                "type": "object", "required": ["pseudonym", "answers"],
                "properties": {"pseudonym": {"type": "string"},
                               "answers": {"type": "object", "additionalProperties": {"type": "string"}}}}},
            "pool_counts": {"type": "object", "required": ["types", "cells"], "properties": {
                "types": {"type": "array", "items": {
                    "type": "object", "required": ["answers", "count"],
                    "properties": {"answers": {"type": "object", "additionalProperties": {"type": "string"}},
                                   "count": COUNT,
                                   "pseudonyms": {"type": "array", "items": {"type": "string"}}}}},
                "cells": {"type": "array", "items": {"type": "object"}}}},
            "applicants_sha256": HASH,
            "probabilities": {"type": "object", "additionalProperties": {"type": "number"}},
            "table": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
            "table_sha256": HASH,
            "certificate_sha256": {**HASH, "nullable": True,
                                   "description": "SHA-256 of leximin_certificate (the LP dual certificates of "
                                                  "the leximin stages), covered by the commitment; null: none "
                                                  "published (time limit); absent in records committed before "
                                                  "it was bound."},
            "commitment": HASH,
            "number": {"type": "integer", "minimum": 1},
            "selected": {"type": "array", "items": {"type": "string"}},
            "waiting_list": {"type": "array", "items": {"type": "string"}},
            "replacements": {"type": "array", "items": {
                "type": "object", "required": ["declined", "admitted"],
                "properties": {"declined": {"type": "array", "items": {"type": "string"}},
                               "admitted": {"type": "string"},
                               "skipped": {"type": "array", "items": {"type": "string"}}}}},
        },
        "additionalProperties": True,
    },
    "SupersededDraw": _obj({
        "attempt": {"type": "integer", "minimum": 1},
        "commitment": HASH,
        "reason": {"type": "string"},
        "superseded_at": DATETIME,
    }),
    "Lottery": _obj({
        "event_id": ID,
        "attempt": {"type": "integer", "minimum": 1, "description": "1, or more after a re-draw."},
        "state": {"type": "string", "enum": ["committed", "drawn"],
                  "description": "committed: the commitment is published, the number not yet drawn."},
        "seats": COUNT,
        "table_size": {"type": "integer", "minimum": 1},
        "number": {"type": "integer", "minimum": 1, "nullable": True, "description": "null before the draw."},
        "number_source": {"type": "string"},
        "commitment": {**HASH, "description": "SHA-256 published before the draw: the audit reference."},
        "committed_at": DATETIME,
        "drawn_at": DATETIME,
        "superseded": {"type": "array", "items": _ref("SupersededDraw")},
        "audit": _ref("LotteryAudit"),
    }),
    "Dots": DOTS,
    "StandRef": _obj({"id": ID, "title": {"type": "string"}}),
    "TagRef": _obj({"id": ID, "label": {"type": "string", "description": "As first typed, e.g. Bürgerportal."}}),
    "Idea": _obj({
        "id": ID,
        "text": {"type": "string"},
        "stand": _ref("StandRef"),
        "tags": {"type": "array", "items": _ref("TagRef")},
        "dots": _ref("Dots"),
        "supports": {**SUPPORTS, "description": SUPPORTS["description"] + " A merged idea's own supports are 0 "
                                                                           "(they count for its survivor)."},
        "channel": CHANNEL,
        "status": {"type": "string", "enum": ["new", "adopted", "merged"],
                   "description": "adopted: taken into a strategy measure; merged: folded into another idea."},
        "merged_into": {**ID, "nullable": True,
                        "description": "For a merged idea: the surviving idea, which carries its dots "
                                       "(a merged idea's own dots are 0, so totals add up)."},
        "measure_ids": {"type": "array", "items": ID, "description": "Strategy measures the idea went into."},
    }),
    "IdeaPage": _obj({
        "event_id": ID,
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "total": {**COUNT, "description": "Ideas over all pages."},
        "pages": COUNT,
        "items": {"type": "array", "items": _ref("Idea")},
    }),
    "StandTotal": _obj({"id": ID, "title": {"type": "string"}, "ideas": COUNT, "dots": _ref("Dots"),
                        "supports": SUPPORTS}),
    "TagTotal": _obj({"id": ID, "label": {"type": "string"}, "ideas": COUNT, "dots": _ref("Dots"),
                      "supports": SUPPORTS}),
    "RankedIdea": _obj({
        "rank": {"type": "integer", "minimum": 1, "description": "1 = most dots; equal totals share a rank."},
        "id": ID,
        "text": {"type": "string"},
        "stand": _ref("StandRef"),
        "tags": {"type": "array", "items": _ref("TagRef")},
        "dots": _ref("Dots"),
        "supports": SUPPORTS,
        "channel": CHANNEL,
        "merged": {**COUNT, "description": "How many ideas were merged into this one."},
        "status": {"type": "string", "enum": ["new", "adopted"]},
        "measure_ids": {"type": "array", "items": ID},
    }),
    "Results": _obj({
        "event_id": ID,
        "participation": _ref("Participation"),
        "ideas": {**COUNT, "description": "Ideas in the results (merged ideas count with their survivor)."},
        "dots": _ref("Dots"),
        "supports": SUPPORTS,
        "stands": {"type": "array", "items": _ref("StandTotal"), "description": "In the event's stand order."},
        "tags": {"type": "array", "items": _ref("TagTotal"), "description": "Most dots first."},
        "ranking": {"type": "array", "items": _ref("RankedIdea"),
                    "description": "The first `limit` ideas, most dots first."},
    }),
    "MeasureStatusChange": _obj({
        "from_status": {**MEASURE_STATUS, "nullable": True, "description": "null for the first entry."},
        "to_status": MEASURE_STATUS,
        "date": {"type": "string", "format": "date"},
        "comment": {"type": "string", "description": "Public comment on the change."},
    }),
    "Measure": _obj({
        "id": ID,
        "title": {"type": "string"},
        "description": {"type": "string"},
        "chapter": {"type": "string", "description": "Chapter or field of action of the strategy."},
        "office": {"type": "string", "description": "The responsible office."},
        "status": MEASURE_STATUS,
        "status_date": {"type": "string", "format": "date", "description": "Date of the current status."},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100, "description": "Percent."},
        "history": {"type": "array", "items": _ref("MeasureStatusChange"), "description": "Oldest first."},
        "idea_ids": {"type": "array", "items": ID,
                     "description": "Ideas taken into the measure (surviving ideas of events with published "
                                    "results; ideas merged into them count for them)."},
    }),
    "MeasureList": _obj({"process_id": ID, "items": {"type": "array", "items": _ref("Measure")}}),
}

ERROR_RESPONSES = {
    "400": "A parameter is not valid (e.g. not a whole number, or out of range).",
    "404": "No such public record (unknown, a draft, or not published yet).",
    "405": "Only GET, HEAD and OPTIONS are allowed.",
    "429": "Too many requests; see Retry-After.",
    "500": "Unexpected server error.",
}


def _error_responses() -> dict[str, Any]:
    return {code: {"description": text, "content": {"application/json": {"schema": _ref("Error")}}}
            for code, text in ERROR_RESPONSES.items()}


def _operation(op_id: str, summary: str, schema: str, parameters: list | None = None,
               description: str = "") -> dict[str, Any]:
    return {"get": {
        "operationId": op_id,
        "summary": summary,
        "description": description,
        "parameters": parameters or [],
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": _ref(schema)}}},
            **_error_responses(),
        },
    }}


def _path_id(name: str, text: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": text, "schema": ID, "example": 1}


def _query_int(name: str, text: str, minimum: int, maximum: int, default: int) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": text,
            "schema": {"type": "integer", "minimum": minimum, "maximum": maximum, "default": default}}


PATHS: dict[str, Any] = {
    "/processes": _operation("listProcesses", "All participation processes", "ProcessList"),
    "/processes/{process_id}": _operation("getProcess", "One process", "Process",
                                          [_path_id("process_id", "Id of the process.")]),
    "/processes/{process_id}/measures": _operation(
        "listProcessMeasures", "The strategy measures of a process and the ideas taken into them", "MeasureList",
        [_path_id("process_id", "Id of the process.")],
        "By chapter and title, with the status history and its public comments."),
    "/events": _operation(
        "listEvents", "Public events (workshops), optionally of one process", "EventList",
        [{"name": "process", "in": "query", "required": False, "description": "Only events of this process.",
          "schema": ID}],
        "Every event that is not a draft, by start. 404 for an unknown process."),
    "/events/{event_id}": _operation("getEvent", "One public event with its stands and participation", "Event",
                                     [_path_id("event_id", "Id of the event.")]),
    "/events/{event_id}/lottery": _operation(
        "getEventLottery", "The public audit record of the event's seat lottery", "Lottery",
        [_path_id("event_id", "Id of the event.")],
        "From the moment of commitment (the record before the draw, to archive the commitment in time); "
        "404 before it (and for events without a lottery)."),
    "/events/{event_id}/ideas": _operation(
        "listEventIdeas", "The ideas of an event with published results, by id, paginated", "IdeaPage",
        [_path_id("event_id", "Id of the event."),
         _query_int("page", "Page number.", 1, MAX_PAGE, 1),
         _query_int("per_page", "Ideas per page.", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE)],
        "Hidden ideas are never listed. 404 until the event's results are published."),
    "/events/{event_id}/results": _operation(
        "getEventResults", "The published results of an event", "Results",
        [_path_id("event_id", "Id of the event."),
         _query_int("limit", "Ideas in the ranking.", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE)],
        "Totals per stand and per tag and the ideas ranked by dots (room, board, online and together), "
        "with the online supports beside the dots (never added into them). "
        "404 until the event's results are published."),
}


def document() -> dict[str, Any]:
    """The OpenAPI document, with the site's public base URL."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Ideenmarkt open data",
            "version": VERSION,
            "description": "Read-only public data of the participation processes: events, the seat lottery's "
                           "audit record and, once published, the ideas and results. No personal data. "
                           "Errors are JSON: {\"error\": {\"code\", \"status\", \"title\", \"message\"}}; "
                           "messages follow Accept-Language (de, en). Any origin may read (CORS).",
        },
        # The configured public address (BASE_URL), never the request's Host header.
        "servers": [{"url": public_base_url() + "/api/v1"}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
