"""The actions a changelog entry may hold: one module per kind.

Adding a kind of action is adding a module with ``apply(builder, action,
migration)`` and one line in ``ACTIONS``. An action is named by the one key of
``ACTIONS`` it holds; ``table`` also names the table that other kinds act on,
so it counts only when no other kind's key is present.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from . import alter, columns, drops, enum_values, enums, indexes, relations, renames, tables

if TYPE_CHECKING:
    from ..builder import Builder
    from ..plan import Migration

Action = Callable[["Builder", Mapping[str, Any], "Migration"], None]

ACTIONS: dict[str, Action] = {
    "enum": enums.apply,
    "table": tables.apply,
    "column": columns.apply,
    "index": indexes.apply,
    "relation": relations.apply,
    "rename_table": renames.rename_table,
    "rename_column": renames.rename_column,
    "alter_column": alter.apply,
    "drop_column": drops.drop_column,
    "drop_index": drops.drop_index,
    "drop_table": drops.drop_table,
    "drop_relation": drops.drop_relation,
    "enum_value": enum_values.add_value,
    "rename_enum_value": enum_values.rename_value,
    "drop_enum_value": enum_values.drop_value,  # refused, with what to do instead
}
# The actions that change what exists (the others only add).
MODIFYING_KINDS = frozenset(list(ACTIONS)[5:])
# Keys that name an action on their own (all but `table` and `enum`, which the
# others reuse to say what they act on).
NAMING = tuple(k for k in ACTIONS if k not in ("table", "enum"))


def kind_of(action: Mapping[str, Any]) -> str | None:
    """The action's kind, or None when it names none or several."""
    kinds = [k for k in NAMING if k in action]
    if not kinds:
        return "enum" if "enum" in action else "table" if "table" in action else None
    if len(kinds) > 1 or ("enum" in action and kinds[0] not in ON_ENUMS):
        return None
    return kinds[0]


ON_ENUMS = ("enum_value", "rename_enum_value", "drop_enum_value")
