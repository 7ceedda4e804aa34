"""Reading and writing the Sortition Foundation CSV formats, and rejecting malformed files."""

from __future__ import annotations

import io

import pytest

from app.lottery.algorithm import Applicant
from app.lottery.errors import LotteryError
from app.lottery.sortition_csv import (
    files_distribution,
    read_categories,
    read_categories_csv,
    read_people_csv,
    read_sortition_files,
    read_sortition_instance,
    write_categories_csv,
    write_people_csv,
)

CATEGORIES = "feature,value,min,max\ngender,f,1,2\ngender,m,1,2\nage,young,0,2\nage,old,1,3\n"
PEOPLE = "id,name,gender,age\nr1,Ann,f,young\nr2,Bob,m,old\nr3,Cem,m,young\n"


def test_reads_both_files_and_ignores_other_columns():
    applicants, quotas = read_sortition_files(PEOPLE.encode(), CATEGORIES.encode())
    assert quotas == {"gender": {"f": (1, 2), "m": (1, 2)}, "age": {"young": (0, 2), "old": (1, 3)}}
    assert applicants[0] == Applicant("r1", {"gender": "f", "age": "young"})
    assert [a.pseudonym for a in applicants] == ["r1", "r2", "r3"]


def test_accepts_bom_semicolons_crlf_and_spaces():
    categories = ("\ufefffeature;value;min;max\r\ngender;f;1;2\r\ngender; m ;1;2\r\n\r\n").encode("utf-8")
    people = "\ufeffid;gender\r\nr1;f\r\nr2; m\r\n".encode("utf-8")
    applicants, quotas = read_sortition_files(people, categories)
    assert quotas == {"gender": {"f": (1, 2), "m": (1, 2)}}
    assert [a.answers["gender"] for a in applicants] == ["f", "m"]


def test_round_trip_through_writers():
    applicants, quotas = read_sortition_files(PEOPLE.encode(), CATEGORIES.encode())
    people_out, categories_out = io.StringIO(), io.StringIO()
    write_people_csv(applicants, ["gender", "age"], people_out)
    write_categories_csv(quotas, categories_out)
    assert read_sortition_files(people_out.getvalue().encode(), categories_out.getvalue().encode()) == (
        applicants, quotas)


@pytest.mark.parametrize("content, line, fragment", [
    (b"", None, "empty"),
    (b"feature,value,min\ngender,f,1\n", 1, "max"),
    (b"feature,value,min,max\ngender,f,one,2\n", 2, "whole number"),
    (b"feature,value,min,max\ngender,f,3,2\n", 2, "greater than max"),
    (b"feature,value,min,max\ngender,f,-1,2\n", 2, "negative"),
    (b"feature,value,min,max\ngender,f,1,2\ngender,f,1,2\n", 3, "repeats"),
    (b"feature,value,min,max\ngender,f,1\n", 2, "cells"),
    (b"feature,value,min,max\n", None, "no categories"),
    (b"\x89PNG\r\n\x1a\n\xff\xfe\xfd", 1, "UTF-8"),
    (b"feature,value,min,max\ngen\x00der,f,1,2\n", None, "NUL"),
])
def test_malformed_categories(content, line, fragment):
    with pytest.raises(LotteryError) as caught:
        read_categories_csv(content)
    assert caught.value.code == "csv_format"
    assert caught.value.details["line"] == line
    assert fragment in str(caught.value)


QUOTAS = {"gender": {"f": (1, 2), "m": (1, 2)}}


@pytest.mark.parametrize("content, line, fragment", [
    (b"name,gender\nAnn,f\n", 1, "'id'"),
    (b"id,age\nr1,old\n", 1, "gender"),
    (b"id,gender\nr1,f\nr1,m\n", 3, "repeats the id 'r1' of line 2"),
    (b"id,gender\nr1,f\nr2,x\n", 3, "'x'"),
    (b"id,gender\nr1,f\n,m\n", 3, "empty id"),
    (b"id,gender\nr1,f,extra\n", 2, "cells"),
    (b"id,gender\n", None, "no people"),
    (b"   \n\n", None, "empty"),
    (b"id,gender\nr1,\"f\nr2,m\n", None, "CSV"),
    (bytes(range(256)), None, "NUL"),
])
def test_malformed_people(content, line, fragment):
    with pytest.raises(LotteryError) as caught:
        read_people_csv(content, QUOTAS)
    assert caught.value.code == "csv_format"
    if line is not None:
        assert caught.value.details["line"] == line
    assert fragment in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(LotteryError) as caught:
        read_categories_csv(tmp_path / "nope.csv")
    assert caught.value.code == "csv_format"


# --- Sortition Foundation parity (issue 22, item 8) ---------------------------------------------

AGE_CATEGORIES = "feature,value,min,max\nAlter,jünger,1,2\nAlter,älter,1,2\n"


def test_decomposed_umlauts_match_composed_categories():
    # macOS writes "ü" as "u" + COMBINING DIAERESIS (NFD); the categories file has the composed form.
    people = "id,Alter\nr1,ju\u0308nger\nr2,a\u0308lter\n".encode("utf-8")
    applicants, quotas = read_sortition_files(people, AGE_CATEGORIES.encode("utf-8"))
    assert [a.answers["Alter"] for a in applicants] == ["jünger", "älter"]
    # ... and the other way round: decomposed categories, composed people.
    decomposed = AGE_CATEGORIES.replace("ü", "u\u0308").replace("ä", "a\u0308").encode("utf-8")
    applicants, quotas = read_sortition_files("id,Alter\nr1,jünger\n".encode("utf-8"), decomposed)
    assert quotas == {"Alter": {"jünger": (1, 2), "älter": (1, 2)}}
    assert applicants[0].answers == {"Alter": "jünger"}


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_windows_1252_and_latin_1_files_are_read_with_a_note(encoding):
    files = read_sortition_instance("ID;Alter\nr1;jünger\nr2;älter\n".encode(encoding),
                                    AGE_CATEGORIES.encode(encoding))
    assert [a.answers["Alter"] for a in files.applicants] == ["jünger", "älter"]
    assert files.quotas == {"Alter": {"jünger": (1, 2), "älter": (1, 2)}}
    assert len(files.notes) == 2 and all("Windows-1252" in str(note) for note in files.notes)


def test_utf16_excel_unicode_text_with_tabs():
    people = "id\tAlter\r\nr1\tjünger\r\n".encode("utf-16")
    assert read_sortition_files(people, AGE_CATEGORIES.encode())[0][0].answers == {"Alter": "jünger"}


@pytest.mark.parametrize("header", ["ID", "Id", "iD"])
def test_id_column_in_any_case(header):
    applicants, _ = read_sortition_files(f"{header},gender\nr1,f\n".encode(), b"feature,value,min,max\ngender,f,0,1\n")
    assert applicants[0].pseudonym == "r1"


def test_id_column_can_be_named():
    people = b"nationbuilder_id,id_intern,gender\nn7,x,f\n"
    applicants, _ = read_sortition_files(people, b"feature,value,min,max\ngender,f,0,1\n",
                                         id_column="nationbuilder_id")
    assert applicants[0].pseudonym == "n7"
    with pytest.raises(LotteryError) as caught:
        read_sortition_files(b"name,gender\nAnn,f\n", b"feature,value,min,max\ngender,f,0,1\n")
    assert "--id-column" in str(caught.value) and "name, gender" in str(caught.value)


def test_excel_sep_line_and_tab_separators():
    categories = b"sep=;\r\nfeature;value;min;max\r\ngender;f;1;2\r\ngender;m;0,5;2\r\n"
    with pytest.raises(LotteryError) as caught:  # "0,5" stays one cell with the declared ";"
        read_categories_csv(categories)
    assert caught.value.details["line"] == 4 and "whole number" in str(caught.value)
    quotas = read_categories_csv(b"sep=;\nfeature;value;min;max\ngender;f;1;2\n")
    assert quotas == {"gender": {"f": (1, 2)}}
    tabs = b"feature\tvalue\tmin\tmax\ngender\tf\t1\t2\n"
    assert read_categories_csv(tabs) == {"gender": {"f": (1, 2)}}
    applicants = read_people_csv(b"id\tgender\tname\nr1\tf\tAnn, B.\n", {"gender": {"f": (1, 2)}})
    assert applicants[0].answers == {"gender": "f"}


def test_old_category_name_headers():
    assert read_categories_csv(b"category,name,min,max\ngender,f,1,2\n") == {"gender": {"f": (1, 2)}}


def test_flex_columns_are_read_and_checked():
    quotas, flex = read_categories(b"feature,value,min,max,min_flex,max_flex\ngender,f,2,3,1,4\ngender,m,2,3,0,5\n")
    assert quotas == {"gender": {"f": (2, 3), "m": (2, 3)}}
    assert flex == {"gender": {"f": (1, 4), "m": (0, 5)}}
    with pytest.raises(LotteryError) as caught:
        read_categories(b"feature,value,min,max,min_flex,max_flex\ngender,f,2,3,3,4\n")
    assert caught.value.details["line"] == 2 and "min_flex" in str(caught.value)
    with pytest.raises(LotteryError):
        read_categories(b"feature,value,min,max,min_flex\ngender,f,2,3,1\n")


def test_flex_bounds_the_suggested_relaxation():
    # 4 seats, 3 women and 3 men, but the file demands 4 women: the min must move to 3 ...
    people = b"id,gender\n" + b"".join(f"r{i},{'f' if i < 3 else 'm'}\n".encode() for i in range(6))
    plain = b"feature,value,min,max\ngender,f,4,4\ngender,m,0,4\n"
    with pytest.raises(LotteryError) as caught:
        files_distribution(read_sortition_instance(people, plain), 4)
    assert caught.value.details["relaxation"] == [
        {"feature": "gender", "value": "f", "bound": "min", "from": 4, "to": 3}]
    # ... which min_flex 4 forbids: no relaxation is suggested, and the message says why.
    flexed = b"feature,value,min,max,min_flex,max_flex\ngender,f,4,4,4,4\ngender,m,0,4,0,4\n"
    with pytest.raises(LotteryError) as caught:
        files_distribution(read_sortition_instance(people, flexed), 4)
    assert caught.value.details["relaxation"] == [] and caught.value.details["within_flex"] is False
    assert "min_flex" in str(caught.value)


def test_messages_are_german_in_german(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("de"):
        with pytest.raises(LotteryError) as caught:
            read_people_csv(b"id,gender\nr1,f\nr1,f\n", QUOTAS)
        assert str(caught.value) == "Personendatei, Zeile 3: Die ID „r1“ steht schon in Zeile 2."
        with pytest.raises(LotteryError) as caught:
            read_categories_csv(b"feature,value,min,max\ngender,f,3,2\n")
        assert str(caught.value) == "Kategoriendatei, Zeile 2: min 3 ist größer als max 2."


def test_already_selected_people_leave_the_pool_and_count_against_the_quotas(tmp_path):
    """Issue 22, Sortition Foundation parity: an "already selected" file (people file format)."""
    from app.lottery.sortition_csv import exclude_already_selected, files_distribution, read_sortition_instance
    from tests.support.lottery_cli import run

    people = tmp_path / "people.csv"
    people.write_text("id,gender\n" + "".join(f"f{i},f\n" for i in range(4)) + "".join(f"m{i},m\n" for i in range(4)))
    categories = tmp_path / "categories.csv"
    categories.write_text("feature,value,min,max\ngender,f,2,2\ngender,m,2,2\n")
    already = tmp_path / "already.csv"
    already.write_text("id,gender\nf0,f\nf1,f\nm0,m\n")
    files, seats = exclude_already_selected(read_sortition_instance(people, categories), already, 4)
    assert seats == 1 and {a.pseudonym for a in files.applicants} == {"f2", "f3", "m1", "m2", "m3"}
    assert files.quotas == {"gender": {"f": (0, 0), "m": (1, 1)}}
    distribution = files_distribution(files, seats)
    assert distribution.probabilities["f2"] == pytest.approx(0) and distribution.probabilities["m1"] == pytest.approx(1 / 3)
    out = tmp_path / "p.csv"
    result = run("probabilities", "--people", str(people), "--categories", str(categories), "--seats", "4",
                 "--already-selected", str(already), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "3 left the pool; 1 seats to draw" in result.output
    assert "f0" not in out.read_text() and "m1,0.333333333333" in out.read_text()
    table_out = tmp_path / "t.csv"
    assert run("table", "--people", str(people), "--categories", str(categories), "--seats", "4",
               "--already-selected", str(already), "--out", str(table_out)).exit_code == 0
    # More already selected than an option's maximum, or than the seats: a clear message.
    already.write_text("id,gender\nf0,f\nf1,f\nf2,f\n")
    result = run("probabilities", "--people", str(people), "--categories", str(categories), "--seats", "4",
                 "--already-selected", str(already))
    assert result.exit_code == 1 and "more than its maximum 2" in result.output
    already.write_text("id,gender\nf0,f\nf1,f\nm0,m\nm1,m\n")
    result = run("probabilities", "--people", str(people), "--categories", str(categories), "--seats", "4",
                 "--already-selected", str(already))
    assert result.exit_code == 1 and "no seat is left" in result.output
