"""The actions a changelog entry may hold: one module per kind.

Adding a kind of action is adding a module with ``apply(builder, action,
migration)`` and one line in ``ACTIONS``. An action is named by the one key of
``ACTIONS`` it holds; ``table`` also names the table that other kinds act on,
so it counts only when no other kind's key is present.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from . import columns, enums, indexes, relations, tables

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
}
# Keys that name an action on their own (everything but `table`, which they reuse).
NAMING = tuple(k for k in ACTIONS if k != "table")


def kind_of(action: Mapping[str, Any]) -> str | None:
    """The action's kind, or None when it names none or several."""
    kinds = [k for k in NAMING if k in action]
    if not kinds and "table" in action:
        return "table"
    return kinds[0] if len(kinds) == 1 else None
