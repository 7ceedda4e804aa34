"""Read and write the Sortition Foundation's CSV formats.

* **people**: an ``id`` column plus one column per criterion (feature);
  other columns (names, addresses, ...) are ignored.
* **categories**: ``feature,value,min,max``, one row per criterion option.

Both are read as UTF-8 (a byte-order mark is accepted) with ``,`` or ``;``
as the delimiter, whichever the header line uses. Every problem raises
``LotteryError("csv_format")`` naming the file's line and what is wrong, so
an admin can fix the file; nothing is half-imported.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import IO, Iterable, Mapping, Sequence, Union

from flask_babel import lazy_gettext as _l

from app.lottery.algorithm import Applicant, Quotas
from app.lottery.errors import LotteryError

#: A file path, raw bytes, text, or an open (text or binary) file.
Source = Union[str, Path, bytes, IO[str], IO[bytes]]

CATEGORY_COLUMNS = ("feature", "value", "min", "max")
PROBABILITY_HEADER = ("id", "probability")


def _csv_error(name: str, line: int | None, problem: str, **details) -> LotteryError:
    where = f"{name}, line {line}" if line else name
    return LotteryError("csv_format", _l("%(where)s: %(problem)s", where=where, problem=problem),
                        {"file": name, "line": line, "problem": problem, **details})


def _read_text(source: Source, name: str) -> str:
    """The source's text, decoded strictly as UTF-8 without a BOM.

    A ``str`` is a path unless it contains a newline (then it is the content).
    """
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and "\r" not in source):
        try:
            raw: bytes | str = Path(source).read_bytes()
        except OSError as exc:
            raise _csv_error(name, None, f"cannot read the file ({exc.strerror or exc})") from None
    elif isinstance(source, (str, bytes)):
        raw = source
    else:
        raw = source.read()
    if isinstance(raw, bytes):
        if b"\x00" in raw:
            raise _csv_error(name, None, "contains NUL bytes; this is not a CSV text file")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise _csv_error(name, line, "is not UTF-8 text") from None
    else:
        text = raw[1:] if raw.startswith("\ufeff") else raw
        if "\x00" in text:
            raise _csv_error(name, None, "contains NUL bytes; this is not a CSV text file")
    if not text.strip():
        raise _csv_error(name, None, "is empty")
    return text


def _rows(text: str, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Split CSV text into a stripped header and (line number, cells) rows.

    The delimiter is the one of ``,`` and ``;`` that occurs more often in the
    header line. Blank lines are skipped.
    """
    header_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            cells = [cell.strip() for cell in cells]
            if header is None:
                header = cells
            else:
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise _csv_error(name, reader.line_num, f"is not valid CSV ({exc})") from None
    if header is None:
        raise _csv_error(name, None, "is empty")
    seen: set[str] = set()
    for column in header:
        if not column:
            raise _csv_error(name, 1, "has a column without a name in its header")
        if column in seen:
            raise _csv_error(name, 1, f"has the column {column!r} twice")
        seen.add(column)
    return header, rows


def _cell_count_check(name: str, line: int, header: Sequence[str], cells: Sequence[str]) -> None:
    if len(cells) != len(header):
        raise _csv_error(name, line, f"has {len(cells)} cells but the header has {len(header)}")


def read_categories_csv(source: Source, name: str = "categories file") -> dict[str, dict[str, tuple[int, int]]]:
    """Read quotas from a ``feature,value,min,max`` file.

    :param source: path, bytes, text or open file.
    :param name: how to call the file in error messages.
    :return: feature -> option -> (min, max).
    :raises LotteryError: ``csv_format`` on missing columns, non-integer or
        negative bounds, min > max, a repeated option, an empty file or
        non-text content.
    """
    header, rows = _rows(_read_text(source, name), name)
    lowered = [column.lower() for column in header]
    missing = [column for column in CATEGORY_COLUMNS if column not in lowered]
    if missing:
        raise _csv_error(name, 1, f"lacks the column(s) {', '.join(missing)} (needs feature,value,min,max)")
    position = {column: lowered.index(column) for column in CATEGORY_COLUMNS}
    quotas: dict[str, dict[str, tuple[int, int]]] = {}
    for line, cells in rows:
        _cell_count_check(name, line, header, cells)
        feature, value = cells[position["feature"]], cells[position["value"]]
        if not feature or not value:
            raise _csv_error(name, line, "has an empty feature or value")
        bounds = []
        for column in ("min", "max"):
            cell = cells[position[column]]
            try:
                number = int(cell)
            except ValueError:
                raise _csv_error(name, line, f"{column} {cell!r} is not a whole number") from None
            if number < 0:
                raise _csv_error(name, line, f"{column} {number} is negative")
            bounds.append(number)
        if bounds[0] > bounds[1]:
            raise _csv_error(name, line, f"min {bounds[0]} is greater than max {bounds[1]}")
        if value in quotas.get(feature, {}):
            raise _csv_error(name, line, f"repeats {feature} = {value}")
        quotas.setdefault(feature, {})[value] = (bounds[0], bounds[1])
    if not quotas:
        raise _csv_error(name, None, "has no categories")
    return quotas


def read_people_csv(source: Source, quotas: Quotas | None = None, name: str = "people file",
                    id_column: str = "id") -> list[Applicant]:
    """Read applicants from a people file.

    :param source: path, bytes, text or open file.
    :param quotas: if given, every feature must be a column and every answer
        one of its options; only these features are kept. Without quotas
        every column but the id is kept.
    :param name: how to call the file in error messages.
    :param id_column: the column holding the (pseudonymous) id.
    :return: the applicants in file order.
    :raises LotteryError: ``csv_format`` on a missing id or feature column,
        an empty or duplicate id, an unknown or empty answer, a wrong cell
        count, an empty file or non-text content.
    """
    header, rows = _rows(_read_text(source, name), name)
    if id_column not in header:
        raise _csv_error(name, 1, f"lacks the column {id_column!r}")
    features = list(quotas) if quotas is not None else [c for c in header if c != id_column]
    missing = [feature for feature in features if feature not in header]
    if missing:
        raise _csv_error(name, 1, f"lacks the column(s) {', '.join(missing)} named in the categories")
    id_at = header.index(id_column)
    positions = {feature: header.index(feature) for feature in features}
    applicants: list[Applicant] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        _cell_count_check(name, line, header, cells)
        pseudonym = cells[id_at]
        if not pseudonym:
            raise _csv_error(name, line, "has an empty id")
        if pseudonym in seen:
            raise _csv_error(name, line, f"repeats the id {pseudonym!r} of line {seen[pseudonym]}")
        seen[pseudonym] = line
        answers = {}
        for feature, at in positions.items():
            value = cells[at]
            if quotas is not None and value not in quotas[feature]:
                options = ", ".join(sorted(quotas[feature]))
                raise _csv_error(name, line, f"{feature} {value!r} of {pseudonym!r} is not one of the categories "
                                             f"({options})")
            answers[feature] = value
        applicants.append(Applicant(pseudonym, answers))
    if not applicants:
        raise _csv_error(name, None, "has no people")
    return applicants


def read_sortition_files(people: Source, categories: Source) -> tuple[list[Applicant], dict]:
    """Read a people file against a categories file.

    :return: ``(applicants, quotas)``.
    :raises LotteryError: ``csv_format`` as the two readers.
    """
    quotas = read_categories_csv(categories)
    return read_people_csv(people, quotas), quotas


def write_categories_csv(quotas: Quotas, out: IO[str]) -> None:
    """Write quotas as ``feature,value,min,max`` in sorted order."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CATEGORY_COLUMNS)
    for feature in sorted(quotas):
        for value in sorted(quotas[feature]):
            low, high = quotas[feature][value]
            writer.writerow([feature, value, low, high])


def write_people_csv(applicants: Iterable[Applicant], features: Sequence[str], out: IO[str],
                     id_column: str = "id") -> None:
    """Write applicants as ``id`` plus one column per feature, in the given order."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([id_column, *features])
    for applicant in applicants:
        writer.writerow([applicant.pseudonym, *(applicant.answers.get(f, "") for f in features)])


def format_probability(probability: float) -> str:
    """Probabilities as decimal text with 12 significant digits (sums stay exact to ~1e-9)."""
    return f"{probability:.12g}"


def write_probabilities_csv(probabilities: Mapping[str, float], out: IO[str]) -> None:
    """Write ``id,probability`` rows, ids in the mapping's order."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PROBABILITY_HEADER)
    for pseudonym, probability in probabilities.items():
        writer.writerow([pseudonym, format_probability(probability)])
