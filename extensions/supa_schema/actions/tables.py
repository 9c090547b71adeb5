"""`table: name`: a new table with its columns, options, indexes and policies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .. import literals, rls
from ..model import Column, ColumnType, ForeignKey, RelationEnd, Table
from ..plan import CreateTable, Migration
from ..vocabulary import RESERVED_TABLES

if TYPE_CHECKING:
    from ..builder import Builder


def apply(b: Builder, action: Mapping, m: Migration) -> None:
    """Create a table: managed columns from its options, then its own columns and indexes."""
    allowed = {
        "table",
        "columns",
        "tenant",
        "soft_delete",
        "timestamps",
        "indexes",
        "owner",
        "public_read",
        "model",
        "primary_key",
    }
    b.check_options(action, allowed, "table action")
    name = b.ident(action["table"], "table name")
    b.where = f"{m.label}, table '{name}'"
    if name in b.project.tables:
        creator = b.project.tables[name].created_in or "an earlier migration"
        b.fail(
            f"table '{name}' already exists (created by {creator})",
            "to change it add `column:`/`index:` actions; if it was created directly "
            "in Supabase, mark that migration as applied with "
            "`supabase migration repair` and describe the table here once",
        )
    if name in RESERVED_TABLES:
        b.fail(f"'{name}' is reserved (tenancy, auth or migration-tool table)")
    if name in b.project.enums:
        b.fail(f"'{name}' is already an enum (tables and enums share PostgreSQL's type names)")
    flags = {}
    for key in ("tenant", "soft_delete", "timestamps", "owner", "public_read"):
        val = action.get(key, False)
        if not isinstance(val, bool):
            b.fail(f"`{key}` must be true or false, got {val!r}")
        flags[key] = val
    if flags["tenant"] and not b.project.multi_tenant:
        b.fail(
            "`tenant: true` needs a multi-tenant project",
            "set multi_tenant: true in the answers (before any migration exists)",
        )
    if flags["public_read"] and flags["tenant"]:
        b.fail("`public_read` cannot be combined with `tenant`")
    table = Table(
        name,
        m.workspace,
        primary_key=("id",),
        created_in=m.stem,
        model=b.model_name(name, action.get("model")),
        tenant=flags["tenant"],
        soft_delete=flags["soft_delete"],
        timestamps=flags["timestamps"],
        owner=flags["owner"],
        public_read=flags["public_read"],
    )
    columns_raw = action.get("columns") or []
    if not isinstance(columns_raw, list):
        b.fail("`columns` must be a list")
    pk = action.get("primary_key")
    fks: list[str] = []
    if flags["tenant"]:
        # First, so every organization-scoped key lists org_id first in table
        # order as well: (org_id, project_id) -> projects (org_id, id).
        table.columns.append(
            Column(
                "org_id",
                ColumnType("uuid"),
                False,
                references=ForeignKey("org_id", "organizations", "cascade"),
            )
        )
        fks.append("org_id")
    if pk is None:
        table.columns.append(
            Column(
                "id",
                ColumnType("uuid"),
                False,
                literals.Default("gen_random_uuid()", True),
                primary_key=True,
                managed=True,
            )
        )
    if flags["owner"]:
        table.columns.append(
            Column(
                "user_id",
                ColumnType("uuid"),
                False,
                literals.Default("auth.uid()", True),
                references=ForeignKey("user_id", "auth.users", "cascade"),
            )
        )
        fks.append("user_id")
    managed = {
        "id": pk is None,
        "org_id": flags["tenant"],
        "user_id": flags["owner"],
        "created_at": flags["timestamps"],
        "updated_at": flags["timestamps"],
        "deleted_at": flags["soft_delete"],
    }
    for raw in columns_raw:
        col = b.column(raw, name, m, adding=False)
        b.scoped(table, col)
        if managed.get(col.name):
            b.fail(
                f"column '{col.name}' is added by the table's options "
                "(id, tenant, owner, timestamps, soft_delete): remove it"
            )
        b.add_column(table, col)
        if col.references:
            fks.append(col.name)
            b.add_ref_relation(table, col)
    if flags["timestamps"]:
        now = literals.Default("now()", expression=True)
        for ts in ("created_at", "updated_at"):
            b.add_column(table, Column(ts, ColumnType("timestamptz"), False, now, managed=True))
    if flags["soft_delete"]:
        b.add_column(table, Column("deleted_at", ColumnType("timestamptz"), True))
    if pk is not None:
        if not isinstance(pk, list) or not pk:
            b.fail("`primary_key` must be a list of column names")
        for key in pk:
            key_column = table.column(key)
            if key_column is None:
                b.fail(f"primary key column '{key}' is not a column of '{name}'")
            key_column.nullable = False
            key_column.primary_key = True
        table.primary_key = tuple(pk)
    for fk_column in fks:
        if table.primary_key[:1] != (fk_column,):
            table.indexes.append(b.fk_index(table, fk_column))
    for raw in action.get("indexes") or []:
        table.indexes.append(b.make_index(raw, table))
    if flags["tenant"]:
        table.relations.append(RelationEnd("organization", "one", "organizations", None, "org_id"))
    b.ensure_vector(m, table.columns)
    table.policies = rls.policies_for(table, b.project.tables)
    b.project.tables[name] = table
    m.operations.append(CreateTable(table.copy()))
