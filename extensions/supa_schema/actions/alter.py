"""`alter_column: name, table: t` with any of type, required, default, unique.

Only the keys given change. Each change is planned the way a live database
needs it: a type change is an assignment cast that keeps every value, `not
null` goes through a validated check (after nulls are backfilled from the
default), a unique key is built from an index created concurrently.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import literals
from ..model import Column, ColumnType, Index
from ..plan import (
    AddNotNullCheck,
    AddUniqueKey,
    AlterColumnType,
    CreateIndex,
    DropNotNull,
    DropUniqueKey,
    Migration,
    SetDefault,
    SetNotNull,
)
from ..types import cast_problem

if TYPE_CHECKING:
    from ..builder import Builder

TYPE_KEYS = ("type", "length", "precision", "scale", "dimensions")
CHANGES = (*TYPE_KEYS, "required", "default", "unique")


def apply(b: Builder, action: Mapping, m: Migration) -> None:
    """Change a column's type, nullability, default or unique key."""
    b.check_options(action, {"alter_column", "table", *CHANGES}, "alter_column action")
    table = b.existing_table(action.get("table"), m, "alter a column of")
    col = b.own_column(table, action["alter_column"], "alter")
    b.where = f"{m.label}, alter_column '{table.name}.{col.name}'"
    if not any(k in action for k in CHANGES):
        b.fail(
            "nothing to change",
            f"give at least one of {', '.join(('type', 'required', 'default', 'unique'))}",
        )
    ops: list = []
    new = col
    if any(k in action for k in TYPE_KEYS):
        new = _retype(b, table.name, col, action, ops, m)
    if "default" in action:
        default = _parse_default(b, new, action["default"])
        if default != new.default:
            ops.append(SetDefault(table.name, col.name, default, new.default))
            new = dataclasses.replace(new, default=default)
            b.check_enum_default(new, m)
    if "required" in action:
        required = action["required"]
        if not isinstance(required, bool):
            b.fail("`required` must be true or false")
        if required and new.nullable:
            if col.references is not None and col.references.on_delete == "set null":
                b.fail(
                    "a column whose foreign key is `on delete set null` cannot be required",
                    "drop the relation and add it again as required, or leave it optional",
                )
            if new.default is None:
                b.fail(
                    f"'{col.name}' may hold nulls, and `required: true` needs a value for them",
                    "give a `default` in the same action: nulls are set to it first",
                )
            check = f"{table.name}_{col.name}_not_null"
            ops.append(AddNotNullCheck(table.name, col.name, check, new.default))
            ops.append(SetNotNull(table.name, col.name, check))
        elif not required and not new.nullable:
            ops.append(DropNotNull(table.name, col.name, f"{table.name}_{col.name}_not_null"))
        new = dataclasses.replace(new, nullable=not required)
    if "unique" in action:
        unique = action["unique"]
        if not isinstance(unique, bool):
            b.fail("`unique` must be true or false")
        key = table.key_name(col.name)
        if unique and not new.unique:
            if new.type.base in ("jsonb", "vector"):
                b.fail(f"{new.type.base} columns cannot be unique")
            b.check_name_free(key)
            ops.append(CreateIndex(Index(key, table.name, (col.name,), True), concurrently=True))
            ops.append(AddUniqueKey(table.name, col.name, key))
        elif not unique and new.unique:
            ops.append(DropUniqueKey(table.name, col.name, key))
        new = dataclasses.replace(new, unique=unique)
    backfill = next((op.backfill for op in ops if isinstance(op, AddNotNullCheck)), None)
    if backfill is not None and new.unique and backfill.sql != "gen_random_uuid()":
        # Every null gets the same value, so two null rows would break the key.
        b.fail(
            f"'{col.name}' is unique, and `required: true` would set every null to "
            f"{backfill.sql}: two rows with nulls would then clash",
            "set the nulls to distinct values first (a migration of your own, recorded "
            "with `supa-schema sync`), then make the column required",
        )
    if not ops:
        b.fail(
            f"'{table.name}.{col.name}' already is what this action asks for: nothing to change",
            "remove the action, or give a value that differs from the current one",
        )
    table.columns = [new if c is col else c for c in table.columns]
    b.check_derived_names(table)
    m.operations.extend(ops)


def _retype(
    b: Builder, table: str, col: Column, action: Mapping, ops: list, m: Migration
) -> Column:
    if col.references is not None:
        b.fail(
            f"'{col.name}' is a foreign key (uuid): its type follows the key it references",
            "drop the relation instead if the column should hold something else",
        )
    raw: dict[str, Any] = {"type": action.get("type", col.type.label)}
    if "type" not in action:  # only parameters given: keep the type, change them
        for key in TYPE_KEYS[1:]:
            value = getattr(col.type, key)
            if value is not None:
                raw[key] = value
    raw.update({k: action[k] for k in TYPE_KEYS[1:] if k in action})
    new_type = b.column_type(raw, m)
    if new_type == col.type:
        if not any(k in action for k in ("required", "default", "unique")):
            b.fail(
                f"'{col.name}' already is {new_type.sql}: nothing to change",
                "remove the action, or give another type",
            )
        return col
    problem = cast_problem(col.type, new_type)
    if problem:
        b.fail(
            f"cannot change '{col.name}' from {col.type.sql} to {new_type.sql}: {problem}",
            "add a new column of the new type, fill it from the old one with your own cast "
            "(a synced SQL entry), drop the old column and rename the new one",
        )
    for index in b.indexes_on(table, col.name):
        if index.method != "btree":
            b.fail(
                f"'{col.name}' is in the {index.method} index '{index.name}', which the "
                "new type may not support",
                f"drop the index first (drop_index: {index.name}), then index the column again",
            )
    # A default given in the action is set after the type change; the old
    # one is dropped first and, when none is given, set again in the new type.
    default = None
    if col.default is not None and "default" not in action:
        default = _reparse(b, col, new_type)
    ops.append(AlterColumnType(table, col.name, new_type, col.type, default, col.default))
    return dataclasses.replace(col, type=new_type, default=default)


def _reparse(b: Builder, col: Column, new_type: ColumnType) -> literals.Default:
    """The column's default in its new type, or a refusal that asks for one."""
    old = col.default
    assert old is not None
    raw: Any = old.value
    try:
        if old.expression:
            # now(), gen_random_uuid()... carry over only where the new type has
            # the same expression: read as a literal they would become constants.
            same = literals.EXPRESSIONS.get(new_type.base, {})
            raw = next(k for k, v in same.items() if v == old.sql and not new_type.array)
        return new_type.default_for(raw)
    except (StopIteration, ValueError):
        b.fail(
            f"the default of '{col.name}' ({old.sql}) is not a {new_type.sql} value",
            "give a new `default` (or `default: null`) in the same action",
        )


def _parse_default(b: Builder, col: Column, raw: Any) -> literals.Default | None:
    if raw is None:
        return None
    try:
        return col.type.default_for(raw)
    except ValueError as err:
        b.fail(f"column '{col.name}': {err}")
