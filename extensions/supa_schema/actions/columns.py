"""`column: name, table: t`: a column added to an existing table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..plan import Migration

if TYPE_CHECKING:
    from ..builder import Builder


def apply(b: Builder, action: Mapping, m: Migration) -> None:
    """Add a column (and its foreign key index) to an existing table."""
    table = b.table(action.get("table"), m)
    name = action.get("column")
    b.where = f"{m.label}, column '{name}' on '{table.name}'"
    col = b.scoped(table, b.column(action, table.name, m, adding=True))
    b.add_column(table, col)
    index = None
    if col.references:
        index = b.fk_index(table, col.name)
        table.indexes.append(index)
        b.add_ref_relation(table, col)
        b.check_relation_names(table)
    b.ensure_vector(m, [col])
    m.operations.extend(b.column_ops(table, col, index, m))
