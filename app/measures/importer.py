"""Import measures from a CSV file: parse and check → preview → confirm.

Accepts what spreadsheet programs write: UTF-8 with or without BOM, ``;`` or ``,``
as separator, German or English column names and status words. Nothing is stored
until the admin confirms the preview; the checked rows wait in ``measure_import``
(server-side), so the confirm step imports exactly what the preview showed.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from app.accounts.models import User
from app.audit.services import log_action
from app.core.models import utcnow
from app.core.text import clean_text
from app.events.models import Process
from app.extensions import db
from app.measures.base import MAX_CHAPTER, MAX_DESCRIPTION, MAX_OFFICE, MeasureError, clean_fields, clean_title
from app.measures.lifecycle import create_measure
from app.measures.models import Measure, MeasureImport, MeasureStatus
from config import Config

#: Largest file accepted (bytes) unless ``MEASURES_IMPORT_MAX_BYTES`` says otherwise.
MAX_BYTES = Config.MEASURES_IMPORT_MAX_BYTES
MAX_ROWS = 2000
#: How long an uploaded preview can be confirmed.
PREVIEW_VALID = timedelta(hours=2)

#: Column names (folded) → field.
COLUMNS = {
    "title": "title", "titel": "title", "massnahme": "title", "maßnahme": "title", "measure": "title",
    "name": "title",
    "chapter": "chapter", "kapitel": "chapter", "handlungsfeld": "chapter", "field of action": "chapter",
    "status": "status", "stand": "status",
    "description": "description", "beschreibung": "description",
    "office": "office", "amt": "office", "zuständig": "office", "zustaendig": "office",
    "federführung": "office", "responsible office": "office", "zuständiges amt": "office",
}
REQUIRED = ("title", "chapter", "status")
COLUMN_LABELS = {"description": _l("description"), "chapter": _l("chapter"), "office": _l("office")}

#: Status words (folded) in German and English → status.
STATUS_WORDS = {
    "proposed": "proposed", "vorgeschlagen": "proposed", "vorschlag": "proposed",
    "adopted": "adopted", "adopted by the council": "adopted", "beschlossen": "adopted",
    "vom gemeinderat beschlossen": "adopted", "verabschiedet": "adopted",
    "in progress": "in_progress", "in_progress": "in_progress", "in umsetzung": "in_progress",
    "in arbeit": "in_progress", "in bearbeitung": "in_progress", "begonnen": "in_progress",
    "done": "done", "completed": "done", "umgesetzt": "done", "erledigt": "done", "abgeschlossen": "done",
    "rejected": "rejected", "abgelehnt": "rejected", "verworfen": "rejected",
}


def _fold(value: str) -> str:
    return re.sub(r"\s+", " ", clean_text(value).lower()).strip()


def status_from_word(word: str) -> str | None:
    return STATUS_WORDS.get(_fold(word))


@dataclass
class RowError:
    line: int
    message: object

    def __str__(self) -> str:
        return str(_l("Line %(line)d: %(problem)s", line=self.line, problem=self.message))


@dataclass
class Preview:
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: A problem with the whole file (encoding, size, columns): no rows are read.
    file_error: object = None

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors and bool(self.rows)


def read_limited(stream: BinaryIO, limit: int = MAX_BYTES) -> bytes | None:
    """Read at most ``limit`` bytes; None if the stream holds more (never reads it all)."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        return None
    return data


def too_large_message(limit: int = MAX_BYTES):
    return _l("The file is too large: at most %(mb)s MB are accepted.", mb=f"{limit / 1024 / 1024:g}")


def parse(process: Process, data: bytes | None) -> Preview:
    """Check a CSV file's bytes (``None``: it was over the size limit)."""
    preview = Preview()
    if data is None:
        preview.file_error = too_large_message()
        return preview
    if not data.strip():
        preview.file_error = _l("The file is empty.")
        return preview
    if b"\x00" in data:
        preview.file_error = _l("The file contains NUL bytes, so it is not a text CSV file. Save it from your "
                                "spreadsheet as “CSV UTF-8” and upload it again.")
        return preview
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        preview.file_error = _l("The file is not UTF-8 encoded (first problem in line %(line)d). Save it from "
                                "your spreadsheet as “CSV UTF-8” and upload it again.", line=line)
        return preview
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") and ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        preview.file_error = _l("The file has no header line.")
        return preview
    columns: list[str | None] = [COLUMNS.get(_fold(name)) for name in header]
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        preview.file_error = _l(
            "The header line must name the columns title, chapter and status (optional: description, "
            "office; German names such as Titel, Kapitel, Status, Beschreibung, Amt work too). "
            "Missing: %(missing)s.", missing=", ".join(missing))
        return preview
    existing = {t.lower() for t in db.session.execute(
        sa.select(Measure.title).where(Measure.process_id == process.id)).scalars()}
    seen: dict[str, int] = {}
    last_line = reader.line_num
    try:
        for record in reader:
            line = last_line + 1
            last_line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(preview.rows) + len(preview.errors) >= MAX_ROWS:
                preview.file_error = lazy_ngettext("The file has more than %(num)d row; please split it.",
                                              "The file has more than %(num)d rows; please split it.", MAX_ROWS)
                return preview
            _check_row(record, columns, line, preview, existing, seen)
    except csv.Error as exc:
        preview.errors.append(RowError(reader.line_num, _l("The line cannot be read as CSV (%(detail)s).",
                                                             detail=str(exc))))
    if not preview.rows and not preview.errors:
        preview.file_error = _l("The file has no measures below the header line.")
    return preview


def _check_row(record: list[str], columns: list[str | None], line: int, preview: Preview,
               existing: set[str], seen: dict[str, int]) -> None:
    if len(record) > len(columns) and any(cell.strip() for cell in record[len(columns):]):
        preview.errors.append(RowError(line, _l("The line has more columns than the header.")))
        return
    values = {name: "" for name in ("title", "chapter", "status", "description", "office")}
    for name, cell in zip(columns, record):
        if name:
            values[name] = cell
    problems = []
    title = description = chapter = office = ""
    try:
        title = clean_title(values["title"])
    except MeasureError as exc:
        problems.append(_l("the title is empty.") if exc.code == "title_required" else exc.message)
    try:
        fields = clean_fields(values["description"], values["chapter"], values["office"])
        description, chapter, office = fields["description"], fields["chapter"], fields["office"]
    except MeasureError as exc:
        problems.append(lazy_ngettext("the %(column)s is too long (at most %(num)d character).",
                                      "the %(column)s is too long (at most %(num)d characters).",
                                      {"description": MAX_DESCRIPTION, "chapter": MAX_CHAPTER,
                                       "office": MAX_OFFICE}.get(exc.field or "", 0),
                                      column=COLUMN_LABELS.get(exc.field or "", exc.field)))
    word = clean_text(values["status"])
    status = status_from_word(word)
    if status is None:
        if word:
            problems.append(_l("unknown status “%(word)s” (use one of: %(allowed)s).", word=word[:60],
                               allowed=_allowed_words()))
        else:
            problems.append(_l("the status is empty (use one of: %(allowed)s).", allowed=_allowed_words()))
    if title:
        key = title.lower()
        if key in existing:
            problems.append(_l("a measure with the title “%(title)s” exists already.", title=title[:80]))
        elif key in seen:
            problems.append(_l("the title is the same as in line %(line)d.", line=seen[key]))
        else:
            seen[key] = line
    if problems:
        for problem in problems:
            preview.errors.append(RowError(line, problem))
        return
    preview.rows.append({"line": line, "title": title, "chapter": chapter, "status": status,
                         "description": description, "office": office})


def _allowed_words() -> str:
    return "vorgeschlagen/proposed, beschlossen/adopted, in Umsetzung/in progress, umgesetzt/done, abgelehnt/rejected"


def store(process: Process, user: User, preview: Preview, filename: str = "") -> MeasureImport:
    """Keep the checked rows server-side until the admin confirms (older previews are dropped)."""
    db.session.execute(sa.delete(MeasureImport).where(MeasureImport.created_at < utcnow() - PREVIEW_VALID))
    entry = MeasureImport(process_id=process.id, user_id=user.id, filename=clean_text(filename)[:255],
                          rows=json.dumps(preview.rows, ensure_ascii=False))
    db.session.add(entry)
    db.session.flush()
    return entry


def pending(process: Process, user: User, import_id: int) -> MeasureImport | None:
    entry = db.session.get(MeasureImport, import_id)
    if (entry is None or entry.process_id != process.id or entry.user_id != user.id
            or entry.created_at < utcnow() - PREVIEW_VALID):
        return None
    return entry


def confirm(process: Process, user: User, import_id: int) -> list[Measure]:
    """Import the rows of a checked upload. The upload is used up at once (a second confirm,
    e.g. a double click, imports nothing); a title taken meanwhile refuses the whole import.

    :raises MeasureError: ``import_gone``, ``title_taken``.
    """
    entry = pending(process, user, import_id)
    if entry is None:
        raise MeasureError(_l("This import is no longer available (already imported or expired). "
                              "Please upload the file again."), "import_gone")
    rows = json.loads(entry.rows)
    filename = entry.filename
    taken = db.session.execute(
        sa.delete(MeasureImport).where(MeasureImport.id == entry.id)).rowcount
    if taken != 1:
        raise MeasureError(_l("This import is no longer available (already imported or expired). "
                              "Please upload the file again."), "import_gone")
    measures = []
    for row in rows:
        try:
            measures.append(create_measure(
                process, title=row["title"], chapter=row["chapter"], status=row["status"],
                description=row.get("description", ""), office=row.get("office", ""),
                progress=100 if row["status"] == MeasureStatus.DONE.value else 0,
                user=user))
        except MeasureError as exc:
            raise MeasureError(_l("Line %(line)d: %(problem)s", line=row["line"], problem=exc.message),
                               exc.code) from None
    log_action("measure.import", process, after={"file": filename, "measures": len(measures)})
    return measures
