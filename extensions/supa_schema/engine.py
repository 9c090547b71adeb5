"""Fold the answers' changelog into schema state and a numbered migration plan.

``build(answers)`` is the engine's entry point: it validates every entry
(raising ``SchemaError`` that names the entry) and returns a ``Project`` that
templates and the CLI read. It never touches the file system.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import literals, names, rls
from .errors import SchemaError
from .model import Column, ColumnType, Enum, ForeignKey, Index, RelationEnd, Table
from .plan import AddColumn, CreateEnum, CreateExtension, CreateIndex, CreateTable, Migration
from .types import ALIASES, TYPES


@dataclass(frozen=True)
class WorkspaceKind:
    language: str
    prefix: str  # used in Supabase migration file names
    range_start: int
    orms: tuple[str, ...]
    schema_path: str  # the seed's schemaPath for its ORM
    default_path: str


WORKSPACE_KINDS = {
    "typescript": WorkspaceKind("typescript", "node", 100, ("drizzle",), "src/db/schema.ts",
                                "apps/typescript"),
    "python": WorkspaceKind("python", "python", 200, ("sqlalchemy",), "src/db/models",
                            "apps/python"),
    "rust": WorkspaceKind("rust", "rust", 300, ("sqlx",), "src/db/models", "apps/rust"),
}
RANGE_SIZE = 99  # entries X01..X99 of each hundred
ON_DELETE = ("cascade", "restrict", "set null", "set default", "no action")
RELATION_KINDS = ("one-to-many", "many-to-one", "many-to-many")
VECTOR_OPS = {"cosine": "vector_cosine_ops", "l2": "vector_l2_ops", "ip": "vector_ip_ops"}
CORE_TABLES = ("organizations", "organization_members")
# Tenancy tables, migration tools' tables, and names of generated modules that
# sit beside the per-table modules (Python's base.py/enums.py, Rust's mod.rs).
RESERVED_TABLES = CORE_TABLES + ("alembic_version", "_sqlx_migrations", "users", "base", "enums",
                                 "mod", "schema", "relations", "types")
ORM_REDIRECT = ("This command requires an ORM. Use `/kodo supa-migrate` for standard "
                "Supabase-only migrations.")


@dataclass
class Workspace:
    name: str  # typescript | python | rust (the key in .kodo/config.json)
    kind: WorkspaceKind
    orm: str | None
    path: str

    @property
    def language(self) -> str:
        return self.kind.language

    @property
    def range(self) -> tuple[str, str]:
        return f"{self.kind.range_start:05d}", f"{self.kind.range_start + 99:05d}"


@dataclass
class Project:
    """Everything the templates need, derived from the answers."""

    name: str
    slug: str
    multi_tenant: bool
    workspaces: dict[str, Workspace]
    enums: dict[str, Enum] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    migrations: list[Migration] = field(default_factory=list)  # file-name order

    def workspace(self, name: str) -> Workspace | None:
        return self.workspaces.get(name)

    def has(self, language: str) -> bool:
        """True when the workspace exists and has its ORM."""
        ws = self.workspaces.get(language)
        return ws is not None and ws.orm is not None

    def require_orm(self, workspace: str) -> Workspace:
        """The workspace, or the seed's redirect message when it has no ORM."""
        ws = self.workspaces.get(workspace)
        if ws is None:
            raise SchemaError(f"workspace '{workspace}'", "is not one of this repo's "
                              f"workspaces ({', '.join(self.workspaces) or 'none'})")
        if ws.orm is None:
            raise SchemaError(f"workspace '{workspace}'", ORM_REDIRECT)
        return ws

    @property
    def all_tables(self) -> list[Table]:
        """Every public table, the tenancy tables first, in creation order."""
        return list(self.tables.values())

    @property
    def tenant_tables(self) -> list[Table]:
        """Tables whose rows belong to an organization (they get pgTAP RLS tests)."""
        return [t for t in self.tables.values() if t.tenant and t.junction_of is None]

    @property
    def tenant_junctions(self) -> list[Table]:
        """Many-to-many link tables between two tenant tables (org_id on every link)."""
        return [t for t in self.tables.values() if t.tenant and t.junction_of is not None]

    def fixture(self, table: Table, tag: str, org: str | None = None, user: str | None = None,
                parents: str | None = None):
        """Rows (parents first) giving ``table`` one row in test organization ``org``.

        ``org``/``user`` name test sides ("a", "b"); with ``parents`` only the
        table's own row is returned, pointing at that side's parent rows.
        """
        from .samples import fixed_uuid, fixture_rows

        return fixture_rows(table, self.tables, org=fixed_uuid("org", org or tag),
                            user=fixed_uuid("user", user or tag), tag=tag, parents=parents)

    @staticmethod
    def fixed_uuid(*parts: str) -> str:
        from .samples import fixed_uuid

        return fixed_uuid(*parts)

    @staticmethod
    def sample(table: Table, tag: str) -> tuple[str, str] | None:
        """(column, SQL literal) of a data column a test can set on ``table``, if any."""
        from .samples import editable_column, sample_sql

        column = editable_column(table)
        return (column.name, sample_sql(column, tag)) if column else None

    @property
    def has_vector(self) -> bool:
        return any("vector" in t.type_bases for t in self.tables.values())

    def _dir(self, language: str) -> str:
        return self.workspaces[language].path if self.has(language) else ""

    @property
    def typescript_dir(self) -> str:
        """The workspace directory when it has its ORM, else '' (Copier skips empty names)."""
        return self._dir("typescript")

    @property
    def python_dir(self) -> str:
        return self._dir("python")

    @property
    def rust_dir(self) -> str:
        return self._dir("rust")

    def migrations_of(self, workspace: str) -> list[Migration]:
        return [m for m in self.migrations if m.workspace == workspace]

    def generated_of(self, workspace: str) -> list[Migration]:
        """The workspace's entries whose ORM-native file supa-schema renders.

        Synced entries are skipped: their ORM migration was written by the user
        (drizzle-kit, alembic, sqlx-cli) and already exists.
        """
        return [m for m in self.migrations_of(workspace) if m.generated]

    @property
    def kodo_config(self) -> dict[str, Any]:
        """``.kodo/config.json`` in the seed's format, plus each workspace's ``path``."""
        out: dict[str, Any] = {}
        for ws in self.workspaces.values():
            start, end = ws.range
            out[ws.name] = {
                "language": ws.language,
                "path": ws.path,
                "database": {
                    "orm": ({"name": ws.orm, "schemaPath": ws.kind.schema_path}
                            if ws.orm else None),
                    "migrationStrategy": {
                        "type": "hybrid",
                        "prefix": ws.kind.prefix,
                        "serviceRange": {"start": start, "end": end},
                    },
                },
            }
        return {"project": {"name": self.name, "multiTenant": self.multi_tenant},
                "stack": {"workspaces": out},
                "supabase": {"migrationsPath": "supabase/migrations"}}

    @property
    def kodo_config_json(self) -> str:
        return json.dumps(self.kodo_config, indent=2) + "\n"


# --------------------------------------------------------------------------- answers


def _project_settings(answers: Mapping[str, Any]) -> Project:
    name = answers.get("project_name") or "app"
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "\r\n"):
        raise SchemaError("project_name", "must be a one-line, non-empty name")
    languages = answers.get("languages") or []
    if isinstance(languages, str):
        languages = [languages]
    if not isinstance(languages, list):
        raise SchemaError("languages", "must be a list of typescript, python, rust")
    workspaces: dict[str, Workspace] = {}
    paths: dict[str, str] = {}
    for lang in languages:
        kind = WORKSPACE_KINDS.get(lang)
        if kind is None:
            raise SchemaError("languages", f"unknown language {lang!r}",
                              "choose from typescript, python, rust")
        orm = answers.get(f"{lang}_orm", kind.orms[0])
        if orm in (None, "none", "null", False, ""):
            orm = None
        elif orm not in kind.orms:
            raise SchemaError(f"{lang}_orm", f"unknown ORM {orm!r}",
                              f"choose {' or '.join(kind.orms)} or none")
        path = answers.get(f"{lang}_path") or kind.default_path
        if (not isinstance(path, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*",
                                                          path)
                or any(p in (".", "..") for p in path.split("/"))):
            raise SchemaError(f"{lang}_path", f"{path!r} is not a relative path inside the repo",
                              "use a path like apps/api (letters, digits, . _ - and /)")
        if path in paths.values() or path in ("supabase", ".kodo"):
            raise SchemaError(f"{lang}_path", f"{path!r} is already used")
        paths[lang] = path
        workspaces[lang] = Workspace(lang, kind, orm, path)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "app"
    multi = answers.get("multi_tenant", False)
    if not isinstance(multi, bool):
        raise SchemaError("multi_tenant", "must be true or false")
    return Project(name=name.strip(), slug=slug, multi_tenant=multi, workspaces=workspaces)


TYPE_RE = re.compile(r"^\s*([a-z][a-z0-9_ ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*(\[\])?\s*$")


class _Builder:
    """Folds entries, in file-name order, into the project's state."""

    def __init__(self, project: Project, entries: list[Migration], raw: list[dict]):
        self.p = project
        self.entries = entries
        self.raw = raw
        self.creators: dict[str, Migration] = {}  # table/enum name -> entry creating it
        self.model_names: dict[str, str] = {}
        self.index_names: set[str] = set()
        self.vector_ready = False
        self.where = ""

    # ---- helpers
    def fail(self, problem: str, hint: str = "") -> None:
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
                f"after {creator.version}), or create '{name}' in an earlier migration")

    def table(self, name: Any, current: Migration, what: str = "table") -> Table:
        if not isinstance(name, str) or name not in self.p.tables:
            if isinstance(name, str):
                self._not_yet("table", name, current)
            known = ", ".join(t for t in self.p.tables if not self.p.tables[t].core) or "none yet"
            self.fail(f"unknown {what} {name!r}",
                      f"tables that exist at this point: {known}")
        return self.p.tables[name]

    def check_options(self, raw: Mapping, allowed: set[str], what: str) -> None:
        extra = sorted(set(raw) - allowed)
        if extra:
            self.fail(f"unknown key(s) {', '.join(map(repr, extra))} in {what}",
                      f"allowed keys: {', '.join(sorted(allowed))}")

    def index_name(self, table: str, columns: tuple[str, ...], explicit: Any = None) -> str:
        if explicit is not None:
            name = self.ident(explicit, "index name")
        else:
            name = f"idx_{table}_{'_'.join(columns)}"
            if len(name) > names.MAX_IDENTIFIER_BYTES:
                digest = hashlib.sha1(name.encode()).hexdigest()[:8]
                name = f"{name[:names.MAX_IDENTIFIER_BYTES - 9]}_{digest}"
        if name in self.index_names:
            self.fail(f"an index named '{name}' already exists",
                      "give this index another `name`, or drop the duplicate")
        self.index_names.add(name)
        return name

    def model_name(self, table: str, explicit: Any = None) -> str:
        model = explicit if explicit is not None else names.pascal(names.singular(table))
        if not isinstance(model, str) or not re.fullmatch(r"[A-Z][A-Za-z0-9]*", model):
            self.fail(f"model name {model!r} must be PascalCase (letters and digits)")
        if model in self.model_names or model in ("Base", "TimestampMixin", "Database", "Json"):
            other = self.model_names.get(model, "a generated helper")
            self.fail(f"model class '{model}' for table '{table}' clashes with {other}",
                      "set `model:` on the table to a different class name")
        self.model_names[model] = f"table '{table}'"
        return model

    # ---- columns and types
    def column_type(self, raw: Mapping, current: Migration) -> ColumnType:
        spelled = raw.get("type")
        if not isinstance(spelled, str):
            self.fail("every column needs a `type`", f"one of {', '.join(TYPES)}"
                      " (except enum), a declared enum, or an array like text[]")
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
                    self.fail(f"type {base} needs `{key}`",
                              f"for example {{type: {base}, {key}: "
                              f"{ {'length': 255, 'precision': 10, 'dimensions': 1536}[key]}}}")
            if arr and not spec.array_ok:
                self.fail(f"arrays of {base} are not supported")
        else:
            if base not in self.p.enums:
                self._not_yet("enum", base, current)
                self.fail(f"unknown column type {spelled!r}",
                          f"use one of {', '.join(k for k in TYPES if k != 'enum')}, "
                          f"or declare the enum first with an `enum:` action"
                          + (f" (enums so far: {', '.join(self.p.enums)})" if self.p.enums
                             else ""))
            enum = self.p.enums[base]
            base = "enum"
            if p1 is not None:
                self.fail(f"enum type {m.group(1)} takes no parameters")
        if base == "varchar" and not 1 <= params["length"] <= 10_485_760:
            self.fail(f"varchar length {params['length']} must be between 1 and 10485760")
        if base == "numeric":
            prec, scale = params.get("precision"), params.get("scale", 0)
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
        allowed = {"name", "type", "required", "unique", "default", "length", "precision",
                   "scale", "dimensions", "references", "on_delete", "column", "table"}
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
            spec = TYPES[ctype.base]
            try:
                default = literals.parse_default(
                    raw["default"], ctype.base, spec.literal, array=ctype.array,
                    sql_type=ctype.sql, enum_values=ctype.enum.values if ctype.enum else None,
                    precision=ctype.precision, scale=ctype.scale, length=ctype.length)
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
            self.fail(f"column '{name}' is required but has no default, so adding it to "
                      f"'{table}' fails once the table has rows",
                      "give it a `default`, or add it without `required`")
        return Column(name=name, type=ctype, nullable=not required, default=default,
                      unique=unique, references=ref)

    def on_delete(self, raw: Any, required: bool) -> str:
        value = "no action" if raw is None else str(raw).lower().replace("_", " ")
        if value not in ON_DELETE:
            self.fail(f"on_delete {raw!r} is not one of {', '.join(ON_DELETE)}")
        if value == "set null" and required:
            self.fail("on_delete 'set null' cannot be used on a required column",
                      "make the relation optional, or use cascade/restrict")
        return value

    def add_column(self, table: Table, column: Column) -> None:
        if table.column(column.name) is not None:
            self.fail(f"table '{table.name}' already has a column '{column.name}'")
        taken = {c.py for c in table.columns} | {r.name for r in table.relations}
        if column.py in taken:
            self.fail(f"column '{column.name}' clashes with '{column.py}' on model "
                      f"'{table.model}'")
        table.columns.append(column)

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
        if fk is None or fk.target == "auth.users" or not self.p.multi_tenant:
            return col
        target = table if fk.target == table.name else self.p.tables[fk.target]
        if target.tenant and not table.tenant and table.junction_of is None:
            self.fail(f"'{table.name}.{col.name}' references tenant table '{target.name}', "
                      f"but '{table.name}' is not a tenant table, so the database cannot keep "
                      "the reference inside one organization",
                      f"make '{table.name}' a tenant table (tenant: true), or reference a "
                      "table that is not a tenant table")
        if table.tenant and target.tenant:
            col.references = dataclasses.replace(fk, org_scoped=True)
        return col

    def ensure_vector(self, m: Migration, columns: list[Column]) -> None:
        if not self.vector_ready and any(c.type.base == "vector" for c in columns):
            m.operations.append(CreateExtension("vector"))
            self.vector_ready = True

    # ---- actions
    def run(self) -> None:
        self.scan_creators()
        if self.p.multi_tenant:
            self.core_tables()
        for m in self.entries:
            if m.synced:
                continue  # verbatim SQL: the schema model does not see it
            actions = self.raw[m.position].get("actions")
            for i, action in enumerate(actions):
                self.where = f"{m.label}, action {i + 1}"
                if not isinstance(action, Mapping):
                    self.fail("an action must be a mapping (enum:, table:, column:, index: "
                              "or relation:)")
                kinds = [k for k in ("enum", "column", "index", "relation") if k in action]
                if not kinds and "table" in action:
                    kinds = ["table"]
                if len(kinds) != 1:
                    self.fail("an action needs exactly one of enum:, table:, column:, index:, "
                              f"relation: (got keys {', '.join(map(str, action))})")
                kind = kinds[0]
                self.where = f"{m.label}, action {i + 1} ({kind} {action[kind]!r})" \
                    if not isinstance(action[kind], Mapping) else self.where
                getattr(self, f"do_{kind}")(action, m)
        for t in self.p.tables.values():
            self.check_relation_names(t)
        self.check_ts_exports()

    def check_ts_exports(self) -> None:
        """Exported names of schema.ts (tables, enums, relations, row types) must not clash."""
        seen: dict[str, str] = {"authUsers": "Supabase's auth.users", "bytea": "the bytea type"}
        for what, name in (
            *((f"enum '{e.name}'", e.ts) for e in self.p.enums.values()),
            *((f"table '{t.name}'", t.ts) for t in self.p.tables.values()),
            *((f"relations of table '{t.name}'", f"{t.ts}Relations")
              for t in self.p.tables.values()),
            *((f"insert type of table '{t.name}'", f"New{t.model}")
              for t in self.p.tables.values()),
        ):
            if name in seen:
                creator = self.creators.get(what.split("'")[1])
                self.where = creator.label if creator else ""
                self.fail(f"{what} would be exported from schema.ts as '{name}', which is "
                          f"already {seen[name]}", "rename the table or enum")
            seen[name] = what

    def scan_creators(self) -> None:
        for m in self.entries:
            for action in self.raw[m.position].get("actions") or []:
                if not isinstance(action, Mapping):
                    continue
                if isinstance(action.get("enum"), str):
                    self.creators.setdefault(action["enum"], m)
                elif isinstance(action.get("table"), str) and not any(
                        k in action for k in ("column", "index", "relation")):
                    self.creators.setdefault(action["table"], m)

    def core_tables(self) -> None:
        uid = ColumnType("uuid")
        now = literals.Default("now()", expression=True)
        org = Table("organizations", "", core=True, timestamps=True, model="Organization",
                    created_in="00001_core_functions")
        org.columns = [
            Column("id", uid, False, literals.Default("gen_random_uuid()", True), primary_key=True,
                   managed=True),
            Column("name", ColumnType("text"), False),
            Column("created_at", ColumnType("timestamptz"), False, now, managed=True),
            Column("updated_at", ColumnType("timestamptz"), False, now, managed=True),
        ]
        members = Table("organization_members", "", core=True, model="OrganizationMember",
                        primary_key=("org_id", "user_id"), created_in="00001_core_functions")
        members.columns = [
            Column("org_id", uid, False, references=ForeignKey("org_id", "organizations",
                                                               "cascade")),
            Column("user_id", uid, False, references=ForeignKey("user_id", "auth.users",
                                                                "cascade")),
            Column("role", ColumnType("text"), False, literals.Default("'member'", value="member")),
            Column("created_at", ColumnType("timestamptz"), False, now, managed=True),
        ]
        members.checks = [("organization_members_role_check",
                           "role = any (array['owner', 'admin', 'member'])")]
        members.indexes = [Index("idx_organization_members_user_id", "organization_members",
                                 ("user_id",))]
        members.relations = [RelationEnd("organization", "one", "organizations", "members",
                                         "org_id")]
        org.relations = [RelationEnd("members", "many", "organization_members", "organization",
                                     "org_id")]
        for t in (org, members):
            t.policies = rls.core_policies(t)
            self.p.tables[t.name] = t
            self.model_names[t.model] = "the tenancy tables"
        self.index_names.add("idx_organization_members_user_id")

    def do_enum(self, action: Mapping, m: Migration) -> None:
        self.check_options(action, {"enum", "values"}, "enum action")
        name = self.ident(action["enum"], "enum name")
        if name in self.p.enums or name in self.p.tables:
            self.fail(f"'{name}' already exists as {'an enum' if name in self.p.enums else 'a table'}"
                      " (tables and enums share PostgreSQL's type names)",
                      "choose another name")
        if name in TYPES or name in ALIASES:
            self.fail(f"enum name '{name}' is a built-in column type name")
        values = action.get("values")
        if not isinstance(values, list) or not values:
            self.fail(f"enum '{name}' needs a non-empty list of `values`")
        seen: set[str] = set()
        for v in values:
            if not isinstance(v, str) or not v or len(v.encode()) > 63 or "\x00" in v:
                self.fail(f"enum '{name}': value {v!r} must be text of 1 to 63 bytes")
            if v in seen:
                self.fail(f"enum '{name}': value {v!r} is listed twice")
            seen.add(v)
        enum = Enum(name, list(values), created_in=m.stem)
        self.model_name(name, names.pascal(name))
        self.p.enums[name] = enum
        m.operations.append(CreateEnum(enum))

    def do_table(self, action: Mapping, m: Migration) -> None:
        allowed = {"table", "columns", "tenant", "soft_delete", "timestamps", "indexes",
                   "owner", "public_read", "model", "primary_key"}
        self.check_options(action, allowed, "table action")
        name = self.ident(action["table"], "table name")
        self.where = f"{m.label}, table '{name}'"
        if name in self.p.tables:
            creator = self.p.tables[name].created_in or "an earlier migration"
            self.fail(f"table '{name}' already exists (created by {creator})",
                      "to change it add `column:`/`index:` actions; if it was created directly "
                      "in Supabase, mark that migration as applied with "
                      "`supabase migration repair` and describe the table here once")
        if name in RESERVED_TABLES:
            self.fail(f"'{name}' is reserved (tenancy, auth or migration-tool table)")
        if name in self.p.enums:
            self.fail(f"'{name}' is already an enum (tables and enums share PostgreSQL's type "
                      "names)")
        flags = {}
        for key in ("tenant", "soft_delete", "timestamps", "owner", "public_read"):
            val = action.get(key, False)
            if not isinstance(val, bool):
                self.fail(f"`{key}` must be true or false, got {val!r}")
            flags[key] = val
        if flags["tenant"] and not self.p.multi_tenant:
            self.fail("`tenant: true` needs a multi-tenant project",
                      "set multi_tenant: true in the answers (before any migration exists)")
        if flags["public_read"] and flags["tenant"]:
            self.fail("`public_read` cannot be combined with `tenant`")
        table = Table(name, m.workspace, primary_key=("id",), created_in=m.stem,
                      model=self.model_name(name, action.get("model")), **flags)
        columns_raw = action.get("columns") or []
        if not isinstance(columns_raw, list):
            self.fail("`columns` must be a list")
        pk = action.get("primary_key")
        fks: list[str] = []
        if flags["tenant"]:
            # First, so every organization-scoped key lists org_id first in table
            # order as well: (org_id, project_id) -> projects (org_id, id).
            table.columns.append(Column("org_id", ColumnType("uuid"), False, references=ForeignKey(
                "org_id", "organizations", "cascade")))
            fks.append("org_id")
        if pk is None:
            table.columns.append(Column("id", ColumnType("uuid"), False,
                                        literals.Default("gen_random_uuid()", True),
                                        primary_key=True, managed=True))
        if flags["owner"]:
            table.columns.append(Column(
                "user_id", ColumnType("uuid"), False, literals.Default("auth.uid()", True),
                references=ForeignKey("user_id", "auth.users", "cascade")))
            fks.append("user_id")
        managed = {"id": pk is None, "org_id": flags["tenant"], "user_id": flags["owner"],
                   "created_at": flags["timestamps"], "updated_at": flags["timestamps"],
                   "deleted_at": flags["soft_delete"]}
        for raw in columns_raw:
            col = self.column(raw, name, m, adding=False)
            self.scoped(table, col)
            if managed.get(col.name):
                self.fail(f"column '{col.name}' is added by the table's options "
                          "(id, tenant, owner, timestamps, soft_delete): remove it")
            self.add_column(table, col)
            if col.references:
                fks.append(col.name)
                self.add_ref_relation(table, col)
        if flags["timestamps"]:
            now = literals.Default("now()", expression=True)
            for ts in ("created_at", "updated_at"):
                self.add_column(table, Column(ts, ColumnType("timestamptz"), False, now,
                                              managed=True))
        if flags["soft_delete"]:
            self.add_column(table, Column("deleted_at", ColumnType("timestamptz"), True))
        if pk is not None:
            if not isinstance(pk, list) or not pk:
                self.fail("`primary_key` must be a list of column names")
            for c in pk:
                col = table.column(c)
                if col is None:
                    self.fail(f"primary key column '{c}' is not a column of '{name}'")
                col.nullable = False
                col.primary_key = True
            table.primary_key = tuple(pk)
        for col in fks:
            if table.primary_key[:1] != (col,):
                table.indexes.append(self.fk_index(table, col))
        for raw in action.get("indexes") or []:
            table.indexes.append(self.make_index(raw, table))
        if flags["tenant"]:
            table.relations.append(RelationEnd("organization", "one", "organizations", None,
                                               "org_id"))
        self.ensure_vector(m, table.columns)
        table.policies = rls.policies_for(table, self.p.tables)
        self.p.tables[name] = table
        m.operations.append(CreateTable(table.copy()))

    def add_ref_relation(self, table: Table, col: Column) -> None:
        """A column with ``references`` also gets an ORM many-to-one attribute."""
        fk = col.references
        if fk.target == "auth.users":
            return
        attr = col.name[:-3] if col.name.endswith("_id") else f"{col.name}_ref"
        table.relations.append(RelationEnd(attr, "one", fk.target, None, col.name))

    def make_index(self, raw: Any, table: Table) -> Index:
        if not isinstance(raw, Mapping):
            self.fail(f"an index must be a mapping like {{columns: [name]}}, got {raw!r}")
        self.check_options(raw, {"columns", "unique", "method", "name", "ops", "table"},
                           "index")
        cols = raw.get("columns")
        if isinstance(cols, str):
            cols = [cols]
        if not isinstance(cols, list) or not cols:
            self.fail(f"index on '{table.name}' needs `columns`")
        for c in cols:
            if not isinstance(c, str) or table.column(c) is None:
                self.fail(f"index column {c!r} is not a column of '{table.name}'",
                          f"columns: {', '.join(col.name for col in table.columns)}")
        if len(set(cols)) != len(cols):
            self.fail(f"index on '{table.name}' lists a column twice")
        unique = raw.get("unique", False)
        if not isinstance(unique, bool):
            self.fail("`unique` must be true or false")
        method = str(raw.get("method", "btree")).lower()
        vector_cols = [c for c in cols if table.column(c).type.base == "vector"]
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
                self.fail(f"'{table.name}' already has an index on ({', '.join(cols)}): "
                          f"'{other.name}'", "remove the duplicate index")
        name = self.index_name(table.name, tuple(cols), raw.get("name"))
        return Index(name, table.name, tuple(cols), unique, method, opclass)

    def do_column(self, action: Mapping, m: Migration) -> None:
        table = self.table(action.get("table"), m)
        name = action.get("column")
        self.where = f"{m.label}, column '{name}' on '{table.name}'"
        col = self.scoped(table, self.column(action, table.name, m, adding=True))
        self.add_column(table, col)
        index = None
        if col.references:
            index = self.fk_index(table, col.name)
            table.indexes.append(index)
            self.add_ref_relation(table, col)
            self.check_relation_names(table)
        self.ensure_vector(m, [col])
        m.operations.append(AddColumn(table.name, col, index))

    def do_index(self, action: Mapping, m: Migration) -> None:
        spec = action["index"]
        if isinstance(spec, Mapping):
            self.check_options(action, {"index"}, "index action")
            raw = dict(spec)
        else:
            raw = {k: v for k, v in action.items() if k != "index"}
            raw["name"] = spec
        table = self.table(raw.get("table"), m)
        self.where = f"{m.label}, index on '{table.name}'"
        index = self.make_index(raw, table)
        table.indexes.append(index)
        m.operations.append(CreateIndex(index))

    def do_relation(self, action: Mapping, m: Migration) -> None:
        allowed = {"relation", "from", "to", "on_delete", "required", "name", "inverse",
                   "column", "through"}
        self.check_options(action, allowed, "relation action")
        kind = action.get("relation")
        if kind not in RELATION_KINDS:
            self.fail(f"relation kind {kind!r} must be one of {', '.join(RELATION_KINDS)}")
        src = self.table(action.get("from"), m, "`from` table")
        dst = self.table(action.get("to"), m, "`to` table")
        self.where = f"{m.label}, relation {kind} {src.name} -> {dst.name}"
        name = action.get("name")
        if name is not None:
            self.ident(name, "relation name")
        if src.name == dst.name and name is None:
            self.fail("a relation from a table to itself needs a `name` (e.g. name: parent)")
        for t in (src, dst):
            if t.primary_key != ("id",):
                self.fail(f"table '{t.name}' has no single `id` primary key to relate to")
        required = action.get("required", False)
        if not isinstance(required, bool):
            self.fail("`required` must be true or false")
        inverse = action.get("inverse")
        if inverse is not None:
            self.ident(inverse, "inverse name")
        if kind == "many-to-many":
            self.many_to_many(src, dst, name, inverse, action, m)
            return
        # The "many" side holds the foreign key.
        many, one = (src, dst) if kind == "many-to-one" else (dst, src)
        attr = name or names.singular(one.name)
        col_name = self.ident(action.get("column") or f"{attr}_id", "foreign key column")
        back = inverse or (many.name if many.name != one.name else f"{many.name}_by_{attr}")
        on_delete = self.on_delete(action.get("on_delete"), required)
        if required:
            self.fail("a required relation adds a NOT NULL column to an existing table, which "
                      "fails once it has rows",
                      "declare the column in the table with `references:` instead, or leave "
                      "the relation optional")
        col = self.scoped(many, Column(col_name, ColumnType("uuid"), True,
                                       references=ForeignKey(col_name, one.name, on_delete)))
        self.add_column(many, col)
        index = self.fk_index(many, col_name)
        many.indexes.append(index)
        many.relations.append(RelationEnd(attr, "one", one.name, back, col_name))
        one.relations.append(RelationEnd(back, "many", many.name, attr, col_name))
        self.check_relation_names(many)
        self.check_relation_names(one)
        m.operations.append(AddColumn(many.name, col, index))

    def many_to_many(self, src: Table, dst: Table, name, inverse, action, m: Migration) -> None:
        if action.get("column") is not None or action.get("required"):
            self.fail("many-to-many relations take `through`, `name` and `inverse`, not "
                      "`column`/`required`")
        if action.get("on_delete") not in (None, "cascade"):
            self.fail("many-to-many link rows are always deleted with either side "
                      "(on_delete: cascade)")
        through = action.get("through") or (f"{src.name}_{dst.name}" if name is None
                                            else f"{src.name}_{name}")
        self.ident(through, "junction table name")
        if through in self.p.tables or through in self.p.enums or through in RESERVED_TABLES:
            self.fail(f"junction table '{through}' already exists", "set `through:` to a new name")
        left = f"{names.singular(src.name)}_id"
        right = f"{names.singular(name or dst.name)}_id"
        if left == right:
            self.fail("both sides of the link would be called "
                      f"'{left}'", "give the relation a `name`")
        attr = name or dst.name
        back = inverse or (src.name if src.name != dst.name else f"{src.name}_by_{name}")
        # Links between two tenant tables carry the organization too: both keys
        # then end in org_id, so a link never joins two organizations. The
        # database fills org_id from the left row (ORMs insert links without it).
        scoped = src.tenant and dst.tenant
        table = Table(through, m.workspace, primary_key=(left, right), created_in=m.stem,
                      junction_of=(src.name, dst.name), tenant=scoped,
                      model=self.model_name(through))
        uid = ColumnType("uuid")
        table.columns = [
            *([Column("org_id", uid, False, managed=True)] if scoped else []),
            Column(left, uid, False, primary_key=True,
                   references=ForeignKey(left, src.name, "cascade", org_scoped=scoped)),
            Column(right, uid, False, primary_key=True,
                   references=ForeignKey(right, dst.name, "cascade", org_scoped=scoped)),
            Column("created_at", ColumnType("timestamptz"), False,
                   literals.Default("now()", expression=True), managed=True),
        ]
        table.indexes = ([self.fk_index(table, left)] if scoped else []) + [
            self.fk_index(table, right)]
        src.relations.append(RelationEnd(attr, "many", dst.name, back, None, through, left, right))
        dst.relations.append(RelationEnd(back, "many", src.name, attr, None, through, right, left))
        self.check_relation_names(src)
        self.check_relation_names(dst)
        table.policies = rls.policies_for(table, self.p.tables)
        self.p.tables[through] = table
        m.operations.append(CreateTable(table.copy()))

    def check_relation_names(self, table: Table) -> None:
        seen = {c.py for c in table.columns}
        for r in table.relations:
            if r.name in seen or names.python_name(r.name) != r.name:
                self.fail(f"relation attribute '{r.name}' on model '{table.model}' clashes with "
                          "a column or another relation",
                          "set `name:`/`inverse:` on the relation to choose another attribute")
            seen.add(r.name)


def build(answers: Mapping[str, Any]) -> Project:
    """Validate the answers and fold their changelog into a ``Project``."""
    project = _project_settings(answers)
    raw = answers.get("migrations") or []
    if isinstance(raw, str):
        raise SchemaError("migrations", "must be a YAML list of entries, not a string")
    if not isinstance(raw, list):
        raise SchemaError("migrations", "must be a list of entries (name, workspace, actions)")
    counts: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    synced_paths: dict[str, int] = {}
    revisions: dict[str, int] = {}
    entries: list[Migration] = []
    for pos, entry in enumerate(raw):
        where = f"migrations[{pos}]"
        if not isinstance(entry, Mapping):
            raise SchemaError(where, "an entry must be a mapping with name, workspace, actions")
        synced = any(k in entry for k in SYNCED_KEYS)
        allowed = ({"name", "workspace", "description", "actions", *SYNCED_KEYS} if synced
                   else {"name", "workspace", "actions", "description"})
        extra = set(entry) - allowed
        if extra:
            raise SchemaError(where, f"unknown key(s) {', '.join(sorted(map(str, extra)))}",
                              "a synced entry has name, workspace, synced_from, sql (and "
                              "revision for python) but no actions" if synced else
                              "an entry has name, workspace, actions (and description)")
        name = entry.get("name")
        if not isinstance(name, str) or not names.IDENTIFIER.match(name) or len(name) > 63:
            raise SchemaError(where, f"migration name {name!r} must be snake_case "
                              "(a-z, 0-9, _; starting with a letter; at most 63 characters)")
        where = f"migrations[{pos}] '{name}'"
        if name in seen_names:
            raise SchemaError(where, f"the name is already used by migrations[{seen_names[name]}]",
                              "give every migration a unique name")
        seen_names[name] = pos
        ws = entry.get("workspace")
        if ws not in project.workspaces:
            raise SchemaError(where, f"unknown workspace {ws!r}",
                              f"this repo's workspaces are {', '.join(project.workspaces) or 'none'}"
                              " (the `languages` answer)")
        if synced:
            sync = _synced_fields(entry, pos, where, ws, synced_paths, revisions)
        else:
            sync = {}
            actions = entry.get("actions")
            if not isinstance(actions, list) or not actions:
                raise SchemaError(where, "needs a non-empty list of `actions`")
        k = counts.get(ws, 0) + 1
        counts[ws] = k
        kind = project.workspaces[ws].kind
        if k > RANGE_SIZE:
            raise SchemaError(where, f"the {ws} service range {kind.range_start:05d}-"
                              f"{kind.range_start + 99:05d} is full ({RANGE_SIZE} migrations)",
                              "own this entry by another workspace, or squash old migrations "
                              "into one")
        entries.append(Migration(pos, name, ws, kind.prefix, kind.range_start + k, **sync))
    entries.sort(key=lambda m: m.number)
    builder = _Builder(project, entries, raw)
    builder.run()
    project.migrations = entries
    # One Alembic chain: a generated revision follows the previous python entry,
    # generated (revision = its version) or synced (the revision alembic wrote).
    previous = None
    for m in entries:
        if m.workspace == "python":
            m.revision, m.down_revision = m.revision or m.version, previous
            previous = m.revision
    return project


SYNCED_KEYS = ("synced_from", "sql", "revision")
REVISION = re.compile(r"[A-Za-z0-9_]+")


def _synced_fields(entry: Mapping[str, Any], pos: int, where: str, ws: str,
                   paths: dict[str, int], revisions: dict[str, int]) -> dict[str, Any]:
    """Validate a synced entry (a hand-written ORM migration copied by `supa-schema sync`)."""
    if "actions" in entry:
        raise SchemaError(where, "a synced entry (synced_from, sql) cannot also have `actions`",
                          "put the actions in a new entry of their own")
    path = entry.get("synced_from")
    parts = path.split("/") if isinstance(path, str) else []
    if (not isinstance(path, str) or not path.strip() or path.startswith("/") or "\\" in path
            or any(p in ("", ".", "..") for p in parts) or any(c in path for c in "\r\n")):
        raise SchemaError(where, f"`synced_from` must be the ORM migration's path relative to "
                          f"the repo, like apps/typescript/drizzle/0003_add_products.sql; "
                          f"got {path!r}")
    if path in paths:
        raise SchemaError(where, f"{path} is already synced by migrations[{paths[path]}]",
                          "each ORM migration is synced once")
    paths[path] = pos
    sql = entry.get("sql")
    if not isinstance(sql, str) or not sql.strip():
        raise SchemaError(where, "`sql` must be the migration's SQL as a non-empty string")
    out: dict[str, Any] = {"synced_from": path, "sql": sql}
    if "revision" in entry:
        revision = entry["revision"]
        if ws != "python":
            raise SchemaError(where, "`revision` (an Alembic revision id) is only for entries "
                              f"of the python workspace, not {ws}")
        if not isinstance(revision, str) or not REVISION.fullmatch(revision):
            raise SchemaError(where, f"`revision` must be an Alembic revision id (letters, "
                              f"digits, _), got {revision!r}")
        if revision in revisions or re.fullmatch(r"\d{5}", revision):
            other = (f"migrations[{revisions[revision]}]" if revision in revisions
                     else "a generated revision")
            raise SchemaError(where, f"revision '{revision}' is already used by {other}")
        revisions[revision] = pos
        out["revision"] = revision
    return out
