"""Migration operations: what one changelog entry does to the database.

Each operation is rendered by one macro per target (SQL, Alembic, sqlx); the
schema state is the fold of all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Column, Enum, ForeignKey, Index, Table


@dataclass(frozen=True)
class CreateExtension:
    """``create extension`` (pgvector, in the extensions schema)."""

    name: str
    schema: str = "extensions"
    kind: str = "create_extension"

    def inverse(self) -> DropExtension:
        """The operation that undoes this one."""
        return DropExtension(self.name)


@dataclass(frozen=True)
class CreateEnum:
    """``create type ... as enum``."""

    enum: Enum
    kind: str = "create_enum"

    def inverse(self) -> DropEnum:
        """The operation that undoes this one."""
        return DropEnum(self.enum.name)


@dataclass(frozen=True)
class CreateTable:
    """``create table`` with its keys, indexes, triggers and policies."""

    table: Table  # a snapshot taken when the entry ran
    kind: str = "create_table"

    def inverse(self) -> DropTable:
        """The operation that undoes this one."""
        return DropTable(self.table.name)


@dataclass(frozen=True)
class AddColumn:
    """``alter table ... add column``, with its unique key, foreign key and index."""

    table: str
    column: Column
    index: Index | None = None  # foreign keys get an index
    kind: str = "add_column"

    @property
    def fk(self) -> ForeignKey | None:
        return self.column.references

    def inverse(self) -> DropColumn:
        """The operation that undoes this one (its key and index go with the column)."""
        return DropColumn(self.table, self.column.name)


@dataclass(frozen=True)
class CreateIndex:
    """``create index`` on an existing table."""

    index: Index
    kind: str = "create_index"

    def inverse(self) -> DropIndex:
        """The operation that undoes this one."""
        return DropIndex(self.index.name)


# Operations that remove: today only the inverses above (ORM-native down
# migrations); the changelog's drop actions will plan them too.


@dataclass(frozen=True)
class DropExtension:
    """``drop extension``."""

    name: str
    kind: str = "drop_extension"


@dataclass(frozen=True)
class DropEnum:
    """``drop type``."""

    name: str
    kind: str = "drop_enum"


@dataclass(frozen=True)
class DropTable:
    """``drop table``."""

    name: str
    kind: str = "drop_table"


@dataclass(frozen=True)
class DropColumn:
    """``alter table ... drop column``."""

    table: str
    column: str
    kind: str = "drop_column"


@dataclass(frozen=True)
class DropIndex:
    """``drop index``."""

    name: str
    kind: str = "drop_index"


Operation = (
    CreateExtension
    | CreateEnum
    | CreateTable
    | AddColumn
    | CreateIndex
    | DropExtension
    | DropEnum
    | DropTable
    | DropColumn
    | DropIndex
)


@dataclass
class Migration:
    """One changelog entry, numbered in its owner's service range."""

    position: int  # index in the answers' changelog
    name: str
    workspace: str  # typescript | python | rust
    prefix: str  # node | python | rust
    number: int
    operations: list[Operation] = field(default_factory=list)
    revision: str = ""  # Alembic revision id (python-owned entries)
    down_revision: str | None = None
    # A synced entry copies a hand-written ORM migration (`supa-schema sync`):
    # its SQL is given verbatim and the ORM's own file already exists.
    sql: str | None = None
    synced_from: str | None = None  # the ORM migration's path, relative to the repo

    @property
    def synced(self) -> bool:
        return self.synced_from is not None

    @property
    def generated(self) -> bool:
        """True when supa-schema renders this entry's ORM-native migration file too."""
        return self.synced_from is None

    @property
    def version(self) -> str:
        """The five-digit version, e.g. ``00201``."""
        return f"{self.number:05d}"

    @property
    def stem(self) -> str:
        """``00201_python_add_sku``: the Supabase migration's file name without ``.sql``."""
        return f"{self.version}_{self.prefix}_{self.name}"

    @property
    def label(self) -> str:
        return f"migrations[{self.position}] '{self.name}' ({self.stem})"
