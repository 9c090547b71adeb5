"""The TypeScript workspace: tsc accepts it, drizzle-kit's SQL builds the same
catalog as supabase/migrations, and rows round-trip through drizzle-orm."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
import yaml

from conftest import EXAMPLE_NAMES, EXAMPLES
from supa_schema_cli import database

TS_EXAMPLES = [e for e in EXAMPLE_NAMES
               if "typescript" in yaml.safe_load((EXAMPLES / f"{e}.yml").read_text())["languages"]]
CACHE = Path.home() / ".cache" / "supa-schema" / "node"
ROUNDTRIP = Path(__file__).with_name("ts_roundtrip.mjs")


def workspace(repo: Path) -> Path:
    config = json.loads((repo / ".kodo" / "config.json").read_text())
    return repo / config["stack"]["workspaces"]["typescript"]["path"]


@pytest.fixture(scope="session")
def node_modules(rendered) -> Path:
    """npm packages of the generated package.json, installed once and reused across runs."""
    package = (workspace(rendered("saas")) / "package.json").read_bytes()
    home = CACHE / hashlib.sha256(package).hexdigest()[:16]
    if not (home / "node_modules" / ".bin" / "tsc").exists():
        home.mkdir(parents=True, exist_ok=True)
        (home / "package.json").write_bytes(package)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=home, check=True, capture_output=True)
    return home / "node_modules"


@pytest.fixture(scope="session")
def ts_workspace(rendered, node_modules):
    """The example's TypeScript workspace with node_modules linked in (once per example)."""
    def get(example: str) -> Path:
        ws = workspace(rendered(example))
        link = ws / "node_modules"
        if not link.exists():
            link.symlink_to(node_modules, target_is_directory=True)
        return ws
    return get


def tsc(ws: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ws / "node_modules" / ".bin" / "tsc"), *args], cwd=ws,
                          capture_output=True, text=True)


USAGE = """
import {{ createClient }} from "@supabase/supabase-js";
import {{ drizzle }} from "drizzle-orm/postgres-js";
import {{ eq }} from "drizzle-orm";
import postgres from "postgres";
import * as schema from "./db/schema.js";
import type {{ Database, Tables }} from "./types/supabase.js";

export async function usage(): Promise<void> {{
  const db = drizzle(postgres("postgres://localhost/x"), {{ schema }});
  const row: schema.New{model} = {insert};
  await db.insert(schema.{table}).values(row);
  const rows: schema.{model}[] = await db.select().from(schema.{table}).where(eq(schema.{table}.{column}, {value}));
  const supabase = createClient<Database>("http://localhost:54321", "anon-key");
  const {{ data }} = await supabase.from("{sql_table}").select("{sql_column}");
  const first: Tables<"{sql_table}">["{sql_column}"] | undefined = data?.[0]?.{sql_column};
  console.log(rows.length, first);
}}
"""

USAGES = {
    "blog": dict(model="Tag", table="tags", insert='{ label: "x" }', column="label",
                 value='"x"', sql_table="tags", sql_column="label"),
    "saas": dict(model="Category", table="categories",
                 insert='{ orgId: "00000000-0000-4000-8000-000000000001", title: "t" }',
                 column="title", value='"t"', sql_table="categories", sql_column="title"),
    "embeddings": dict(model="Document", table="documents",
                       insert='{ orgId: "o", title: "t", content: "c", embedding: [1, 2, 3] }',
                       column="title", value='"t"', sql_table="documents", sql_column="title"),
    "kitchen_sink": dict(model="Switch", table="switchTable", insert="{ impl: null }",
                         column="impl", value='"x"', sql_table="switch", sql_column="impl"),
}


@pytest.mark.parametrize("example", TS_EXAMPLES)
def test_tsc_accepts_the_workspace_and_typed_usage(example, ts_workspace):
    ws = ts_workspace(example)
    usage = ws / "src" / "usage_check.ts"
    usage.write_text(USAGE.format(**USAGES[example]))
    try:
        result = tsc(ws, "--noEmit")
        assert result.returncode == 0, result.stdout + result.stderr
        wrong = dict(USAGES[example], column=USAGES[example]["column"] + "Typo",
                     sql_column=USAGES[example]["sql_column"] + "_typo")
        usage.write_text(USAGE.format(**wrong))
        result = tsc(ws, "--noEmit")
        assert result.returncode != 0
        assert "Typo" in result.stdout and "_typo" in result.stdout
    finally:
        usage.unlink()


CATALOG = {
    "columns": """select c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                         pg_get_expr(d.adbin, d.adrelid)
                  from pg_attribute a join pg_class c on c.oid = a.attrelid
                  join pg_namespace n on n.oid = c.relnamespace
                  left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                  where n.nspname = 'public' and c.relkind = 'r' and a.attnum > 0
                    and not a.attisdropped""",
    "constraints": """select c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
                      from pg_constraint k join pg_class c on c.oid = k.conrelid
                      join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'""",
    "indexes": """select tablename, indexname, indexdef from pg_indexes
                  where schemaname = 'public'""",
    "enums": """select t.typname, array_agg(e.enumlabel order by e.enumsortorder)
                from pg_type t join pg_enum e on e.enumtypid = t.oid
                join pg_namespace n on n.oid = t.typnamespace
                where n.nspname = 'public' group by t.typname""",
}


def catalog(uri: str) -> dict[str, list]:
    with psycopg.connect(uri) as conn:
        conn.execute("set search_path = public, extensions")
        return {k: sorted(map(tuple, conn.execute(q).fetchall()), key=repr)
                for k, q in CATALOG.items()}


@pytest.mark.parametrize("example", TS_EXAMPLES)
def test_drizzle_kit_export_builds_the_same_catalog_as_the_migrations(example, ts_workspace,
                                                                      rendered, migrated, pg):
    ws = ts_workspace(example)
    exported = subprocess.run([str(ws / "node_modules" / ".bin" / "drizzle-kit"), "export"],
                              cwd=ws, capture_output=True, text=True)
    assert exported.returncode == 0, exported.stderr
    ddl = exported.stdout
    # auth.users belongs to Supabase and already exists in the database.
    ddl, n = re.subn(r'CREATE TABLE "auth"\."users" \([^;]*\);', "", ddl)
    assert n == 1
    uri = pg.create_database(f"drizzle_{example}")
    repo = rendered(example)
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute((repo / "supabase/migrations/00000_extensions.sql").read_text())
        conn.execute("create extension if not exists vector with schema extensions")
        conn.execute(ddl)
    ours, theirs = catalog(migrated(example)), catalog(uri)
    for kind in CATALOG:
        assert theirs[kind] == ours[kind], kind
    assert len(ours["columns"]) > 10


@pytest.mark.parametrize("example", TS_EXAMPLES)
def test_every_table_round_trips_through_drizzle(example, ts_workspace, fresh_db, pg):
    ws = ts_workspace(example)
    built = tsc(ws, "--outDir", "dist")
    assert built.returncode == 0, built.stdout
    uri = fresh_db(example, "ts_rows")
    dbname = uri.split("@/")[1].split("?")[0]
    script = ws / "roundtrip.mjs"  # ES modules resolve packages from the script's folder
    shutil.copy(ROUNDTRIP, script)
    try:
        result = subprocess.run(["node", str(script), pg.socket_dir, dbname], cwd=ws,
                                capture_output=True, text=True)
    finally:
        script.unlink()
    assert result.returncode == 0, result.stdout + result.stderr
    from supa_schema import build

    tables = build(yaml.safe_load((EXAMPLES / f"{example}.yml").read_text())).tables
    done = sorted(line.split()[1].rstrip(":") for line in result.stdout.splitlines()
                  if line.startswith("roundtrip "))
    assert done == sorted(tables)
