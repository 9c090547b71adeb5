"""The schema model: dataclasses for enums, tables, columns, indexes and relations.

The engine folds the answers' changelog into these objects; templates read
them (and the per-language spellings they expose) and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import literals, names
from .types import ARRAY, TYPES

# The key organization-scoped foreign keys point at, in table order.
ORG_KEY = ("org_id", "id")


def collation_key(name: str) -> tuple[int, ...]:
    """A sort key that orders identifiers (``[a-z0-9_]``) as JavaScript's
    ``localeCompare`` does (ICU root collation): ``_`` before digits before letters."""
    return tuple(0 if ch == "_" else 1 + int(ch) if ch.isdigit() else 11 + ord(ch) for ch in name)


@dataclass
class Enum:
    """A PostgreSQL enum type and its values, in declaration order."""

    name: str
    values: list[str]
    created_in: str = ""  # file stem of the migration that creates it

    @property
    def cls(self) -> str:
        """Class name in Python and Rust (``order_status`` -> ``OrderStatus``)."""
        return names.pascal(self.name)

    @property
    def ts(self) -> str:
        """Name of the Drizzle ``pgEnum`` constant (``orderStatusEnum``)."""
        return names.camel(self.name) + "Enum"

    @property
    def members(self) -> list[tuple[str, str]]:
        """(MEMBER_NAME, label) pairs; member names are unique identifiers."""
        taken: set[str] = set()
        return [(names.enum_member(v, taken), v) for v in self.values]

    @property
    def variants(self) -> list[tuple[str, str]]:
        """(PascalVariant, label) pairs for Rust."""
        return [(names.pascal(m.lower()), v) for m, v in self.members]


@dataclass(frozen=True)
class ColumnType:
    """A column's type: a key of ``types.TYPES`` with its parameters."""

    base: str  # key of TYPES
    array: bool = False
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    dimensions: int | None = None
    enum: Enum | None = None

    def _params(self) -> dict[str, object]:
        params: dict[str, object] = {
            "length": self.length,
            "precision": self.precision,
            "scale": self.scale if self.scale is not None else 0,
            "dimensions": self.dimensions,
            "col": "{col}",
        }
        if self.enum is not None:
            params.update(enum=self.enum.name, Enum=self.enum.cls, enumTs=self.enum.ts)
        return params

    def spell(self, language: str) -> str:
        """This type in one language (a field of ``TypeSpec``)."""
        params = self._params()
        inner = getattr(TYPES[self.base], language).format(**params)
        if self.array and language in ARRAY:
            inner = ARRAY[language].format(inner=inner)
        return inner

    @property
    def pydantic_alias(self) -> tuple[str, str] | None:
        """``(name, definition)`` of the type alias a Pydantic schema module declares
        for this type (of its elements, for an array), or None when it needs none."""
        spec = TYPES[self.base]
        if not spec.pydantic_alias:
            return None
        params = self._params()
        return spec.pydantic.format(**params), spec.pydantic_alias.format(**params)

    @property
    def sql(self) -> str:
        return self.spell("sql")

    def default_for(self, raw: object) -> literals.Default:
        """``raw`` (an answers-file default) checked against this type; raises
        ValueError with a message for the user when it does not fit."""
        return literals.parse_default(
            raw,
            self.base,
            TYPES[self.base].literal,
            array=self.array,
            sql_type=self.sql,
            enum_values=self.enum.values if self.enum else None,
            precision=self.precision,
            scale=self.scale,
            length=self.length,
        )

    @property
    def label(self) -> str:
        """The type as written in the answers (for messages)."""
        base = self.enum.name if self.enum else self.base
        return base + ("[]" if self.array else "")


@dataclass(frozen=True)
class ForeignKey:
    """A reference from one column (with org_id, when organization-scoped)."""

    column: str
    target: str  # table in the public schema, or "auth.users"
    on_delete: str = "no action"  # SQL spelling, lower case
    target_column: str = "id"
    # Between two tenant tables the key is (org_id, column) -> target (org_id, id),
    # so the database itself keeps a row's references inside its organization.
    # Tenant tables start with org_id, so both sides list their columns in table
    # order too (drizzle-kit reads a foreign key's columns in that order).
    org_scoped: bool = False
    # The migration that made the key organization-scoped: a template upgrade
    # re-creates the key in a file that runs after it (``upgrade.py``).
    created_in: str = field(default="", compare=False)

    @property
    def target_sql(self) -> str:
        return self.target if "." in self.target else f"public.{self.target}"

    @property
    def columns(self) -> tuple[str, ...]:
        """The referencing columns, in constraint order."""
        return ("org_id", self.column) if self.org_scoped else (self.column,)

    @property
    def target_columns(self) -> tuple[str, ...]:
        return ("org_id", self.target_column) if self.org_scoped else (self.target_column,)

    def name_in(self, table: str) -> str:
        """The constraint's name on ``table``: ``<table>_<column>_fkey``, as PostgreSQL names it."""
        return f"{table}_{self.column}_fkey"

    @property
    def on_delete_sql(self) -> str:
        """The delete action; on an organization-scoped key `set null`/`set default`
        touch the reference column only (PostgreSQL 15+), never ``org_id``."""
        if self.org_scoped and self.on_delete in ("set null", "set default"):
            return f"{self.on_delete} ({self.column})"
        return self.on_delete


@dataclass
class Column:
    """A table column and how every language sees it."""

    name: str
    type: ColumnType
    nullable: bool = True
    default: literals.Default | None = None
    unique: bool = False
    primary_key: bool = False
    references: ForeignKey | None = None
    managed: bool = False  # set by the database (id, timestamps): not in Create models

    @property
    def py(self) -> str:
        return names.python_name(self.name)

    @property
    def ts(self) -> str:
        return names.ts_name(self.name)

    @property
    def rust(self) -> str:
        return names.rust_name(self.name)

    @property
    def has_default(self) -> bool:
        return self.default is not None

    @property
    def optional_on_insert(self) -> bool:
        """True when an insert may leave the column out."""
        return self.nullable or self.has_default


@dataclass(frozen=True)
class Index:
    """An index; its name is unique in the schema."""

    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool = False
    method: str = "btree"  # btree | hnsw | ivfflat | gin
    opclass: str | None = None  # e.g. vector_cosine_ops (for vector indexes)
    explicit: bool = False  # named in the answers (a rename keeps the name)


@dataclass(frozen=True)
class Policy:
    """A row level security policy for one command."""

    name: str
    command: str  # select | insert | update | delete
    roles: tuple[str, ...]
    using: str | None  # SQL expression, built by the engine from validated names
    check: str | None


@dataclass(frozen=True)
class RelationEnd:
    """One side of a relation as an ORM sees it from ``table``."""

    name: str  # attribute name on this table's model
    kind: str  # "one" (many-to-one side) | "many"
    target: str  # table name
    back: str | None  # attribute name on the target's model
    fk_column: str | None = None  # the FK column (on this table for "one", on target for "many")
    through: str | None = None  # junction table for many-to-many
    local_key: str | None = None  # junction column pointing at this table
    remote_key: str | None = None  # junction column pointing at the target


@dataclass
class Table:
    """A public table: columns, keys, indexes, relations and policies."""

    name: str
    workspace: str
    columns: list[Column] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    primary_key: tuple[str, ...] = ("id",)
    tenant: bool = False
    soft_delete: bool = False
    timestamps: bool = False
    owner: bool = False
    public_read: bool = False
    junction_of: tuple[str, str] | None = None
    model: str = ""  # singular PascalCase class name
    relations: list[RelationEnd] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    created_in: str = ""
    core: bool = False  # organizations / organization_members (made by 00001)
    checks: list[tuple[str, str]] = field(default_factory=list)  # (name, SQL) from the engine

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def pkey_name(self) -> str:
        return f"{self.name}_pkey"

    def key_name(self, column: str) -> str:
        """The name of the unique constraint of one column (``<table>_<column>_key``)."""
        return f"{self.name}_{column}_key"

    @property
    def org_key_columns(self) -> tuple[str, ...]:
        return ORG_KEY

    @property
    def org_key(self) -> str | None:
        """Name of the ``unique (org_id, id)`` key that organization-scoped foreign
        keys point at: every tenant table with an ``id`` primary key has one."""
        if self.tenant and self.junction_of is None and self.primary_key == ("id",):
            return f"{self.name}_{'_'.join(ORG_KEY)}_key"
        return None

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        return [c.references for c in self.columns if c.references is not None]

    @property
    def keys(self) -> list[tuple[str, ...]]:
        """The columns of the primary key and of each unique constraint, in table order."""
        order = {c.name: i for i, c in enumerate(self.columns)}
        keys = [self.primary_key, *((c.name,) for c in self.unique_columns)]
        if self.org_key:
            keys.append(ORG_KEY)
        return [tuple(sorted(k, key=lambda n: order.get(n, -1))) for k in keys]

    @property
    def api_relationships(self) -> list[tuple[str, ForeignKey, bool]]:
        """``(name, foreign key, one-to-one)`` for each foreign key to a public table, as
        Supabase's generated types list them: ordered by constraint name the way
        JavaScript's ``localeCompare`` orders it, one-to-one when the key's columns
        are exactly the primary key or a unique constraint (PostgREST's rule)."""
        found = [
            (fk.name_in(self.name), fk, fk.columns in self.keys)
            for fk in self.foreign_keys
            if "." not in fk.target
        ]
        return sorted(found, key=lambda r: collation_key(r[0]))

    @property
    def unique_columns(self) -> list[Column]:
        return [c for c in self.columns if c.unique]

    @property
    def enums(self) -> list[Enum]:
        seen: dict[str, Enum] = {}
        for c in self.columns:
            if c.type.enum is not None:
                seen.setdefault(c.type.enum.name, c.type.enum)
        return list(seen.values())

    @property
    def type_bases(self) -> set[str]:
        return {c.type.base for c in self.columns}

    @property
    def pydantic_aliases(self) -> list[tuple[str, str]]:
        """The type aliases the table's Pydantic module declares, ``(name, definition)``
        sorted by name."""
        found = {a for c in self.columns if (a := c.type.pydantic_alias) is not None}
        return sorted(found)

    @property
    def has_arrays(self) -> bool:
        return any(c.type.array for c in self.columns)

    @property
    def module(self) -> str:
        """Python module / Rust module name for the table's model."""
        return self.name

    @property
    def ts(self) -> str:
        """The table's exported const in the Drizzle schema."""
        return names.ts_export(self.name)

    def copy(self) -> Table:
        """A snapshot whose lists later actions do not change."""
        return Table(
            **{
                **self.__dict__,
                "columns": list(self.columns),
                "indexes": list(self.indexes),
                "relations": list(self.relations),
                "policies": list(self.policies),
                "checks": list(self.checks),
            }
        )
