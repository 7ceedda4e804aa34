"""Reading and writing the Sortition Foundation CSV formats, and rejecting malformed files."""

from __future__ import annotations

import io

import pytest

from app.lottery.algorithm import Applicant
from app.lottery.errors import LotteryError
from app.lottery.sortition_csv import (
    read_categories_csv,
    read_people_csv,
    read_sortition_files,
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
