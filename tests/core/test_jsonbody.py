"""The depth of a JSON text, as app/core/jsonbody.py measures it before parsing."""
from __future__ import annotations

import json

import pytest

from app.core.jsonbody import json_depth


@pytest.mark.parametrize("value, depth", [
    (1, 0), ("text", 0), ([], 1), ({"a": [1, {"b": []}]}, 4), ({"text": "[[[[{{{{"}, 1),
    ({"text": 'a "quoted" [[[ \\" ]]] \\\\'}, 1), ([[[]], [[[]]]], 4), ({"ü": ["€", {"😀": "]]]}}}"}]}, 3),
])
def test_depth_counts_arrays_and_objects_not_brackets_in_strings(value, depth):
    assert json_depth(json.dumps(value, ensure_ascii=False).encode()) == depth
    assert json_depth(json.dumps(value).encode()) == depth


def test_depth_of_a_thousand_levels_without_recursion():
    assert json_depth(b"[" * 5000 + b"]" * 5000) == 5000
    assert json_depth(b'{"a":' * 1000 + b"1" + b"}" * 1000) == 1000
