"""Property tests: random changelogs.

Valid ones add tables, columns, indexes, relations and enums, then change
them (renames, type changes, drops, enum values). They always render (twice,
byte-identically) and apply in file-name order; the database then holds what
the model says (columns, constraints, indexes, policies, enum values) and
passes `alembic check`, and a row inserted before the first change is still
there with its values. Invalid ones are always refused before anything is
written. Example counts come from the hypothesis profile (200 in CI).
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import ROOT

from supa_schema import SchemaError, build, samples
from supa_schema.names import SQL_RESERVED
from supa_schema.project import Project
from supa_schema_cli import database

settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

WORKSPACES = ["typescript", "python", "rust"]
SCALARS = [
    "uuid",
    "text",
    "smallint",
    "integer",
    "bigint",
    "real",
    "double",
    "boolean",
    "timestamptz",
    "date",
    "time",
    "jsonb",
    "bytea",
]
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "omega",
    "kappa",
    "sigma",
    "theta",
    "lambda",
    "class",
    "type",
    "async",
    "value",
    "status",
    "note",
    "label",
    "count",
    "amount",
]
AWKWARD = ["it's", 'say "hi"', "back\\slash", "$$ dollar $$", ":colon", "50% off", "tab\tx"]

name_st = st.builds(lambda w, n: f"{w}_{n}" if n else w, st.sampled_from(WORDS), st.integers(0, 3))


@st.composite
def column_st(draw, enums: list[dict], taken: set[str]):
    name = draw(name_st.filter(lambda n: n not in taken))
    taken.add(name)
    kind = draw(st.sampled_from(SCALARS + ["varchar", "numeric", "vector", "enum", "array"]))
    col: dict = {"name": name}
    if kind == "varchar":
        col.update(type="varchar", length=draw(st.integers(5, 300)))
    elif kind == "numeric":
        p = draw(st.integers(4, 20))
        col.update(type="numeric", precision=p, scale=draw(st.integers(0, 3)))
    elif kind == "vector":
        col.update(type="vector", dimensions=draw(st.integers(1, 8)))
    elif kind == "enum" and enums:
        e = draw(st.sampled_from(enums))
        col["type"] = e["enum"]
        if e["values"] and draw(st.booleans()):
            col["default"] = draw(st.sampled_from(e["values"]))
    elif kind == "array":
        col["type"] = draw(st.sampled_from(["text", "integer", "uuid", "boolean"])) + "[]"
    else:
        col["type"] = kind if kind != "enum" else "text"
    base = col["type"]
    if "default" not in col and draw(st.booleans()):
        default = {
            "text": st.sampled_from(AWKWARD),
            "integer": st.integers(-5, 5),
            "smallint": st.integers(0, 9),
            "bigint": st.integers(0, 2**40),
            "boolean": st.booleans(),
            "real": st.sampled_from([0.5, -2.25]),
            "double": st.sampled_from([1.5, 1e10]),
            "timestamptz": st.just("now()"),
            "date": st.sampled_from(["current_date", "2024-02-29"]),
            "uuid": st.just("gen_random_uuid()"),
            "jsonb": st.sampled_from([{"a": [1, AWKWARD[0]]}, [], "x"]),
            "text[]": st.just([]),
        }.get(base)
        if default is not None:
            col["default"] = draw(default)
    if draw(st.booleans()):
        col["required"] = True
    if base in ("text", "integer", "uuid") and draw(st.integers(0, 4)) == 0:
        col["unique"] = True
    return col


# ---------------------------------------------------------------------------
# The generator's own record of the schema, kept independently of the engine:
# modification actions are only generated where this record says they are
# valid, and the rows-survive property follows tables and columns through
# renames with it.

DEFAULTS = {
    "text": st.sampled_from(AWKWARD),
    "varchar": st.sampled_from(["a", "it's", "50% off"]),
    "integer": st.integers(-5, 5),
    "smallint": st.integers(0, 9),
    "bigint": st.integers(0, 2**40),
    "numeric": st.integers(-9, 9),
    "boolean": st.booleans(),
    "real": st.sampled_from([0.5, -2.25]),
    "double": st.sampled_from([1.5, 1e10]),
    "timestamptz": st.just("now()"),
    "date": st.sampled_from(["current_date", "2024-02-29"]),
    "uuid": st.just("gen_random_uuid()"),
    "jsonb": st.sampled_from([{"a": [1, AWKWARD[0]]}, [], "x"]),
    "text[]": st.just([]),
}
NUMBERS = ("smallint", "integer", "bigint", "numeric", "real", "double")
# The value-keeping type changes (types.WIDENING); any type but bytea and
# vector also becomes text or varchar.
WIDER = {
    "smallint": ["integer", "bigint", "numeric", "real", "double"],
    "integer": ["bigint", "numeric", "double"],
    "bigint": ["numeric"],
    "real": ["double"],
    "date": ["timestamptz"],
    "varchar": ["varchar", "text"],
    "text": ["varchar"],
    "numeric": ["numeric"],
}
# Digits before the point each integer type needs in a numeric.
DIGITS = {"smallint": 5, "integer": 10, "bigint": 19}
MANAGED = {"id", "org_id", "user_id", "created_at", "updated_at", "deleted_at"}


@dataclass
class Col:
    name: str
    type: str  # as the answers spell it: a scalar, an enum's name, or "x[]"
    params: dict = field(default_factory=dict)  # length, precision, scale, dimensions
    required: bool = False
    default: Any = None
    unique: bool = False
    target: str | None = None  # the table a relation's foreign key points at
    uid: int = 0

    @property
    def base(self) -> str:
        return self.type


@dataclass
class Tab:
    name: str
    cols: dict[str, Col]  # the user's columns and relations' foreign keys
    tenant: bool = False
    uid: int = 0
    # droppable indexes: columns -> the name given in the answers (None: derived)
    indexes: dict[tuple[str, ...], str | None] = field(default_factory=dict)
    junction: list[str] | None = None  # [left, right] tables of a link table

    def index_name(self, cols: tuple[str, ...]) -> str:
        return self.indexes.get(cols) or f"idx_{self.name}_{'_'.join(cols)}"

    def indexable(self) -> list[str]:
        return [
            c.name
            for c in self.cols.values()
            if c.target is None and not c.type.startswith(("vector", "jsonb"))
        ]


class State:
    def __init__(self, draw, multi: bool):
        self.draw = draw
        self.multi = multi
        self.tables: dict[str, Tab] = {}
        self.enums: dict[str, list[str]] = {}
        self.dropped: list[str] = []  # names free to be taken again
        # (enum, value) added by the current entry: unusable until it commits
        self.added: set[tuple[str, str]] = set()
        self.serial = 0

    def fresh(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}_{self.serial}"

    def own_tables(self) -> list[Tab]:
        return [t for t in self.tables.values() if t.junction is None]

    def referenced(self, name: str) -> bool:
        return any(
            (t.name != name and any(c.target == name for c in t.cols.values()))
            or (t.junction is not None and name in t.junction)
            for t in self.tables.values()
        )

    # -- adding ---------------------------------------------------------------

    def col_from(self, raw: dict) -> Col:
        params = {k: raw[k] for k in ("length", "precision", "scale", "dimensions") if k in raw}
        return Col(
            raw["name"],
            raw["type"],
            params,
            bool(raw.get("required")),
            raw.get("default"),
            bool(raw.get("unique")),
            uid=self.uid(),
        )

    def uid(self) -> int:
        self.serial += 1
        return self.serial

    def usable(self, enum: str) -> list[str]:
        return [v for v in self.enums[enum] if (enum, v) not in self.added]

    def enum_dicts(self) -> list[dict]:
        return [{"enum": k, "values": self.usable(k)} for k in self.enums]

    def enum(self) -> dict:
        values = self.draw(
            st.lists(
                st.sampled_from(["new", "open", "done"] + AWKWARD),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
        e = {"enum": f"kind_{len(self.enums)}", "values": values}
        self.enums[e["enum"]] = list(values)
        return e

    def table(self) -> dict:
        draw = self.draw
        cols = draw(st.lists(column_st(self.enum_dicts(), set()), max_size=5))
        free = [n for n in self.dropped if n not in self.tables and n not in self.enums]
        name = free[0] if free and draw(st.booleans()) else self.fresh("things")
        if name in self.dropped:
            self.dropped.remove(name)
        t = {"table": name, "columns": cols}
        for flag in ("timestamps", "soft_delete"):
            if draw(st.booleans()):
                t[flag] = True
        if self.multi and draw(st.booleans()):
            t["tenant"] = True
        elif draw(st.integers(0, 3)) == 0:
            t["owner"] = True
        tab = Tab(name, {c["name"]: self.col_from(c) for c in cols}, bool(t.get("tenant")))
        tab.uid = self.uid()
        if cols and draw(st.booleans()):
            indexable = tab.indexable()
            if indexable:
                c = draw(st.sampled_from(indexable))
                t["indexes"] = [{"columns": [c]}]
                tab.indexes[(c,)] = None
        self.tables[name] = tab
        return t

    def column(self) -> dict | None:
        t = self.draw(st.sampled_from(self.own_tables()))
        col = self.draw(column_st(self.enum_dicts(), set(t.cols) | MANAGED))
        if col.get("required") and "default" not in col:
            col.pop("required")
        t.cols[col["name"]] = self.col_from(col)
        return {"column": col.pop("name"), "table": t.name, **col}

    def index(self) -> dict | None:
        t = self.draw(st.sampled_from(self.own_tables()))
        cols = sorted(set(t.indexable()) - {c for k in t.indexes for c in k})
        if not cols:
            return None
        c = (self.draw(st.sampled_from(cols)),)
        spec: dict = {"table": t.name, "columns": list(c)}
        if self.draw(st.integers(0, 2)) == 0:  # a name of its own does not follow renames
            spec["name"] = t.indexes[c] = self.fresh("named_idx")
        else:
            t.indexes[c] = None
        return {"index": spec}

    def relation(self) -> dict | None:
        draw = self.draw
        own = self.own_tables()
        a, b = draw(st.sampled_from(own)), draw(st.sampled_from(own))
        kind = draw(st.sampled_from(["one-to-many", "many-to-one", "many-to-many"]))
        k = self.fresh("link")
        rel = {"relation": kind, "from": a.name, "to": b.name, "name": k, "inverse": f"{k}_back"}
        if kind == "many-to-many":
            rel["through"] = self.fresh("junction")
            j = Tab(
                rel["through"], {}, a.tenant and b.tenant, self.uid(), junction=[a.name, b.name]
            )
            self.tables[j.name] = j
            return rel
        holder, target = (a, b) if kind == "many-to-one" else (b, a)
        if target.tenant and not holder.tenant:
            return None  # refused: a shared table cannot point into a tenant's
        holder.cols[f"{k}_id"] = Col(f"{k}_id", "uuid", target=target.name, uid=self.uid())
        return rel

    # -- changing what exists -----------------------------------------------

    def rename_table(self) -> dict | None:
        t = self.draw(st.sampled_from(list(self.tables.values())))
        old, new = t.name, self.fresh("moved")
        del self.tables[old]
        t.name = new
        self.tables[new] = t
        for other in self.tables.values():
            for c in other.cols.values():
                if c.target == old:
                    c.target = new
            if other.junction is not None:
                other.junction = [new if x == old else x for x in other.junction]
        self.dropped.append(old)
        return {"rename_table": old, "to": new}

    def own_cols(self, t: Tab, fks: bool = True) -> list[Col]:
        return [c for c in t.cols.values() if fks or c.target is None]

    def pick_col(self, fks: bool = True) -> tuple[Tab, Col] | None:
        tables = [t for t in self.own_tables() if self.own_cols(t, fks)]
        if not tables:
            return None
        t = self.draw(st.sampled_from(tables))
        return t, self.draw(st.sampled_from(self.own_cols(t, fks)))

    def rename_column(self) -> dict | None:
        picked = self.pick_col()
        if picked is None:
            return None
        t, c = picked
        old, new = c.name, self.fresh("col")
        del t.cols[old]
        c.name = new
        t.cols[new] = c
        t.indexes = {tuple(new if x == old else x for x in k): v for k, v in t.indexes.items()}
        return {"rename_column": old, "table": t.name, "to": new}

    def drop_column(self) -> list[dict] | None:
        picked = self.pick_col(fks=False)
        if picked is None:
            return None
        t, c = picked
        actions = [{"drop_index": t.index_name(k)} for k in list(t.indexes) if c.name in k]
        t.indexes = {k: v for k, v in t.indexes.items() if c.name not in k}
        del t.cols[c.name]
        return [*actions, {"drop_column": c.name, "table": t.name}]

    def drop_index(self) -> dict | None:
        tables = [t for t in self.own_tables() if t.indexes]
        if not tables:
            return None
        t = self.draw(st.sampled_from(tables))
        k = self.draw(st.sampled_from(sorted(t.indexes)))
        action = {"drop_index": t.index_name(k)}
        del t.indexes[k]
        return action

    def drop_table(self) -> dict | None:
        tables = [t for t in self.own_tables() if not self.referenced(t.name)]
        if not tables:
            return None
        t = self.draw(st.sampled_from(tables))
        del self.tables[t.name]
        self.dropped.append(t.name)
        return {"drop_table": t.name}

    def drop_relation(self) -> dict | None:
        fks = [(t, c) for t in self.own_tables() for c in t.cols.values() if c.target]
        links = [t for t in self.tables.values() if t.junction is not None]
        choices = [f"{t.name}.{c.name}" for t, c in fks] + [t.name for t in links]
        if not choices:
            return None
        spec = self.draw(st.sampled_from(choices))
        if "." in spec:
            table, _, column = spec.partition(".")
            del self.tables[table].cols[column]
        else:
            del self.tables[spec]
            self.dropped.append(spec)
        return {"drop_relation": spec}

    def enum_value(self) -> dict | None:
        if not self.enums:
            return None
        name = self.draw(st.sampled_from(sorted(self.enums)))
        values = self.enums[name]
        value = self.fresh(self.draw(st.sampled_from(["later", "it's", "x y"])))
        action: dict = {"enum_value": value, "enum": name}
        self.added.add((name, value))
        where = self.draw(st.sampled_from(["end", "before", "after"]))
        if where == "end":
            values.append(value)
        else:
            anchor = self.draw(st.sampled_from(values))
            action[where] = anchor
            values.insert(values.index(anchor) + (where == "after"), value)
        return action

    def rename_enum_value(self) -> dict | None:
        if not self.enums:
            return None
        name = self.draw(st.sampled_from(sorted(self.enums)))
        values = self.enums[name]
        old = self.draw(st.sampled_from(values))
        new = self.fresh("renamed")
        values[values.index(old)] = new
        if (name, old) in self.added:
            self.added = self.added - {(name, old)} | {(name, new)}
        for t in self.tables.values():
            for c in t.cols.values():
                if c.type == name and c.default == old:
                    c.default = new
        return {"rename_enum_value": old, "enum": name, "to": new}

    def alter_column(self) -> dict | None:
        picked = self.pick_col(fks=False)
        if picked is None:
            return None
        t, c = picked
        draw = self.draw
        action: dict = {"alter_column": c.name, "table": t.name}
        changes = draw(
            st.lists(
                st.sampled_from(["type", "default", "required", "unique"]),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        if "type" in changes:
            retyped = self.retype(c, action)
            if retyped is not None:
                carried = self.keeps_default(c, retyped[0])
                c.type, c.params = retyped
                if c.default is not None and not carried and "default" not in changes:
                    changes.append("default")
        if "default" in changes:
            strategy = self.default_st(c)
            if c.default is not None and (strategy is None or draw(st.booleans())):
                action["default"] = c.default = None
            elif strategy is not None:
                value = draw(strategy)
                if value != c.default:
                    action["default"] = c.default = value
                elif "type" in action or "length" in action or "precision" in action:
                    action["default"] = value  # restated in the new type
        if "required" in changes:
            if c.required:
                action["required"] = c.required = False
            elif (
                not c.unique
                and "unique" not in changes
                and (c.default is not None or self.default_st(c) is not None)
            ):
                # (a unique column is never backfilled: every null would get one value)
                if c.default is None:
                    action["default"] = c.default = draw(self.default_st(c))
                action["required"] = c.required = True
        if "unique" in changes:
            if c.unique:
                action["unique"] = c.unique = False
            elif c.type in ("text", "integer", "bigint", "uuid", "varchar", "date"):
                action["unique"] = c.unique = True
        return action if len(action) > 2 else None

    def retype(self, c: Col, action: dict) -> tuple[str, dict] | None:
        """A value-keeping type change, written into ``action``: the new type and parameters."""
        draw = self.draw
        if c.type.endswith("[]"):
            options = ["bigint[]"] if c.type == "integer[]" else []
            options += ["text[]"] if c.type != "text[]" else []
        elif c.type in ("bytea", "vector"):
            options = []
        else:
            options = [*WIDER.get(c.type, []), "text", "varchar"]
            options = [o for o in options if o != c.type or o in ("varchar", "numeric")]
        if not options:
            return None
        new = draw(st.sampled_from(options))
        params: dict = {}
        if new == "varchar":
            low = c.params["length"] + 1 if c.type == "varchar" else 50
            params["length"] = draw(st.integers(low, low + 300))
        elif new == "numeric":
            scale = c.params.get("scale", 0) if c.type == "numeric" else 0
            scale += draw(st.integers(0 if c.type != "numeric" else 0, 2))
            whole = (
                c.params["precision"] - c.params.get("scale", 0)
                if c.type == "numeric"
                else DIGITS.get(c.type, 10)
            )
            precision = whole + scale + draw(st.integers(0, 3))
            if c.type == "numeric" and (precision, scale) == (
                c.params["precision"],
                c.params.get("scale", 0),
            ):
                precision += 1
            params.update(precision=precision, scale=scale)
        if new == c.type and draw(st.booleans()):
            action.update(params)  # only the parameters: the type stays
        else:
            action.update(type=new, **params)
        return new, params

    def keeps_default(self, c: Col, new: str) -> bool:
        """Whether the engine carries the old default over to the new type by itself."""
        if c.type in NUMBERS and new in NUMBERS:
            return True
        return c.type in ("text", "varchar") and new in ("text", "varchar")

    def default_st(self, c: Col):
        if c.type in self.enums:
            usable = self.usable(c.type)
            return st.sampled_from(usable) if usable else None
        if c.type == "varchar":
            return st.sampled_from(["a", "it's", "50% off"]).filter(
                lambda v: len(v) <= c.params["length"]
            )
        return DEFAULTS.get(c.type)


ADDS = ["table", "table", "enum", "column", "index", "relation"]
CHANGES = [
    "rename_table",
    "rename_column",
    "alter_column",
    "alter_column",
    "drop_column",
    "drop_index",
    "drop_table",
    "drop_relation",
    "enum_value",
    "rename_enum_value",
]


@dataclass
class Rows:
    """Where rows go in (after entry ``cut``) and where each should end up:
    (table at the cut, table at the end, [(column at the cut, column at the end)])."""

    cut: int
    survivors: list[tuple[str, str, list[tuple[str, str]]]]


def snapshot(s: State) -> dict[int, tuple[str, dict[int, str]]]:
    return {t.uid: (t.name, {c.uid: c.name for c in t.cols.values()}) for t in s.own_tables()}


@st.composite
def scenario_st(draw) -> tuple[dict, Rows | None]:
    """A valid changelog that adds and then changes what exists, and the rows to follow."""
    languages = draw(st.lists(st.sampled_from(WORKSPACES), min_size=1, max_size=3, unique=True))
    languages = [w for w in WORKSPACES if w in languages]  # entries below are in file order
    s = State(draw, draw(st.booleans()))
    counts = [draw(st.integers(1, 2)) for _ in languages]
    entries: list[dict] = []
    snapshots = []
    first_change = None
    for ws, count in zip(languages, counts, strict=True):
        for _ in range(count):
            n = len(entries) + 1
            s.added = set()
            # The first of several entries only adds, so rows can go in after it.
            kinds = ADDS + (CHANGES if n > 1 or sum(counts) == 1 else [])
            actions: list[dict] = []
            for _ in range(draw(st.integers(1, 4))):
                choice = draw(st.sampled_from(kinds))
                if choice == "enum" or (
                    choice == "table" and not s.tables and not s.enums and draw(st.booleans())
                ):
                    made = s.enum()
                elif choice == "table" or not s.own_tables():
                    made = s.table()
                else:
                    made = getattr(s, choice)()
                    if made is not None and choice in CHANGES and first_change is None:
                        first_change = len(entries)
                actions.extend(made if isinstance(made, list) else [made] if made else [])
            if actions:
                entries.append({"name": f"step_{n}", "workspace": ws, "actions": actions})
                snapshots.append(snapshot(s))
    if not entries:
        entries = [{"name": "only", "workspace": languages[0], "actions": [{"table": "solo"}]}]
    answers = {
        "project_name": "Prop",
        "languages": languages,
        "multi_tenant": s.multi,
        "migrations": entries,
    }
    rows = None
    if first_change:  # None or 0: no entry before the first change
        cut, end = snapshots[first_change - 1], snapshot(s)
        survivors = [
            (
                name,
                end[uid][0],
                [(c, end[uid][1][cid]) for cid, c in cols.items() if cid in end[uid][1]],
            )
            for uid, (name, cols) in cut.items()
            if uid in end
        ]
        rows = Rows(first_change - 1, survivors)
    return answers, rows


def changelog_st():
    return scenario_st().map(lambda s: s[0])


def engine_modules() -> dict:
    return {n: m for n, m in sys.modules.items() if n.split(".")[0] == "supa_schema"}


import supa_schema.actions  # noqa: E402, F401  (imported lazily by the builder)

ENGINE = engine_modules()


def render(answers: dict, dst: Path) -> None:
    """`copier copy`. The template's Jinja extension imports the engine from
    Copier's temporary clone, which is deleted afterwards: this module's
    ``build`` must keep importing its own (``from .actions import``)."""
    from copier import run_copy

    try:
        run_copy(
            str(ROOT),
            str(dst),
            data=copy.deepcopy(answers),
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref="HEAD",
        )
    finally:
        for name in engine_modules():
            del sys.modules[name]
        sys.modules.update(ENGINE)


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".copier-answers.yml"
    }


def alembic_check(workspace: Path, uri: str) -> None:
    """`alembic stamp head` + `alembic check` in this process, on freshly imported models."""
    from alembic import command
    from alembic.config import Config

    for mod in [m for m in sys.modules if m.split(".")[0] in ("db", "schemas")]:
        del sys.modules[mod]
    sys.path.insert(0, str(workspace / "src"))
    os.environ["DATABASE_URL"] = uri
    try:
        cfg = Config(str(workspace / "alembic.ini"))
        command.stamp(cfg, "head")
        command.check(cfg)
    finally:
        sys.path.remove(str(workspace / "src"))


counter = iter(range(10**6))
ROW, ORG, USER = (samples.fixed_uuid("prop", x) for x in ("row", "org", "user"))


def insert_rows(conn: psycopg.Connection, project: Project) -> dict[str, dict[str, str | None]]:
    """One row in every table of ``project`` (the schema at the cut), every column
    of the user's set; returns each row's values as text."""
    conn.execute("insert into auth.users (id) values (%s)", (USER,))
    if project.multi_tenant:
        conn.execute("insert into public.organizations (id, name) values (%s, 'o')", (ORG,))
    rows = {}
    for t in project.tables.values():
        if t.core or t.junction_of is not None:
            continue
        values = {"id": f"'{ROW}'", "org_id": f"'{ORG}'", "user_id": f"'{USER}'"}
        values = {k: v for k, v in values.items() if t.column(k) is not None}
        for c in t.columns:
            if c.name not in MANAGED and c.references is None:
                values[c.name] = samples.sample_sql(c, "a")
        conn.execute(
            f"insert into public.{t.name} ({', '.join(values)}) values ({', '.join(values.values())})"
        )
        names = [c.name for c in t.columns]
        got = conn.execute(
            f"select {', '.join(f'{n}::text' for n in names)} from public.{t.name}"
        ).fetchone()
        rows[t.name] = dict(zip(names, got, strict=True))
    return rows


def check_rows(conn, rows: Rows, before: Project, after: Project, inserted: dict) -> None:
    """The rows inserted at the cut are still there, their values kept (converted
    where a column's type changed, as PostgreSQL casts them)."""
    for old_table, new_table, columns in rows.survivors:
        if not columns:
            continue
        got = conn.execute(
            f"select {', '.join(f'{new}::text' for _, new in columns)} "
            f"from public.{new_table} where id = %s",
            (ROW,),
        ).fetchone()
        assert got is not None, f"the row of {old_table} is gone from {new_table}"
        for (old, new), value in zip(columns, got, strict=True):
            was = inserted[old_table][old]
            old_type = before.tables[old_table].column(old).type
            new_type = after.tables[new_table].column(new).type
            where = f"{old_table}.{old} -> {new_table}.{new}"
            if old_type.enum or new_type.enum:  # a label may have been renamed
                assert (value is None) == (was is None), where
            elif old_type == new_type or was is None:
                assert value == was, where
            else:
                cast = conn.execute(f"select (%s::{new_type.sql})::text", (was,)).fetchone()
                assert value == cast[0], where


def column_ddl(c) -> str:
    null = "" if c.nullable else " not null"
    return f"{c.name} {c.type.sql}{null}" + (f" default {c.default.sql}" if c.default else "")


def check_catalog(conn: psycopg.Connection, project: Project) -> None:
    """The database holds exactly what the model says: each table's columns (type,
    nullability, default: compared with a table created fresh from the model),
    constraints, indexes and policies, and each enum's values in order."""
    tables = {
        r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'public'")
    }
    assert tables == set(project.tables)
    columns = """select attname, format_type(atttypid, atttypmod), attnotnull,
        pg_get_expr(adbin, adrelid) from pg_attribute left join pg_attrdef
        on adrelid = attrelid and adnum = attnum
        where attrelid = %s::regclass and attnum > 0 and not attisdropped"""
    for t in project.tables.values():
        if t.core:
            continue
        with conn.transaction(force_rollback=True):
            defs = ", ".join(column_ddl(c) for c in t.columns)
            conn.execute(f"create temp table fresh ({defs})")
            want = {r[0]: r[1:] for r in conn.execute(columns, ("pg_temp.fresh",))}
        have = {r[0]: r[1:] for r in conn.execute(columns, (f"public.{t.name}",))}
        assert have == want, t.name
        constraints = {
            t.pkey_name: "p",
            **{t.key_name(c.name): "u" for c in t.unique_columns},
            **({t.org_key: "u"} if t.org_key else {}),
            **{fk.name_in(t.name): "f" for fk in t.foreign_keys},
            **{name: "c" for name, _ in t.checks},
        }
        have_constraints = dict(
            conn.execute(
                "select conname, contype::text from pg_constraint where conrelid = %s::regclass",
                (f"public.{t.name}",),
            ).fetchall()
        )
        assert have_constraints == constraints, t.name
        indexes = {i.name for i in t.indexes} | {n for n, k in constraints.items() if k in "pu"}
        have_indexes = {
            r[0]
            for r in conn.execute(
                "select indexname from pg_indexes where schemaname = 'public' and tablename = %s",
                (t.name,),
            )
        }
        assert have_indexes == indexes, t.name
        policies = {
            r[0]
            for r in conn.execute(
                "select policyname from pg_policies where schemaname = 'public' and tablename = %s",
                (t.name,),
            )
        }
        assert policies == {p.name for p in t.policies}, t.name
    for e in project.enums.values():
        labels = conn.execute(
            "select enumlabel from pg_enum where enumtypid = %s::regtype order by enumsortorder",
            (f"public.{e.name}",),
        ).fetchall()
        assert [r[0] for r in labels] == e.values, e.name


@given(scenario=scenario_st())
def test_random_valid_changelogs_render_apply_and_agree(scenario, pg, tmp_path_factory):
    answers, rows = scenario
    project = build(answers)  # never raises for generated changelogs
    root = tmp_path_factory.mktemp("prop")
    render(answers, root / "a")
    render(answers, root / "b")
    a, b = files(root / "a"), files(root / "b")
    assert a == b
    dbname = f"prop_{next(counter)}"
    uri = pg.create_database(dbname)
    with psycopg.connect(uri, autocommit=True) as conn:
        paths = database.migration_files(root / "a")
        if rows is not None:
            before = build({**answers, "migrations": answers["migrations"][: rows.cut + 1]})
            boundary = next(m.version for m in project.migrations if m.position > rows.cut)
            done = [p for p in paths if p.name < boundary]
            for path in done:
                database.apply_file(conn, path)
            inserted = insert_rows(conn, before)
            paths = paths[len(done) :]
        for path in paths:
            database.apply_file(conn, path)
        if rows is not None:
            check_rows(conn, rows, before, project, inserted)
        check_catalog(conn, project)
    if "python" in answers["languages"]:
        workspace = root / "a" / project.workspaces["python"].path
        alembic_check(workspace, uri)
        formatted = subprocess.run(
            [sys.executable, "-m", "ruff", "format", "--check", str(workspace)],
            capture_output=True,
            text=True,
            cwd=workspace,  # the generated repo's settings, not this project's
        )
        assert formatted.returncode == 0, formatted.stdout
        linted = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--no-cache", str(workspace)],
            capture_output=True,
            text=True,
            cwd=workspace,  # the rule set its pyproject.toml states
        )
        assert linted.returncode == 0, linted.stdout
    with psycopg.connect(pg.uri(), autocommit=True) as conn:
        conn.execute(f"drop database {dbname} with (force)")


MUTATIONS = {
    "bad table name": lambda a: a["migrations"][0]["actions"].append({"table": "Bad Name"}),
    "reserved word": lambda a: a["migrations"][0]["actions"].append(
        {"table": sorted(SQL_RESERVED)[len(a["migrations"]) % len(SQL_RESERVED)]}
    ),
    "duplicate table": lambda a: a["migrations"][-1]["actions"].append(
        {"table": next((t.name for t in build(a).tables.values() if not t.core), "1x")}
    ),
    "unknown type": lambda a: a["migrations"][0]["actions"].append(
        {"table": "weird", "columns": [{"name": "w", "type": "money"}]}
    ),
    "unknown table": lambda a: a["migrations"][-1]["actions"].append(
        {"column": "c", "table": "missing_table", "type": "text"}
    ),
    "rename a missing table": lambda a: a["migrations"][-1]["actions"].append(
        {"rename_table": "missing_table", "to": "found_table"}
    ),
    "remove an enum value": lambda a: a["migrations"][-1]["actions"].append(
        {"drop_enum_value": "new", "enum": "kind_0"}
    ),
    "empty entry": lambda a: a["migrations"].append(
        {"name": "empty", "workspace": a["languages"][0], "actions": []}
    ),
    "duplicate name": lambda a: a["migrations"].append(
        {**copy.deepcopy(a["migrations"][0]), "actions": [{"table": "other_t"}]}
    ),
    "scale above precision": lambda a: a["migrations"][0]["actions"].append(
        {
            "table": "money_t",
            "columns": [{"name": "m", "type": "numeric", "precision": 2, "scale": 3}],
        }
    ),
}


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(answers=changelog_st(), mutation=st.sampled_from(sorted(MUTATIONS)))
def test_random_invalid_changelogs_are_refused_before_writing(answers, mutation, tmp_path_factory):
    bad = copy.deepcopy(answers)
    MUTATIONS[mutation](bad)
    with pytest.raises(SchemaError):
        build(bad)
    dst = tmp_path_factory.mktemp("bad") / "out"
    with pytest.raises(ValueError, match="migrations"):
        render(bad, dst)
    assert not dst.exists()
