"""`rename_table: old, to: new` and `rename_column: old, table: t, to: new`.

A rename is PostgreSQL's ``RENAME``: rows stay where they are. The names the
engine derives from a table's or column's name (keys, foreign keys, indexes,
policies) are renamed with it, so the database matches a fresh repo that
had used the new name from the start.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .. import names, rls
from ..model import Table
from ..plan import Migration, Rename, RenameColumn, RenameTable
from ..vocabulary import RESERVED_TABLES

if TYPE_CHECKING:
    from ..builder import Builder


def rename_table(b: Builder, action: Mapping, m: Migration) -> None:
    """Rename a table and everything named after it; references follow."""
    b.check_options(action, {"rename_table", "to"}, "rename_table action")
    table = b.existing_table(action["rename_table"], m, "rename")
    new = b.ident(action.get("to"), "new table name (`to`)")
    b.where = f"{m.label}, rename_table '{table.name}' to '{new}'"
    if new == table.name:
        b.fail("the new name is the table's current name", "give `to` a different name")
    if new in b.project.tables or new in b.project.enums or new in RESERVED_TABLES:
        b.fail(f"'{new}' is already a table, enum or reserved name", "choose another name")
    old = table.name
    model = table.model
    if model == names.pascal(names.singular(old)):  # derived, so it follows the table
        del b.model_names[model]
        model = b.model_name(new)
    renamed = dataclasses.replace(table.copy(), name=new, model=model)
    renamed.indexes = [b.follow_index(i, new, i.columns) for i in table.indexes]
    renamed.relations = [
        dataclasses.replace(r, target=new) if r.target == old else r for r in table.relations
    ]
    renamed.columns = [b.retarget(c, old, new) for c in table.columns]
    if renamed.junction_of is not None:
        left, right = (new if t == old else t for t in renamed.junction_of)
        renamed.junction_of = (left, right)
    # Same place in the project's order: tables come in creation order, so a
    # table still comes after the tables it references (and before its children).
    tables = list(b.project.tables.items())
    b.project.tables.clear()
    b.project.tables.update((new, renamed) if k == old else (k, v) for k, v in tables)
    triggers = []
    for other in list(b.project.tables.values()):
        if other is renamed:
            continue
        other.columns = [b.retarget(c, old, new) for c in other.columns]
        other.relations = [
            dataclasses.replace(
                r,
                target=new if r.target == old else r.target,
                through=new if r.through == old else r.through,
            )
            for r in other.relations
        ]
        if other.junction_of is not None and old in other.junction_of:
            left, right = (new if t == old else t for t in other.junction_of)
            other.junction_of = (left, right)
            if other.tenant and left == new:
                triggers.append((other.name, other.foreign_keys[0].column))
            other.policies = rls.policies_for(other, b.project.tables)
    renamed.policies = rls.policies_for(renamed, b.project.tables)
    renames = [
        *_paired("constraint", _constraints(table), _constraints(renamed)),
        *_paired("index", [i.name for i in table.indexes], [i.name for i in renamed.indexes]),
        *_paired("policy", [p.name for p in table.policies], [p.name for p in renamed.policies]),
    ]
    b.check_derived_names(renamed)
    b.check_relation_names(renamed)
    m.operations.append(RenameTable(old, new, tuple(renames), tuple(triggers)))


def rename_column(b: Builder, action: Mapping, m: Migration) -> None:
    """Rename a column; its key, foreign key and index names follow."""
    b.check_options(action, {"rename_column", "table", "to"}, "rename_column action")
    table = b.existing_table(action.get("table"), m, "rename a column of")
    col = b.own_column(table, action["rename_column"], "rename")
    new = b.ident(action.get("to"), "new column name (`to`)")
    b.where = f"{m.label}, rename_column '{table.name}.{col.name}' to '{new}'"
    if new == col.name:
        b.fail("the new name is the column's current name", "give `to` a different name")
    if table.column(new) is not None:
        b.fail(f"table '{table.name}' already has a column '{new}'", "choose another name")
    old = col.name
    before = table.copy()
    fk = col.references
    renamed_col = dataclasses.replace(
        col, name=new, references=dataclasses.replace(fk, column=new) if fk else None
    )
    table.columns = [renamed_col if c is col else c for c in table.columns]
    taken = {c.py for c in table.columns if c is not renamed_col} | {
        r.name for r in table.relations
    }
    if renamed_col.py in taken:
        b.fail(f"column '{new}' clashes with '{renamed_col.py}' on model '{table.model}'")
    table.indexes = [
        b.follow_index(i, table.name, tuple(new if c == old else c for c in i.columns))
        if old in i.columns
        else i
        for i in table.indexes
    ]
    table.relations = [
        dataclasses.replace(r, fk_column=new) if r.kind == "one" and r.fk_column == old else r
        for r in table.relations
    ]
    for other in b.project.tables.values():
        other.relations = [
            dataclasses.replace(r, fk_column=new)
            if r.kind == "many" and r.target == table.name and r.fk_column == old
            else r
            for r in other.relations
        ]
    renames = [
        *_paired("constraint", _constraints(before), _constraints(table)),
        *_paired("index", [i.name for i in before.indexes], [i.name for i in table.indexes]),
    ]
    b.check_derived_names(table)
    m.operations.append(RenameColumn(table.name, old, new, tuple(renames)))


def _constraints(t: Table) -> list[str]:
    """The constraint names derived from the table's and its columns' names, in a
    fixed order so the lists of the same table before and after a rename pair up."""
    return [
        t.pkey_name,
        *(t.key_name(c.name) for c in t.columns if c.unique),
        *([t.org_key] if t.org_key else []),
        *(fk.name_in(t.name) for fk in t.foreign_keys),
    ]


def _paired(what: str, before: list[str], after: list[str]) -> list[Rename]:
    return [Rename(what, o, n) for o, n in zip(before, after, strict=True) if o != n]
