"""Supabase SQL: every migration applies in file-name order; renders are deterministic;
bad answers stop Copier before any file is written."""

from __future__ import annotations

import copy
import json

import psycopg
import pytest
from support import EXAMPLE_NAMES, copier_copy, load_example
from test_engine import BAD_ANSWERS

from supa_schema import ORM_REDIRECT, SchemaError, build


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_every_migration_applies_in_file_name_order(example, rendered, migrated):
    repo = rendered(example)
    project = build(load_example(example))
    files = sorted(p.name for p in (repo / "supabase" / "migrations").glob("*.sql"))
    assert files == ["00000_extensions.sql", "00001_core_functions.sql"] + sorted(
        f"{m.stem}.sql" for m in project.migrations
    )
    uri = migrated(example)
    with psycopg.connect(uri) as conn:
        tables = {
            r[0]
            for r in conn.execute("select tablename from pg_tables where schemaname = 'public'")
        }
        assert tables == set(project.tables)
        no_rls = [
            r[0]
            for r in conn.execute(
                "select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity"
            )
        ]
        assert no_rls == []
        enums = {
            r[0]
            for r in conn.execute(
                "select t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace "
                "where n.nspname = 'public' and t.typtype = 'e'"
            )
        }
        assert enums == set(project.enums)


def test_migration_files_are_numbered_in_their_owners_range(rendered):
    names = sorted(p.name for p in (rendered("saas") / "supabase" / "migrations").glob("*.sql"))
    assert names == [
        "00000_extensions.sql",
        "00001_core_functions.sql",
        "00101_node_create_catalog.sql",
        "00201_python_create_orders.sql",
        # add_sku adds a unique column and an index to a table with rows: each index
        # is built concurrently in a file of its own (name, name_2, ...).
        "00202_python_add_sku.sql",
        "00203_python_add_sku_2.sql",
        "00204_python_add_sku_3.sql",
        "00205_python_add_sku_4.sql",
        "00301_rust_create_shipments.sql",
    ]


def test_database_matches_the_answers(migrated):
    uri = migrated("saas")
    with psycopg.connect(uri) as conn:
        cols = {
            r[0]: r[1:]
            for r in conn.execute(
                "select column_name, data_type, is_nullable, column_default "
                "from information_schema.columns where table_schema = 'public' "
                "and table_name = 'products'"
            )
        }
        assert cols["price"][:2] == ("numeric", "NO")
        assert cols["description"][1] == "YES"
        assert cols["is_active"] == ("boolean", "NO", "true")
        assert cols["tags"][0] == "ARRAY"
        assert cols["deleted_at"][:2] == ("timestamp with time zone", "YES")
        assert cols["updated_at"][2] == "now()"
        (labels,) = conn.execute("select enum_range(null::public.carrier)::text[]").fetchone()
        assert labels == ["ups", "fedex", "dhl express"]
        idx = {
            r[0]
            for r in conn.execute("select indexname from pg_indexes where tablename = 'products'")
        }
        assert {
            "idx_products_org_id",
            "idx_products_name",
            "idx_products_org_id_sku",
            "products_sku_key",
            "products_pkey",
        } <= idx
        trig = conn.execute(
            "select count(*) from pg_trigger where tgname = 'set_updated_at' "
            "and tgrelid = 'public.products'::regclass"
        ).fetchone()[0]
        assert trig == 1
        # The trigger really maintains updated_at.
        conn.execute("insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000aa')")
        org = conn.execute(
            "insert into public.organizations (name) values ('o') returning id"
        ).fetchone()[0]
        pid, before = conn.execute(
            "insert into public.products (org_id, name, price, updated_at) values "
            "(%s, 'n', 1, now() - interval '1 day') returning id, updated_at",
            [org],
        ).fetchone()
        after = conn.execute(
            "update public.products set name = 'm' where id = %s returning updated_at", [pid]
        ).fetchone()[0]
        assert after > before
        conn.rollback()


def test_vector_extension_lives_in_extensions_schema(migrated):
    with psycopg.connect(migrated("embeddings")) as conn:
        schema = conn.execute(
            "select n.nspname from pg_extension e join pg_namespace n "
            "on n.oid = e.extnamespace where e.extname = 'vector'"
        ).fetchone()
        assert schema == ("extensions",)
        methods = dict(
            conn.execute(
                "select i.relname, am.amname from pg_index x join pg_class i on i.oid = x.indexrelid "
                "join pg_am am on am.oid = i.relam where i.relname like 'idx_%embedding'"
            ).fetchall()
        )
        assert methods == {"idx_documents_embedding": "hnsw", "idx_chunks_embedding": "ivfflat"}


def test_kodo_config_has_the_seed_format_and_workspace_paths(rendered):
    config = json.loads((rendered("saas") / ".kodo" / "config.json").read_text())
    ts = config["stack"]["workspaces"]["typescript"]
    assert ts["language"] == "typescript"
    assert ts["path"] == "apps/typescript"
    assert ts["database"]["orm"] == {"name": "drizzle", "schemaPath": "src/db/schema.ts"}
    assert ts["database"]["migrationStrategy"]["type"] == "hybrid"
    assert ts["database"]["migrationStrategy"]["serviceRange"] == {"start": "00100", "end": "00199"}
    py = config["stack"]["workspaces"]["python"]["database"]
    assert py["orm"]["name"] == "sqlalchemy"
    assert py["migrationStrategy"]["serviceRange"] == {"start": "00200", "end": "00299"}
    rust = config["stack"]["workspaces"]["rust"]["database"]
    assert rust["migrationStrategy"]["serviceRange"] == {"start": "00300", "end": "00399"}


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_two_renders_of_the_same_answers_are_byte_identical(example, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    copier_copy(load_example(example), first)
    copier_copy(load_example(example), second)

    def files(root):
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".copier-answers.yml"
        }

    a, b = files(first), files(second)
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []
    assert len(a) > 30


def test_orm_none_workspace_gets_sql_only_and_the_redirect(tmp_path):
    answers = {
        "project_name": "Plain",
        "languages": ["python"],
        "python_orm": "none",
        "multi_tenant": False,
        "migrations": [
            {
                "name": "init",
                "workspace": "python",
                "actions": [{"table": "notes", "columns": [{"name": "body", "type": "text"}]}],
            }
        ],
    }
    dst = tmp_path / "plain"
    copier_copy(answers, dst)
    assert (dst / "supabase" / "migrations" / "00201_python_init.sql").is_file()
    assert not (dst / "apps" / "python").exists()
    config = json.loads((dst / ".kodo" / "config.json").read_text())
    assert config["stack"]["workspaces"]["python"]["database"]["orm"] is None
    project = build(answers)
    with pytest.raises(SchemaError, match="supa-migrate"):
        project.require_orm("python")
    assert "/kodo supa-migrate" in ORM_REDIRECT


# ---------------------------------------------------------------- bad answers

BASE = {"project_name": "Bad", "languages": ["typescript", "python"], "multi_tenant": False}


def entry(name, workspace, *actions):
    return {"name": name, "workspace": workspace, "actions": list(actions)}


PRODUCTS = {"table": "products", "columns": [{"name": "title", "type": "text"}]}


@pytest.mark.parametrize(
    "case",
    [
        "sql reserved word as table",
        "entry runs before the table it needs",
        "default of the wrong type",
    ],
)
def test_bad_answers_stop_before_any_file_is_written(case, tmp_path):
    """Copier's own run stops too (the whole catalogue runs in test_engine.py)."""
    migrations, where, problem = BAD_ANSWERS[case]
    answers = {**copy.deepcopy(BASE), "migrations": migrations}
    dst = tmp_path / "out"
    result = copier_copy(answers, dst, check=False)
    assert result.returncode != 0
    marker = "Validation error for question 'migrations'"
    assert marker in result.stderr
    message = result.stderr[result.stderr.index(marker) :]
    assert where in message, message
    assert problem in message, message
    assert not dst.exists()
    # The engine says the same when used directly (as the CLI does).
    with pytest.raises(SchemaError) as err:
        build(answers)
    assert where in str(err.value) and problem in str(err.value)


TENANT = {"table": "projects", "tenant": True, "columns": [{"name": "title", "type": "text"}]}
SHARED = {"table": "notes", "columns": [{"name": "body", "type": "text"}]}


@pytest.mark.parametrize(
    "reference",
    [
        {**SHARED, "columns": [{"name": "project_id", "type": "uuid", "references": "projects"}]},
        {"column": "project_id", "table": "notes", "type": "uuid", "references": "projects"},
        {"relation": "many-to-one", "from": "notes", "to": "projects"},
        {"relation": "one-to-many", "from": "projects", "to": "notes"},
    ],
    ids=["column of a new table", "column action", "many-to-one", "one-to-many"],
)
def test_a_shared_table_cannot_reference_a_tenant_table(reference, tmp_path):
    """The database can keep a reference inside one organization only when both
    tables have org_id: anything else is refused before a file is written."""
    actions = (
        [TENANT]
        + ([] if "columns" in reference and reference["table"] == "notes" else [SHARED])
        + [reference]
    )
    answers = {
        **copy.deepcopy(BASE),
        "multi_tenant": True,
        "migrations": [entry("first", "python", *actions)],
    }
    with pytest.raises(SchemaError) as err:
        build(answers)
    assert "'notes.project_id' references tenant table 'projects'" in str(err.value)
    assert "make 'notes' a tenant table" in str(err.value)
    if reference.get("relation") == "many-to-one":
        dst = tmp_path / "out"
        result = copier_copy(answers, dst, check=False)
        assert result.returncode != 0 and "references tenant table" in result.stderr
        assert not dst.exists()
