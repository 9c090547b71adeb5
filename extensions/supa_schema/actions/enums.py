"""`enum: name, values: [...]`: a PostgreSQL enum type (CREATE TYPE ... AS ENUM)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .. import names
from ..model import Enum
from ..plan import CreateEnum, Migration
from ..types import ALIASES, TYPES

if TYPE_CHECKING:
    from ..builder import Builder


def apply(b: Builder, action: Mapping, m: Migration) -> None:
    """Declare an enum type with its values."""
    b.check_options(action, {"enum", "values"}, "enum action")
    name = b.ident(action["enum"], "enum name")
    if name in b.project.enums or name in b.project.tables:
        b.fail(
            f"'{name}' already exists as {'an enum' if name in b.project.enums else 'a table'}"
            " (tables and enums share PostgreSQL's type names)",
            "choose another name",
        )
    if name in TYPES or name in ALIASES:
        b.fail(f"enum name '{name}' is a built-in column type name")
    values = action.get("values")
    if not isinstance(values, list) or not values:
        b.fail(f"enum '{name}' needs a non-empty list of `values`")
    seen: set[str] = set()
    for v in values:
        if (
            not isinstance(v, str)
            or not v
            or len(v.encode()) > names.MAX_IDENTIFIER_BYTES
            or "\x00" in v
        ):
            b.fail(
                f"enum '{name}': value {v!r} must be text of 1 to "
                f"{names.MAX_IDENTIFIER_BYTES} bytes"
            )
        if v in seen:
            b.fail(f"enum '{name}': value {v!r} is listed twice")
        seen.add(v)
    enum = Enum(name, list(values), created_in=m.stem)
    b.model_name(name, names.pascal(name))
    b.project.enums[name] = enum
    m.operations.append(CreateEnum(enum))
