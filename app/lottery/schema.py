"""The JSON Schema of the audit file (``schemas/audit.schema.json``, format versions 1 and 2) and a validator for it.

The schema is standard JSON Schema (draft 2020-12), so anyone can check an
audit file with any validator; it is served at ``/lottery/audit-schema.json``.
Ideenmarkt validates with the small validator here, which implements the
keywords the schema uses (``type``, ``const``, ``enum``, ``required``,
``properties``, ``additionalProperties``, ``items``, ``minimum``, ``maximum``,
``minLength``, ``pattern``, ``dependentRequired``, ``allOf``, ``if``/``then``, ``not`` and local
``$ref``), so no
further dependency is needed. Unknown keywords are refused (a test keeps the
schema within what is implemented).
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "audit.schema.json"

#: Keywords the validator implements, and those that only describe.
KEYWORDS = {"type", "const", "enum", "required", "properties", "additionalProperties", "items", "minimum",
            "maximum", "minLength", "pattern", "dependentRequired", "$ref", "allOf", "if", "then", "not"}
ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description"}

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


@lru_cache(maxsize=1)
def audit_schema() -> dict[str, Any]:
    """The schema of the audit format (versions 1 and 2)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def schema_problems(value: Any, schema: dict[str, Any] | None = None, limit: int = 10) -> list[str]:
    """Where ``value`` breaks the schema, as ``path: what`` (at most ``limit``); empty if it is valid."""
    root = schema or audit_schema()
    problems: list[str] = []
    _validate(value, root, root, "$", problems, limit)
    return problems[:limit]


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported: {ref}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _validate(value: Any, schema: dict[str, Any], root: dict[str, Any], path: str, problems: list[str],
              limit: int) -> None:
    if len(problems) >= limit:
        return
    unknown = set(schema) - KEYWORDS - ANNOTATIONS
    if unknown:
        raise ValueError(f"schema keyword(s) not implemented: {sorted(unknown)}")
    if "$ref" in schema:
        _validate(value, _resolve(root, schema["$ref"]), root, path, problems, limit)
    for part in schema.get("allOf", []):
        _validate(value, part, root, path, problems, limit)
    if "if" in schema and "then" in schema and _valid(value, schema["if"], root):
        _validate(value, schema["then"], root, path, problems, limit)
    if "not" in schema and _valid(value, schema["not"], root):
        problems.append(f"{path}: must not match {json.dumps(schema['not'], sort_keys=True)}")
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[kind](value) for kind in kinds):
            problems.append(f"{path}: not {' or '.join(kinds)}")
            return
    if "const" in schema and value != schema["const"]:
        problems.append(f"{path}: must be {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path}: {value} is below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path}: {value} is above {schema['maximum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            problems.append(f"{path}: shorter than {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{path}: does not match {schema['pattern']}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _validate(item, schema["items"], root, f"{path}[{index}]", problems, limit)
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{path}: {name!r} missing")
        for name, needed in schema.get("dependentRequired", {}).items():
            if name in value:
                problems.extend(f"{path}: {name!r} needs {other!r}" for other in needed if other not in value)
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                _validate(item, properties[name], root, f"{path}.{name}", problems, limit)
            elif extra is False:
                problems.append(f"{path}: unexpected {name!r}")
            elif isinstance(extra, dict):
                _validate(item, extra, root, f"{path}.{name}", problems, limit)


def _valid(value: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    found: list[str] = []
    _validate(value, schema, root, "$", found, 1)
    return not found
