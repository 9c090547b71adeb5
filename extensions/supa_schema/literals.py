"""Default values: parse them from the answers and write them safely per language.

No value from the answers is ever pasted into generated code: it is parsed
into a Python value here, checked against the column type, and written back
through a quoting function of the target language.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any

# Expressions a default may name instead of a literal, per column type.
# Keys are what users write; values are the SQL the database runs.
EXPRESSIONS = {
    "timestamptz": {"now": "now()", "now()": "now()", "current_timestamp": "now()"},
    "date": {"current_date": "CURRENT_DATE", "today": "CURRENT_DATE"},
    "uuid": {
        "gen_random_uuid()": "gen_random_uuid()",
        "random": "gen_random_uuid()",
        "auth.uid()": "auth.uid()",
    },
}

INT_RANGES = {"int16": 2**15, "int32": 2**31, "int64": 2**63}


@dataclass(frozen=True)
class Default:
    """A column default: a database expression or a typed literal."""

    sql: str  # SQL text (already quoted/escaped)
    expression: bool = False  # now(), gen_random_uuid(), auth.uid(), CURRENT_DATE
    value: Any = None  # the Python value of a literal default (JSON-able)


def sql_string(value: str) -> str:
    """A SQL string literal (standard_conforming_strings: only quotes are special)."""
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    return "'" + value.replace("'", "''") + "'"


def py_string(value: str) -> str:
    """A Python string literal, quoted as Ruff's formatter prefers.

    Double quotes unless the text holds more double than single quotes.
    """
    quote = "'" if value.count('"') > value.count("'") else '"'
    out = []
    for ch in value:
        if ch == "\\" or ch == quote:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif not ch.isprintable():
            out.append(repr(ch)[1:-1])
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def rust_raw(value: str) -> str:
    """A Rust raw string literal with enough ``#`` that ``value`` cannot end it."""
    hashes = 1
    while '"' + "#" * hashes in value:
        hashes += 1
    return f'r{"#" * hashes}"{value}"{"#" * hashes}'


def py_block(value: str) -> str:
    """A readable Python literal for a block of text (triple-quoted when that is exact)."""
    if '"""' in value or "\\" in value or value.endswith('"') or "\r" in value:
        return py_string(value)
    return '"""\n' + value + '\n"""'


def sa_text(value: str) -> str:
    """SQL for ``sqlalchemy.text()``: colons that would start a bind parameter are escaped."""
    return re.sub(r"(?<![:\w\\]):(?=\w)", r"\\:", value)


def ts_string(value: str) -> str:
    """A TypeScript/JavaScript string literal."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def ts_template(value: str) -> str:
    """Text safe inside a JavaScript template literal."""
    return value.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")


def rust_string(value: str) -> str:
    """A Rust string literal."""
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def parse_default(
    raw: Any,
    base: str,
    literal_kind: str,
    *,
    array: bool,
    sql_type: str,
    enum_values: list[str] | None = None,
    precision: int | None = None,
    scale: int | None = None,
    length: int | None = None,
) -> Default:
    """Check ``raw`` against a column type and return its ``Default``.

    Raises ValueError with a message for the user when it does not fit.
    """
    if isinstance(raw, str) and raw.strip().lower() in EXPRESSIONS.get(base, {}) and not array:
        return Default(EXPRESSIONS[base][raw.strip().lower()], expression=True)
    if array:
        if not isinstance(raw, list):
            raise ValueError(f"default for a {sql_type} column must be a list")
        items = [
            _literal(v, base, literal_kind, enum_values, precision, scale, length) for v in raw
        ]
        if not items:
            return Default(f"'{{}}'::{sql_type}", value=[])
        return Default(
            f"ARRAY[{', '.join(s for s, _ in items)}]::{sql_type}", value=[v for _, v in items]
        )
    sql, value = _literal(raw, base, literal_kind, enum_values, precision, scale, length)
    if literal_kind in ("uuid", "timestamptz", "date", "time", "json"):
        sql = f"{sql}::{sql_type}"
    return Default(sql, value=value)


def _literal(raw: Any, base: str, kind: str, enum_values, precision, scale, length):
    if kind == "string":
        if not isinstance(raw, str):
            raise ValueError(f"default must be text, got {raw!r}")
        if length is not None and len(raw) > length:
            raise ValueError(f"default is longer than varchar({length})")
        return sql_string(raw), raw
    if kind in INT_RANGES:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"default must be a whole number, got {raw!r}")
        bound = INT_RANGES[kind]
        if not -bound <= raw < bound:
            raise ValueError(f"default {raw} does not fit in {base}")
        return str(raw), raw
    if kind == "decimal":
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise ValueError(f"default must be a number, got {raw!r}")
        try:
            d = decimal.Decimal(str(raw))
        except decimal.InvalidOperation:
            raise ValueError(f"default must be a number, got {raw!r}") from None
        if not d.is_finite():
            raise ValueError("default must be a finite number")
        if precision is not None:
            exponent = d.as_tuple().exponent  # an int for finite numbers
            places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
            if places > (scale or 0) or len(
                d.quantize(decimal.Decimal(1)).as_tuple().digits
            ) > precision - (scale or 0):
                raise ValueError(f"default {raw} does not fit numeric({precision}, {scale or 0})")
        return format(d, "f"), str(d)
    if kind == "float":
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
            raise ValueError(f"default must be a finite number, got {raw!r}")
        return repr(float(raw)), float(raw)
    if kind == "bool":
        if not isinstance(raw, bool):
            raise ValueError(f"default must be true or false, got {raw!r}")
        return ("true" if raw else "false"), raw
    if kind == "enum":
        if raw not in (enum_values or []):
            raise ValueError(f"default {raw!r} is not one of the enum's values {enum_values}")
        return sql_string(raw), raw
    if kind == "uuid":
        try:
            return sql_string(str(uuid.UUID(str(raw)))), str(uuid.UUID(str(raw)))
        except ValueError:
            raise ValueError(
                f"default must be a UUID, gen_random_uuid() or auth.uid(), got {raw!r}"
            ) from None
    if kind in ("timestamptz", "date", "time"):
        parse = {
            "timestamptz": datetime.datetime.fromisoformat,
            "date": datetime.date.fromisoformat,
            "time": datetime.time.fromisoformat,
        }[kind]
        text = raw.isoformat() if hasattr(raw, "isoformat") else raw
        try:
            parse(str(text))
        except ValueError:
            hint = {"timestamptz": "now()", "date": "current_date", "time": "an ISO time"}[kind]
            raise ValueError(f"default must be an ISO {kind} or {hint}, got {raw!r}") from None
        return sql_string(str(text)), str(text)
    if kind == "json":
        try:
            text = json.dumps(raw, sort_keys=True, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            raise ValueError(f"default must be a JSON value, got {raw!r}") from None
        return sql_string(text), raw
    raise ValueError(f"{base} columns cannot have a default")
