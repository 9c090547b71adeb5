"""`supa-schema generate` and `sync`: hand-written ORM migrations join the changelog.

Repos are scaffolded with the real `copier copy`; alembic, PostgreSQL and the
CLI run for real. A migration's SQL becomes actions every workspace renders;
what does not map (or all of it, with --verbatim) is a synced entry, numbered
in its owner's range and rendered to supabase/migrations verbatim; later
changelog entries number after it.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pexpect
import psycopg
import pytest
import yaml
from support import (
    CARGO_TARGET,
    ROOT,
    copier_copy,
    copier_update,
    git,
    load_example,
    own_cargo_build,
    scaffold,
)
from test_typescript import POLICY_HELPERS, catalog, set_null_columns_dropped, tsc

import supa_schema
from supa_schema_cli import database
from supa_schema_cli.commands.orm import alembic_sql
from supa_schema_cli.database import advice

HEADER = "by supa-schema sync; edit the ORM migration, not this file"
DRIZZLE_SQL = (
    'ALTER TABLE "products" ADD COLUMN "barcode" text;--> statement-breakpoint\n'
    'CREATE INDEX "idx_products_barcode" ON "products" USING btree ("barcode");\n'
)
RUST_SQL = (
    "-- Add migration script here\nalter table public.shipments add column tracking_code text;\n"
)
NOTES = "    notes: Mapped[str | None] = mapped_column(sa.Text)\n"


# The CLI and the engine of this checkout (not of another one installed in the venv).
CLI_PATH = os.pathsep.join([str(ROOT / "src"), str(ROOT / "extensions")])


def cli(repo: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": CLI_PATH, "COLUMNS": "400"}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "supa_schema_cli", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,  # no terminal: sync asks nothing
    )


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)


def answers(repo: Path) -> dict:
    return yaml.safe_load((repo / ".copier-answers.yml").read_text())


def user_answers(repo: Path) -> dict:
    return {k: v for k, v in answers(repo).items() if not k.startswith("_")}


def supabase_files(repo: Path) -> list[str]:
    return sorted(p.name for p in (repo / "supabase" / "migrations").glob("*.sql"))


def alembic(ws: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(ws / "src"),
        "DATABASE_URL": "postgresql://postgres@localhost/postgres",
    }
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args], cwd=ws, env=env, capture_output=True, text=True
    )


def columns(uri: str, table: str) -> set[str]:
    with psycopg.connect(uri) as conn:
        rows = conn.execute(
            "select column_name from information_schema.columns where "
            "table_schema = 'public' and table_name = %s",
            (table,),
        ).fetchall()
    return {r[0] for r in rows}


@pytest.fixture(scope="module")
def synced_repo(tmp_path_factory, template_repo):
    """The saas repo after hand-written drizzle, alembic and sqlx migrations were synced."""
    tmp = tmp_path_factory.mktemp("synced")
    repo = scaffold(tmp, template_repo, 4)
    # Python: a column added to a model by hand, its revision made by real alembic.
    model = repo / "apps/python/src/db/models/categories.py"
    model.write_text(model.read_text() + NOTES)
    generated = cli(repo, "generate", "--workspace", "python", "--name", "add_category_notes")
    assert generated.returncode == 0, generated.stderr
    revisions = list((repo / "apps/python/alembic/versions").glob("*_add_category_notes.py"))
    assert len(revisions) == 1
    assert "op.add_column('categories'" in revisions[0].read_text()
    # TypeScript and Rust: migrations written as drizzle-kit and sqlx-cli lay them out.
    (repo / "apps/typescript/drizzle/0001_add_product_barcode.sql").write_text(DRIZZLE_SQL)
    (repo / "apps/rust/migrations/20250101120000_add_shipment_tracking.sql").write_text(RUST_SQL)
    commit(repo, "hand-written ORM migrations")
    before = supabase_files(repo)
    data_file = tmp / "schema.yml"
    data_file.write_text("# our answers\n" + yaml.safe_dump(user_answers(repo), sort_keys=False))
    result = cli(repo, "sync", "--verbatim", "--data-file", str(data_file))
    assert result.returncode == 0, result.stdout + result.stderr
    # The user's answers file gets the same changelog.
    assert yaml.safe_load(data_file.read_text())["migrations"] == answers(repo)["migrations"]
    return repo, before, result, revisions[0]


def test_sync_numbers_ranges_and_records_entries(synced_repo, pg):
    repo, before, result, revision_file = synced_repo
    new = sorted(set(supabase_files(repo)) - set(before))
    assert new == [
        "00102_node_add_product_barcode.sql",
        "00206_python_add_category_notes.sql",
        "00302_rust_add_shipment_tracking.sql",
    ]
    for name in new:
        assert f"supabase/migrations/{name}" in result.stderr
    assert "supabase db reset" in result.stderr
    migrations = repo / "supabase/migrations"
    drizzle = (migrations / new[0]).read_text()
    assert drizzle == (
        "-- synced from apps/typescript/drizzle/0001_add_product_barcode.sql "
        f"{HEADER}\n{DRIZZLE_SQL}"
    )
    assert (migrations / new[2]).read_text().endswith("\n" + RUST_SQL)
    python_sql = (migrations / new[1]).read_text()
    assert "ALTER TABLE categories ADD COLUMN notes TEXT;" in python_sql
    assert "alembic_version" not in python_sql and "BEGIN;" not in python_sql
    # The answers file records the synced entries after the saas changelog.
    entries = answers(repo)["migrations"]
    assert len(entries) == 7
    revision = revision_file.name.split("_", 1)[0]
    assert entries[4:] == [
        {
            "name": "add_product_barcode",
            "workspace": "typescript",
            "synced_from": "apps/typescript/drizzle/0001_add_product_barcode.sql",
            "sql": DRIZZLE_SQL,
        },
        {
            "name": "add_category_notes",
            "workspace": "python",
            "synced_from": f"apps/python/alembic/versions/{revision_file.name}",
            "sql": entries[5]["sql"],
            "revision": revision,
        },
        {
            "name": "add_shipment_tracking",
            "workspace": "rust",
            "synced_from": "apps/rust/migrations/20250101120000_add_shipment_tracking.sql",
            "sql": RUST_SQL,
        },
    ]
    # The ORM folders keep only the user's files for synced entries (nothing rendered twice).
    assert sorted(p.name for p in (repo / "apps/typescript/drizzle").glob("*.sql")) == [
        "0001_add_product_barcode.sql",
        "00101_create_catalog.sql",
    ]
    # Every supabase migration applies, in file-name order, to a real PostgreSQL.
    uri = pg.create_database("orm_synced")
    database.apply_migrations(uri, repo)
    assert "notes" in columns(uri, "categories")
    assert "barcode" in columns(uri, "products")
    assert "tracking_code" in columns(uri, "shipments")
    # Alembic has a single head: the synced revision.
    heads = alembic(repo / "apps/python", "heads")
    assert heads.returncode == 0, heads.stderr
    assert heads.stdout.split() == [revision, "(head)"]
    # Nothing is left to sync.
    commit(repo, "synced")
    again = cli(repo, "sync")
    assert again.returncode == 0, again.stderr
    assert "nothing to sync" in again.stderr
    assert git(repo, "status", "--porcelain") == ""


def test_changelog_entry_after_sync_numbers_after_it(synced_repo, tmp_path, pg):
    repo, _, _, revision_file = synced_repo
    repo = shutil.copytree(repo, tmp_path / "repo")
    if git(repo, "status", "--porcelain"):
        commit(repo, "synced")
    data = user_answers(repo)
    data["migrations"].append(
        {
            "name": "add_rating",
            "workspace": "python",
            "actions": [{"column": "rating", "table": "categories", "type": "integer"}],
        }
    )
    data["migrations"].append(
        {
            "name": "add_eta",
            "workspace": "rust",
            "actions": [{"column": "eta", "table": "shipments", "type": "date"}],
        }
    )
    updated = copier_update(repo, data, tmp_path, "--conflict", "inline")
    assert updated.returncode == 0, updated.stderr
    files = supabase_files(repo)
    assert "00207_python_add_rating.sql" in files and "00303_rust_add_eta.sql" in files
    versions = repo / "apps/python/alembic/versions"
    rendered = (versions / "00207_python_add_rating.py").read_text()
    revision = revision_file.name.split("_", 1)[0]
    assert f'down_revision = "{revision}"' in rendered
    assert not (versions / "00206_python_add_category_notes.py").exists()
    assert (repo / "apps/rust/migrations/00303_add_eta.sql").is_file()
    assert not (repo / "apps/rust/migrations/00302_add_shipment_tracking.sql").exists()
    heads = alembic(repo / "apps/python", "heads")
    assert heads.stdout.split() == ["00207", "(head)"], heads.stdout + heads.stderr
    # The hand-added model line survived the update.
    assert NOTES in (repo / "apps/python/src/db/models/categories.py").read_text()
    uri = pg.create_database("orm_after_sync")
    database.apply_migrations(uri, repo)
    assert {"notes", "rating"} <= columns(uri, "categories")


def test_generate_drizzle_makes_only_the_change_then_sync(
    tmp_path,
    template_repo,
    node_modules,
    pg,
):
    repo = scaffold(tmp_path, template_repo, 1)
    ws = repo / "apps/typescript"
    missing = cli(repo, "generate", "--workspace", "typescript", "--name", "add_color")
    assert missing.returncode != 0
    assert "run `npm install` in apps/typescript" in missing.stderr
    (ws / "node_modules").symlink_to(node_modules, target_is_directory=True)
    schema = ws / "src/db/schema.ts"
    line = '    description: text("description"),\n'
    schema.write_text(schema.read_text().replace(line, line + '    color: text("color"),\n'))
    result = cli(repo, "generate", "--workspace", "typescript", "--name", "add_color")
    assert result.returncode == 0, result.stderr
    # drizzle-kit's first run is a baseline of the generated schema (its SQL dropped), so
    # the new migration holds only the hand-made change, in drizzle-kit's scratch folder.
    assert sorted(p.relative_to(ws).as_posix() for p in ws.glob("drizzle/**/*.sql")) == [
        "drizzle/00101_create_catalog.sql",
        "drizzle/kit/0000_supa_schema_baseline.sql",
        "drizzle/kit/0001_add_color.sql",
    ]
    assert (ws / "drizzle/kit/0000_supa_schema_baseline.sql").read_text().startswith("--")
    assert_journal_matches_files(ws)
    assert (
        ws / "drizzle/kit/0001_add_color.sql"
    ).read_text().strip() == 'ALTER TABLE "products" ADD COLUMN "color" text;'
    # The snapshot is current: the workspace's own script finds nothing more to write.
    again = npm(ws, "run", "db:generate")
    assert "No schema changes, nothing to migrate" in again.stdout, again.stdout
    assert len(list(ws.glob("drizzle/**/*.sql"))) == 3
    commit(repo, "drizzle migration")
    synced = cli(repo, "sync")
    assert synced.returncode == 0, synced.stderr
    assert "supabase/migrations/00102_node_add_color.sql" in synced.stderr
    # The column maps to a `column` action: the engine writes it (live-safe).
    sql = (repo / "supabase/migrations/00102_node_add_color.sql").read_text()
    assert "alter table public.products add column color text;" in sql
    uri = pg.create_database("orm_drizzle")
    database.apply_migrations(uri, repo)
    assert "color" in columns(uri, "products")
    # The next change through npm: a fixed name unless one is given.
    schema.write_text(schema.read_text().replace(line, line + '    size: text("size"),\n'))
    npm(ws, "run", "db:generate", "--", "--name", "add_size")
    assert (ws / "drizzle/kit/0002_add_size.sql").read_text().strip() == (
        'ALTER TABLE "products" ADD COLUMN "size" text;'
    )
    commit(repo, "another drizzle migration")
    synced = cli(repo, "sync")
    assert synced.returncode == 0, synced.stderr
    assert "supabase/migrations/00103_node_add_size.sql" in synced.stderr
    assert_journal_matches_files(ws)


def assert_journal_matches_files(ws: Path) -> None:
    """drizzle-kit's journal lists exactly its folder's SQL files, one snapshot each,
    and `drizzle-kit check` finds the snapshots consistent."""
    kit = ws / "drizzle/kit"
    journal = json.loads((kit / "meta/_journal.json").read_text())
    tags = [e["tag"] for e in journal["entries"]]
    assert sorted(f"{t}.sql" for t in tags) == sorted(p.name for p in kit.glob("*.sql"))
    assert sorted(f"{t.split('_')[0]}_snapshot.json" for t in tags) == sorted(
        p.name for p in (kit / "meta").glob("*_snapshot.json")
    )
    checked = subprocess.run(
        [str(ws / "node_modules/.bin/drizzle-kit"), "check"],
        cwd=ws,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert checked.returncode == 0 and "Everything's fine" in checked.stdout, (
        checked.stdout + checked.stderr
    )


def assert_drizzle_catalog(ws: Path, repo: Path, migrated: str, empty: str) -> None:
    """`drizzle-kit export` of schema.ts, run in ``empty``, builds the catalog of
    ``migrated`` (as test_typescript checks for the examples)."""
    exported = subprocess.run(
        [str(ws / "node_modules/.bin/drizzle-kit"), "export"],
        cwd=ws,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert exported.returncode == 0, exported.stderr
    with psycopg.connect(empty, autocommit=True) as conn:
        conn.execute((repo / "supabase/migrations/00000_extensions.sql").read_text())
        conn.execute("create extension if not exists vector with schema extensions")
        conn.execute(POLICY_HELPERS)
        conn.execute(exported.stdout)
    ours, theirs = catalog(migrated), catalog(empty)
    ours["constraints"], _ = set_null_columns_dropped(ours["constraints"])
    for kind in ours:
        assert theirs[kind] == ours[kind], kind


def kit_files(ws: Path) -> dict[str, bytes]:
    return {p.relative_to(ws).as_posix(): p.read_bytes() for p in ws.glob("drizzle/**/*.*")}


def npm(ws: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["npm", *args], cwd=ws, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


REVIEWS_TS = """
export const reviews = pgTable("reviews", {
  id: uuid("id").primaryKey().defaultRandom(),
  productId: uuid("product_id")
    .notNull()
    .references(() => products.id, { onDelete: "cascade" }),
  body: text("body"),
  verified: boolean("verified").notNull().default(false),
});
"""


def test_a_drizzle_table_syncs_into_every_workspace(tmp_path, template_repo, node_modules, pg):
    """A table added to schema.ts as a user would, drizzle-kit's migration, then sync:
    the migration becomes a `table` action, so Python and Rust get the table too."""
    repo = scaffold(tmp_path, template_repo, 1)
    ws = repo / "apps/typescript"
    (ws / "node_modules").symlink_to(node_modules, target_is_directory=True)
    schema = ws / "src/db/schema.ts"
    schema.write_text(schema.read_text() + REVIEWS_TS)
    result = cli(repo, "generate", "--workspace", "typescript", "--name", "add_reviews")
    assert result.returncode == 0, result.stderr
    made = (ws / "drizzle/kit/0001_add_reviews.sql").read_text()
    assert 'CREATE TABLE "reviews"' in made and "FOREIGN KEY" in made
    commit(repo, "reviews, as drizzle-kit wrote them")
    synced = cli(repo, "sync")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "supabase/migrations/00102_node_add_reviews.sql (mapped to actions)" in synced.stderr
    assert "kept as SQL" not in synced.stderr
    entry = answers(repo)["migrations"][-1]
    assert entry == {
        "name": "add_reviews",
        "workspace": "typescript",
        "actions": [
            {
                "table": "reviews",
                "tenant": True,  # the project is multi-tenant: org_id and tenant RLS
                "columns": [
                    {
                        "name": "product_id",
                        "type": "uuid",
                        "required": True,
                        "references": "products",
                        "on_delete": "cascade",
                    },
                    {"name": "body", "type": "text"},
                    {"name": "verified", "type": "boolean", "required": True, "default": False},
                ],
            }
        ],
    }
    # Every workspace shows the table; drizzle's file is the entry's, numbered.
    python_model = (repo / "apps/python/src/db/models/reviews.py").read_text()
    assert "class Review(" in python_model and "product_id" in python_model
    rust_model = (repo / "apps/rust/src/db/models/reviews.rs").read_text()
    assert "pub struct Review" in rust_model and "pub product_id: uuid::Uuid" in rust_model
    assert (repo / "supabase/tests/reviews_rls.test.sql").is_file()
    assert sorted(p.name for p in (ws / "drizzle").glob("*.sql")) == [
        "00101_create_catalog.sql",
        "00102_add_reviews.sql",
    ]
    ts = schema.read_text()
    assert ts.count('pgTable(\n  "reviews"') == 1 and "<<<<<<<" not in ts
    sql = (repo / "supabase/migrations/00102_node_add_reviews.sql").read_text()
    assert "alter table public.reviews enable row level security;" in sql
    uri = pg.create_database("orm_drizzle_table")
    database.apply_migrations(uri, repo)
    assert {"org_id", "id", "product_id", "body", "verified"} <= columns(uri, "reviews")
    # The synced schema.ts type-checks, and drizzle-kit's SQL of it builds the catalog
    # supabase/migrations build (columns, keys, indexes, RLS, policies).
    typed = tsc(ws, "--noEmit")
    assert typed.returncode == 0, typed.stdout + typed.stderr
    assert_drizzle_catalog(ws, repo, uri, pg.create_database("orm_drizzle_export"))
    # drizzle-kit's journal lists only files that exist: the replaced migration is a
    # baseline now (its SQL is the entry's, in supabase/migrations).
    assert not (ws / "drizzle/kit/0001_add_reviews.sql").exists()
    assert (ws / "drizzle/kit/0001_supa_schema_baseline.sql").is_file()
    assert_journal_matches_files(ws)
    # Nothing is left to sync.
    commit(repo, "synced")
    again = cli(repo, "sync")
    assert "nothing to sync" in again.stderr, again.stderr
    # drizzle-kit's own rerun finds the synced schema.ts in its snapshot: it writes nothing.
    before = kit_files(ws)
    rerun = npm(ws, "run", "db:generate")
    assert "No schema changes, nothing to migrate" in rerun.stdout, rerun.stdout
    assert kit_files(ws) == before
    # The Python and Rust workspaces agree with a database supabase/migrations build
    # (alembic check, cargo test with its queries checked against it).
    checked = check(repo)
    out = checked.stdout + checked.stderr
    assert checked.returncode == 0, out[-6000:]
    assert "python: agrees with the database" in out and "rust: agrees with the database" in out
    # drizzle-kit's snapshot is the synced schema: its next migration holds only the next edit.
    line = '    verified: boolean("verified").notNull().default(false),\n'
    schema.write_text(schema.read_text().replace(line, line + '    stars: text("stars"),\n'))
    result = cli(repo, "generate", "--workspace", "typescript", "--name", "add_stars")
    assert result.returncode == 0, result.stderr
    [stars] = (ws / "drizzle/kit").glob("*_add_stars.sql")
    assert stars.read_text().strip() == 'ALTER TABLE "reviews" ADD COLUMN "stars" text;'


VIEW = "create view public.order_references as select id, reference from public.orders"


def test_an_alembic_column_and_index_sync_and_the_rest_stays_sql(
    tmp_path, template_repo, node_modules, pg
):
    """A column and an index added to a SQLAlchemy model, `alembic revision
    --autogenerate` (through generate), plus a view written into the revision by hand."""
    repo = scaffold(tmp_path, template_repo, 2)
    ws = repo / "apps/python"
    (repo / "apps/typescript/node_modules").symlink_to(node_modules, target_is_directory=True)
    model = ws / "src/db/models/orders.py"
    text = model.read_text()
    text = text.replace(
        '        sa.Index("idx_orders_user_id", "user_id"),\n',
        '        sa.Index("idx_orders_user_id", "user_id"),\n'
        '        sa.Index("idx_orders_reference", "reference"),\n',
    )
    note = "    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)\n"
    assert note in text
    method = "\n    def short_id(self) -> str:\n        return str(self.id)[:8]\n"
    model.write_text(
        text.replace(
            note,
            note + "    reference: Mapped[str | None] = mapped_column(sa.String(40))\n",
        )
        + method
    )
    generated = cli(repo, "generate", "--workspace", "python", "--name", "add_reference")
    assert generated.returncode == 0, generated.stderr
    [revision_file] = (ws / "alembic/versions").glob("*_add_reference.py")
    revision = revision_file.name.split("_", 1)[0]
    body = revision_file.read_text()
    assert "op.add_column('orders'" in body and "op.create_index(" in body
    end = "    # ### end Alembic commands ###\n"
    revision_file.write_text(body.replace(end, end + f"    op.execute({VIEW!r})\n", 1))
    commit(repo, "reference, as alembic wrote it")
    synced = cli(repo, "sync")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "(alembic upgrade --sql):" in synced.stderr
    assert "ViewStmt has no changelog action" in synced.stderr
    entries = answers(repo)["migrations"]
    assert entries[-2] == {
        "name": "add_reference",
        "workspace": "python",
        "actions": [
            {"column": "reference", "table": "orders", "type": "varchar(40)"},
            {"index": {"table": "orders", "columns": ["reference"]}},
        ],
    }
    assert entries[-1]["name"] == "add_reference_sql"
    assert entries[-1]["revision"] == revision
    assert entries[-1]["sql"] == f"{VIEW};\n"
    # The model is the entry's render again, with the user's own method kept.
    synced_model = model.read_text()
    assert synced_model.count("    reference: Mapped[") == 1
    assert synced_model.endswith(method)
    # The other workspaces show the column.
    assert "reference" in (repo / "apps/rust/src/db/models/orders.rs").read_text()
    assert (
        'reference: varchar("reference"' in (repo / "apps/typescript/src/db/schema.ts").read_text()
    )
    # The user's revision holds the view only, after the entry's revisions: one head.
    rest = revision_file.read_text()
    assert "op.add_column" not in rest and "order_references" in rest
    heads = alembic(ws, "heads")
    assert heads.stdout.split() == [revision, "(head)"], heads.stdout + heads.stderr
    uri = pg.create_database("orm_alembic_mapped")
    database.apply_migrations(uri, repo)
    assert "reference" in columns(uri, "orders")
    assert columns(uri, "order_references") == {"id", "reference"}
    # alembic's rerun finds nothing: `alembic check` is what --autogenerate would write.
    alembic_on(ws, uri, "stamp", "head")
    assert "No new upgrade operations detected" in alembic_on(ws, uri, "check")
    # The TypeScript workspace type-checks with the column; the Rust workspace's
    # queries compile against the database and its round trip passes (check).
    typed = tsc(repo / "apps/typescript", "--noEmit")
    assert typed.returncode == 0, typed.stdout + typed.stderr
    checked = check(repo)
    out = checked.stdout + checked.stderr
    assert checked.returncode == 0, out[-6000:]
    assert "python: agrees with the database" in out and "rust: agrees with the database" in out
    commit(repo, "synced")
    assert "nothing to sync" in cli(repo, "sync").stderr


def alembic_on(ws: Path, uri: str, *args: str) -> str:
    """alembic against the database ``uri``; its output, or the test fails."""
    env = {**os.environ, "PYTHONPATH": str(ws / "src"), "DATABASE_URL": uri}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", *args], cwd=ws, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_database_alembic_upgraded_stays_at_head_after_sync(tmp_path, template_repo, pg):
    """A developer ran `alembic upgrade head` with their own revision before syncing it.
    The entry's rendered revision keeps that revision's id, so the database is still
    at head: no `alembic stamp`, and `alembic check` finds nothing to generate."""
    repo = scaffold(tmp_path, template_repo, 2)
    ws = repo / "apps/python"
    model = ws / "src/db/models/orders.py"
    note = "    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)\n"
    gift = "    gift_note: Mapped[str | None] = mapped_column(sa.Text)\n"
    model.write_text(model.read_text().replace(note, note + gift))
    generated = cli(repo, "generate", "--workspace", "python", "--name", "add_gift_note")
    assert generated.returncode == 0, generated.stderr
    [revision_file] = (ws / "alembic/versions").glob("*_add_gift_note.py")
    revision = revision_file.name.split("_", 1)[0]
    uri = pg.create_database("orm_alembic_upgraded")
    database.apply_migrations(uri, repo)
    # supabase/migrations built the database up to the revision before the user's...
    down = re.search(r"^down_revision[^=]*= '(\w+)'", revision_file.read_text(), re.M)
    alembic_on(ws, uri, "stamp", down.group(1))
    alembic_on(ws, uri, "upgrade", "head")  # ...and alembic ran the user's revision
    assert "gift_note" in columns(uri, "orders")
    commit(repo, "gift note, as alembic wrote it")
    synced = cli(repo, "sync")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    entry = answers(repo)["migrations"][-1]
    assert entry == {
        "name": "add_gift_note",
        "workspace": "python",
        "actions": [{"column": "gift_note", "table": "orders", "type": "text"}],
        "revision": revision,
    }
    assert not revision_file.exists()
    rendered = ws / "alembic/versions/00202_python_add_gift_note.py"
    assert f'revision = "{revision}"' in rendered.read_text()
    # The database alembic upgraded is at the head of the synced chain.
    assert alembic_on(ws, uri, "current").split() == [revision, "(head)"]
    alembic_on(ws, uri, "upgrade", "head")  # nothing to run
    # `alembic revision --autogenerate` would find nothing: alembic check says so.
    assert "No new upgrade operations detected" in alembic_on(ws, uri, "check")
    # A database built by supabase/migrations agrees too.
    checked = check(repo, "--no-rust")
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert "python: agrees with the database" in checked.stdout + checked.stderr


SQLX_SQL = """-- Add migration script here
create table public.carriers_log (
    id uuid primary key default gen_random_uuid(),
    shipment_id uuid not null references public.shipments (id) on delete cascade,
    note text
);

create function public.log_count() returns bigint
    language sql stable as $$ select count(*) from public.carriers_log $$;
"""


def test_a_sqlx_migration_syncs_with_flags_and_keeps_a_function_as_sql(tmp_path, template_repo, pg):
    repo = scaffold(tmp_path, template_repo, 4)
    path = repo / "apps/rust/migrations/20250101120000_carriers_log.sql"
    path.write_text(SQLX_SQL)
    commit(repo, "a migration written for sqlx-cli")
    # Outside the tenancy, the table could not keep its reference to a tenant table.
    refused = cli(repo, "sync", "--no-tenant")
    assert refused.returncode != 0
    assert "make 'carriers_log' a tenant table" in refused.stderr
    assert git(repo, "status", "--porcelain") == ""
    synced = cli(repo, "sync", "--timestamps")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert (
        "apps/rust/migrations/20250101120000_carriers_log.sql:8: "
        "CreateFunctionStmt has no changelog action"
    ) in synced.stderr
    *_, mapped, rest = answers(repo)["migrations"]
    assert mapped == {
        "name": "carriers_log",
        "workspace": "rust",
        "actions": [
            {
                "table": "carriers_log",
                "tenant": True,
                "timestamps": True,
                "columns": [
                    {
                        "name": "shipment_id",
                        "type": "uuid",
                        "required": True,
                        "references": "shipments",
                        "on_delete": "cascade",
                    },
                    {"name": "note", "type": "text"},
                ],
            }
        ],
    }
    assert (
        rest["name"] == "carriers_log_sql"
        and rest["synced_from"] == path.relative_to(repo).as_posix()
    )
    assert rest["sql"].startswith("create function public.log_count()")
    # The user's file keeps the function only; the entry renders the table's.
    assert path.read_text() == rest["sql"]
    assert (repo / "apps/rust/migrations/00302_carriers_log.sql").is_file()
    assert "class CarriersLog(" in (repo / "apps/python/src/db/models/carriers_log.py").read_text()
    uri = pg.create_database("orm_sqlx_mapped")
    database.apply_migrations(uri, repo)
    assert {"org_id", "id", "shipment_id", "note", "created_at", "updated_at"} == columns(
        uri, "carriers_log"
    )
    commit(repo, "synced")
    assert "nothing to sync" in cli(repo, "sync").stderr


RENAME_SQL = (
    "-- Add migration script here\n"
    "alter table public.shipments rename column weight_kg to weight;\n"
)


def check(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """`supa-schema check`: the migrations apply, and alembic check (and, unless told
    otherwise, cargo test) find the workspaces agree with the database.

    --no-typescript: its step is `npm install` and `tsc`; drizzle-kit's own rerun
    (which finds nothing to write) checks the TypeScript workspace here instead.
    """
    data = Path(tempfile.mkdtemp(prefix="supa-schema-check-"))
    try:
        env = {**os.environ, "PYTHONPATH": CLI_PATH, "COLUMNS": "400"}
        env["CARGO_TARGET_DIR"] = str(CARGO_TARGET)  # shared with the Rust tests' builds
        if "--no-rust" not in args:
            own_cargo_build(repo / "apps/rust")
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "supa_schema_cli",
                "check",
                "--data-dir",
                str(data),
                "--no-typescript",
                *args,
            ],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=1800,
        )
    finally:
        shutil.rmtree(data, ignore_errors=True)


def test_a_sqlx_column_rename_reaches_every_workspace_and_keeps_rows(tmp_path, template_repo, pg):
    """A column renamed in a hand-written sqlx-cli migration: sync maps it to
    `rename_column`, the Python and TypeScript models rename it too, a row written
    before keeps its value, and `supa-schema check` passes (alembic check, cargo test)."""
    repo = scaffold(tmp_path, template_repo, 4)
    uri = pg.create_database("orm_sqlx_rename")
    before = database.apply_migrations(uri, repo)
    with psycopg.connect(uri) as conn:
        org = conn.execute("insert into organizations (name) values ('A') returning id").fetchone()
        user = conn.execute("insert into auth.users (id) values (gen_random_uuid()) returning id")
        order = conn.execute(
            "insert into orders (org_id, user_id) values (%s, %s) returning id",
            (org[0], user.fetchone()[0]),
        ).fetchone()
        conn.execute(
            "insert into shipments (org_id, order_id, carrier, weight_kg) "
            "values (%s, %s, 'ups', 2.5)",
            (org[0], order[0]),
        )
    path = repo / "apps/rust/migrations/20250101120000_rename_weight.sql"
    path.write_text(RENAME_SQL)
    commit(repo, "a column renamed by hand for sqlx-cli")
    ours = tmp_path / "schema.yml"
    text = yaml.safe_dump(user_answers(repo), sort_keys=False)
    ours.write_text(
        "# our schema\n" + text.replace("migrations:\n", "migrations:  # newest last\n")
    )
    synced = cli(repo, "sync", "--data-file", str(ours))
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "kept as SQL" not in synced.stderr
    assert answers(repo)["migrations"][-1] == {
        "name": "rename_weight",
        "workspace": "rust",
        "actions": [{"rename_column": "weight_kg", "table": "shipments", "to": "weight"}],
    }
    # The user's answers file gets the entry too, its comments kept.
    kept = ours.read_text()
    assert kept.startswith("# our schema\n") and "migrations:  # newest last\n" in kept
    assert yaml.safe_load(kept)["migrations"] == answers(repo)["migrations"]
    # The user's file is the entry's now: sqlx-cli runs the rendered one.
    assert not path.exists()
    rendered = (repo / "apps/rust/migrations/00302_rename_weight.sql").read_text()
    assert "rename column weight_kg to weight" in rendered
    # Every workspace shows the renamed column.
    rust = (repo / "apps/rust/src/db/models/shipments.rs").read_text()
    assert "pub weight: Option<f32>" in rust and "weight_kg" not in rust
    python = (repo / "apps/python/src/db/models/shipments.py").read_text()
    assert "    weight: Mapped[" in python and "weight_kg" not in python
    ts = (repo / "apps/typescript/src/db/schema.ts").read_text()
    assert 'weight: real("weight")' in ts and "weight_kg" not in ts
    # The row written before the rename keeps its value under the new name.
    new = [f for f in database.migration_files(repo) if f not in before]
    assert [f.name for f in new] == ["00302_rust_rename_weight.sql"]
    with psycopg.connect(uri, autocommit=True) as conn:
        for f in new:
            database.apply_file(conn, f)
        assert conn.execute("select weight from shipments").fetchall() == [(2.5,)]
    # sqlx-cli has no generator to rerun: its migrations are SQL written by hand.
    checked = check(repo)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    out = checked.stdout + checked.stderr
    assert "python: agrees with the database" in out and "rust: agrees with the database" in out
    commit(repo, "synced")
    assert "nothing to sync" in cli(repo, "sync").stderr


def test_sync_asks_a_created_tables_questions_on_a_terminal(tmp_path, template_repo):
    """On a terminal, a table the migration creates gets `supa-schema table`'s questions,
    each defaulting to what the SQL says; a flag answers its question instead."""
    repo = scaffold(tmp_path, template_repo, 4)
    (repo / "apps/rust/migrations/20250101120000_carriers_log.sql").write_text(SQLX_SQL)
    commit(repo, "a migration written for sqlx-cli")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "supa_schema_cli", "sync", "--no-soft-delete", "--repo", str(repo)],
        env={**os.environ, "PYTHONPATH": CLI_PATH, "COLUMNS": "200"},
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    for prompt, keys in [
        ("carriers_log: Multi-tenant \\(org_id and tenant RLS\\)\\?", "y"),
        # created_at/updated_at are not in the SQL: the default is no; answer yes.
        ("carriers_log: Audit timestamps \\(created_at, updated_at\\)\\?", "y"),
    ]:
        child.expect(prompt)
        time.sleep(0.1)
        child.send(keys)
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "Soft delete" not in child.before  # --no-soft-delete answered it
    *_, mapped, rest = answers(repo)["migrations"]
    table = mapped["actions"][0]
    assert (table["table"], table.get("tenant"), table.get("timestamps")) == (
        "carriers_log",
        True,
        True,
    )
    assert "soft_delete" not in table
    assert rest["name"] == "carriers_log_sql"
    assert (
        "create table public.carriers_log"
        in (repo / "supabase/migrations/00302_rust_carriers_log.sql").read_text()
    )


REVISION = """from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    {body}


def downgrade() -> None:
    pass
"""


def test_a_revision_kept_whole_follows_a_synced_one(tmp_path, template_repo):
    """Two hand-written revisions: the first becomes an entry (its file goes) whose
    rendered revision keeps the first's id, so the second, which stays SQL, still
    revises it."""
    repo = scaffold(tmp_path, template_repo, 2)
    ws = repo / "apps/python"
    versions = ws / "alembic/versions"
    (versions / "aaa111_add_reference.py").write_text(
        REVISION.format(
            revision="aaa111",
            down="00201",
            body="op.add_column('orders', sa.Column('reference', sa.Text()))",
        )
    )
    (versions / "bbb222_describe_orders.py").write_text(
        REVISION.format(
            revision="bbb222",
            down="aaa111",
            body="op.execute(\"comment on table public.orders is 'placed orders'\")",
        )
    )
    commit(repo, "two revisions")
    synced = cli(repo, "sync")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    *_, first, second = answers(repo)["migrations"]
    assert first["actions"] == [{"column": "reference", "table": "orders", "type": "text"}]
    assert first["revision"] == "aaa111"
    assert second["revision"] == "bbb222" and "comment on table" in second["sql"].lower()
    assert not (versions / "aaa111_add_reference.py").exists()
    rendered = (versions / "00202_python_add_reference.py").read_text()
    assert 'revision = "aaa111"' in rendered and 'down_revision = "00201"' in rendered
    assert 'down_revision = "aaa111"' in (versions / "bbb222_describe_orders.py").read_text()
    heads = alembic(ws, "heads")
    assert heads.stdout.split() == ["bbb222", "(head)"], heads.stdout + heads.stderr


def test_sync_refuses_sql_that_does_not_parse(tmp_path, template_repo):
    repo = scaffold(tmp_path, template_repo, 1)
    bad = repo / "apps/typescript/drizzle/0001_bad.sql"
    bad.write_text('ALTER TABLE "products" ADD COLUMN "a" text;\n\nCREATE TABEL x ();\n')
    commit(repo, "bad migration")
    before = (repo / ".copier-answers.yml").read_text()
    result = cli(repo, "sync")
    assert result.returncode != 0
    assert "apps/typescript/drizzle/0001_bad.sql:3: syntax error at or near" in result.stderr
    assert (repo / ".copier-answers.yml").read_text() == before
    assert git(repo, "status", "--porcelain") == ""


def test_generate_rust_without_sqlx_prints_install_hint(tmp_path, template_repo):
    repo = scaffold(tmp_path, template_repo, 1)
    path = os.pathsep.join(
        d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "sqlx").exists()
    )
    result = cli(repo, "generate", "--workspace", "rust", "--name", "add_things", path=path)
    assert result.returncode != 0
    assert (
        "cargo install sqlx-cli --no-default-features --features rustls,postgres" in result.stderr
    )
    assert git(repo, "status", "--porcelain") == ""


def test_sync_refuses_a_full_range_and_writes_nothing(tmp_path, template_repo):
    data = load_example("saas")
    data["migrations"] = copy.deepcopy(data["migrations"][:1]) + [
        {
            "name": f"old_{i}",
            "workspace": "typescript",
            "synced_from": f"apps/typescript/drizzle/{i:04d}_old.sql",
            "sql": f"select {i};\n",
        }
        for i in range(1, 99)
    ]
    repo = tmp_path / "repo"
    copier_copy(data, repo, template=template_repo)
    assert "00199_node_old_98.sql" in supabase_files(repo)
    git(repo, "init", "-q")
    (repo / "apps/typescript/drizzle/0100_one_more.sql").write_text("select 100;\n")
    commit(repo, "full range")
    result = cli(repo, "sync")
    assert result.returncode != 0
    assert "the typescript service range 00100-00199 is full" in result.stderr, result.stderr
    assert "one_more" in result.stderr
    assert git(repo, "status", "--porcelain") == ""


def test_orm_less_workspace_gets_the_redirect(tmp_path, template_repo):
    data = {
        "project_name": "Plain",
        "languages": ["python", "typescript"],
        "python_orm": "none",
        "multi_tenant": False,
        "migrations": [],
    }
    repo = tmp_path / "repo"
    copier_copy(data, repo, template=template_repo)
    alone = cli(repo, "generate", "--workspace", "python", "--name", "x")
    assert alone.returncode != 0
    assert supa_schema.ORM_REDIRECT in alone.stderr
    synced = cli(repo, "sync", "--workspace", "python")
    assert synced.returncode != 0 and supa_schema.ORM_REDIRECT in synced.stderr


def test_generate_explains_a_migration_that_does_not_apply(tmp_path, template_repo):
    """A synced SQL file using an enum nobody created: generate's database step explains."""
    repo = scaffold(tmp_path, template_repo, 1)
    (repo / "apps/rust/migrations/20250101120000_add_mood.sql").write_text(
        "alter table public.products add column mood mood_kind;\n"
    )
    commit(repo, "bad migration")
    assert cli(repo, "sync").returncode == 0
    commit(repo, "synced")
    result = cli(repo, "generate", "--workspace", "python", "--name", "anything")
    assert result.returncode != 0
    assert "00301_rust_add_mood.sql" in result.stderr
    assert "enum:" in result.stderr and "earlier" in result.stderr, result.stderr


# ---- engine and helpers, without tools


def _build(*entries: dict) -> supa_schema.Project:
    data = load_example("saas")
    data["migrations"] = copy.deepcopy(data["migrations"]) + list(entries)
    return supa_schema.build(data)


def test_synced_entry_takes_the_next_number_and_leaves_the_model_alone():
    plain = _build()
    project = _build(
        {
            "name": "by_hand",
            "workspace": "python",
            "sql": "select 1;",
            "synced_from": "apps/python/alembic/versions/abc_by_hand.py",
            "revision": "abc",
        },
        {
            "name": "later",
            "workspace": "python",
            "actions": [{"column": "x", "table": "products", "type": "text"}],
        },
    )
    by_name = {m.name: m for m in project.migrations}
    assert by_name["by_hand"].stem == "00206_python_by_hand"
    assert by_name["by_hand"].synced and not by_name["by_hand"].generated
    assert by_name["by_hand"].operations == []
    assert by_name["later"].stem == "00207_python_later"
    assert (by_name["by_hand"].revision, by_name["by_hand"].down_revision) == ("abc", "00205")
    assert by_name["later"].down_revision == "abc"
    assert [m.name for m in project.generated_of("python")] == [
        "create_orders",
        "add_sku",
        "add_sku_2",
        "add_sku_3",
        "add_sku_4",
        "later",
    ]
    assert set(project.tables) == set(plain.tables)
    assert project.tables["categories"] == plain.tables["categories"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"sql": "", "synced_from": "a/b.sql"}, "`sql` must be the migration's SQL"),
        ({"sql": 3, "synced_from": "a/b.sql"}, "`sql` must be the migration's SQL"),
        ({"sql": "select 1;", "synced_from": "/abs/b.sql"}, "relative to the repo"),
        ({"sql": "select 1;", "synced_from": "../b.sql"}, "relative to the repo"),
        ({"sql": "select 1;"}, "relative to the repo"),
        (
            {"sql": "select 1;", "synced_from": "a/b.sql", "revision": "abc"},
            "only for entries of the python workspace",
        ),
        ({"sql": "select 1;", "synced_from": "a/b.sql", "actions": []}, "cannot also have"),
        ({"sql": "select 1;", "synced_from": "a/b.sql", "extra": 1}, "unknown key(s) extra"),
    ],
)
def test_bad_synced_entries_are_refused_naming_the_entry(entry, message):
    with pytest.raises(supa_schema.SchemaError) as err:
        _build({"name": "by_hand", "workspace": "rust", **entry})
    # Unknown keys are reported before the name is read, as for every entry.
    where = "migrations[4]" if "extra" in entry else "migrations[4] 'by_hand'"
    assert where in str(err.value)
    assert message in str(err.value)


def test_an_entry_of_actions_keeps_the_revision_sync_mapped_it_from():
    """The revision id goes to the entry's last file (where all of it has run); a
    file split off for a concurrent index takes its version, as generated ones do."""
    project = _build(
        {
            "name": "add_barcode",
            "workspace": "python",
            "actions": [
                {"column": "barcode", "table": "products", "type": "text"},
                {"index": {"table": "products", "columns": ["barcode"]}},
            ],
            "revision": "abc123",
        },
        {
            "name": "later",
            "workspace": "python",
            "actions": [{"column": "x", "table": "products", "type": "text"}],
        },
    )
    chain = [(m.name, m.revision, m.down_revision) for m in project.migrations_of("python")]
    assert chain[-3:] == [
        ("add_barcode", "00206", "00205"),
        ("add_barcode_2", "abc123", "00206"),  # the concurrent index: all of it has run
        ("later", "00208", "abc123"),
    ]
    with pytest.raises(supa_schema.SchemaError, match="only for entries of the python"):
        _build(
            {
                "name": "a",
                "workspace": "rust",
                "actions": [{"column": "y", "table": "shipments", "type": "text"}],
                "revision": "abc",
            }
        )


def test_bad_revision_and_duplicate_path_are_refused():
    base = {"workspace": "python", "sql": "select 1;"}
    with pytest.raises(supa_schema.SchemaError, match="Alembic revision id"):
        _build({"name": "a", **base, "synced_from": "x/a.py", "revision": "no-dash"})
    with pytest.raises(supa_schema.SchemaError, match="already synced by migrations\\[4\\]"):
        _build(
            {"name": "a", **base, "synced_from": "x/a.py"},
            {"name": "b", **base, "synced_from": "x/a.py"},
        )
    with pytest.raises(supa_schema.SchemaError, match="revision 'r1' is already used"):
        _build(
            {"name": "a", **base, "synced_from": "x/a.py", "revision": "r1"},
            {"name": "b", **base, "synced_from": "x/b.py", "revision": "r1"},
        )


def test_seed_error_advice():
    assert "supabase migration repair" in advice('relation "products" already exists')
    assert "file-name order" in advice('relation "orders" does not exist')
    assert "file-name order" in advice(
        'insert or update on table "a" violates foreign key constraint "a_b_fkey"'
    )
    enum = advice('type "order_status" does not exist')
    assert '"order_status"' in enum and "`enum:` action in an earlier" in enum
    assert advice("syntax error at or near") == ""


def test_alembic_offline_sql_loses_its_bookkeeping():
    offline = (
        "BEGIN;\n\nCREATE TABLE private.alembic_version (\n    version_num VARCHAR(32) "
        "NOT NULL, \n    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n);\n\n"
        "-- Running upgrade  -> abc\n\nALTER TABLE t ADD COLUMN c TEXT;\n\n"
        "INSERT INTO private.alembic_version (version_num) VALUES ('abc') "
        "RETURNING private.alembic_version.version_num;\n\n"
        "UPDATE private.alembic_version SET version_num='abd' WHERE "
        "private.alembic_version.version_num = 'abc';\n\nCOMMIT;\n\n"
    )
    assert (
        alembic_sql(offline) == "-- Running upgrade  -> abc\n\nALTER TABLE t ADD COLUMN c TEXT;\n"
    )
