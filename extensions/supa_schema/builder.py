"""The builder: folds a changelog's actions into the project, one action module each.

``Builder`` holds what every action needs (the project so far, where we are
for messages, name and type validation, index naming); the actions themselves
live in ``actions/``, one module per kind, behind the dispatch table there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from . import literals, names, rls, upgrade
from .errors import SchemaError
from .model import Column, ColumnType, ForeignKey, Index, RelationEnd, Table
from .plan import (
    AddColumn,
    AddEnumValue,
    AddForeignKey,
    AddUniqueKey,
    CreateExtension,
    CreateIndex,
    Migration,
    ValidateForeignKey,
    split,
)
from .project import Project
from .types import ALIASES, TYPES
from .vocabulary import ON_DELETE, RESERVED_MODELS, VECTOR_OPS

TYPE_RE = re.compile(
    r"^\s*([a-z][a-z0-9_ ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*(\[\])?\s*$"
)


class Builder:
    """Folds entries, in file-name order, into the project's state."""

    def __init__(self, project: Project, entries: list[Migration], raw: list[dict]):
        self.project = project
        self.entries = entries
        self.raw = raw
        self.creators: dict[str, Migration] = {}  # table/enum name -> entry creating it
        self.model_names: dict[str, str] = {}
        self.index_names: set[str] = set()
        self.vector_ready = False
        self.where = ""
        self.stem = ""  # file stem of the entry being folded
        # table/enum name -> the entries of modification actions naming it
        self.changes: dict[str, list[Migration]] = {}

    def run(self) -> None:
        """Fold every entry's actions, in file-name order, into the project."""
        self.scan_creators()
        if self.project.multi_tenant:
            self.core_tables()
        # File order is changelog order within a workspace, so an entry's final
        # number is known when it is folded: after the files of the entries
        # before it, some of which take several (see ``plan.split``).
        used: dict[str, int] = {}
        for m in self.entries:
            base = m.number - m.number % 100
            m.number = base + used.get(m.workspace, 0) + 1
            self.fold(m)
            used[m.workspace] = m.number - base + len(split(m.operations)) - 1
        for t in self.project.tables.values():
            self.check_relation_names(t)
            self.check_derived_names(t)
        self.check_ts_exports()

    def fold(self, m: Migration) -> None:
        """Fold one entry's actions into the project."""
        from .actions import ACTIONS, kind_of

        self.stem = m.stem
        if m.upgrade:
            upgrade.fold(self, m)
            return
        if not m.synced:  # a synced entry is verbatim SQL: the model does not see it
            actions = self.raw[m.position].get("actions") or []
            for i, action in enumerate(actions):
                self.where = f"{m.label}, action {i + 1}"
                if not isinstance(action, Mapping):
                    keys = [f"{k}:" for k in ACTIONS]
                    self.fail(f"an action must be a mapping ({', '.join(keys[:-1])} or {keys[-1]})")
                kind = kind_of(action)
                if kind is None:
                    self.fail(
                        f"an action needs exactly one of {', '.join(f'{k}:' for k in ACTIONS)}"
                        f" (got keys {', '.join(map(str, action))})"
                    )
                if not isinstance(action[kind], Mapping):
                    self.where = f"{m.label}, action {i + 1} ({kind} {action[kind]!r})"
                ACTIONS[kind](self, action, m)

    def check_derived_names(self, table: Table) -> None:
        """Constraint and policy names built from the table's name must fit PostgreSQL's
        identifier limit: it would cut them silently, and two cut names can clash."""
        derived = [
            table.pkey_name,
            *(p.name for p in table.policies),
            *(table.key_name(c.name) for c in table.unique_columns),
            *(fk.name_in(table.name) for fk in table.foreign_keys),
            *(name for name, _ in table.checks),
            *([table.org_key] if table.org_key else []),
        ]
        too_long = [n for n in derived if len(n.encode()) > names.MAX_IDENTIFIER_BYTES]
        if too_long:
            creator = self.creators.get(table.name)
            self.where = creator.label if creator else f"table '{table.name}'"
            self.fail(
                f"table '{table.name}' would get the name '{too_long[0]}', longer than "
                f"{names.MAX_IDENTIFIER_BYTES} bytes (PostgreSQL would cut it, and cut "
                "names can clash)",
                "choose a shorter table, column or relation name",
            )

    def fail(self, problem: str, hint: str = "") -> NoReturn:
        raise SchemaError(self.where, problem, hint)

    def ident(self, name: Any, what: str) -> str:
        problem = names.identifier_problem(name)
        if problem:
            self.fail(f"{what}: {problem}")
        return name

    def _not_yet(self, kind: str, name: str, current: Migration) -> None:
        creator = self.creators.get(name)
        if creator is not None and creator.number > current.number:
            self.fail(
                f"{kind} '{name}' is created by {creator.stem}, which runs after "
                f"{current.stem} in file-name order, so this migration would fail",
                f"own this entry by '{creator.workspace}' (or a workspace whose range sorts "
                f"after {creator.version}), or create '{name}' in an earlier migration",
            )

    def table(self, name: Any, current: Migration, what: str = "table") -> Table:
        if not isinstance(name, str) or name not in self.project.tables:
            if isinstance(name, str):
                self._not_yet("table", name, current)
            known = (
                ", ".join(t for t in self.project.tables if not self.project.tables[t].core)
                or "none yet"
            )
            self.fail(f"unknown {what} {name!r}", f"tables that exist at this point: {known}")
        if name in self.changes:
            self.touch(name, current)
        return self.project.tables[name]

    def existing_table(self, name: Any, current: Migration, verb: str) -> Table:
        """A table a modification action changes: not one of the tenancy tables."""
        table = self.table(name, current)
        if table.core:
            self.fail(
                f"cannot {verb} '{table.name}': the tenancy tables are managed by supa-schema",
                "add a table of your own that references organizations instead",
            )
        return table

    def own_column(self, table: Table, name: Any, verb: str) -> Column:
        """A user-declared column of ``table`` that a modification may change."""
        col = table.column(name) if isinstance(name, str) else None
        if col is None:
            own = [c.name for c in table.columns if not c.managed]
            self.fail(
                f"table '{table.name}' has no column {name!r}",
                f"its columns: {', '.join(c.name for c in table.columns)}"
                if own
                else "it has no columns of its own yet",
            )
        if table.junction_of is not None:
            self.fail(
                f"cannot {verb} '{table.name}.{col.name}': the columns of a many-to-many "
                "link table are managed by its relation",
                "drop the relation (drop_relation) and relate the tables again",
            )
        managed = {
            "id": True,
            "org_id": table.tenant,
            "user_id": table.owner,
            "created_at": table.timestamps,
            "updated_at": table.timestamps,
            "deleted_at": table.soft_delete,
        }
        if col.primary_key or col.managed or managed.get(col.name):
            self.fail(
                f"cannot {verb} '{table.name}.{col.name}': it is a primary key, tenant or "
                "managed column (id, org_id, owner user_id, timestamps, deleted_at)",
                "these columns keep the table's keys, policies and triggers working",
            )
        return col

    def follow_index(self, index: Index, table: str, columns: tuple[str, ...]) -> Index:
        """The index after its table or a column was renamed: a derived name follows."""
        if index.explicit:
            return dataclasses.replace(index, table=table, columns=columns)
        self.index_names.discard(index.name)
        return dataclasses.replace(
            index, name=self.index_name(table, columns), table=table, columns=columns
        )

    def indexes_on(self, table: str, column: str) -> list[Index]:
        """The indexes of ``table`` that include ``column``."""
        return [i for i in self.project.tables[table].indexes if column in i.columns]

    def check_name_free(self, name: str) -> None:
        """Refuse a new index or key whose name an index already has (one namespace)."""
        if name in self.index_names:
            self.fail(
                f"an index named '{name}' already exists",
                f"drop it first (drop_index: {name})",
            )

    def retarget(self, col: Column, old: str, new: str) -> Column:
        """The column with its foreign key pointing at a renamed table."""
        fk = col.references
        if fk is None or fk.target != old:
            return col
        return dataclasses.replace(col, references=dataclasses.replace(fk, target=new))

    def touch(self, name: str, current: Migration) -> None:
        """Refuse changing ``name`` in an entry whose file runs before the file of an
        entry that changed it earlier in the changelog (the database would see the
        changes in the other order)."""
        for other in self.changes.get(name, ()):
            if other.workspace == current.workspace:
                continue  # one range: file order is changelog order (numbers may be provisional)
            if other.position < current.position and other.number > current.number:
                self.fail(
                    f"'{name}' is changed by {other.stem}, an earlier entry whose file runs "
                    f"after {current.stem}, so the database would see the changes out of order",
                    f"own this entry by '{other.workspace}' (or a workspace whose range sorts "
                    f"after {other.version})",
                )
            if other.position > current.position and other.number < current.number:
                self.fail(
                    f"'{name}' is changed by {other.stem}, a later entry whose file runs "
                    f"before {current.stem}, so the database would see the changes out of order",
                    f"own {other.name!r} by '{current.workspace}' (or a workspace whose range "
                    f"sorts after {current.version})",
                )

    def check_options(self, raw: Mapping, allowed: set[str], what: str) -> None:
        extra = sorted(set(raw) - allowed)
        if extra:
            self.fail(
                f"unknown key(s) {', '.join(map(repr, extra))} in {what}",
                f"allowed keys: {', '.join(sorted(allowed))}",
            )

    def index_name(self, table: str, columns: tuple[str, ...], explicit: Any = None) -> str:
        if explicit is not None:
            name = self.ident(explicit, "index name")
        else:
            name = self.derived_index_name(table, columns)
        if name in self.index_names:
            self.fail(
                f"an index named '{name}' already exists",
                "give this index another `name`, or drop the duplicate",
            )
        self.index_names.add(name)
        return name

    @staticmethod
    def derived_index_name(table: str, columns: tuple[str, ...]) -> str:
        """``idx_<table>_<columns>``, cut with a digest to PostgreSQL's identifier limit."""
        name = f"idx_{table}_{'_'.join(columns)}"
        if len(name) > names.MAX_IDENTIFIER_BYTES:
            digest = hashlib.sha1(name.encode()).hexdigest()[:8]
            name = f"{name[: names.MAX_IDENTIFIER_BYTES - 9]}_{digest}"
        return name

    def model_name(self, table: str, explicit: Any = None) -> str:
        model = explicit if explicit is not None else names.pascal(names.singular(table))
        if not isinstance(model, str) or not re.fullmatch(r"[A-Z][A-Za-z0-9]*", model):
            self.fail(f"model name {model!r} must be PascalCase (letters and digits)")
        if model in self.model_names or model in RESERVED_MODELS:
            other = self.model_names.get(model, "a generated helper")
            self.fail(
                f"model class '{model}' for table '{table}' clashes with {other}",
                "set `model:` on the table to a different class name",
            )
        self.model_names[model] = f"table '{table}'"
        return model

    def column_type(self, raw: Mapping, current: Migration) -> ColumnType:
        spelled = raw.get("type")
        if not isinstance(spelled, str):
            self.fail(
                "every column needs a `type`",
                f"one of {', '.join(TYPES)}"
                " (except enum), a declared enum, or an array like text[]",
            )
        m = TYPE_RE.match(spelled.lower())
        if not m:
            self.fail(f"unknown column type {spelled!r}")
        base, p1, p2, arr = m.group(1).strip(), m.group(2), m.group(3), bool(m.group(4))
        base = ALIASES.get(base, base)
        params: dict[str, Any] = {}
        enum = None
        if base in TYPES and base != "enum":
            spec = TYPES[base]
            if p1 is not None:
                if not spec.params:
                    self.fail(f"type {base} takes no parameters")
                params[spec.params[0]] = int(p1)
                if p2 is not None:
                    if len(spec.params) < 2:
                        self.fail(f"type {base} takes one parameter")
                    params[spec.params[1]] = int(p2)
            for key in spec.params:
                if key in raw:
                    value = raw[key]
                    if isinstance(value, bool) or not isinstance(value, int):
                        self.fail(f"`{key}` must be a whole number, got {value!r}")
                    params[key] = value
            for key in spec.required_params:
                if key not in params:
                    self.fail(
                        f"type {base} needs `{key}`",
                        f"for example {{type: {base}, {key}: "
                        f"{ {'length': 255, 'precision': 10, 'dimensions': 1536}[key] }}}",
                    )
            if arr and not spec.array_ok:
                self.fail(f"arrays of {base} are not supported")
        else:
            if base not in self.project.enums:
                self._not_yet("enum", base, current)
                self.fail(
                    f"unknown column type {spelled!r}",
                    f"use one of {', '.join(k for k in TYPES if k != 'enum')}, "
                    f"or declare the enum first with an `enum:` action"
                    + (
                        f" (enums so far: {', '.join(self.project.enums)})"
                        if self.project.enums
                        else ""
                    ),
                )
            enum = self.project.enums[base]
            base = "enum"
            if p1 is not None:
                self.fail(f"enum type {m.group(1)} takes no parameters")
        if base == "varchar" and not 1 <= params["length"] <= 10_485_760:
            self.fail(f"varchar length {params['length']} must be between 1 and 10485760")
        if base == "numeric":
            prec, scale = params["precision"], params.get("scale", 0)  # precision: required
            if not 1 <= prec <= 1000:
                self.fail(f"numeric precision {prec} must be between 1 and 1000")
            if not 0 <= scale <= prec:
                self.fail(f"numeric scale {scale} must be between 0 and the precision ({prec})")
            params["scale"] = scale
        if base == "vector" and not 1 <= params["dimensions"] <= 16000:
            self.fail(f"vector dimensions {params['dimensions']} must be between 1 and 16000")
        return ColumnType(base=base, array=arr, enum=enum, **params)

    def column(self, raw: Any, table: str, current: Migration, *, adding: bool) -> Column:
        if not isinstance(raw, Mapping):
            self.fail(f"a column must be a mapping like {{name: title, type: text}}, got {raw!r}")
        allowed = {
            "name",
            "type",
            "required",
            "unique",
            "default",
            "length",
            "precision",
            "scale",
            "dimensions",
            "references",
            "on_delete",
            "column",
            "table",
        }
        self.check_options(raw, allowed, "column")
        name = self.ident(raw.get("name", raw.get("column")), "column name")
        ctype = self.column_type(raw, current)
        required = raw.get("required", False)
        unique = raw.get("unique", False)
        for key, val in (("required", required), ("unique", unique)):
            if not isinstance(val, bool):
                self.fail(f"column '{name}': `{key}` must be true or false")
        default = None
        if "default" in raw and raw["default"] is not None:
            try:
                default = ctype.default_for(raw["default"])
            except ValueError as err:
                self.fail(f"column '{name}': {err}")
        if unique and ctype.base in ("jsonb", "vector"):
            self.fail(f"column '{name}': {ctype.base} columns cannot be unique")
        ref = None
        if raw.get("references") is not None:
            target = raw["references"]
            if target != "auth.users":
                tgt = self.table(target, current, "referenced table")
                if tgt.primary_key != ("id",):
                    self.fail(f"table '{target}' has no single `id` primary key to reference")
            if ctype.base != "uuid" or ctype.array:
                self.fail(f"column '{name}' references {target} and must be of type uuid")
            ref = ForeignKey(name, target, self.on_delete(raw.get("on_delete"), required))
        elif "on_delete" in raw:
            self.fail(f"column '{name}': `on_delete` needs `references`")
        if adding and required and default is None:
            self.fail(
                f"column '{name}' is required but has no default, so adding it to "
                f"'{table}' fails once the table has rows",
                "give it a `default`, or add it without `required`",
            )
        column = Column(
            name=name,
            type=ctype,
            nullable=not required,
            default=default,
            unique=unique,
            references=ref,
        )
        self.check_enum_default(column, current)
        return column

    def check_enum_default(self, col: Column, current: Migration) -> None:
        """Refuse a default that uses an enum value this entry adds: PostgreSQL cannot
        use a value before the transaction that adds it commits."""
        enum, default = col.type.enum, col.default
        if enum is None or default is None or default.expression:
            return
        used = default.value if isinstance(default.value, list) else [default.value]
        added = {
            op.value
            for op in current.operations
            if isinstance(op, AddEnumValue) and op.enum == enum.name
        }
        new = [v for v in used if v in added]
        if new:
            self.fail(
                f"the default of '{col.name}' uses {new[0]!r}, which this entry adds to enum "
                f"'{enum.name}': PostgreSQL cannot use a new enum value in the transaction "
                "that adds it",
                "add the value in an earlier entry, or set the default in a later one",
            )

    def on_delete(self, raw: Any, required: bool) -> str:
        value = "no action" if raw is None else str(raw).lower().replace("_", " ")
        if value not in ON_DELETE:
            self.fail(f"on_delete {raw!r} is not one of {', '.join(ON_DELETE)}")
        if value == "set null" and required:
            self.fail(
                "on_delete 'set null' cannot be used on a required column",
                "make the relation optional, or use cascade/restrict",
            )
        return value

    def add_column(self, table: Table, column: Column) -> None:
        if table.column(column.name) is not None:
            self.fail(f"table '{table.name}' already has a column '{column.name}'")
        taken = {c.py for c in table.columns} | {r.name for r in table.relations}
        if column.py in taken:
            self.fail(f"column '{column.name}' clashes with '{column.py}' on model '{table.model}'")
        table.columns.append(column)

    def live(self, table: Table, m: Migration) -> bool:
        """True when ``m`` changes ``table`` as a table that may hold rows: it was made
        by an earlier entry, and ``m`` is written in a format with live-safe SQL."""
        return (
            table.created_in != m.stem and upgrade.format_of(m.position, self.project.formats) >= 3
        )

    def column_ops(self, table: Table, col: Column, index: Index | None, m: Migration) -> list:
        """The steps that add ``col`` (with its keys and index) to ``table``.

        On a table that may hold rows, a key never blocks writes while it checks
        them: the foreign key is added ``not valid`` and validated in a later file,
        indexes are built concurrently in files of their own, and the unique key
        is added using its index."""
        if not self.live(table, m):
            return [AddColumn(table.name, col, index)]
        bare = dataclasses.replace(col, unique=False, references=None)
        ops: list = [AddColumn(table.name, bare, live=True)]
        if col.references is not None:
            ops.append(AddForeignKey(table.name, col.references))
        if index is not None:
            ops.append(CreateIndex(index, concurrently=True))
        if col.unique:
            key = table.key_name(col.name)
            ops.append(CreateIndex(Index(key, table.name, (col.name,), True), concurrently=True))
            ops.append(AddUniqueKey(table.name, col.name, key))
        if col.references is not None:
            ops.append(ValidateForeignKey(table.name, col.references.name_in(table.name)))
        return ops

    def fk_index(self, table: Table, column: str) -> Index:
        """The index a foreign key needs: its columns, in the constraint's order."""
        col = table.column(column)
        fk = col.references if col is not None else None
        columns = fk.columns if fk is not None else (column,)
        return Index(self.index_name(table.name, columns), table.name, columns)

    def scoped(self, table: Table, col: Column) -> Column:
        """Keep a tenant table's reference to another tenant table inside one organization.

        The foreign key becomes ``(column, org_id) -> target (id, org_id)``, so
        neither an insert nor an update can point a row at another
        organization's row, whatever the caller can see.
        """
        fk = col.references
        if fk is None or fk.target == "auth.users" or not self.project.multi_tenant:
            return col
        target = table if fk.target == table.name else self.project.tables[fk.target]
        if target.tenant and not table.tenant and table.junction_of is None:
            self.fail(
                f"'{table.name}.{col.name}' references tenant table '{target.name}', "
                f"but '{table.name}' is not a tenant table, so the database cannot keep "
                "the reference inside one organization",
                f"make '{table.name}' a tenant table (tenant: true), or reference a "
                "table that is not a tenant table",
            )
        if table.tenant and target.tenant:
            col.references = dataclasses.replace(fk, org_scoped=True, created_in=self.stem)
        return col

    def ensure_vector(self, m: Migration, columns: list[Column]) -> None:
        if not self.vector_ready and any(c.type.base == "vector" for c in columns):
            m.operations.append(CreateExtension("vector"))
            self.vector_ready = True

    def add_ref_relation(self, table: Table, col: Column) -> None:
        """A column with ``references`` also gets an ORM many-to-one attribute."""
        fk = col.references
        if fk is None or fk.target == "auth.users":
            return
        attr = col.name[:-3] if col.name.endswith("_id") else f"{col.name}_ref"
        table.relations.append(RelationEnd(attr, "one", fk.target, None, col.name))

    def make_index(self, raw: Any, table: Table) -> Index:
        if not isinstance(raw, Mapping):
            self.fail(f"an index must be a mapping like {{columns: [name]}}, got {raw!r}")
        self.check_options(raw, {"columns", "unique", "method", "name", "ops", "table"}, "index")
        cols = raw.get("columns")
        if isinstance(cols, str):
            cols = [cols]
        if not isinstance(cols, list) or not cols:
            self.fail(f"index on '{table.name}' needs `columns`")
        for c in cols:
            if not isinstance(c, str) or table.column(c) is None:
                self.fail(
                    f"index column {c!r} is not a column of '{table.name}'",
                    f"columns: {', '.join(col.name for col in table.columns)}",
                )
        if len(set(cols)) != len(cols):
            self.fail(f"index on '{table.name}' lists a column twice")
        unique = raw.get("unique", False)
        if not isinstance(unique, bool):
            self.fail("`unique` must be true or false")
        method = str(raw.get("method", "btree")).lower()
        vector_cols = [
            c.name for c in map(table.column, cols) if c is not None and c.type.base == "vector"
        ]
        opclass = None
        if method in ("hnsw", "ivfflat"):
            if len(cols) != 1 or not vector_cols:
                self.fail(f"{method} indexes take exactly one vector column")
            ops = str(raw.get("ops", "cosine"))
            if ops not in VECTOR_OPS:
                self.fail(f"vector index ops {ops!r} must be one of {', '.join(VECTOR_OPS)}")
            opclass = VECTOR_OPS[ops]
            if unique:
                self.fail("vector indexes cannot be unique")
        elif method in ("btree", "gin"):
            if vector_cols:
                self.fail(f"vector column '{vector_cols[0]}' needs `method: hnsw` or `ivfflat`")
            if method == "gin" and unique:
                self.fail("gin indexes cannot be unique")
        else:
            self.fail(f"index method {method!r} must be btree, gin, hnsw or ivfflat")
        key = (tuple(cols), unique, method)
        for other in table.indexes:
            if (other.columns, other.unique, other.method) == key:
                self.fail(
                    f"'{table.name}' already has an index on ({', '.join(cols)}): '{other.name}'",
                    "remove the duplicate index",
                )
        name = self.index_name(table.name, tuple(cols), raw.get("name"))
        return Index(
            name, table.name, tuple(cols), unique, method, opclass, raw.get("name") is not None
        )

    def check_relation_names(self, table: Table) -> None:
        seen = {c.py for c in table.columns}
        for r in table.relations:
            if r.name in seen or names.python_name(r.name) != r.name:
                self.fail(
                    f"relation attribute '{r.name}' on model '{table.model}' clashes with "
                    "a column or another relation",
                    "set `name:`/`inverse:` on the relation to choose another attribute",
                )
            seen.add(r.name)

    def check_ts_exports(self) -> None:
        """Exported names of schema.ts (tables, enums, relations, row types) must not clash."""
        seen: dict[str, str] = {"authUsers": "Supabase's auth.users", "bytea": "the bytea type"}
        for what, name in (
            *((f"enum '{e.name}'", e.ts) for e in self.project.enums.values()),
            *((f"table '{t.name}'", t.ts) for t in self.project.tables.values()),
            *(
                (f"relations of table '{t.name}'", f"{t.ts}Relations")
                for t in self.project.tables.values()
            ),
            *(
                (f"insert type of table '{t.name}'", f"New{t.model}")
                for t in self.project.tables.values()
            ),
        ):
            if name in seen:
                creator = self.creators.get(what.split("'")[1])
                self.where = creator.label if creator else ""
                self.fail(
                    f"{what} would be exported from schema.ts as '{name}', which is "
                    f"already {seen[name]}",
                    "rename the table or enum",
                )
            seen[name] = what

    def scan_creators(self) -> None:
        """Which entry makes each table and enum name exist, and which entries'
        modification actions name each table or enum (see ``touch``)."""
        from .actions import MODIFYING_KINDS, kind_of

        for m in self.entries:
            if m.synced or m.upgrade:
                continue
            for action in self.raw[m.position].get("actions") or []:
                if not isinstance(action, Mapping):
                    continue
                kind = kind_of(action)
                if kind == "enum" and isinstance(action.get("enum"), str):
                    self.creators.setdefault(action["enum"], m)
                elif kind == "table" and isinstance(action.get("table"), str):
                    self.creators.setdefault(action["table"], m)
                elif kind == "rename_table" and isinstance(action.get("to"), str):
                    self.creators.setdefault(action["to"], m)
                if kind in MODIFYING_KINDS:
                    named = [action.get(k) for k in ("table", "enum", "to")]
                    if kind in ("rename_table", "drop_table"):
                        named.append(action[kind])
                    if kind == "drop_relation" and isinstance(action[kind], str):
                        named.append(action[kind].split(".")[0])
                    for name in named:
                        if isinstance(name, str) and m not in self.changes.get(name, []):
                            self.changes.setdefault(name, []).append(m)

    def core_tables(self) -> None:
        uid = ColumnType("uuid")
        now = literals.Default("now()", expression=True)
        org = Table(
            "organizations",
            "",
            core=True,
            timestamps=True,
            model="Organization",
            created_in="00001_core_functions",
        )
        org.columns = [
            Column(
                "id",
                uid,
                False,
                literals.Default("gen_random_uuid()", True),
                primary_key=True,
                managed=True,
            ),
            Column("name", ColumnType("text"), False),
            Column("created_at", ColumnType("timestamptz"), False, now, managed=True),
            Column("updated_at", ColumnType("timestamptz"), False, now, managed=True),
        ]
        members = Table(
            "organization_members",
            "",
            core=True,
            model="OrganizationMember",
            primary_key=("org_id", "user_id"),
            created_in="00001_core_functions",
        )
        members.columns = [
            Column(
                "org_id", uid, False, references=ForeignKey("org_id", "organizations", "cascade")
            ),
            Column(
                "user_id", uid, False, references=ForeignKey("user_id", "auth.users", "cascade")
            ),
            Column("role", ColumnType("text"), False, literals.Default("'member'", value="member")),
            Column("created_at", ColumnType("timestamptz"), False, now, managed=True),
        ]
        members.checks = [
            ("organization_members_role_check", "role = any (array['owner', 'admin', 'member'])")
        ]
        members.indexes = [
            Index("idx_organization_members_user_id", "organization_members", ("user_id",))
        ]
        members.relations = [
            RelationEnd("organization", "one", "organizations", "members", "org_id")
        ]
        org.relations = [
            RelationEnd("members", "many", "organization_members", "organization", "org_id")
        ]
        for t in (org, members):
            t.policies = rls.core_policies(t)
            self.project.tables[t.name] = t
            self.model_names[t.model] = "the tenancy tables"
        self.index_names.add("idx_organization_members_user_id")
