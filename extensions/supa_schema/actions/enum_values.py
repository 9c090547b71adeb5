"""`enum_value: v, enum: e` (with `before:`/`after:`) and `rename_enum_value: v, enum: e, to: w`.

PostgreSQL adds and renames enum values in place; it cannot remove one, so
``drop_enum_value`` is refused with what to do instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import names
from ..model import Column, Enum
from ..plan import AddEnumValue, Migration, RenameEnumValue

if TYPE_CHECKING:
    from ..builder import Builder


def add_value(b: Builder, action: Mapping, m: Migration) -> None:
    """Add a value to an enum, at the end or before/after another one."""
    b.check_options(action, {"enum_value", "enum", "before", "after"}, "enum_value action")
    enum = _enum(b, action, m)
    value = _value(b, action["enum_value"], enum, "new value")
    b.where = f"{m.label}, enum_value {value!r} of '{enum.name}'"
    before, after = action.get("before"), action.get("after")
    if before is not None and after is not None:
        b.fail("give `before` or `after`, not both")
    values = list(enum.values)
    anchor = before if before is not None else after
    if anchor is not None:
        if anchor not in values:
            b.fail(f"{anchor!r} is not a value of '{enum.name}'", f"its values: {values}")
        values.insert(values.index(anchor) + (before is None), value)
    else:
        values.append(value)
    _replace(b, enum, dataclasses.replace(enum, values=values), lambda d: d)
    m.operations.append(AddEnumValue(enum.name, value, before, after))


def rename_value(b: Builder, action: Mapping, m: Migration) -> None:
    """Rename an enum value; stored rows and defaults follow."""
    b.check_options(action, {"rename_enum_value", "enum", "to"}, "rename_enum_value action")
    enum = _enum(b, action, m)
    old = action["rename_enum_value"]
    b.where = f"{m.label}, rename_enum_value {old!r} of '{enum.name}'"
    if old not in enum.values:
        b.fail(f"{old!r} is not a value of '{enum.name}'", f"its values: {enum.values}")
    new = _value(b, action.get("to"), enum, "new name (`to`)")
    values = [new if v == old else v for v in enum.values]

    def follow(value: Any) -> Any:
        if isinstance(value, list):
            return [new if v == old else v for v in value]
        return new if value == old else value

    _replace(b, enum, dataclasses.replace(enum, values=values), follow)
    m.operations.append(RenameEnumValue(enum.name, old, new))


def drop_value(b: Builder, action: Mapping, m: Migration) -> None:
    """Refused: PostgreSQL cannot remove a value from an enum type."""
    b.fail(
        f"PostgreSQL cannot remove a value from an enum type ({action['drop_enum_value']!r})",
        "rename it instead (rename_enum_value), or declare a new enum without it, "
        "add a column of that type, copy the values over in a synced SQL entry, "
        "and drop the old column",
    )


def _enum(b: Builder, action: Mapping, m: Migration) -> Enum:
    name = action.get("enum")
    if not isinstance(name, str) or name not in b.project.enums:
        if isinstance(name, str):
            b._not_yet("enum", name, m)
        b.fail(
            f"unknown enum {name!r}",
            f"enums at this point: {', '.join(b.project.enums) or 'none'}",
        )
    if name in b.changes:
        b.touch(name, m)
    return b.project.enums[name]


def _value(b: Builder, value: Any, enum: Enum, what: str) -> str:
    if (
        not isinstance(value, str)
        or not value
        or len(value.encode()) > names.MAX_IDENTIFIER_BYTES
        or "\x00" in value
    ):
        b.fail(f"enum '{enum.name}': {what} {value!r} must be text of 1 to 63 bytes")
    if value in enum.values:
        b.fail(f"enum '{enum.name}' already has the value {value!r}")
    return value


def _replace(b: Builder, old: Enum, new: Enum, follow) -> None:
    """Put the changed enum everywhere the old one was: the project and every column
    of that type (their defaults follow a renamed value)."""
    b.project.enums[old.name] = new
    for table in b.project.tables.values():
        table.columns = [_retyped(c, old, new, follow) for c in table.columns]


def _retyped(col: Column, old: Enum, new: Enum, follow) -> Column:
    if col.type.enum is None or col.type.enum.name != old.name:
        return col
    default = col.default
    if default is not None and not default.expression:
        value = follow(default.value)
        if value != default.value:
            default = dataclasses.replace(col.type, enum=new).default_for(value)
    return dataclasses.replace(col, type=dataclasses.replace(col.type, enum=new), default=default)
