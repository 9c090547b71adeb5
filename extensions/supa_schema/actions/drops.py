"""`drop_column`, `drop_index`, `drop_table` and `drop_relation`.

Each refuses, naming what stands in the way, while something still depends
on what it drops: a table another table references, a column an index or a
relation uses, the keys the table's policies rely on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..model import Table
from ..plan import DropColumn, DropIndex, DropTable, Migration

if TYPE_CHECKING:
    from ..builder import Builder


def drop_column(b: Builder, action: Mapping, m: Migration) -> None:
    """Drop a column of the user's (its values go with it)."""
    b.check_options(action, {"drop_column", "table"}, "drop_column action")
    table = b.existing_table(action.get("table"), m, "drop a column of")
    col = b.own_column(table, action["drop_column"], "drop")
    b.where = f"{m.label}, drop_column '{table.name}.{col.name}'"
    if col.references is not None:
        b.fail(
            f"'{col.name}' is the foreign key of a relation to '{col.references.target}'",
            f"drop the relation instead (drop_relation: {table.name}.{col.name})",
        )
    used = [i.name for i in b.indexes_on(table.name, col.name)]
    if used:
        b.fail(
            f"'{col.name}' is used by index {', '.join(repr(n) for n in used)}",
            "drop the index first (drop_index), in this entry or an earlier one",
        )
    _drop_column(b, table, col.name, m)


def drop_relation(b: Builder, action: Mapping, m: Migration) -> None:
    """Drop a relation: its foreign key column (``table.column``), or the link
    table of a many-to-many relation (its name)."""
    b.check_options(action, {"drop_relation"}, "drop_relation action")
    spec = action["drop_relation"]
    if not isinstance(spec, str) or not spec:
        b.fail("`drop_relation` names the relation: table.column, or a link table's name")
    if "." not in spec:
        table = b.existing_table(spec, m, "drop the relation")
        if table.junction_of is None:
            b.fail(
                f"'{spec}' is not a many-to-many link table",
                "name a one-to-many or many-to-one relation by its foreign key: table.column",
            )
        _drop_table(b, table, m)
        return
    table_name, _, column = spec.partition(".")
    table = b.existing_table(table_name, m, "drop a relation of")
    col = table.column(column)
    if col is None or col.references is None or col.references.target == "auth.users":
        fks = [
            f"{table.name}.{c.name}"
            for c in table.columns
            if c.references is not None
            and c.references.target not in ("auth.users", "organizations")
        ]
        b.fail(
            f"'{spec}' is not the foreign key of a relation",
            f"relations of '{table.name}': {', '.join(fks)}" if fks else "it has no relations",
        )
    b.own_column(table, column, "drop the relation of")
    others = [
        i.name for i in b.indexes_on(table.name, column) if i.columns != col.references.columns
    ]
    if others:
        b.fail(
            f"'{column}' is also used by index {', '.join(repr(n) for n in others)}",
            "drop the index first (drop_index)",
        )
    b.where = f"{m.label}, drop_relation {spec}"
    target = b.project.tables[col.references.target]
    target.relations = [
        r
        for r in target.relations
        if not (r.kind == "many" and r.target == table.name and r.fk_column == column)
    ]
    _drop_column(b, table, column, m)


def _drop_column(b: Builder, table: Table, column: str, m: Migration) -> None:
    for index in b.indexes_on(table.name, column):  # the foreign key's own index
        b.index_names.discard(index.name)
    table.indexes = [i for i in table.indexes if column not in i.columns]
    table.relations = [
        r for r in table.relations if not (r.kind == "one" and r.fk_column == column)
    ]
    table.columns = [c for c in table.columns if c.name != column]
    m.operations.append(DropColumn(table.name, column))


def drop_index(b: Builder, action: Mapping, m: Migration) -> None:
    """Drop an index (concurrently, on a table that already holds rows)."""
    b.check_options(action, {"drop_index"}, "drop_index action")
    name = action["drop_index"]
    found = [(t, i) for t in b.project.tables.values() for i in t.indexes if i.name == name]
    if not found:
        known = [i.name for t in b.project.tables.values() if not t.core for i in t.indexes]
        b.fail(
            f"there is no index named {name!r}",
            f"indexes at this point: {', '.join(known)}" if known else "there are no indexes",
        )
    table, index = found[0]
    b.table(table.name, m)
    if table.core:
        b.fail(f"index '{name}' belongs to the tenancy tables, which supa-schema manages")
    fk = next((fk for fk in table.foreign_keys if fk.columns == index.columns), None)
    if fk is not None and not index.explicit:
        b.fail(
            f"index '{name}' backs the foreign key on '{table.name}.{fk.column}' "
            "(deletes in the referenced table scan it)",
            f"drop the relation instead (drop_relation: {table.name}.{fk.column})"
            if fk.column not in ("org_id", "user_id")
            else "keep it: the tenant and owner keys need it",
        )
    table.indexes = [i for i in table.indexes if i.name != name]
    b.index_names.discard(name)
    fresh = table.created_in == m.stem  # created by this entry: no rows yet
    m.operations.append(DropIndex(name, index, concurrently=not fresh))


def drop_table(b: Builder, action: Mapping, m: Migration) -> None:
    """Drop a table that nothing references any more (its rows go with it)."""
    b.check_options(action, {"drop_table"}, "drop_table action")
    table = b.existing_table(action["drop_table"], m, "drop")
    b.where = f"{m.label}, drop_table '{table.name}'"
    if table.junction_of is not None:
        b.fail(
            f"'{table.name}' is the link table of a many-to-many relation",
            f"drop the relation (drop_relation: {table.name})",
        )
    _drop_table(b, table, m)


def _drop_table(b: Builder, table: Table, m: Migration) -> None:
    refs = [
        f"{t.name}.{c.name}"
        for t in b.project.tables.values()
        if t is not table and t.junction_of is None
        for c in t.columns
        if c.references is not None and c.references.target == table.name
    ]
    links = [
        t.name
        for t in b.project.tables.values()
        if t is not table and t.junction_of is not None and table.name in t.junction_of
    ]
    if refs or links:
        b.fail(
            f"'{table.name}' is still referenced by "
            + ", ".join([*refs, *(f"link table {j}" for j in links)]),
            "drop those relations first (drop_relation), in this entry or an earlier one",
        )
    for t in b.project.tables.values():
        t.relations = [r for r in t.relations if table.name not in (r.target, r.through)]
    for index in table.indexes:
        b.index_names.discard(index.name)
    b.model_names.pop(table.model, None)
    del b.project.tables[table.name]
    m.operations.append(DropTable(table.name))
