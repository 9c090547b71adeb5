"""`relation: kind, from, to`: a foreign key (one-to-many, many-to-one) or a
junction table (many-to-many), with the ORM attributes on both sides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .. import literals, names, rls
from ..model import Column, ColumnType, ForeignKey, RelationEnd, Table
from ..plan import CreateTable, Migration
from ..vocabulary import RELATION_KINDS, RESERVED_TABLES

if TYPE_CHECKING:
    from ..builder import Builder


def apply(b: Builder, action: Mapping, m: Migration) -> None:
    """Relate two tables: a foreign key on the many side, or a junction table."""
    allowed = {
        "relation",
        "from",
        "to",
        "on_delete",
        "required",
        "name",
        "inverse",
        "column",
        "through",
    }
    b.check_options(action, allowed, "relation action")
    kind = action.get("relation")
    if kind not in RELATION_KINDS:
        b.fail(f"relation kind {kind!r} must be one of {', '.join(RELATION_KINDS)}")
    src = b.table(action.get("from"), m, "`from` table")
    dst = b.table(action.get("to"), m, "`to` table")
    b.where = f"{m.label}, relation {kind} {src.name} -> {dst.name}"
    name = action.get("name")
    if name is not None:
        b.ident(name, "relation name")
    if src.name == dst.name and name is None:
        b.fail("a relation from a table to itself needs a `name` (e.g. name: parent)")
    for t in (src, dst):
        if t.primary_key != ("id",):
            b.fail(f"table '{t.name}' has no single `id` primary key to relate to")
    required = action.get("required", False)
    if not isinstance(required, bool):
        b.fail("`required` must be true or false")
    inverse = action.get("inverse")
    if inverse is not None:
        b.ident(inverse, "inverse name")
    if kind == "many-to-many":
        many_to_many(b, src, dst, name, inverse, action, m)
        return
    # The "many" side holds the foreign key.
    many, one = (src, dst) if kind == "many-to-one" else (dst, src)
    attr = name or names.singular(one.name)
    col_name = b.ident(action.get("column") or f"{attr}_id", "foreign key column")
    back = inverse or (many.name if many.name != one.name else f"{many.name}_by_{attr}")
    on_delete = b.on_delete(action.get("on_delete"), required)
    if required:
        b.fail(
            "a required relation adds a NOT NULL column to an existing table, which "
            "fails once it has rows",
            "declare the column in the table with `references:` instead, or leave "
            "the relation optional",
        )
    col = b.scoped(
        many,
        Column(
            col_name, ColumnType("uuid"), True, references=ForeignKey(col_name, one.name, on_delete)
        ),
    )
    b.add_column(many, col)
    index = b.fk_index(many, col_name)
    many.indexes.append(index)
    many.relations.append(RelationEnd(attr, "one", one.name, back, col_name))
    one.relations.append(RelationEnd(back, "many", many.name, attr, col_name))
    b.check_relation_names(many)
    b.check_relation_names(one)
    m.operations.extend(b.column_ops(many, col, index, m))


def many_to_many(b: Builder, src: Table, dst: Table, name, inverse, action, m: Migration) -> None:
    """Create the junction table of a many-to-many relation and both ORM ends."""
    if action.get("column") is not None or action.get("required"):
        b.fail(
            "many-to-many relations take `through`, `name` and `inverse`, not `column`/`required`"
        )
    if action.get("on_delete") not in (None, "cascade"):
        b.fail("many-to-many link rows are always deleted with either side (on_delete: cascade)")
    through = action.get("through") or (
        f"{src.name}_{dst.name}" if name is None else f"{src.name}_{name}"
    )
    b.ident(through, "junction table name")
    if through in b.project.tables or through in b.project.enums or through in RESERVED_TABLES:
        b.fail(f"junction table '{through}' already exists", "set `through:` to a new name")
    left = f"{names.singular(src.name)}_id"
    right = f"{names.singular(name or dst.name)}_id"
    if left == right:
        b.fail(f"both sides of the link would be called '{left}'", "give the relation a `name`")
    attr = name or dst.name
    back = inverse or (src.name if src.name != dst.name else f"{src.name}_by_{name}")
    # Links between two tenant tables carry the organization too: both keys
    # then end in org_id, so a link never joins two organizations. The
    # database fills org_id from the left row (ORMs insert links without it).
    scoped = src.tenant and dst.tenant
    table = Table(
        through,
        m.workspace,
        primary_key=(left, right),
        created_in=m.stem,
        junction_of=(src.name, dst.name),
        tenant=scoped,
        model=b.model_name(through),
    )
    uid = ColumnType("uuid")
    table.columns = [
        *([Column("org_id", uid, False, managed=True)] if scoped else []),
        Column(
            left,
            uid,
            False,
            primary_key=True,
            references=ForeignKey(left, src.name, "cascade", org_scoped=scoped, created_in=m.stem),
        ),
        Column(
            right,
            uid,
            False,
            primary_key=True,
            references=ForeignKey(right, dst.name, "cascade", org_scoped=scoped, created_in=m.stem),
        ),
        Column(
            "created_at",
            ColumnType("timestamptz"),
            False,
            literals.Default("now()", expression=True),
            managed=True,
        ),
    ]
    table.indexes = ([b.fk_index(table, left)] if scoped else []) + [b.fk_index(table, right)]
    src.relations.append(RelationEnd(attr, "many", dst.name, back, None, through, left, right))
    dst.relations.append(RelationEnd(back, "many", src.name, attr, None, through, right, left))
    b.check_relation_names(src)
    b.check_relation_names(dst)
    table.policies = rls.policies_for(table, b.project.tables)
    b.project.tables[through] = table
    m.operations.append(CreateTable(table.copy()))
