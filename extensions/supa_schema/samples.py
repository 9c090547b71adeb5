"""Fixture rows for the generated pgTAP tests: one valid row per table and organization.

Values are SQL literals built from the column type (never from answer text
except enum labels, which go through ``sql_string``), with fixed UUIDs so the
generated test files are deterministic.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from .literals import sql_string
from .model import Column, Table


def fixed_uuid(*parts: str) -> str:
    """A UUID that depends only on ``parts``."""
    return str(uuid.UUID(bytes=hashlib.sha256("/".join(parts).encode()).digest()[:16], version=4))


def sample_sql(column: Column, tag: str) -> str:
    """A literal that fits ``column``; ``tag`` (a, b, …) keeps unique values apart."""
    t = column.type
    if t.array:
        return f"'{{}}'::{t.sql}"
    n = ord(tag[-1]) - ord("a") + 1
    return {
        "uuid": lambda: f"'{fixed_uuid(column.name, tag)}'",
        "text": lambda: sql_string(f"sample {tag}"),
        "varchar": lambda: sql_string(tag[: t.length or 1]),
        "smallint": lambda: str(n),
        "integer": lambda: str(n),
        "bigint": lambda: str(n),
        "numeric": lambda: str(n),
        "real": lambda: f"{n}.5",
        "double": lambda: f"{n}.5",
        "boolean": lambda: "true",
        "timestamptz": lambda: f"'2024-01-0{n}T00:00:00Z'",
        "date": lambda: f"'2024-01-0{n}'",
        "time": lambda: f"'12:00:0{n}'",
        "jsonb": lambda: "'{}'",
        "bytea": lambda: f"'\\x0{n}'::bytea",
        "vector": lambda: "'[" + ",".join(["0.5"] * (t.dimensions or 1)) + "]'",
        "enum": lambda: sql_string(t.enum.values[0]) if t.enum else "null",
    }[t.base]()


@dataclass(frozen=True)
class FixtureRow:
    """One row to insert: a table and (column, SQL literal) pairs."""

    table: str
    values: tuple[tuple[str, str], ...]  # (column, SQL literal)

    @property
    def columns(self) -> str:
        return ", ".join(c for c, _ in self.values)

    @property
    def literals(self) -> str:
        return ", ".join(v for _, v in self.values)

    def value(self, column: str) -> str:
        return dict(self.values)[column]

    def with_value(self, column: str, literal: str) -> FixtureRow:
        """The same row with ``column`` set (added when the row did not set it)."""
        values = dict(self.values)
        values[column] = literal
        return FixtureRow(self.table, tuple(values.items()))

    @property
    def insert(self) -> str:
        """An insert of this row that leaves an existing row with the same key alone."""
        return (
            f"insert into public.{self.table} ({self.columns}) values ({self.literals}) "
            "on conflict do nothing;"
        )


def editable_column(table: Table) -> Column | None:
    """A plain data column a test can change (not a key, reference or managed column)."""
    keys = {c for i in table.indexes if i.unique for c in i.columns}
    for c in table.columns:
        if not (
            c.managed
            or c.primary_key
            or c.references
            or c.unique
            or c.name in keys
            or c.name in ("org_id", "user_id", "deleted_at")
        ):
            return c
    return None


def fixture_rows(
    table: Table,
    tables: dict[str, Table],
    org: str,
    user: str,
    tag: str,
    parents: str | None = None,
) -> list[FixtureRow]:
    """Rows to insert (parents first) so that one row of ``table`` exists in ``org``.

    With ``parents``, only ``table``'s row is returned and its required foreign
    keys point at the parents made for that tag.
    """
    rows: list[FixtureRow] = []
    ids: dict[str, str] = {}

    def visit(t: Table, own_tag: str) -> None:
        if t.name in ids:
            return
        values: list[tuple[str, str]] = []
        for c in t.columns:
            fk = c.references
            if c.name == "id" and c.primary_key:
                ids[t.name] = f"'{fixed_uuid(t.name, own_tag)}'"
                values.append(("id", ids[t.name]))
            elif c.name == "org_id" and t.tenant:
                values.append(("org_id", f"'{org}'"))
            elif fk is not None and fk.target == "auth.users":
                values.append((c.name, f"'{user}'"))
            elif fk is not None and not c.nullable and fk.target != t.name:
                if parents is None:
                    visit(tables[fk.target], own_tag)
                    values.append((c.name, ids[fk.target]))
                else:
                    values.append((c.name, f"'{fixed_uuid(fk.target, parents)}'"))
            elif (
                (not c.nullable and c.default is None)
                or c.unique
                or any(i.unique and c.name in i.columns for i in t.indexes)
            ):
                # Required, or part of a unique key: defaults would collide.
                values.append((c.name, sample_sql(c, own_tag)))
        rows.append(FixtureRow(t.name, tuple(values)))

    visit(table, tag)
    return rows
