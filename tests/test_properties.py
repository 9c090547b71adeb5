"""Property tests: random changelogs.

Valid ones always render (twice, byte-identically), apply in file-name order
and pass `alembic check`; invalid ones are always refused before anything is
written. Example counts come from the hypothesis profile (200 in CI).
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import ROOT

from supa_schema import SchemaError, build
from supa_schema.names import SQL_RESERVED
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
        if draw(st.booleans()):
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


@st.composite
def changelog_st(draw):
    languages = draw(st.lists(st.sampled_from(WORKSPACES), min_size=1, max_size=3, unique=True))
    languages = [w for w in WORKSPACES if w in languages]  # entries below are in file order
    multi = draw(st.booleans())
    tables: list[dict] = []  # {"name", "columns": set}
    enums: list[dict] = []
    entries = []
    n = 0
    for ws in languages:
        for _ in range(draw(st.integers(1, 2))):
            n += 1
            actions = []
            for _ in range(draw(st.integers(1, 4))):
                choice = draw(
                    st.sampled_from(["table", "table", "enum", "column", "index", "relation"])
                )
                if choice == "enum" or (
                    choice == "table" and not tables and not enums and draw(st.booleans())
                ):
                    values = draw(
                        st.lists(
                            st.sampled_from(["new", "open", "done"] + AWKWARD),
                            min_size=1,
                            max_size=4,
                            unique=True,
                        )
                    )
                    e = {"enum": f"kind_{len(enums)}", "values": values}
                    enums.append(e)
                    actions.append(e)
                elif choice == "table" or not tables:
                    taken: set[str] = set()
                    cols = draw(st.lists(column_st(enums, taken), max_size=5))
                    t = {"table": f"things_{len(tables)}", "columns": cols}
                    for flag in ("timestamps", "soft_delete"):
                        if draw(st.booleans()):
                            t[flag] = True
                    if multi and draw(st.booleans()):
                        t["tenant"] = True
                    elif draw(st.integers(0, 3)) == 0:
                        t["owner"] = True
                    names = {c["name"] for c in cols} | {"id"}
                    if cols and draw(st.booleans()):
                        indexable = [
                            c["name"]
                            for c in cols
                            if not str(c["type"]).startswith(("vector", "jsonb"))
                        ]
                        if indexable:
                            t["indexes"] = [{"columns": [draw(st.sampled_from(indexable))]}]
                    tables.append(
                        {
                            "name": t["table"],
                            "columns": names,
                            "tenant": bool(t.get("tenant")),
                            "indexed": {tuple(i["columns"]) for i in t.get("indexes", [])},
                            "unindexable": {
                                c["name"]
                                for c in cols
                                if str(c["type"]).startswith(("vector", "jsonb"))
                            },
                        }
                    )
                    actions.append(t)
                elif choice == "column":
                    t = draw(st.sampled_from(tables))
                    col = draw(
                        column_st(
                            enums,
                            set(t["columns"])
                            | {"org_id", "user_id", "created_at", "updated_at", "deleted_at"},
                        )
                    )
                    if col.get("required") and "default" not in col:
                        col.pop("required")
                    t["columns"].add(col["name"])
                    if str(col["type"]).startswith(("vector", "jsonb")):
                        t["unindexable"].add(col["name"])
                    actions.append({"column": col.pop("name"), "table": t["name"], **col})
                elif choice == "index":
                    t = draw(st.sampled_from(tables))
                    cols = sorted(t["columns"] - t["unindexable"])
                    c = draw(st.sampled_from(cols))
                    if (c,) in t["indexed"] or c == "id":
                        continue
                    t["indexed"].add((c,))
                    actions.append({"index": {"table": t["name"], "columns": [c]}})
                else:
                    a, b = draw(st.sampled_from(tables)), draw(st.sampled_from(tables))
                    kind = draw(st.sampled_from(["one-to-many", "many-to-one", "many-to-many"]))
                    rel = {
                        "relation": kind,
                        "from": a["name"],
                        "to": b["name"],
                        "name": f"link_{n}_{len(actions)}",
                        "inverse": f"links_{n}_{len(actions)}",
                    }
                    if kind == "many-to-many":
                        rel["through"] = f"junction_{n}_{len(actions)}"
                    else:
                        holder, target = (a, b) if kind == "many-to-one" else (b, a)
                        if target["tenant"] and not holder["tenant"]:
                            continue  # refused: a shared table cannot point into a tenant's
                        holder["columns"].add(f"{rel['name']}_id")
                        holder["indexed"].add((f"{rel['name']}_id",))
                    actions.append(rel)
            if actions:
                entries.append({"name": f"step_{n}", "workspace": ws, "actions": actions})
    if not entries:
        entries = [{"name": "only", "workspace": languages[0], "actions": [{"table": "solo"}]}]
    return {
        "project_name": "Prop",
        "languages": languages,
        "multi_tenant": multi,
        "migrations": entries,
    }


def render(answers: dict, dst: Path) -> None:
    from copier import run_copy

    run_copy(
        str(ROOT),
        str(dst),
        data=copy.deepcopy(answers),
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD",
    )


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


@given(answers=changelog_st())
def test_random_valid_changelogs_render_apply_and_agree(answers, pg, tmp_path_factory):
    project = build(answers)  # never raises for generated changelogs
    root = tmp_path_factory.mktemp("prop")
    render(answers, root / "a")
    render(answers, root / "b")
    a, b = files(root / "a"), files(root / "b")
    assert a == b
    dbname = f"prop_{next(counter)}"
    uri = pg.create_database(dbname)
    database.apply_migrations(uri, root / "a")
    with psycopg.connect(uri) as conn:
        tables = {
            r[0]
            for r in conn.execute("select tablename from pg_tables where schemaname = 'public'")
        }
    assert tables == set(project.tables)
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
        {
            "table": next(
                x["table"]
                for e in a["migrations"]
                for x in e["actions"]
                if "table" in x and not {"column", "index", "relation"} & set(x)
            )
        }
        if any(
            "table" in x and not {"column", "index", "relation"} & set(x)
            for e in a["migrations"]
            for x in e["actions"]
        )
        else {"table": "1x"}
    ),
    "unknown type": lambda a: a["migrations"][0]["actions"].append(
        {"table": "weird", "columns": [{"name": "w", "type": "money"}]}
    ),
    "unknown table": lambda a: a["migrations"][-1]["actions"].append(
        {"column": "c", "table": "missing_table", "type": "text"}
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
