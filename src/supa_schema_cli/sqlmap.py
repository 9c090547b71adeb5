"""Read an ORM migration's SQL back into changelog actions.

`supa-schema sync` parses a migration written by drizzle-kit, Alembic or by hand
with pglast (PostgreSQL's own parser) and maps each statement it can to an
action of the answers file (`table`, `column`, `index`, `enum`, renames, drops,
`alter_column`, enum values), so every workspace's models learn about the
change. Statements the engine renders by itself for a table it creates (its
primary key, tenant key and foreign key indexes, timestamp and soft-delete
triggers, RLS and the default policies) are recognised and dropped; whatever
else does not map is kept as verbatim SQL, each statement with the reason.

The engine (extensions/supa_schema) stays free of pglast: this module is the
CLI's adapter between SQL and the engine's vocabulary.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.parser import ParseError

import supa_schema
from supa_schema.types import TYPES

# PostgreSQL's internal type names (pg_catalog.<name>) -> our type keys.
PG_TYPES = {
    "uuid": "uuid",
    "text": "text",
    "varchar": "varchar",
    "int2": "smallint",
    "smallint": "smallint",
    "int4": "integer",
    "integer": "integer",
    "int": "integer",
    "int8": "bigint",
    "bigint": "bigint",
    "numeric": "numeric",
    "float4": "real",
    "real": "real",
    "float8": "double",
    "bool": "boolean",
    "boolean": "boolean",
    "timestamptz": "timestamptz",
    "date": "date",
    "time": "time",
    "jsonb": "jsonb",
    "bytea": "bytea",
    "vector": "vector",
}
ON_DELETE = {
    "a": "no action",
    "r": "restrict",
    "c": "cascade",
    "n": "set null",
    "d": "set default",
}
NUMBERS = ("smallint", "integer", "bigint", "numeric", "real", "double")
BOOLEANS = {"t": True, "true": True, "f": False, "false": False}
RENAMED_WITH = (ObjectType.OBJECT_INDEX, ObjectType.OBJECT_TABCONSTRAINT, ObjectType.OBJECT_POLICY)
OPS = {"vector_cosine_ops": "cosine", "vector_l2_ops": "l2", "vector_ip_ops": "ip"}
EXPRESSIONS = {"now": "now()", "gen_random_uuid": "gen_random_uuid()", "uid": "auth.uid()"}
POLICY = re.compile(r"_(select|insert|update|delete)_")
# Triggers the engine creates for a table, and the option that makes it.
ENGINE_TRIGGERS = {
    "set_updated_at": "timestamps",
    "soft_delete": "soft_delete",
    "set_org_id": "tenant",
}


class SqlError(Exception):
    """SQL that PostgreSQL's parser refuses: its message, file and line."""


class Unmapped(Exception):
    """A statement (or part) with no changelog action: the reason."""


@dataclass
class Verbatim:
    """A statement kept as SQL, and why it was not mapped."""

    sql: str
    line: int
    reason: str


@dataclass
class Mapped:
    """What one migration's SQL became."""

    actions: list[dict[str, Any]] = field(default_factory=list)
    verbatim: list[Verbatim] = field(default_factory=list)
    implied: list[str] = field(default_factory=list)  # statements the engine renders itself

    @property
    def sql(self) -> str:
        """The verbatim remainder, one statement after another."""
        return "".join(f"{v.sql};\n" for v in self.verbatim)


@dataclass
class TableFlags:
    """Answers to the questions a created table's SQL leaves open (`supa-schema table`)."""

    tenant: bool | None = None  # None: the project's multi_tenant
    soft_delete: bool | None = None  # None: when the SQL has deleted_at
    timestamps: bool | None = None  # None: when the SQL has created_at and updated_at
    # Asks (table, option, default) for an option left None; without it, the default.
    ask: Callable[[str, str, bool], bool] | None = None

    def answer(self, table: str, option: str, default: bool) -> bool:
        given: bool | None = getattr(self, option)
        if given is not None:
            return given
        return self.ask(table, option, default) if self.ask is not None else default


def parse(sql: str, source: str = "<sql>") -> list[tuple[Any, str, int]]:
    """(statement node, its SQL, its first line) for each statement, or SqlError."""
    try:
        raw = parse_sql(sql)
    except ParseError as err:
        message, index = (err.args + (0,))[:2] if err.args else (str(err), 0)
        line = sql[: int(index or 0)].count("\n") + 1
        raise SqlError(f"{source}:{line}: {message}") from None
    out = []
    data = sql.encode()
    for stmt in raw:
        start = stmt.stmt_location or 0
        length = stmt.stmt_len or len(data) - start
        text = data[start : start + length].decode().strip()
        # A leading comment belongs to the statement's text; its line is the first code.
        body = re.sub(r"^(\s*--[^\n]*\n)+", "", text)
        offset = start + len(text.encode()) - len(body.encode())
        lead = len(data[start:offset].decode()) - len(data[start:offset].decode().lstrip())
        line = data[: offset + lead].decode().count("\n") + 1
        out.append((stmt.stmt, body.strip(), line))
    return out


def _names(nodes: Iterable[Any] | None) -> list[str]:
    return [str(n.sval) for n in nodes or () if isinstance(n, ast.String)]


def _table(rv: Any) -> str:
    if rv.schemaname not in (None, "public"):
        raise Unmapped(f"table {rv.schemaname}.{rv.relname} is outside the public schema")
    return str(rv.relname)


class Mapper:
    """Maps statements in order, remembering tables and enums the SQL creates."""

    def __init__(
        self,
        project: supa_schema.Project | None = None,
        flags: TableFlags | None = None,
    ) -> None:
        self.project = project
        self.flags = flags or TableFlags()
        self.multi_tenant = project.multi_tenant if project is not None else True
        self.enums: set[str] = set(project.enums) if project is not None else set()
        self.created: dict[str, dict[str, Any]] = {}  # table -> its `table` action
        self.fk_index: dict[str, set[tuple[str, ...]]] = {}
        self.result = Mapped()
        self.renamed = False  # a table or column was renamed: its keys and indexes follow

    # ----------------------------------------------------------------- types

    def type_of(self, tn: Any) -> str:
        names = _names(tn.names)
        if tn.setof or tn.pct_type:
            raise Unmapped("a SETOF or %TYPE column type")
        name = names[-1]
        schema = names[0] if len(names) > 1 else None
        mods = []
        for mod in tn.typmods or ():
            if not (isinstance(mod, ast.A_Const) and isinstance(mod.val, ast.Integer)):
                raise Unmapped(f"type {name} has a modifier that is not a number")
            mods.append(mod.val.ival)
        if name in self.enums and schema in (None, "public") and not mods:
            base = name
        elif name in PG_TYPES and schema in (None, "pg_catalog", "extensions", "public"):
            base = PG_TYPES[name]
            if base == "vector" and schema == "pg_catalog":
                raise Unmapped("type pg_catalog.vector")
            spec = TYPES[base]
            if len(mods) > len(spec.params):
                raise Unmapped(f"type {name} takes {len(spec.params)} modifier(s)")
            if len(mods) < len(spec.required_params):
                raise Unmapped(f"type {name} without its {', '.join(spec.required_params)}")
            if base == "numeric" and len(mods) == 1:
                mods.append(0)
            if mods:
                base = f"{base}({','.join(map(str, mods))})"
        else:
            spelled = ".".join(names)
            raise Unmapped(f"column type {spelled} has no supa-schema type (docs/answers.md)")
        if tn.arrayBounds:
            if len(tn.arrayBounds) > 1:
                raise Unmapped("a multi-dimensional array")
            base += "[]"
        return base

    # -------------------------------------------------------------- defaults

    def literal(self, node: Any, array: bool) -> Any:
        if isinstance(node, ast.TypeCast):
            return self.literal(node.arg, array)
        if isinstance(node, ast.A_Const):
            if node.isnull:
                return None
            val: Any = node.val
            if isinstance(val, ast.Integer):
                return val.ival
            if isinstance(val, ast.Float):
                number = float(str(val.fval))
                return int(number) if number.is_integer() and "." not in str(val.fval) else number
            if isinstance(val, ast.Boolean):
                return bool(val.boolval)
            if isinstance(val, ast.String):
                if array:
                    return _array_literal(str(val.sval))
                return val.sval
        if isinstance(node, ast.A_Expr) and _names(node.name) == ["-"] and node.lexpr is None:
            inner = self.literal(node.rexpr, array)
            if isinstance(inner, (int, float)) and not isinstance(inner, bool):
                return -inner
        if isinstance(node, ast.FuncCall) and not node.args:
            names = _names(node.funcname)
            if names in (["now"], ["gen_random_uuid"], ["auth", "uid"], ["pg_catalog", "now"]):
                return EXPRESSIONS[names[-1]]
        if isinstance(node, ast.SQLValueFunction) and "CURRENT_DATE" in repr(node.op):
            return "current_date"
        if isinstance(node, ast.A_ArrayExpr):
            return [self.literal(e, False) for e in node.elements or ()]
        raise Unmapped(
            "a default that is not a literal or one of now(), current_date, "
            "gen_random_uuid(), auth.uid()"
        )

    def default_for(self, node: Any, type_: str) -> Any:
        value = self.literal(node, type_.endswith("[]"))
        base = type_.split("(")[0]
        if isinstance(value, str) and base in NUMBERS:
            # drizzle-kit quotes numeric defaults: '0'
            try:
                if base not in ("numeric", "real", "double"):
                    return int(value)
                number = float(value)
            except ValueError:
                raise Unmapped(f"default {value!r} is not a number") from None
            return int(number) if base == "numeric" and number.is_integer() else number
        if isinstance(value, str) and base == "boolean" and value.lower() in BOOLEANS:
            return BOOLEANS[value.lower()]
        if type_.startswith("jsonb") and isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise Unmapped("a jsonb default that is not JSON") from None
        return value

    # --------------------------------------------------------------- columns

    def column(self, cd: Any, table: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the column's answers, {primary_key: bool})."""
        if (cd.identity or "\x00") != "\x00" or (cd.generated or "\x00") != "\x00" or cd.collClause:
            raise Unmapped(f"column {cd.colname}: identity, generated or collated")
        col: dict[str, Any] = {"name": cd.colname, "type": self.type_of(cd.typeName)}
        extra = {"primary_key": False}
        if cd.is_not_null:
            col["required"] = True
        for c in cd.constraints or ():
            kind = c.contype
            if kind == ConstrType.CONSTR_NOTNULL:
                col["required"] = True
            elif kind == ConstrType.CONSTR_NULL:
                col.pop("required", None)
            elif kind == ConstrType.CONSTR_DEFAULT:
                col["default"] = self.default_for(c.raw_expr, col["type"])
            elif kind == ConstrType.CONSTR_UNIQUE:
                if c.conname not in (None, f"{table}_{cd.colname}_key"):
                    raise Unmapped(f"unique key {c.conname} is not named {table}_{cd.colname}_key")
                col["unique"] = True
            elif kind == ConstrType.CONSTR_PRIMARY:
                extra["primary_key"] = True
            elif kind == ConstrType.CONSTR_FOREIGN:
                self.reference(col, c, [cd.colname])
            else:
                raise Unmapped(f"column {cd.colname}: a {_kind(kind)} constraint")
        return col, extra

    def reference(self, col: dict[str, Any], c: Any, fk_cols: list[str]) -> None:
        target = c.pktable
        schema = target.schemaname or "public"
        pk = _names(c.pk_attrs) or ["id"]
        if c.fk_upd_action not in ("a", "\x00") or c.fk_matchtype not in ("s", "\x00"):
            raise Unmapped("a foreign key with ON UPDATE or MATCH")
        if (schema, target.relname) == ("auth", "users") and pk == ["id"]:
            col["references"] = "auth.users"
        elif schema == "public" and pk[-1:] == ["id"] and len(pk) == len(fk_cols):
            if pk[:-1] not in ([], ["org_id"]) or fk_cols[:-1] != pk[:-1]:
                raise Unmapped("a foreign key to columns other than the target's id")
            col["references"] = target.relname
        else:
            raise Unmapped("a foreign key to a table outside public (other than auth.users)")
        action = ON_DELETE.get(c.fk_del_action or "a", "no action")
        if action != "no action":
            col["on_delete"] = action

    # ----------------------------------------------------------------- tables

    def create_table(self, st: Any) -> None:
        if st.inhRelations or st.partspec or st.ofTypename or st.options or st.if_not_exists:
            raise Unmapped("CREATE TABLE with INHERITS, PARTITION, OF, WITH or IF NOT EXISTS")
        if st.relation.relpersistence != "p":
            raise Unmapped("a temporary or unlogged table")
        name = _table(st.relation)
        cols: list[dict[str, Any]] = []
        pk: list[str] = []
        fks: list[ast.Constraint] = []
        for el in st.tableElts or ():
            if isinstance(el, ast.ColumnDef):
                col, extra = self.column(el, name)
                if extra["primary_key"]:
                    pk.append(col["name"])
                cols.append(col)
            elif isinstance(el, ast.Constraint):
                if el.contype == ConstrType.CONSTR_PRIMARY:
                    pk.extend(_names(el.keys))
                elif el.contype == ConstrType.CONSTR_FOREIGN:
                    fks.append(el)
                elif el.contype == ConstrType.CONSTR_UNIQUE:
                    keys = _names(el.keys)
                    if keys == ["org_id", "id"]:
                        continue  # the tenant key the engine adds
                    if len(keys) != 1:
                        raise Unmapped("a unique key over several columns (use a unique index)")
                    _find(cols, keys[0]).setdefault("unique", True)
                else:
                    raise Unmapped(f"a table {_kind(el.contype)} constraint")
            else:
                raise Unmapped("a LIKE clause")
        for fk in fks:
            attrs = _names(fk.fk_attrs)
            self.reference(_find(cols, attrs[-1]), fk, attrs)
        action: dict[str, Any] = {"table": name}
        by_name = {c["name"]: c for c in cols}
        for c in pk:
            _find(cols, c).pop("required", None)  # a key column is not null anyway
        ident = by_name.get("id")
        default_key = (
            pk == ["id"]
            and ident is not None
            and ident["type"] == "uuid"
            and ident.get("default") == "gen_random_uuid()"
        )
        if not pk:
            raise Unmapped(f"table {name} has no primary key")
        # The table maps: what its SQL leaves open is asked now, in `supa-schema
        # table`'s order (tenant, soft delete, timestamps), defaults from the SQL.
        org = by_name.get("org_id")
        if (
            org is not None
            and org["type"] == "uuid"
            and org.get("references")
            in (
                None,
                "organizations",
            )
        ):
            tenant = True  # the SQL has the tenant key: no question
        elif self.multi_tenant:
            tenant = self.flags.answer(name, "tenant", True)
        else:
            tenant = False  # without organizations there is no tenancy to ask about
        deleted = by_name.get("deleted_at")
        plain = (
            deleted is not None
            and deleted["type"] == "timestamptz"
            and set(deleted) == {"name", "type"}
        )
        soft = self.flags.answer(name, "soft_delete", plain)
        stamps = [by_name.get(n) for n in ("created_at", "updated_at")]
        stamped = all(
            s is not None
            and s["type"] == "timestamptz"
            and s.get("default") == "now()"
            and s.get("required")
            for s in stamps
        )
        timestamps = self.flags.answer(name, "timestamps", stamped)
        if tenant and self.multi_tenant:
            action["tenant"] = True
            if org is not None:
                cols.remove(org)
        owner = by_name.get("user_id")
        if (
            owner is not None
            and owner.get("references") == "auth.users"
            and owner.get("default") == "auth.uid()"
            and owner.get("required")
            and owner.get("on_delete") == "cascade"
            and not owner.get("unique")
        ):
            action["owner"] = True
            cols.remove(owner)
        if default_key:
            cols.remove(by_name["id"])
        else:
            action["primary_key"] = pk
        if timestamps:
            action["timestamps"] = True
            if stamped:
                cols[:] = [c for c in cols if c not in stamps]
        if soft:
            action["soft_delete"] = True
            if plain:
                cols[:] = [c for c in cols if c is not deleted]
        if cols:
            action["columns"] = cols
        self.fk_index[name] = {("org_id",)} if action.get("tenant") else set()
        owned = [{"name": "user_id", "references": "auth.users"}] if action.get("owner") else []
        for ref in cols + owned:
            if ref.get("references"):
                self.fk_index[name].add((ref["name"],))
                if action.get("tenant") and ref.get("references") != "auth.users":
                    self.fk_index[name].add(("org_id", ref["name"]))
        self.created[name] = action
        self.result.actions.append(action)

    # ---------------------------------------------------------------- indexes

    def index(self, st: Any) -> None:
        if st.whereClause or st.indexIncludingParams or st.options or st.if_not_exists:
            raise Unmapped("a partial index, or one with INCLUDE, WITH or IF NOT EXISTS")
        if st.nulls_not_distinct or st.primary or st.isconstraint:
            raise Unmapped("an index with NULLS NOT DISTINCT or one made for a constraint")
        table = _table(st.relation)
        columns, ops = [], set()
        for p in st.indexParams or ():
            if p.expr is not None or p.collation or p.ordering or p.nulls_ordering:
                raise Unmapped("an expression index, or one with COLLATE, ASC/DESC or NULLS")
            columns.append(p.name)
            opclass = _names(p.opclass)
            if opclass:
                if opclass[-1] not in OPS:
                    raise Unmapped(f"operator class {'.'.join(opclass)}")
                ops.add(OPS[opclass[-1]])
        method = (st.accessMethod or "btree").lower()
        if method not in ("btree", "hnsw", "ivfflat"):
            raise Unmapped(f"an index using {method}")
        if len(ops) > 1 or (method == "btree") == bool(ops):
            raise Unmapped("an index whose method and operator classes do not match")
        key = tuple(columns)
        if not st.unique and key in self.fk_index.get(table, ()):
            self.result.implied.append(f"index {st.idxname} (foreign key columns are indexed)")
            return
        index: dict[str, Any] = {"columns": columns}
        if st.unique:
            index["unique"] = True
        if method != "btree":
            index["method"] = method
            index["ops"] = ops.pop()
        if st.idxname and st.idxname != _derived(table, key):
            index["name"] = st.idxname
        if table in self.created and not st.concurrent:
            self.created[table].setdefault("indexes", []).append(index)
        else:
            self.result.actions.append({"index": {"table": table, **index}})

    # ------------------------------------------------------------- alter table

    def alter_table(self, st: Any) -> None:
        if st.objtype != ObjectType.OBJECT_TABLE or st.missing_ok:
            raise Unmapped("ALTER of something other than a table, or IF EXISTS")
        table = _table(st.relation)
        actions: list[dict[str, Any]] = []
        implied: list[str] = []
        changed: dict[str, dict[str, Any]] = {}
        for cmd in st.cmds:
            sub = cmd.subtype
            if sub == AlterTableType.AT_EnableRowSecurity:
                implied.append(f"RLS on {table} (every table gets it)")
            elif sub == AlterTableType.AT_AddColumn:
                if cmd.missing_ok:
                    raise Unmapped("ADD COLUMN IF NOT EXISTS")
                col, extra = self.column(cmd.def_, table)
                if extra["primary_key"]:
                    raise Unmapped("a primary key column added to a table")
                if table in self.created:
                    self.created[table].setdefault("columns", []).append(col)
                else:
                    actions.append({"column": col.pop("name"), "table": table, **col})
            elif sub == AlterTableType.AT_DropColumn:
                if cmd.missing_ok or cmd.behavior != 0:
                    raise Unmapped("DROP COLUMN IF EXISTS or CASCADE")
                actions.append({"drop_column": cmd.name, "table": table})
            elif sub == AlterTableType.AT_AddConstraint and cmd.def_.indexname:
                self.unique_using_index(table, cmd.def_)
            elif sub == AlterTableType.AT_AddConstraint and table in self.created:
                c = cmd.def_
                cols = self.created[table].setdefault("columns", [])
                if c.contype == ConstrType.CONSTR_FOREIGN:
                    attrs = _names(c.fk_attrs)
                    self.reference(_find(cols, attrs[-1]), c, attrs)
                    self.fk_index[table].add((attrs[-1],))
                elif c.contype == ConstrType.CONSTR_UNIQUE and len(_names(c.keys)) == 1:
                    _find(cols, _names(c.keys)[0])["unique"] = True
                else:
                    raise Unmapped("a constraint other than a foreign key or single-column unique")
            elif sub == AlterTableType.AT_AddConstraint:
                c = cmd.def_
                if c.contype == ConstrType.CONSTR_FOREIGN:
                    # A `relation` adds a new column; no action turns a column that
                    # exists into a reference, so the models would not learn it.
                    raise Unmapped(
                        f"a foreign key added to the existing column(s) "
                        f"{table}.{', '.join(_names(c.fk_attrs))}: no changelog action adds "
                        "one (a `relation` makes a new column); the key applies as SQL, "
                        "the models do not show the reference"
                    )
                raise Unmapped(f"a {_kind(c.contype)} constraint added to an existing table")
            elif sub in (
                AlterTableType.AT_AlterColumnType,
                AlterTableType.AT_SetNotNull,
                AlterTableType.AT_DropNotNull,
                AlterTableType.AT_ColumnDefault,
            ):
                if table in self.created:
                    raise Unmapped("ALTER COLUMN of a table created in the same migration")
                alter = changed.get(cmd.name)
                if alter is None:
                    alter = changed[cmd.name] = {"alter_column": cmd.name, "table": table}
                    actions.append(alter)
                if sub == AlterTableType.AT_AlterColumnType:
                    cd = cmd.def_
                    if cd.raw_default is not None or cd.collClause:
                        raise Unmapped("ALTER COLUMN TYPE with USING or COLLATE")
                    alter["type"] = self.type_of(cd.typeName)
                elif sub == AlterTableType.AT_SetNotNull:
                    alter["required"] = True
                elif sub == AlterTableType.AT_DropNotNull:
                    alter["required"] = False
                elif cmd.def_ is None:
                    alter["default"] = None
                else:
                    alter["default"] = self.default_for(cmd.def_, self.column_type(table, cmd.name))
            else:
                raise Unmapped(f"ALTER TABLE {sub.name[3:]}")
        self.result.actions.extend(actions)
        self.result.implied.extend(implied)

    def column_type(self, table: str, column: str) -> str:
        t = self.project.tables.get(table) if self.project is not None else None
        c = t.column(column) if t is not None else None
        return c.type.spell("sql") if c is not None else ""

    # ----------------------------------------------------------------- others

    def rename(self, st: Any) -> None:
        if st.missing_ok:
            raise Unmapped("RENAME ... IF EXISTS")
        if st.renameType == ObjectType.OBJECT_TABLE:
            self.result.actions.append({"rename_table": _table(st.relation), "to": st.newname})
            self.renamed = True
        elif (
            st.renameType == ObjectType.OBJECT_COLUMN and st.relationType == ObjectType.OBJECT_TABLE
        ):
            self.result.actions.append(
                {"rename_column": st.subname, "table": _table(st.relation), "to": st.newname}
            )
            self.renamed = True
        elif st.renameType in RENAMED_WITH and self.renamed:
            what = st.renameType.name[7:].lower()
            self.result.implied.append(
                f"{what} {st.subname or ''} renamed with its table or column"
            )
        else:
            raise Unmapped(f"a rename of a {st.renameType.name[7:].lower()}")

    def unique_using_index(self, table: str, c: Any) -> None:
        """``add constraint k unique using index k``: the live-safe unique key of a column."""
        name = str(c.indexname)
        actions = self.result.actions
        at = next(
            (
                i
                for i, a in enumerate(actions)
                if a.get("index", {}).get(
                    "name", _derived(table, tuple(a.get("index", {}).get("columns", ())))
                )
                == name
                and a["index"].get("table") == table
                and a["index"].get("unique")
                and len(a["index"]["columns"]) == 1
            ),
            None,
        )
        if c.contype != ConstrType.CONSTR_UNIQUE or at is None or c.conname != name:
            raise Unmapped("a constraint using an index this migration did not create")
        column = actions[at]["index"]["columns"][0]
        if name != f"{table}_{column}_key":
            raise Unmapped(f"a unique key not named {table}_{column}_key")
        del actions[at]
        for a in actions:
            if a.get("column") == column and a.get("table") == table:
                a["unique"] = True
                return
        actions.append({"alter_column": column, "table": table, "unique": True})

    def drop(self, st: Any) -> None:
        if (
            st.missing_ok
            or st.behavior != 0
            or st.concurrent
            and st.removeType != ObjectType.OBJECT_INDEX
        ):
            raise Unmapped("DROP ... IF EXISTS or CASCADE")
        for obj in st.objects:
            names = _names(obj if isinstance(obj, tuple) else getattr(obj, "names", None))
            if len(names) == 2 and names[0] == "public":
                names = names[1:]
            if len(names) != 1:
                raise Unmapped("a dropped object outside the public schema")
            if st.removeType == ObjectType.OBJECT_TABLE:
                self.result.actions.append({"drop_table": names[0]})
            elif st.removeType == ObjectType.OBJECT_INDEX:
                self.result.actions.append({"drop_index": names[0]})
            else:
                raise Unmapped(f"DROP {st.removeType.name[7:]}")

    def create_enum(self, st: Any) -> None:
        names = _names(st.typeName)
        if names[:-1] not in ([], ["public"]):
            raise Unmapped("an enum outside the public schema")
        self.enums.add(names[-1])
        self.result.actions.append({"enum": names[-1], "values": [v.sval for v in st.vals or ()]})

    def alter_enum(self, st: Any) -> None:
        names = _names(st.typeName)
        if names[:-1] not in ([], ["public"]):
            raise Unmapped("an enum outside the public schema")
        if st.oldVal:
            self.result.actions.append(
                {"rename_enum_value": st.oldVal, "enum": names[-1], "to": st.newVal}
            )
            return
        action: dict[str, Any] = {"enum_value": st.newVal, "enum": names[-1]}
        if st.newValNeighbor:
            action["after" if st.newValIsAfter else "before"] = st.newValNeighbor
        self.result.actions.append(action)

    def engine_part(self, node: Any) -> str | None:
        """What the engine renders itself for a table this SQL creates, or None."""
        kind = type(node).__name__
        if kind == "CreateTrigStmt":
            table = str(node.relation.relname)
            flag = ENGINE_TRIGGERS.get(str(node.trigname))
            if table in self.created and flag and self.created[table].get(flag):
                return f"trigger {node.trigname} on {table} (rendered from the table's options)"
        if kind == "CreatePolicyStmt":
            table, name = str(node.table.relname), str(node.policy_name)
            if table in self.created and POLICY.match(name[len(table) :]):
                if name.startswith(table):
                    return f"policy {name} (the engine renders {table}'s policies)"
        return None

    def statement(self, node: Any) -> None:
        if isinstance(node, ast.CreateStmt):
            self.create_table(node)
        elif isinstance(node, ast.IndexStmt):
            self.index(node)
        elif isinstance(node, ast.AlterTableStmt):
            self.alter_table(node)
        elif isinstance(node, ast.RenameStmt):
            self.rename(node)
        elif isinstance(node, ast.DropStmt):
            self.drop(node)
        elif isinstance(node, ast.CreateEnumStmt):
            self.create_enum(node)
        elif isinstance(node, ast.AlterEnumStmt):
            self.alter_enum(node)
        elif isinstance(node, ast.VariableSetStmt) and node.name == "lock_timeout":
            self.result.implied.append("set lock_timeout (every change of a table sets it)")
        elif isinstance(node, ast.CreateExtensionStmt) and node.extname == "vector":
            self.result.implied.append("extension vector (added for a vector column)")
        elif isinstance(node, ast.TransactionStmt):
            self.result.implied.append("a transaction statement (each file runs in one)")
        else:
            raise Unmapped(f"{type(node).__name__} has no changelog action")


def _kind(constraint: Any) -> str:
    """CONSTR_CHECK -> check."""
    return str(getattr(constraint, "name", constraint)).removeprefix("CONSTR_").lower()


def _find(cols: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for c in cols:
        if c["name"] == name:
            return c
    raise Unmapped(f"a constraint on column {name}, which this table does not have")


def _derived(table: str, columns: tuple[str, ...]) -> str:
    from supa_schema.builder import Builder

    return str(Builder.derived_index_name(table, columns))


def _array_literal(text: str) -> list[str]:
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise Unmapped("an array default that is not an array literal")
    inner = body[1:-1]
    if not inner:
        return []
    if '"' in inner or "\\" in inner:
        raise Unmapped("an array default with quoted elements")
    return [part.strip() for part in inner.split(",")]


def map_sql(
    sql: str,
    source: str = "<sql>",
    project: supa_schema.Project | None = None,
    flags: TableFlags | None = None,
) -> Mapped:
    """Map a migration's statements to actions; the rest stays verbatim, with reasons.

    ``project`` is the schema before the migration (its enums, tables and
    multi_tenant setting); ``flags`` answer a created table's open questions.
    """
    mapper = Mapper(project, flags)
    statements = parse(sql, source)
    pending: list[tuple[Any, str, int]] = []
    for node, text, line in statements:
        if isinstance(node, (ast.CreateTrigStmt, ast.CreatePolicyStmt)):
            pending.append((node, text, line))  # judged once every table is known
            continue
        state = copy.deepcopy(
            (mapper.created, mapper.result.actions, mapper.fk_index, mapper.enums)
        )
        done = len(mapper.result.implied)
        try:
            mapper.statement(node)
        except Unmapped as why:
            # Undo a half-mapped statement: it stays verbatim as a whole.
            mapper.created, mapper.result.actions, mapper.fk_index, mapper.enums = state
            del mapper.result.implied[done:]
            mapper.result.verbatim.append(Verbatim(text, line, f"{source}:{line}: {why}"))
    for node, text, line in pending:
        engine = mapper.engine_part(node)
        if engine is not None:
            mapper.result.implied.append(engine)
        else:
            kind = "a trigger" if isinstance(node, ast.CreateTrigStmt) else "a policy"
            mapper.result.verbatim.append(
                Verbatim(text, line, f"{source}:{line}: {kind} has no changelog action")
            )
    mapper.result.verbatim.sort(key=lambda v: v.line)
    return mapper.result
