"""The TypeScript workspace: tsc accepts it, drizzle-kit's SQL builds the same
catalog as supabase/migrations, and rows round-trip through drizzle-orm."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
import yaml
from support import EXAMPLE_NAMES, EXAMPLES, copier_copy, workspace_dir

from supa_schema import build

TS_EXAMPLES = [
    e
    for e in EXAMPLE_NAMES
    if "typescript" in yaml.safe_load((EXAMPLES / f"{e}.yml").read_text())["languages"]
]
ROUNDTRIP = Path(__file__).with_name("ts_roundtrip.mjs")


@pytest.fixture(scope="session")
def ts_workspace(rendered, node_modules):
    """The example's TypeScript workspace with node_modules linked in (once per example)."""

    def get(example: str) -> Path:
        ws = workspace_dir(rendered(example), "typescript")
        link = ws / "node_modules"
        if not link.exists():
            link.symlink_to(node_modules, target_is_directory=True)
        return ws

    return get


def tsc(ws: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ws / "node_modules" / ".bin" / "tsc"), *args], cwd=ws, capture_output=True, text=True
    )


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
    "blog": dict(
        model="Tag",
        table="tags",
        insert='{ label: "x" }',
        column="label",
        value='"x"',
        sql_table="tags",
        sql_column="label",
    ),
    "saas": dict(
        model="Category",
        table="categories",
        insert='{ orgId: "00000000-0000-4000-8000-000000000001", title: "t" }',
        column="title",
        value='"t"',
        sql_table="categories",
        sql_column="title",
    ),
    "embeddings": dict(
        model="Document",
        table="documents",
        insert='{ orgId: "o", title: "t", content: "c", embedding: [1, 2, 3] }',
        column="title",
        value='"t"',
        sql_table="documents",
        sql_column="title",
    ),
    # a renamed table and column, and a column widened to bigint
    "evolve": dict(
        model="Case",
        table="cases",
        insert='{ orgId: "o", customerId: "c", subject: "s", estimate: 2 }',
        column="estimate",
        value="2",
        sql_table="cases",
        sql_column="estimate",
    ),
    "kitchen_sink": dict(
        model="Switch",
        table="switchTable",
        insert='{ orgId: "00000000-0000-4000-8000-000000000001", impl: null }',
        column="impl",
        value='"x"',
        sql_table="switch",
        sql_column="impl",
    ),
}


def test_workspace_of_a_project_without_tables_passes_tsc_and_prettier(tmp_path, node_modules):
    """No tables yet (the first `copier copy`): nothing is imported unused (tsconfig
    refuses it), and drizzle-kit finds no migration to write."""
    answers = {"project_name": "Empty", "languages": ["typescript"], "multi_tenant": False}
    copier_copy({**answers, "migrations": []}, tmp_path / "repo")
    ws = workspace_dir(tmp_path / "repo", "typescript")
    (ws / "node_modules").symlink_to(node_modules, target_is_directory=True)
    checked = tsc(ws, "--noEmit")
    assert checked.returncode == 0, checked.stdout
    pretty = subprocess.run(
        [str(ws / "node_modules" / ".bin" / "prettier"), "--check", "."],
        cwd=ws,
        capture_output=True,
        text=True,
    )
    assert pretty.returncode == 0, pretty.stdout + pretty.stderr
    assert "No schema changes, nothing to migrate" in npm_generate(ws)
    assert not list((ws / "drizzle").rglob("*.sql"))


@pytest.mark.parametrize("example", TS_EXAMPLES)
def test_tsc_accepts_the_workspace_and_typed_usage(example, ts_workspace):
    ws = ts_workspace(example)
    usage = ws / "src" / "usage_check.ts"
    usage.write_text(USAGE.format(**USAGES[example]))
    try:
        result = tsc(ws, "--noEmit")
        assert result.returncode == 0, result.stdout + result.stderr
        wrong = dict(
            USAGES[example],
            column=USAGES[example]["column"] + "Typo",
            sql_column=USAGES[example]["sql_column"] + "_typo",
        )
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
    "rls": """select c.relname, c.relrowsecurity from pg_class c
              join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = 'public' and c.relkind = 'r'""",
    "policies": """select tablename, policyname, permissive, roles, cmd, qual, with_check
                   from pg_policies where schemaname = 'public'""",
}


def catalog(uri: str) -> dict[str, list]:
    with psycopg.connect(uri) as conn:
        conn.execute("set search_path = public, extensions")
        return {
            k: sorted(map(tuple, conn.execute(q).fetchall()), key=repr) for k, q in CATALOG.items()
        }


# The private helpers policies call, as stubs with the same signatures (export builds
# no functions): a policy's expression then reads back exactly as in the migrations.
POLICY_HELPERS = """
create function private.user_org_ids(min_role text default 'member') returns setof uuid
  language sql as 'select null::uuid where false';
create function private.is_org_member(org uuid) returns boolean language sql as 'select false';
"""


def set_null_columns_dropped(constraints: list[tuple]) -> tuple[list[tuple], int]:
    """The constraints with `ON DELETE SET NULL (column)` written as plain `SET NULL`.

    An organization-scoped key `(org_id, x) -> (org_id, id)` nulls only `x` on delete
    (PostgreSQL 15+ column list). drizzle-kit 0.31 has no way to say so: its SQL reads
    `ON DELETE SET NULL` (which would null org_id too, and fail on its not-null). That
    is the one difference allowed between the two catalogs; it is counted.
    """
    out, n = [], 0
    for table, name, kind, definition in constraints:
        definition, k = re.subn(
            r"^(FOREIGN KEY \(org_id, (\w+)\) .* ON DELETE SET NULL) \(\2\)$", r"\1", definition
        )
        out.append((table, name, kind, definition))
        n += k
    return sorted(out, key=repr), n


@pytest.mark.parametrize("example", TS_EXAMPLES)
def test_drizzle_kit_export_builds_the_same_catalog_as_the_migrations(
    example, ts_workspace, rendered, migrated, pg
):
    """Columns, defaults, keys, indexes, enums, RLS flags and policies all agree."""
    ws = ts_workspace(example)
    exported = subprocess.run(
        [str(ws / "node_modules" / ".bin" / "drizzle-kit"), "export"],
        cwd=ws,
        capture_output=True,
        text=True,
    )
    assert exported.returncode == 0, exported.stderr
    ddl = exported.stdout
    # auth.users belongs to Supabase: schema.ts imports it from drizzle-orm/supabase
    # (not exported), so drizzle-kit neither creates it nor its schema.
    assert 'CREATE TABLE "auth"' not in ddl and "CREATE SCHEMA" not in ddl
    uri = pg.create_database(f"drizzle_{example}")
    repo = rendered(example)
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute((repo / "supabase/migrations/00000_extensions.sql").read_text())
        conn.execute("create extension if not exists vector with schema extensions")
        conn.execute(POLICY_HELPERS)
        conn.execute(ddl)
    ours, theirs = catalog(migrated(example)), catalog(uri)
    ours["constraints"], n = set_null_columns_dropped(ours["constraints"])
    project = build(yaml.safe_load((EXAMPLES / f"{example}.yml").read_text()))
    assert n == sum(
        fk.org_scoped and fk.on_delete == "set null"
        for t in project.tables.values()
        for fk in t.foreign_keys
    )
    for kind in CATALOG:
        assert theirs[kind] == ours[kind], kind
    assert len(ours["columns"]) > 10
    assert all(on for _, on in ours["rls"]) and len(ours["policies"]) >= len(ours["rls"])


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
        result = subprocess.run(
            ["node", str(script), pg.socket_dir, dbname], cwd=ws, capture_output=True, text=True
        )
    finally:
        script.unlink()
    assert result.returncode == 0, result.stdout + result.stderr
    tables = build(yaml.safe_load((EXAMPLES / f"{example}.yml").read_text())).tables
    done = sorted(
        line.split()[1].rstrip(":")
        for line in result.stdout.splitlines()
        if line.startswith("roundtrip ")
    )
    assert done == sorted(tables)


AS_USER = Path(__file__).with_name("ts_as_user.mjs")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PLAIN = re.compile(r"""[{}",\\'\s]""")
NUMBERS = ("smallint", "integer", "bigint", "real", "double", "timestamptz")


def db_name(uri: str) -> str:
    return uri.split("@/")[1].split("?")[0]


def drizzle_kit(ws: Path, *args: str, pg=None, database_name: str = "") -> str:
    """Run drizzle-kit (against a database of the embedded server); its output, plain."""
    env = dict(os.environ)
    if pg is not None:  # postgres-js ignores `?host=`: the socket directory goes in PGHOST
        env.update(
            PGHOST=pg.socket_dir, PGUSER="postgres", DATABASE_URL=f"postgres:///{database_name}"
        )
    result = subprocess.run(
        [str(ws / "node_modules" / ".bin" / "drizzle-kit"), *args],
        cwd=ws,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = ANSI.sub("", result.stdout + result.stderr)
    assert result.returncode == 0, out
    return out


def push_statements(ws: Path, pg, database_name: str) -> list[str]:
    """The statements `drizzle-kit push --force --verbose` (strict off) plans and runs."""
    out = drizzle_kit(ws, "push", "--force", "--verbose", pg=pg, database_name=database_name)
    if "[i] No changes detected" in out.splitlines():
        return []
    _, sep, tail = out.partition("You are about to execute current statements:")
    body, done, _ = tail.partition("Changes applied")
    assert sep and done and "Error" not in out, out
    statements = [line for line in body.splitlines() if line.strip() and line[0] != "["]
    assert statements and all(s.endswith(";") for s in statements[:-1]), out
    return statements


def defaults_push_cannot_echo(example: str) -> set[tuple[str, str]]:
    """(table, column) of the defaults drizzle-kit 0.31 push reads back differently from
    how schema.ts spells them, whatever the spelling, so it proposes `set default` again:

    - arrays: its defaultForColumn quotes every element of the text between `'{` and `}'`
      it reads, so only a `'{...}'` literal of plain elements, or an empty array of
      numbers or timestamps, reads back as written (`'{}'::text[]` reads as `'{""}'`,
      `ARRAY['a', 'b']` as garbage);
    - a negative number PostgreSQL stores with its literal's cast (`'-7'::integer` on a
      smallint column, `'-1.5'::numeric` on a double one): drizzle-kit reads `'-7'`, but
      SQL `default '-7'` stores `'-7'::smallint`, so schema.ts keeps the migration's
      spelling (export stays exact); a quoted SQL literal would make both agree;
    - a whole number on a numeric column (`12`, read back as `'12'`).
    The template (macros/drizzle.jinja, `default`) follows the same rules.
    """
    project = build(yaml.safe_load((EXAMPLES / f"{example}.yml").read_text()))
    out = set()
    for t in project.tables.values():
        for c in t.columns:
            d, base = c.default, c.type.base
            if d is None or d.expression or d.sql.startswith("'") and not c.type.array:
                continue
            if c.type.array:
                plain = d.sql.startswith("'{") and all(
                    (isinstance(v, str) and v and v.lower() != "null" and not PLAIN.search(v))
                    or isinstance(v, (bool, int))
                    for v in d.value
                )
                echoed = (not d.value and base in NUMBERS) or (d.value and plain)
            elif base in NUMBERS[:-1]:
                v = d.value
                echoed = not (
                    v < 0 and not (isinstance(v, int) and (v < -(2**31) or base == "integer"))
                )
            elif base == "numeric":
                echoed = not d.sql.isdigit()
            else:
                echoed = True
            if not echoed:
                out.add((t.name, c.name))
    return out


def rls_state(uri: str) -> dict[str, list]:
    found = catalog(uri)
    return {k: found[k] for k in ("rls", "policies")}


@pytest.mark.parametrize("example", TS_EXAMPLES)
def test_drizzle_kit_push_finds_nothing_to_change(example, ts_workspace, fresh_db, pg):
    """`drizzle-kit push` against a database built from supabase/migrations plans nothing
    (but the defaults it cannot read back, each `set default` to the same value), and
    leaves every table's RLS and policies as they were."""
    ws = ts_workspace(example)
    uri = fresh_db(example, "push")
    before = catalog(uri)
    assert before["rls"] and all(on for _, on in before["rls"])
    statements = push_statements(ws, pg, db_name(uri))
    expected = defaults_push_cannot_echo(example)
    planned = set()
    for s in statements:
        m = re.fullmatch(r'ALTER TABLE "(\w+)" ALTER COLUMN "(\w+)" SET DEFAULT .*;', s)
        assert m, statements
        planned.add(m.groups())
    assert planned == expected and len(statements) == len(expected), statements
    # Whatever it ran changed nothing: same columns, keys, indexes, RLS flags, policies.
    assert catalog(uri) == before


def edited_workspace(ws: Path, dst: Path) -> Path:
    """A copy of the workspace (node_modules linked) for edits to its schema.ts."""
    shutil.copytree(ws, dst, symlinks=True, ignore=shutil.ignore_patterns("node_modules", "dist"))
    (dst / "node_modules").symlink_to((ws / "node_modules").resolve(), target_is_directory=True)
    return dst


def test_drizzle_kit_push_sees_a_missing_policy_or_rls(ts_workspace, fresh_db, pg, tmp_path):
    """The test above can fail: with a policy's role changed, and one table's policies and
    `.enableRLS()` removed, push plans to change exactly those (on a throwaway database)."""
    ws = edited_workspace(ts_workspace("saas"), tmp_path / "ws")
    schema = ws / "src" / "db" / "schema.ts"
    text = schema.read_text()
    text = text.replace("import { authenticatedRole,", "import { anonRole, authenticatedRole,")
    policy = text.index('pgPolicy("products_select_org_member"')
    text = text[:policy] + text[policy:].replace("to: authenticatedRole", "to: anonRole", 1)
    start = text.index("export const categories = pgTable(")
    end = text.index("export type Category ")
    block = re.sub(r"    pgPolicy\(.*?\n    \}\),\n", "", text[start:end], flags=re.DOTALL)
    assert "pgPolicy" not in block
    text = text[:start] + block.replace(").enableRLS();", ");") + text[end:]
    schema.write_text(text)
    uri = fresh_db("saas", "push_edited")
    statements = "\n".join(push_statements(ws, pg, db_name(uri)))
    assert 'ALTER TABLE "categories" DISABLE ROW LEVEL SECURITY;' in statements
    for command in ("select", "insert", "update", "delete"):
        assert f'DROP POLICY "categories_{command}_org_member" ON "categories"' in statements
    assert 'ALTER POLICY "products_select_org_member" ON "products" TO anon;' in statements
    found = rls_state(uri)
    assert ("categories", False) in found["rls"]
    assert not [p for p in found["policies"] if p[0] == "categories"]


def npm_generate(ws: Path, *args: str) -> str:
    """`npm run db:generate [-- args]` as a developer runs it; its output, plain."""
    result = subprocess.run(
        ["npm", "run", "db:generate", *(["--", *args] if args else [])],
        cwd=ws,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = ANSI.sub("", result.stdout + result.stderr)
    assert result.returncode == 0, out
    assert "error" not in out.lower(), out
    return out


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("example", TS_EXAMPLES)
def test_drizzle_kit_generate_leaves_supabase_auth_alone(example, ts_workspace, tmp_path):
    """`npm run db:generate` right after scaffolding: drizzle-kit writes one file of a
    fixed name into its scratch folder drizzle/kit (never beside the answers' numbered
    files in drizzle/): every public table with its RLS and policies, and nothing of
    Supabase's auth schema (auth.users is only referenced). Run again, it finds
    nothing to change and writes nothing."""
    ws = edited_workspace(ts_workspace(example), tmp_path / "ws")
    rendered_files = tree(ws / "drizzle")
    assert not (ws / "drizzle" / "kit").exists()
    npm_generate(ws)
    after = tree(ws / "drizzle")
    assert {k: v for k, v in after.items() if not k.startswith("kit/")} == rendered_files
    assert sorted(k for k in after if k.startswith("kit/")) == [
        "kit/0000_change.sql",
        "kit/meta/0000_snapshot.json",
        "kit/meta/_journal.json",
    ]
    ddl = (ws / "drizzle/kit/0000_change.sql").read_text()
    assert '"auth"."users" (' not in ddl and "CREATE SCHEMA" not in ddl.upper()
    assert all('REFERENCES "auth"."users"' in line for line in ddl.splitlines() if '"auth"' in line)
    snapshot = json.loads((ws / "drizzle/kit/meta/0000_snapshot.json").read_text())
    assert snapshot["tables"] and all(k.startswith("public.") for k in snapshot["tables"])
    assert not snapshot.get("schemas") and not snapshot.get("roles")
    project = build(yaml.safe_load((EXAMPLES / f"{example}.yml").read_text()))
    for t in project.tables.values():
        assert f'ALTER TABLE "{t.name}" ENABLE ROW LEVEL SECURITY;' in ddl
        for p in t.policies:
            assert f'CREATE POLICY "{p.name}" ON "{t.name}"' in ddl
    out = npm_generate(ws)
    assert "No schema changes, nothing to migrate" in out
    assert tree(ws / "drizzle") == after


def test_with_user_applies_rls_and_the_plain_db_does_not(ts_workspace, fresh_db, pg):
    """src/db/rls.ts through drizzle-orm: as user A only A's rows, a row for B's organization
    is refused (42501), a link row gets its org_id from the database; the plain db (a
    trusted job) sees both organizations."""
    ws = ts_workspace("saas")
    built = tsc(ws, "--outDir", "dist")
    assert built.returncode == 0, built.stdout
    uri = fresh_db("saas", "as_user")
    dbname = db_name(uri)
    script = ws / "as_user.mjs"  # ES modules resolve packages from the script's folder
    shutil.copy(AS_USER, script)
    try:
        result = subprocess.run(
            ["node", str(script), pg.socket_dir, dbname],
            cwd=ws,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        script.unlink()
    assert result.returncode == 0, result.stdout + result.stderr
    done = [line for line in result.stdout.splitlines() if line.startswith("ok ")]
    assert done == [
        "ok A and B each created an organization with create_organization()",
        "ok as A: only A's categories",
        "ok as A: a category for B's organization is refused with 42501",
        "ok as A: B's categories cannot be updated",
        "ok as A: a link row takes its org_id from the database",
        "ok as A: a link to B's category is refused with 42501",
        "ok plain db: both organizations' categories",
        "ok plain db: the session is the DATABASE_URL role again",
    ], result.stdout
