"""Migration operations: what one changelog entry does to the database.

Each operation is rendered by one macro per target (SQL, Alembic, sqlx); the
schema state is the fold of all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .literals import Default
from .model import Column, ColumnType, Enum, ForeignKey, Index, Policy, Table


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
    # On a table that may hold rows (keys and index come as steps of their own).
    live: bool = False
    kind: str = "add_column"

    @property
    def fk(self) -> ForeignKey | None:
        return self.column.references

    def inverse(self) -> DropColumn:
        """The operation that undoes this one (its key and index go with the column)."""
        return DropColumn(self.table, self.column.name)


@dataclass(frozen=True)
class CreateIndex:
    """``create index`` on an existing table; ``concurrently`` in a migration of its own."""

    index: Index
    concurrently: bool = False
    kind: str = "create_index"

    def inverse(self) -> DropIndex:
        """The operation that undoes this one."""
        return DropIndex(self.index.name, self.index, self.concurrently, self.concurrently)


# Operations that remove. They are the inverses above (ORM-native down
# migrations) and what the changelog's drop actions plan; in a changelog
# entry their own inverse is ``Irreversible``: the data is gone.


@dataclass(frozen=True)
class Irreversible:
    """A step no down migration can undo: Alembic's downgrade refuses with ``reason``."""

    reason: str
    kind: str = "irreversible"


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
    """``drop table`` (its indexes, policies and triggers go with it)."""

    name: str
    kind: str = "drop_table"

    def inverse(self) -> Irreversible:
        return Irreversible(f"table '{self.name}' was dropped with its rows")


@dataclass(frozen=True)
class DropColumn:
    """``alter table ... drop column`` (its key, foreign key and indexes go with it)."""

    table: str
    column: str
    kind: str = "drop_column"

    def inverse(self) -> Irreversible:
        return Irreversible(f"column '{self.table}.{self.column}' was dropped with its values")


@dataclass(frozen=True)
class DropIndex:
    """``drop index``; ``concurrently`` on a table that already exists."""

    name: str
    index: Index | None = None  # what a down migration recreates
    concurrently: bool = False
    if_exists: bool = False  # undoing a unique key's index: the key took it along
    kind: str = "drop_index"

    def inverse(self) -> CreateIndex | Irreversible:
        if self.index is None:
            return Irreversible(f"index '{self.name}' was dropped")
        return CreateIndex(self.index, concurrently=self.concurrently)


# Operations that change what exists (the modification actions). They run on
# tables that may hold rows, so the migration sets a lock timeout first.


@dataclass(frozen=True)
class Rename:
    """One renamed object that belongs to a table: a constraint, index or policy."""

    what: str  # constraint | index | policy
    old: str
    new: str


@dataclass(frozen=True)
class RenameTable:
    """``alter table ... rename to``, and every name derived from the table's name."""

    old: str
    new: str
    renames: tuple[Rename, ...] = ()
    # (junction, column) of each link table whose org_id trigger reads this
    # table by name: the trigger is created again with the new name.
    triggers: tuple[tuple[str, str], ...] = ()
    kind: str = "rename_table"

    def inverse(self) -> RenameTable:
        back = tuple(Rename(r.what, r.new, r.old) for r in reversed(self.renames))
        return RenameTable(self.new, self.old, back, self.triggers)


@dataclass(frozen=True)
class RenameColumn:
    """``alter table ... rename column``, and the constraint and index names that follow."""

    table: str
    old: str
    new: str
    renames: tuple[Rename, ...] = ()
    kind: str = "rename_column"

    def inverse(self) -> RenameColumn:
        back = tuple(Rename(r.what, r.new, r.old) for r in reversed(self.renames))
        return RenameColumn(self.table, self.new, self.old, back)


@dataclass(frozen=True)
class AlterColumnType:
    """``alter column ... type``: an assignment cast that keeps every value.

    A default is dropped first and set again in the new type, so the catalog
    holds what a fresh ``create table`` would."""

    table: str
    column: str
    type: ColumnType
    old_type: ColumnType
    default: Default | None = None
    old_default: Default | None = None
    kind: str = "alter_column_type"

    def inverse(self) -> AlterColumnType:
        return AlterColumnType(
            self.table, self.column, self.old_type, self.type, self.old_default, self.default
        )


@dataclass(frozen=True)
class SetDefault:
    """``alter column ... set default`` (``drop default`` when ``default`` is None)."""

    table: str
    column: str
    default: Default | None
    old_default: Default | None = None
    kind: str = "set_default"

    def inverse(self) -> SetDefault:
        return SetDefault(self.table, self.column, self.old_default, self.default)


@dataclass(frozen=True)
class AddNotNullCheck:
    """The first half of ``not null`` on a column with rows: nulls backfilled from
    ``backfill``, then ``check (column is not null) not valid`` (no scan)."""

    table: str
    column: str
    check: str  # the temporary check constraint's name
    backfill: Default | None = None
    kind: str = "add_not_null_check"

    def inverse(self) -> DropNotNullCheck:
        return DropNotNullCheck(self.table, self.check)


@dataclass(frozen=True)
class DropNotNullCheck:
    """Undoes ``AddNotNullCheck`` (the next file's ``SetNotNull`` may have dropped it)."""

    table: str
    check: str
    kind: str = "drop_not_null_check"


@dataclass(frozen=True)
class SetNotNull:
    """The second half, in the next file: the check is validated in a transaction
    of its own (it scans the table without blocking writes), so ``set not null``
    needs no scan; then the check goes. ``direct``: a down migration's plain
    ``set not null``."""

    table: str
    column: str
    check: str
    direct: bool = False
    kind: str = "set_not_null"

    @property
    def new_file(self) -> bool:
        """Validating must not share the transaction that added the check."""
        return not self.direct

    def inverse(self) -> DropNotNull:
        return DropNotNull(self.table, self.column, self.check)


@dataclass(frozen=True)
class DropNotNull:
    """``alter column ... drop not null``."""

    table: str
    column: str
    check: str
    kind: str = "drop_not_null"

    def inverse(self) -> SetNotNull:
        return SetNotNull(self.table, self.column, self.check, direct=True)


@dataclass(frozen=True)
class AddUniqueKey:
    """``add constraint ... unique using index``: the index was built concurrently
    by the migration file before this one (a down migration adds it directly)."""

    table: str
    column: str
    name: str
    using_index: bool = True
    kind: str = "add_unique_key"

    def inverse(self) -> DropUniqueKey:
        return DropUniqueKey(self.table, self.column, self.name)


@dataclass(frozen=True)
class DropUniqueKey:
    """``drop constraint`` of a column's unique key."""

    table: str
    column: str
    name: str
    kind: str = "drop_unique_key"

    def inverse(self) -> AddUniqueKey:
        return AddUniqueKey(self.table, self.column, self.name, using_index=False)


@dataclass(frozen=True)
class AddEnumValue:
    """``alter type ... add value`` (PostgreSQL cannot remove one again)."""

    enum: str
    value: str
    before: str | None = None
    after: str | None = None
    kind: str = "add_enum_value"

    def inverse(self) -> Irreversible:
        return Irreversible(
            f"PostgreSQL cannot remove the value {self.value!r} from enum '{self.enum}'"
        )


@dataclass(frozen=True)
class RenameEnumValue:
    """``alter type ... rename value``."""

    enum: str
    old: str
    new: str
    kind: str = "rename_enum_value"

    def inverse(self) -> RenameEnumValue:
        return RenameEnumValue(self.enum, self.new, self.old)


@dataclass(frozen=True)
class AddForeignKey:
    """``add constraint ... foreign key ... not valid`` on a table that may hold rows:
    it checks new rows at once; ``ValidateForeignKey`` checks the old ones later."""

    table: str
    fk: ForeignKey
    kind: str = "add_foreign_key"

    def inverse(self) -> DropForeignKey:
        return DropForeignKey(self.table, self.fk)


@dataclass(frozen=True)
class DropForeignKey:
    """``drop constraint`` of a foreign key."""

    table: str
    fk: ForeignKey
    kind: str = "drop_foreign_key"

    def inverse(self) -> AddForeignKey:
        return AddForeignKey(self.table, self.fk)


@dataclass(frozen=True)
class ValidateForeignKey:
    """``validate constraint``: scans existing rows under a lock that lets reads and
    writes go on, in a transaction after the one that added the key."""

    table: str
    name: str
    kind: str = "validate_foreign_key"

    @property
    def new_file(self) -> bool:
        return True

    def inverse(self) -> ValidateForeignKey:
        # Undone with the key itself: validating a valid key is a no-op.
        return self


# A template upgrade brings tables made by an older version of the template to
# what this version creates (see ``upgrade.py``). Its steps are not undone: the
# older version's database is what a backup restores.
UPGRADE_IS_FINAL = "a template upgrade is not undone (restore the database from a backup)"


@dataclass(frozen=True)
class AddOrgKey:
    """``unique (org_id, id)``: what organization-scoped foreign keys point at."""

    table: str
    name: str
    kind: str = "add_org_key"

    def inverse(self) -> Irreversible:
        return Irreversible(UPGRADE_IS_FINAL)


@dataclass(frozen=True)
class AddLinkOrgId:
    """``org_id`` on a link between tenant tables, filled from the row it links from
    (``source``, through ``column``) for existing links and by a trigger for new ones."""

    table: str
    source: str
    column: str
    kind: str = "add_link_org_id"

    def inverse(self) -> Irreversible:
        return Irreversible(UPGRADE_IS_FINAL)


@dataclass(frozen=True)
class AddSoftDeleteTrigger:
    """The trigger that turns a signed-in user's delete into marking the row deleted."""

    table: str
    keys: tuple[str, ...]
    kind: str = "add_soft_delete_trigger"

    def inverse(self) -> Irreversible:
        return Irreversible(UPGRADE_IS_FINAL)


@dataclass(frozen=True)
class ReplacePolicies:
    """Every policy of a table dropped (by its name) and created as this version writes it."""

    table: str
    policies: tuple[Policy, ...]
    kind: str = "replace_policies"

    def inverse(self) -> Irreversible:
        return Irreversible(UPGRADE_IS_FINAL)


@dataclass(frozen=True)
class ScopeForeignKey:
    """A foreign key made organization-scoped, ``(org_id, column) -> (org_id, id)``,
    with its index on the same columns (``old_index``, on the column alone, goes)."""

    table: str
    fk: ForeignKey
    old_index: str | None
    index: Index | None
    kind: str = "scope_foreign_key"

    def inverse(self) -> Irreversible:
        return Irreversible(UPGRADE_IS_FINAL)


# Kinds that change a table that may already hold rows: their migration starts
# with `set lock_timeout`.
MODIFYING = frozenset(
    {
        "drop_table",
        "drop_column",
        "drop_index",
        "rename_table",
        "rename_column",
        "alter_column_type",
        "set_default",
        "add_not_null_check",
        "set_not_null",
        "drop_not_null",
        "add_unique_key",
        "drop_unique_key",
        "add_enum_value",
        "rename_enum_value",
        "add_foreign_key",
        "drop_foreign_key",
        "validate_foreign_key",
        "add_org_key",
        "add_link_org_id",
        "add_soft_delete_trigger",
        "replace_policies",
        "scope_foreign_key",
    }
)


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
    | Irreversible
    | RenameTable
    | RenameColumn
    | AlterColumnType
    | SetDefault
    | AddNotNullCheck
    | DropNotNullCheck
    | SetNotNull
    | DropNotNull
    | AddUniqueKey
    | DropUniqueKey
    | AddEnumValue
    | RenameEnumValue
    | AddForeignKey
    | DropForeignKey
    | ValidateForeignKey
    | AddOrgKey
    | AddLinkOrgId
    | AddSoftDeleteTrigger
    | ReplacePolicies
    | ScopeForeignKey
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
    # An entry whose steps must run outside a transaction (concurrent index
    # builds) spans several files: part 1 keeps the entry's name, the others
    # add `_2`, `_3`... and take the next numbers of the owner's range.
    part: int = 1
    # A template upgrade (``upgrade.py``): the format this entry brings the
    # tables of its range to; the engine adds it, the answers never name it.
    upgrade: int = 0

    @property
    def concurrent(self) -> bool:
        """True when every step runs outside a transaction (a file of its own)."""
        return bool(self.operations) and all(
            getattr(op, "concurrently", False) for op in self.operations
        )

    @property
    def undo(self) -> list[Operation]:
        """The steps of a down migration: each step's inverse, last step first."""
        return [op.inverse() for op in reversed(self.operations)]  # type: ignore[union-attr]

    @property
    def lost(self) -> list[str]:
        """Why a down migration cannot undo this one (empty when it can)."""
        return [op.reason for op in self.undo if isinstance(op, Irreversible)]

    @property
    def modifies(self) -> bool:
        """True when a step changes a table that may hold rows (lock timeout first)."""
        return any(op.kind in MODIFYING or getattr(op, "live", False) for op in self.operations)

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
        if self.upgrade:
            return f"the template upgrade ({self.stem})"
        return f"migrations[{self.position}] '{self.name}' ({self.stem})"


def split(operations: list[Operation]) -> list[list[Operation]]:
    """An entry's steps cut into files: each concurrent step alone, a step that
    needs a transaction of its own (``new_file``) starting the next file, the
    others grouped in order (an entry without steps still has its one file)."""
    parts: list[list[Operation]] = []
    for op in operations:
        alone = getattr(op, "concurrently", False)
        fresh = getattr(op, "new_file", False)
        if not parts or alone or fresh or getattr(parts[-1][-1], "concurrently", False):
            parts.append([op])
        else:
            parts[-1].append(op)
    return parts or [[]]
