"""Exports of a process's ideas for staff: CSV, XLSX and JSON (no personal data).

Every export lists the same records (:func:`app.results.records.idea_records` over a
staff scope: all events of the process, or one): stand, event, text, tags, status,
the idea's channel (room or online, issue 18), the surviving idea a merged one went into,
the dots per channel, the online supports beside them (issue 18: not dots, never added into the
dots' total) and the linked strategy measures. Hidden ideas and "said by" texts are never exported.

CSV is UTF-8 with a BOM and ``;`` (Excel in Germany opens it as is), with cells that
a spreadsheet would run as a formula made harmless; the XLSX is written in
xlsxwriter's constant-memory mode into a temporary file and every text cell is
written as a string, never as a formula.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core.labels import labels_for
from app.core.models import utcnow
from app.core.spreadsheets import csv_safe
from app.events.models import Event, Process
from app.ideas.display import IDEA_STATUS_LABELS
from app.extensions import db
from app.results.base import Scope, prepared
from app.results.records import IdeaRecord, idea_records
from app.results.scope import make_scope
from app.results.totals import StandTotal, TagTotal, stand_totals, tag_totals

CSV_DELIMITER = ";"
CSV_CHUNK_ROWS = 500

#: (key, header) of the idea columns, in order.
COLUMNS = (
    ("id", _l("Idea no.")),
    ("event", _l("Event")),
    ("stakeholder_group", _l("Stakeholder group")),
    ("stand", _l("Stand")),
    ("text", _l("Idea")),
    ("tags", _l("Tags")),
    ("status", _l("Status")),
    ("channel", _l("Channel")),
    ("merged_into", _l("Merged into idea no.")),
    ("room", _l("Dots in the room")),
    ("board", _l("Dots on the board")),
    ("online", _l("Dots online")),
    ("total", _l("Dots in total")),
    ("supports", _l("Supports online (not dots)")),
    ("measures", _l("Measures")),
)
NUMBER_COLUMNS = {"id", "merged_into", "room", "board", "online", "total", "supports"}


@dataclass
class ExportData:
    """Everything an export needs, read with a fixed number of queries."""

    process: Process
    scope: Scope
    events: dict[int, Event]
    records: list[IdeaRecord]
    #: idea id → [(measure id, title, status)]
    measures: dict[int, list[tuple[int, str, str]]]
    generated_at: datetime
    #: Only when collected ``totals=True`` (the XLSX export).
    stands: list[StandTotal] = field(default_factory=list)
    tags: list[TagTotal] = field(default_factory=list)


def staff_scope(process: Process, event_id: object = None) -> Scope:
    """All events of the process (or the one chosen), as staff see them, hidden ideas left out.

    :raises ResultsError: ``bad_filter``, ``unknown_event``.
    """
    return make_scope(process, event_ids=[event_id] if event_id not in (None, "") else None,
                      public=False)


def measures_of_ideas(process_id: int, idea_ids: list[int]) -> dict[int, list[tuple[int, str, str]]]:
    """Per idea, the measures it went into (empty while the measures feature is not installed)."""
    try:
        # The measures feature may be left out (FEATURES): then no idea went into a measure.
        from app.measures.links import measure_ids_for_ideas
        from app.measures.outcome import process_measures
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("app.measures"):
            raise
        return {}
    known = {m["id"]: (m["id"], m["title"], m["status"]) for m in process_measures(process_id)}
    return {idea_id: [known[m] for m in ids if m in known]
            for idea_id, ids in measure_ids_for_ideas(idea_ids).items()}


def collect(process: Process, scope: Scope, *, totals: bool = False) -> ExportData:
    """The records of the scope; with ``totals`` also the stand and tag totals (dots counted once)."""
    events = {e.id: e for e in db.session.execute(
        sa.select(Event).where(Event.id.in_(scope.event_ids))).scalars()}
    stands: list[StandTotal] = []
    tags: list[TagTotal] = []
    if totals:
        with prepared(scope) as counted:
            records = idea_records(counted, limit=None)
            stands, tags = stand_totals(counted), tag_totals(counted)
    else:
        records = idea_records(scope, limit=None)
    return ExportData(process, scope, events, records, measures_of_ideas(process.id, [r.id for r in records]),
                      utcnow(), stands, tags)


def headers() -> list[str]:
    return [str(label) for _, label in COLUMNS]


def status_labels() -> dict[str, str]:
    """The words of the ideas' statuses, and of their channels (keys ``channel.room``,
    ``channel.online``: the labels ``idea.channel``), translated now, in the request."""
    channels = labels_for("idea.channel") or {}
    return {**{status: str(label) for status, label in IDEA_STATUS_LABELS.items()},
            **{f"channel.{code}": str(label) for code, label in channels.items()}}


def row_values(data: ExportData, record: IdeaRecord, statuses: dict[str, str]) -> dict[str, Any]:
    event = data.events[record.event_id]
    return {
        "id": record.id,
        "event": event.title,
        "stakeholder_group": event.stakeholder_group,
        "stand": record.stand_title,
        "text": record.text,
        "tags": ", ".join(t.label for t in record.tags),
        "status": statuses.get(record.status, record.status),
        "channel": statuses.get(f"channel.{record.channel}", record.channel),
        "merged_into": record.merged_into,
        "room": record.room,
        "board": record.board,
        "online": record.online,
        "total": record.total,
        "supports": record.supports,
        "measures": "; ".join(title for _, title, _ in data.measures.get(record.id, [])),
    }


def csv_chunks(data: ExportData) -> Iterator[str]:
    """The CSV file in pieces: BOM, header, rows (formula-safe).

    Texts are translated now, in the request; the pieces are made later, without it.
    """
    header, statuses = headers(), status_labels()
    return _csv_pieces(data, header, statuses)


def _csv_pieces(data: ExportData, header: list[str], statuses: dict[str, str]) -> Iterator[str]:
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(header)
    for n, record in enumerate(data.records, start=1):
        values = row_values(data, record, statuses)
        writer.writerow([csv_safe(values[key]) for key, _ in COLUMNS])
        if n % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(data: ExportData) -> IO[bytes]:
    """The workbook (ideas, stands, tags) in a temporary file, rewound; the caller closes it."""
    import xlsxwriter  # loaded by the export job only, not by every web worker

    output = tempfile.TemporaryFile()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "tmpdir": tempfile.gettempdir()})
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})

    sheet = workbook.add_worksheet(_sheet_name(_l("Ideas")))
    widths = {"text": 60, "event": 28, "stand": 24, "tags": 24, "measures": 30, "stakeholder_group": 20}
    for col, (key, _) in enumerate(COLUMNS):
        sheet.set_column(col, col, widths.get(key, 12), wrap if key == "text" else None)
    _write_row(sheet, 0, headers(), bold)
    statuses = status_labels()
    for row, record in enumerate(data.records, start=1):
        values = row_values(data, record, statuses)
        _write_row(sheet, row, [values[key] for key, _ in COLUMNS])
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(data.records), len(COLUMNS) - 1)

    dots = [str(_l("Dots in the room")), str(_l("Dots on the board")), str(_l("Dots online")),
            str(_l("Dots in total")), str(_l("Supports online (not dots)"))]
    stands = workbook.add_worksheet(_sheet_name(_l("Stands")))
    stands.set_column(0, 1, 30)
    _write_row(stands, 0, [str(_l("Event")), str(_l("Stand")), str(_l("Ideas")), *dots], bold)
    for row, s in enumerate(data.stands, start=1):
        _write_row(stands, row, [s.event_title, s.title, s.ideas, s.room, s.board, s.online, s.total, s.supports])

    tags = workbook.add_worksheet(_sheet_name(_l("Tags")))
    tags.set_column(0, 0, 30)
    _write_row(tags, 0, [str(_l("Tag")), str(_l("Ideas")), *dots], bold)
    for row, t in enumerate(data.tags, start=1):
        _write_row(tags, row, [t.label, t.ideas, t.room, t.board, t.online, t.total, t.supports])
    workbook.close()
    output.seek(0)
    return output


def _sheet_name(label) -> str:
    """Excel sheet names: at most 31 characters, none of ``[]:*?/\\``."""
    name = "".join(ch for ch in str(label) if ch not in "[]:*?/\\")
    return name[:31] or "Sheet"


def _write_row(sheet, row: int, values: list, cell_format=None) -> None:
    """Numbers as numbers, everything else as text (``write_string``: never a formula)."""
    for col, value in enumerate(values):
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            sheet.write_number(row, col, value, cell_format)
        else:
            sheet.write_string(row, col, str(value), cell_format)


def as_json(data: ExportData) -> dict[str, Any]:
    """The same records as JSON (numbers as numbers, tags and measures as lists)."""
    return {
        "process": {"id": data.process.id, "title": data.process.title},
        "generated_at": data.generated_at.replace(microsecond=0).isoformat() + "Z",
        "events": [{"id": e.id, "title": e.title, "stakeholder_group": e.stakeholder_group, "status": e.status}
                   for e in sorted(data.events.values(), key=lambda e: (e.starts_at is None, e.starts_at, e.id))],
        "ideas": [{
            "id": r.id,
            "event_id": r.event_id,
            "stand": {"id": r.stand_id, "title": r.stand_title},
            "text": r.text,
            "tags": [t.label for t in r.tags],
            "status": r.status,
            "channel": r.channel,
            "merged_into": r.merged_into,
            "dots": {"room": r.room, "board": r.board, "online": r.online, "total": r.total},
            "supports": r.supports,
            "measures": [{"id": i, "title": title, "status": status}
                         for i, title, status in data.measures.get(r.id, [])],
        } for r in data.records],
    }
