"""`index: {table, columns, ...}`: an index on an existing table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..plan import CreateIndex, Migration

if TYPE_CHECKING:
    from ..builder import Builder


def apply(b: Builder, action: Mapping, m: Migration) -> None:
    """Add an index to an existing table."""
    spec = action["index"]
    if isinstance(spec, Mapping):
        b.check_options(action, {"index"}, "index action")
        raw = dict(spec)
    else:
        raw = {k: v for k, v in action.items() if k != "index"}
        raw["name"] = spec
    table = b.table(raw.get("table"), m)
    b.where = f"{m.label}, index on '{table.name}'"
    index = b.make_index(raw, table)
    table.indexes.append(index)
    m.operations.append(CreateIndex(index, concurrently=b.live(table, m)))
