"""Reading a register extract (CSV or XLSX) as the registration office's software exports it.

:func:`read_file` checks the file and finds how it is written (format, encoding, separator,
header); :func:`guess_mapping` maps its columns to the register's fields by their headers;
:func:`check_rows` validates every row without storing anything (the preview);
:func:`import_rows` stores them in batches, forming households by normalised address.
Rows are read one at a time (``csv.reader`` over a decoding stream, openpyxl's read-only mode),
so memory stays flat whatever the size of the file; only one short key per household and one
digest per person (duplicates) are kept.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core.models import utcnow
from app.extensions import db
from app.invitations.errors import InvitationError
from app.invitations.models import RegisterHousehold, RegisterPerson

#: The register's fields, in the order of the mapping screen: (name, label, required).
FIELDS: tuple[tuple[str, object, bool], ...] = (
    ("given_name", _l("Given name"), True),
    ("family_name", _l("Family name"), True),
    ("title", _l("Academic title"), False),
    ("street", _l("Street"), True),
    ("house_number", _l("House number"), False),
    ("postcode", _l("Postcode"), True),
    ("town", _l("Town"), False),
    ("birth_year", _l("Year of birth"), False),
    ("birth_date", _l("Date of birth"), False),
    ("gender", _l("Gender"), False),
    ("district", _l("District"), False),
)
FIELD_NAMES = tuple(name for name, _label, _required in FIELDS)
REQUIRED = tuple(name for name, _label, required in FIELDS if required)
#: Header words that name a field (compared after :func:`_header_key`).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "given_name": ("vorname", "vornamen", "rufname", "givenname", "firstname", "forename"),
    "family_name": ("familienname", "nachname", "name", "zuname", "familyname", "lastname", "surname"),
    "title": ("titel", "akademischergrad", "doktorgrad", "title", "academictitle"),
    "street": ("strasse", "str", "strassenname", "anschrift", "street", "address", "adresse"),
    "house_number": ("hausnummer", "hausnr", "hnr", "nr", "hausnummermitzusatz", "housenumber", "number"),
    "postcode": ("plz", "postleitzahl", "postcode", "zip", "zipcode", "postalcode"),
    "town": ("ort", "wohnort", "stadt", "gemeinde", "town", "city"),
    "birth_year": ("geburtsjahr", "jahrgang", "birthyear", "yearofbirth"),
    "birth_date": ("geburtsdatum", "gebdatum", "geboren", "birthdate", "dateofbirth", "dob"),
    "gender": ("geschlecht", "gender", "sex"),
    "district": ("stadtteil", "bezirk", "stadtbezirk", "ortsteil", "wohnbezirk", "district", "quarter"),
}
ENCODINGS = ("utf-8-sig", "utf-8", "cp1252", "latin-1")
DELIMITERS = (";", ",", "\t")
#: Row errors kept for the page (the count covers all).
MAX_ERRORS = 200
BATCH = 5000
LIMITS = {"given_name": 200, "family_name": 200, "title": 60, "street": 200, "house_number": 30,
          "postcode": 10, "town": 120, "gender": 20, "district": 120}
ERROR_LABELS = {
    "missing": _l("no value"),
    "too_long": _l("too long"),
    "bad_postcode": _l("not a postcode of five digits"),
    "bad_year": _l("not a year of birth"),
    "bad_date": _l("not a date (DD.MM.YYYY or YYYY-MM-DD)"),
    "no_house_number": _l("no house number (neither its own column nor at the end of the street)"),
    "duplicate": _l("the same person as an earlier row (name, birth and address)"),
}


@dataclass
class FileInfo:
    """How an uploaded file is written."""

    format: str  # csv or xlsx
    encoding: str | None
    delimiter: str | None
    headers: list[str]
    sha256: str
    size: int


@dataclass
class RowError:
    row: int
    field: str
    code: str

    @property
    def label(self) -> str:
        return str(ERROR_LABELS.get(self.code, self.code))

    def as_json(self) -> dict:
        return {"row": self.row, "field": self.field, "code": self.code}


@dataclass
class CheckResult:
    """The preview (and the import): counts, the first rows as they will be stored, the first row errors."""

    rows: int = 0
    valid: int = 0
    households: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_rows: int = 0
    sample: list[dict] = field(default_factory=list)


# ------------------------------------------------------------------ the file


def read_file(data: bytes, filename: str = "") -> FileInfo:
    """Check ``data`` and find its format, encoding, separator and header.

    :raises InvitationError: ``bad_file`` (unreadable or empty), ``no_header``.
    """
    if not data:
        raise InvitationError("bad_file", _l("The file is empty."))
    digest = hashlib.sha256(data).hexdigest()
    if data[:4] == b"PK\x03\x04":
        headers = next(_xlsx_rows(data), None)
        if headers is None:
            raise InvitationError("no_header", _l("The spreadsheet has no header row."))
        return FileInfo("xlsx", None, None, _clean_headers(headers), digest, len(data))
    if b"\x00" in data[:4096]:
        raise InvitationError("bad_file", _l("The file is neither a CSV file nor an Excel file (XLSX). "
                                             "Please export the register extract as CSV or XLSX."))
    encoding = _encoding(data)
    first_line = _first_line(data, encoding)
    if not first_line.strip():
        raise InvitationError("no_header", _l("The first line of the file is empty: it must hold the column "
                                              "headers."))
    delimiter = max(DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        raise InvitationError("bad_file", _l("The file has only one column: its columns must be separated by "
                                             "semicolons, commas or tabs."))
    headers = next(csv.reader([first_line], delimiter=delimiter))
    return FileInfo("csv", encoding, delimiter, _clean_headers(headers), digest, len(data))


def _clean_headers(headers) -> list[str]:
    out = []
    for n, header in enumerate(headers):
        text = "" if header is None else str(header).strip()
        out.append(text or f"#{n + 1}")
    return out


def _encoding(data: bytes) -> str:
    """utf-8-sig (a BOM), utf-8 when every byte decodes, else cp1252, else latin-1 (decodes anything)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), 1 << 20):
                decoder.decode(data[start:start + (1 << 20)])
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def _first_line(data: bytes, encoding: str) -> str:
    end = data.find(b"\n", 0, 65536)
    head = data[: end if end >= 0 else 65536]
    return head.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r")


def raw_rows(data: bytes, info: FileInfo) -> Iterator[list]:
    """Every data row of the file (the header skipped), one at a time."""
    if info.format == "xlsx":
        rows = _xlsx_rows(data)
        next(rows, None)
        yield from rows
        return
    text = io.TextIOWrapper(io.BytesIO(data), encoding=info.encoding, newline="")
    reader = csv.reader(text, delimiter=info.delimiter)
    next(reader, None)
    yield from reader


def _xlsx_rows(data: bytes) -> Iterator[list]:
    # Imported here: openpyxl is only needed for spreadsheets, and takes a while to import.
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvitationError("bad_file", _l("The Excel file cannot be read. Please save it again as XLSX or "
                                             "export the register extract as CSV.")) from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            if row is None or all(value is None or value == "" for value in row):
                continue
            yield list(row)
    finally:
        workbook.close()


# ------------------------------------------------------------------ the mapping


def _header_key(text: str) -> str:
    text = text.lower().replace("ß", "ss").replace("ä", "a").replace("ö", "o").replace("ü", "u")
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z]", "", text)


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """field → header, for the headers that name a field (Vorname, Familienname, Straße, PLZ, ...)."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    keys = [(_header_key(h), h) for h in headers]
    for name in FIELD_NAMES:
        for synonym in SYNONYMS[name]:
            match = next((h for key, h in keys if key == synonym and h not in used), None)
            if match:
                mapping[name] = match
                used.add(match)
                break
    return mapping


def check_mapping(mapping: dict[str, str], headers: list[str]) -> dict[str, int]:
    """field → column index, for a mapping chosen on the screen.

    :raises InvitationError: ``missing_columns`` (a required field unmapped), ``bad_mapping``.
    """
    columns: dict[str, int] = {}
    seen: dict[str, str] = {}
    for name, header in mapping.items():
        if name not in FIELD_NAMES or not header:
            continue
        if header not in headers:
            raise InvitationError("bad_mapping", _l("The file has no column “%(column)s”.", column=header),
                                  field=name)
        if header in seen:
            raise InvitationError("bad_mapping", _l("The column “%(column)s” is chosen for two fields.",
                                                    column=header), field=name)
        seen[header] = name
        columns[name] = headers.index(header)
    missing = [str(label) for name, label, required in FIELDS if required and name not in columns]
    if missing:
        raise InvitationError("missing_columns", _l("Please choose a column for: %(fields)s.",
                                                    fields=", ".join(missing)), details={"missing": missing})
    return columns


# ------------------------------------------------------------------ rows

_STREET_SUFFIX = re.compile(r"(strasse|str\.?)$")
_NUMBER_AT_END = re.compile(r"^(.*?)[\s,]+(\d+\s*[a-zA-Z]?(?:\s*[-/]\s*\d+\s*[a-zA-Z]?)?)$")
_SPACES = re.compile(r"\s+")
_DATE_DE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")


def household_key(street: str, number: str, postcode: str) -> str:
    """``street|number|postcode``, normalised: "Hauptstr. 12 A" and "hauptstraße 12a" are one address."""
    s = _SPACES.sub(" ", street.strip().lower().replace("ß", "ss"))
    s = re.sub(r"str\.(?=\s|$)", "strasse", s)
    s = re.sub(r"(?<=\w)str(?=\s|$)", "strasse", s)
    s = re.sub(r"\bstr\b", "strasse", s)
    s = s.replace("-", " ").replace(".", "")
    s = _SPACES.sub(" ", s).strip()
    s = re.sub(r" strasse$", "strasse", s)
    n = re.sub(r"\s+", "", number.strip().lower())
    return f"{s}|{n}|{postcode.strip()}"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    return _SPACES.sub(" ", str(value)).strip()


def parse_row(raw: list, columns: dict[str, int], row_number: int, this_year: int
              ) -> tuple[dict | None, list[RowError]]:
    """One row as a person's values, or its errors."""
    values: dict = {}
    errors: list[RowError] = []
    birth_value = None
    for name, index in columns.items():
        cell = raw[index] if index < len(raw) else None
        if name == "birth_date":
            birth_value = cell
            continue
        values[name] = _text(cell)
    for name in FIELD_NAMES:
        if name not in ("birth_year", "birth_date"):
            values.setdefault(name, "")
    for name in REQUIRED:
        if not values.get(name):
            errors.append(RowError(row_number, name, "missing"))
    if values["street"] and not values["house_number"]:
        match = _NUMBER_AT_END.match(values["street"])
        if match:
            values["street"], values["house_number"] = match.group(1).strip(), match.group(2).replace(" ", "")
        elif values["street"]:
            errors.append(RowError(row_number, "house_number", "no_house_number"))
    for name, limit in LIMITS.items():
        if len(values.get(name, "")) > limit:
            errors.append(RowError(row_number, name, "too_long"))
    if values["postcode"] and not re.fullmatch(r"\d{5}", values["postcode"]):
        if re.fullmatch(r"\d{4}", values["postcode"]):  # a spreadsheet dropped the leading zero
            values["postcode"] = "0" + values["postcode"]
        else:
            errors.append(RowError(row_number, "postcode", "bad_postcode"))
    birth_date = None
    if "birth_date" in columns and birth_value not in (None, ""):
        birth_date = _date(birth_value)
        if birth_date is None or not 1880 <= birth_date.year <= this_year:
            errors.append(RowError(row_number, "birth_date", "bad_date"))
            birth_date = None
    year_text = values.pop("birth_year", "")
    birth_year = None
    if year_text:
        if re.fullmatch(r"\d{4}", year_text) and 1880 <= int(year_text) <= this_year:
            birth_year = int(year_text)
        else:
            errors.append(RowError(row_number, "birth_year", "bad_year"))
    if birth_year is None and birth_date is not None:
        birth_year = birth_date.year
    values["birth_year"], values["birth_date"] = birth_year, birth_date
    if errors:
        return None, errors
    return values, errors


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    try:
        if match := _DATE_DE.match(text):
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        if match := _DATE_ISO.match(text):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return None


def _identity(values: dict, key: str) -> bytes:
    person = "\x1f".join([values["given_name"].lower(), values["family_name"].lower(),
                          str(values["birth_date"] or values["birth_year"] or ""), key])
    return hashlib.blake2b(person.encode(), digest_size=12).digest()


def parsed_rows(data: bytes, info: FileInfo, columns: dict[str, int]
                ) -> Iterator[tuple[int, dict | None, list[RowError], str | None]]:
    """(row number, values or None, errors, household key) for every row; duplicates are errors."""
    this_year = utcnow().year
    seen: set[bytes] = set()
    for number, raw in enumerate(raw_rows(data, info), start=1):
        if not any(_text(cell) for cell in raw):
            continue
        values, errors = parse_row(raw, columns, number, this_year)
        if values is None:
            yield number, None, errors, None
            continue
        key = household_key(values["street"], values["house_number"], values["postcode"])
        identity = _identity(values, key)
        if identity in seen:
            yield number, None, [RowError(number, "family_name", "duplicate")], None
            continue
        seen.add(identity)
        yield number, values, [], key


def check_rows(data: bytes, info: FileInfo, columns: dict[str, int], sample_size: int = 10) -> CheckResult:
    """The preview: every row checked, nothing stored."""
    result = CheckResult()
    households: set[str] = set()
    for number, values, errors, key in parsed_rows(data, info, columns):
        result.rows += 1
        if values is None:
            result.error_rows += 1
            if len(result.errors) < MAX_ERRORS:
                result.errors.extend(errors[: MAX_ERRORS - len(result.errors)])
            continue
        result.valid += 1
        households.add(key)
        if len(result.sample) < sample_size:
            result.sample.append({"row": number, **values})
    result.households = len(households)
    return result


# ------------------------------------------------------------------ storing


PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _pseudonyms(prefix: str, length: int) -> Callable[[], str]:
    used: set[str] = set()
    size = len(PSEUDONYM_ALPHABET)

    def new() -> str:
        while True:
            raw = secrets.token_bytes(length * 2)
            chars = [PSEUDONYM_ALPHABET[b % size] for b in raw if b < 248][:length]
            if len(chars) < length:
                continue
            pseudonym = prefix + "".join(chars)
            if pseudonym not in used:
                used.add(pseudonym)
                return pseudonym

    return new


def import_rows(extract_id: int, data: bytes, info: FileInfo, columns: dict[str, int],
                progress: Callable[[int], None] | None = None) -> CheckResult:
    """Store every valid row of the file as a :class:`RegisterPerson` of ``extract_id``, in batches.

    Households are made as their first resident comes; their sizes are counted at the end.
    Flushes (executes); the caller commits.
    """
    result = CheckResult()
    household_ids: dict[str, int] = {}
    person_pseudonym = _pseudonyms("R-", 10)
    household_pseudonym = _pseudonyms("H-", 10)
    batch: list[tuple[dict, str]] = []

    def flush() -> None:
        new_keys = []
        for _values, key in batch:
            if key not in household_ids and key not in new_keys:
                new_keys.append(key)
        if new_keys:
            new_keys_set = set(new_keys)
            rows = db.session.execute(
                sa.insert(RegisterHousehold).returning(RegisterHousehold.id, RegisterHousehold.key),
                [{"extract_id": extract_id, "key": key, "pseudonym": household_pseudonym(), "size": 0}
                 for key in new_keys]).all()
            for household_id, key in rows:
                if key in new_keys_set:
                    household_ids[key] = household_id
        db.session.execute(sa.insert(RegisterPerson), [
            {"extract_id": extract_id, "household_id": household_ids[key], "pseudonym": person_pseudonym(),
             **values} for values, key in batch])
        batch.clear()

    for number, values, errors, key in parsed_rows(data, info, columns):
        result.rows += 1
        if values is None:
            result.error_rows += 1
            if len(result.errors) < MAX_ERRORS:
                result.errors.extend(errors[: MAX_ERRORS - len(result.errors)])
            continue
        values["row_number"] = number
        batch.append((values, key))
        result.valid += 1
        if len(batch) >= BATCH:
            flush()
            if progress:
                progress(result.rows)
    if batch:
        flush()
    sizes = (sa.select(sa.func.count()).select_from(RegisterPerson)
             .where(RegisterPerson.household_id == RegisterHousehold.id).scalar_subquery())
    db.session.execute(sa.update(RegisterHousehold).where(RegisterHousehold.extract_id == extract_id)
                       .values(size=sizes))
    result.households = len(household_ids)
    return result
