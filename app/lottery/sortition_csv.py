"""Read and write the Sortition Foundation's CSV formats.

* **people**: an id column (``id``, in any case, or a column named with
  ``id_column``) plus one column per criterion (feature); other columns
  (names, addresses, ...) are ignored.
* **categories**: ``feature,value,min,max`` (or the older
  ``category,name,min,max``), optionally with ``min_flex,max_flex``: how far
  the Sortition Foundation's tools may relax a quota when no panel meets
  them all. Here they bound the "nearest feasible change" suggested for
  infeasible quotas (:func:`~app.lottery.algorithm.diagnose_infeasible`):
  a min is never suggested below its ``min_flex``, a max never above its
  ``max_flex``.

Files may be UTF-8 (with or without byte-order mark), UTF-16 with a
byte-order mark (Excel's "Unicode text"), or Windows-1252/Latin-1 (Excel on
Windows, older systems): a file that is not valid UTF-8 is read as
Windows-1252 and the reader says so (:attr:`SortitionFiles.notes`). Text is
normalised to Unicode NFC, so "jünger" typed on macOS (u + combining
diaeresis) equals "jünger" typed elsewhere. The delimiter is the one of
``,``, ``;`` and tab that the header line uses most, or the one an Excel
``sep=;`` first line names. Every problem raises
``LotteryError("csv_format")`` naming the file's line and what is wrong (in
the user's language), so an admin can fix the file; nothing is half-imported.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Mapping, Sequence, Union

from flask_babel import lazy_gettext as _l

from app.lottery.algorithm import (
    Applicant,
    Distribution,
    Progress,
    Quotas,
    build_pool,
    diagnose_infeasible,
    leximin_distribution,
)
from app.lottery.errors import LotteryError

#: A file path, raw bytes, text, or an open (text or binary) file.
Source = Union[str, Path, bytes, IO[str], IO[bytes]]

CATEGORY_COLUMNS = ("feature", "value", "min", "max")
#: The Sortition Foundation's older names for ``feature`` and ``value``.
OLD_CATEGORY_COLUMNS = {"category": "feature", "name": "value"}
FLEX_COLUMNS = ("min_flex", "max_flex")
PROBABILITY_HEADER = ("id", "probability")
DELIMITERS = (",", ";", "\t")

#: feature -> option -> (lowest min, highest max) a relaxation may reach.
Flex = Mapping[str, Mapping[str, tuple[int, int]]]


@dataclass
class SortitionFiles:
    """A people file read against a categories file.

    :param applicants: in file order.
    :param quotas: feature -> option -> (min, max).
    :param flex: feature -> option -> (min_flex, max_flex), only for the
        options whose file has these columns.
    :param notes: remarks for the user (e.g. a file read as Windows-1252).
    """

    applicants: list[Applicant]
    quotas: dict[str, dict[str, tuple[int, int]]]
    flex: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    notes: list = field(default_factory=list)


def _csv_error(name, line: int | None, problem) -> LotteryError:
    where = _l("%(file)s, line %(line)s", file=name, line=line) if line else name
    return LotteryError("csv_format", _l("%(where)s: %(problem)s", where=where, problem=problem),
                        {"file": str(name), "line": line, "problem": str(problem)})


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _looks_binary(text: str) -> bool:
    return any(ord(ch) < 32 and ch not in "\t\r\n\f" or ord(ch) == 127 for ch in text)


def _decode(raw: bytes, name, notes: list | None) -> str:
    if b"\x00" in raw and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _csv_error(name, None, _l("contains NUL bytes; this is not a CSV text file"))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise _csv_error(name, None, _l("starts like UTF-16 text but is not")) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        if _looks_binary(text):
            raise _csv_error(name, line, _l("is not UTF-8 text (nor Windows-1252 or Latin-1); please save it "
                                            "as \"CSV UTF-8\"")) from None
        if notes is not None:
            notes.append(_l("%(file)s is not UTF-8 (line %(line)s); it was read as Windows-1252 (Latin-1). "
                            "Please check the umlauts, or save the file as \"CSV UTF-8\".", file=name, line=line))
        return text


def _read_text(source: Source, name, notes: list | None = None) -> str:
    """The source's text, decoded (see the module docstring) and NFC-normalised.

    A ``str`` is a path unless it contains a newline (then it is the content).
    """
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and "\r" not in source):
        try:
            raw: bytes | str = Path(source).read_bytes()
        except OSError as exc:
            raise _csv_error(name, None, _l("cannot read the file (%(reason)s)",
                                            reason=exc.strerror or str(exc))) from None
    elif isinstance(source, (str, bytes)):
        raw = source
    else:
        raw = source.read()
    if isinstance(raw, bytes):
        text = _decode(raw, name, notes)
    else:
        text = raw
        if "\x00" in text:
            raise _csv_error(name, None, _l("contains NUL bytes; this is not a CSV text file"))
    text = text[1:] if text.startswith("\ufeff") else text
    if not text.strip():
        raise _csv_error(name, None, _l("is empty"))
    return _nfc(text)


def _delimiter(text: str) -> tuple[str, str]:
    """The delimiter and the text without an Excel ``sep=X`` line (kept as a blank line)."""
    first_line = text.lstrip("\r\n").splitlines()[0]
    if first_line.strip().lower().startswith("sep=") and len(first_line.strip()) in (4, 5):
        delimiter = first_line.strip()[4:] or ","
        start = text.index(first_line)
        return delimiter, text[:start] + text[start + len(first_line):]
    counts = {d: first_line.count(d) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (counts[d], d == ",")), text


def _rows(text: str, name) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Split CSV text into a stripped header and (line number, cells) rows. Blank lines are skipped."""
    delimiter, text = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    header_line = 1
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            cells = [cell.strip() for cell in cells]
            if header is None:
                header, header_line = cells, reader.line_num
            else:
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise _csv_error(name, reader.line_num, _l("is not valid CSV (%(reason)s)", reason=str(exc))) from None
    if header is None:
        raise _csv_error(name, None, _l("is empty"))
    seen: set[str] = set()
    for column in header:
        if not column:
            raise _csv_error(name, header_line, _l("has a column without a name in its header"))
        if column in seen:
            raise _csv_error(name, header_line, _l("has the column '%(column)s' twice", column=column))
        seen.add(column)
    return header, rows


def _cell_count_check(name, line: int, header: Sequence[str], cells: Sequence[str]) -> None:
    if len(cells) != len(header):
        raise _csv_error(name, line, _l("has %(cells)s cells but the header has %(header)s",
                                        cells=len(cells), header=len(header)))


def _whole_number(name, line: int, column: str, cell: str) -> int:
    try:
        number = int(cell)
    except ValueError:
        raise _csv_error(name, line, _l("%(column)s '%(cell)s' is not a whole number", column=column,
                                        cell=cell)) from None
    if number < 0:
        raise _csv_error(name, line, _l("%(column)s %(number)s is negative", column=column, number=number))
    return number


CATEGORIES_FILE = _l("categories file")
PEOPLE_FILE = _l("people file")


def read_categories(source: Source, name=CATEGORIES_FILE, notes: list | None = None
                    ) -> tuple[dict[str, dict[str, tuple[int, int]]], dict[str, dict[str, tuple[int, int]]]]:
    """Read quotas, and the flex bounds if the file has them, from a categories file.

    :return: ``(quotas, flex)``: feature -> option -> (min, max), and
        feature -> option -> (min_flex, max_flex) (empty without those columns).
    :raises LotteryError: ``csv_format`` on missing columns, non-integer or
        negative bounds, min > max, flex bounds inside min..max, a repeated
        option, an empty file or non-text content.
    """
    header, rows = _rows(_read_text(source, name, notes), name)
    lowered = [column.lower() for column in header]
    if "feature" not in lowered and "value" not in lowered:
        lowered = [OLD_CATEGORY_COLUMNS.get(column, column) for column in lowered]
    missing = [column for column in CATEGORY_COLUMNS if column not in lowered]
    if missing:
        raise _csv_error(name, 1, _l("lacks the column(s) %(columns)s (needs feature,value,min,max)",
                                     columns=", ".join(missing)))
    position = {column: lowered.index(column) for column in CATEGORY_COLUMNS}
    has_flex = [column in lowered for column in FLEX_COLUMNS]
    if any(has_flex) and not all(has_flex):
        raise _csv_error(name, 1, _l("has only one of the columns min_flex and max_flex; give both or neither"))
    if all(has_flex):
        position.update({column: lowered.index(column) for column in FLEX_COLUMNS})
    quotas: dict[str, dict[str, tuple[int, int]]] = {}
    flex: dict[str, dict[str, tuple[int, int]]] = {}
    for line, cells in rows:
        _cell_count_check(name, line, header, cells)
        feature, value = cells[position["feature"]], cells[position["value"]]
        if not feature or not value:
            raise _csv_error(name, line, _l("has an empty feature or value"))
        low, high = (_whole_number(name, line, column, cells[position[column]]) for column in ("min", "max"))
        if low > high:
            raise _csv_error(name, line, _l("min %(low)s is greater than max %(high)s", low=low, high=high))
        if value in quotas.get(feature, {}):
            raise _csv_error(name, line, _l("repeats %(feature)s = %(value)s", feature=feature, value=value))
        quotas.setdefault(feature, {})[value] = (low, high)
        if all(has_flex) and (cells[position["min_flex"]] or cells[position["max_flex"]]):
            if not cells[position["min_flex"]] or not cells[position["max_flex"]]:
                raise _csv_error(name, line, _l("has only one of min_flex and max_flex"))
            low_flex, high_flex = (_whole_number(name, line, column, cells[position[column]])
                                   for column in FLEX_COLUMNS)
            if low_flex > low or high_flex < high:
                raise _csv_error(name, line, _l("min_flex %(low_flex)s and max_flex %(high_flex)s must lie outside "
                                                "min %(low)s and max %(high)s (min_flex <= min, max <= max_flex)",
                                                low_flex=low_flex, high_flex=high_flex, low=low, high=high))
            flex.setdefault(feature, {})[value] = (low_flex, high_flex)
    if not quotas:
        raise _csv_error(name, None, _l("has no categories"))
    return quotas, flex


def read_categories_csv(source: Source, name=CATEGORIES_FILE) -> dict[str, dict[str, tuple[int, int]]]:
    """Read quotas from a ``feature,value,min,max`` file (see :func:`read_categories`).

    :return: feature -> option -> (min, max).
    """
    return read_categories(source, name)[0]


def _find_id_column(header: Sequence[str], id_column: str | None, name) -> int:
    if id_column is not None:
        wanted = _nfc(id_column.strip())
        if wanted in header:
            return header.index(wanted)
        matches = [i for i, column in enumerate(header) if column.casefold() == wanted.casefold()]
        if len(matches) == 1:
            return matches[0]
        raise _csv_error(name, 1, _l("lacks the id column '%(column)s' (columns: %(columns)s)",
                                     column=wanted, columns=", ".join(header)))
    matches = [i for i, column in enumerate(header) if column.casefold() == "id"]
    if len(matches) == 1:
        return matches[0]
    raise _csv_error(name, 1, _l("lacks the column 'id' (columns: %(columns)s); name the id column if it is "
                                 "called otherwise (e.g. --id-column nationbuilder_id)", columns=", ".join(header)))


def read_people_csv(source: Source, quotas: Quotas | None = None, name=PEOPLE_FILE,
                    id_column: str | None = None, notes: list | None = None) -> list[Applicant]:
    """Read applicants from a people file.

    :param source: path, bytes, text or open file.
    :param quotas: if given, every feature must be a column and every answer
        one of its options; only these features are kept. Without quotas
        every column but the id is kept.
    :param name: how to call the file in error messages.
    :param id_column: the column holding the (pseudonymous) id; by default
        the column called ``id`` in any case (``ID``, ``Id``).
    :param notes: remarks for the user are appended here.
    :return: the applicants in file order.
    :raises LotteryError: ``csv_format`` on a missing id or feature column,
        an empty or duplicate id, an unknown or empty answer, a wrong cell
        count, an empty file or non-text content.
    """
    header, rows = _rows(_read_text(source, name, notes), name)
    id_at = _find_id_column(header, id_column, name)
    features = [_nfc(f) for f in quotas] if quotas is not None else [c for i, c in enumerate(header) if i != id_at]
    missing = [feature for feature in features if feature not in header]
    if missing:
        raise _csv_error(name, 1, _l("lacks the column(s) %(columns)s named in the categories",
                                     columns=", ".join(missing)))
    options = {_nfc(f): {_nfc(v): v for v in quotas[f]} for f in quotas} if quotas is not None else None
    original_feature = {_nfc(f): f for f in quotas} if quotas is not None else {f: f for f in features}
    positions = {feature: header.index(feature) for feature in features}
    applicants: list[Applicant] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        _cell_count_check(name, line, header, cells)
        pseudonym = cells[id_at]
        if not pseudonym:
            raise _csv_error(name, line, _l("has an empty id"))
        if pseudonym in seen:
            raise _csv_error(name, line, _l("repeats the id '%(id)s' of line %(line)s", id=pseudonym,
                                            line=seen[pseudonym]))
        seen[pseudonym] = line
        answers = {}
        for feature, at in positions.items():
            value = cells[at]
            if options is not None:
                if value not in options[feature]:
                    raise _csv_error(name, line, _l("%(feature)s '%(value)s' of '%(id)s' is not one of the "
                                                    "categories (%(options)s)", feature=feature, value=value,
                                                    id=pseudonym, options=", ".join(sorted(options[feature]))))
                value = options[feature][value]
            answers[original_feature[feature]] = value
        applicants.append(Applicant(pseudonym, answers))
    if not applicants:
        raise _csv_error(name, None, _l("has no people"))
    return applicants


def read_sortition_instance(people: Source, categories: Source, id_column: str | None = None) -> SortitionFiles:
    """Read a people file against a categories file, with flex bounds and notes.

    :raises LotteryError: ``csv_format`` as the two readers.
    """
    notes: list = []
    quotas, flex = read_categories(categories, notes=notes)
    applicants = read_people_csv(people, quotas, id_column=id_column, notes=notes)
    return SortitionFiles(applicants, quotas, flex, notes)


ALREADY_SELECTED_FILE = _l("already selected file")


def exclude_already_selected(files: SortitionFiles, already: Source, seats: int,
                             id_column: str | None = None) -> tuple[SortitionFiles, int]:
    """Take people already selected (an "already selected" file in the people file's format, as in the
    Sortition Foundation's tools) out of the lottery: they leave the pool, their seats and their
    answers count against the quotas (min and max less their count per option, min not below 0).

    :return: the remaining pool and quotas, and the seats still to draw.
    :raises LotteryError: ``csv_format`` (the file, or more already selected than an option's
        maximum or than the seats).
    """
    chosen = read_people_csv(already, files.quotas, ALREADY_SELECTED_FILE, id_column, files.notes)
    counts = Counter((f, v) for person in chosen for f, v in person.answers.items())
    for (feature, value), count in sorted(counts.items()):
        high = files.quotas[feature][value][1]
        if count > high:
            raise _csv_error(ALREADY_SELECTED_FILE, None, _l(
                "already selected with %(feature)s = %(value)s: %(count)s, more than its maximum %(max)s",
                count=count, feature=feature, value=value, max=high))
    left = seats - len(chosen)
    if left < 1:
        raise _csv_error(ALREADY_SELECTED_FILE, None, _l(
            "lists as many people as there are seats or more (%(count)s of %(seats)s): no seat is left to draw",
            count=len(chosen), seats=seats))
    ids = {person.pseudonym for person in chosen}

    def less(bounds: dict) -> dict:
        return {f: {v: (max(0, low - counts[(f, v)]), high - counts[(f, v)]) for v, (low, high) in options.items()}
                for f, options in bounds.items()}

    remaining = [a for a in files.applicants if a.pseudonym not in ids]
    return SortitionFiles(remaining, less(files.quotas), less(files.flex), files.notes), left


def files_distribution(files: SortitionFiles, seats: int, progress: Progress | None = None) -> Distribution:
    """The leximin distribution of the files' people; infeasible quotas are explained
    with a relaxation inside the file's ``min_flex``/``max_flex``. ``progress`` as for
    :func:`~app.lottery.algorithm.leximin_distribution` (the web dry-run's job reports it).

    :raises LotteryError: any code of :func:`~app.lottery.algorithm.leximin_distribution`.
    """
    pool = build_pool(files.applicants, files.quotas, seats)
    try:
        return leximin_distribution(pool, progress=progress)
    except LotteryError as error:
        if error.code == "infeasible" and files.flex:
            raise diagnose_infeasible(pool, files.flex) from None
        raise


def read_sortition_files(people: Source, categories: Source,
                         id_column: str | None = None) -> tuple[list[Applicant], dict]:
    """Read a people file against a categories file.

    :return: ``(applicants, quotas)``.
    :raises LotteryError: ``csv_format`` as the two readers.
    """
    files = read_sortition_instance(people, categories, id_column)
    return files.applicants, files.quotas


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
