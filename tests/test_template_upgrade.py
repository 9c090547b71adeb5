"""A repo made by a version of the template before tenant isolation, with every
migration applied, updated to this version with plain `copier update`: applied
migrations keep their bytes, and the new migration files bring the database to
the catalog a fresh repo of this version builds."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml
from support import ROOT, git, migration_files, snapshot
from test_modifications import supabase_cli
from test_pgtap import run_tap, tap_files, tap_results

from supa_schema_cli import database

# The last commit before tenant isolation (format 2): its migrations have
# single-column foreign keys, no `unique (org_id, id)`, no org_id on links.
FORMAT_1 = "ac397df"

EXPECTED_NEW_MIGRATIONS = [
    "supabase/migrations/00002_upgrade_core_functions.sql",
    "supabase/migrations/00102_node_upgrade_to_format_2.sql",
    "supabase/migrations/00203_python_upgrade_to_format_2.sql",
    "supabase/migrations/00302_rust_upgrade_to_format_2.sql",
]

# Column order is left out: ALTER TABLE appends, so an upgraded link table has
# org_id last where a fresh one has it first, and `id` stays before org_id.
CATALOG = {
    "columns": """
        select table_name, column_name, data_type, udt_name, is_nullable, column_default
        from information_schema.columns where table_schema = 'public'""",
    "constraints": """
        select conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        from pg_constraint where connamespace = 'public'::regnamespace""",
    "indexes": "select tablename, indexname, indexdef from pg_indexes where schemaname = 'public'",
    "policies": """
        select tablename, policyname, permissive, roles::text, cmd, qual, with_check
        from pg_policies where schemaname = 'public'""",
    "rls": """
        select relname, relrowsecurity from pg_class
        where relnamespace = 'public'::regnamespace and relkind = 'r'""",
    "triggers": """
        select tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) from pg_trigger
        where not tgisinternal and tgrelid::regclass::text not like 'auth.%'""",
    "functions": """
        select n.nspname, p.proname, pg_get_functiondef(p.oid), p.proacl::text
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('public', 'private')""",
    "table_grants": """
        select grantee, table_name, privilege_type from information_schema.role_table_grants
        where table_schema = 'public'""",
    "column_grants": """
        select grantee, table_name, column_name, privilege_type
        from information_schema.column_privileges where table_schema = 'public'""",
    "enums": """
        select t.typname, array_agg(e.enumlabel order by e.enumsortorder)::text
        from pg_enum e join pg_type t on t.oid = e.enumtypid group by t.typname""",
}


def catalog(uri: str) -> dict[str, set[tuple]]:
    with psycopg.connect(uri) as conn:
        return {name: set(conn.execute(sql).fetchall()) for name, sql in CATALOG.items()}


def copier(*args: str, cwd: Path | None = None) -> None:
    cmd = [sys.executable, "-m", "copier", *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}"


def copy_at(template: Path, ref: str, answers: Path, dst: Path) -> Path:
    """`copier copy` of the template as it was at `ref`."""
    copier(
        "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", ref,
        "--data-file", str(answers), str(template), str(dst),
    )  # fmt: skip
    return dst


def repo_made_at(template: Path, ref: str, answers: Path, dst: Path) -> Path:
    """A user's repo made by the template at `ref`, committed as a user would."""
    copy_at(template, ref, answers, dst)
    git(dst, "init", "-q")
    git(dst, "add", "-A")
    git(dst, "commit", "-qm", f"made by the template at {ref}")
    return dst


def assert_same_catalog(expected_uri: str, got_uri: str) -> None:
    expected, got = catalog(expected_uri), catalog(got_uri)
    for part in CATALOG:
        assert got[part] == expected[part], (
            part,
            sorted(got[part] - expected[part]),
            sorted(expected[part] - got[part]),
        )


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """This checkout, history included, with the working tree committed on top (a
    dirty checkout would record a throw-away commit the second update cannot find)."""
    dst = tmp_path_factory.mktemp("template") / "supa-schema"
    git(ROOT, "clone", "-q", "--no-hardlinks", str(ROOT), str(dst))
    listed = git(ROOT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for rel in filter(None, listed):
        if (ROOT / rel).is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dst / rel)
    for rel in git(dst, "ls-files", "-z").split("\0"):
        if rel and not (ROOT / rel).exists():
            (dst / rel).unlink()
    git(dst, "add", "-A")
    if git(dst, "status", "--porcelain"):
        git(dst, "commit", "-qm", "working tree")
    return dst


@pytest.fixture(scope="module")
def old_answers(template, tmp_path_factory) -> Path:
    try:
        text = git(template, "show", f"{FORMAT_1}:examples/saas.yml")
    except subprocess.CalledProcessError as err:  # a shallow clone lacks the history
        raise AssertionError(f"{FORMAT_1} is not in this clone's history: {err.stderr}") from err
    path = tmp_path_factory.mktemp("format1") / "saas.yml"
    path.write_text(text)
    return path


def test_a_pre_isolation_repo_upgrades_to_the_catalog_of_a_fresh_repo(
    template, old_answers, pg, pgtap_sql, tmp_path
):
    repo = repo_made_at(template, FORMAT_1, old_answers, tmp_path / "repo")
    live = pg.create_database("upgrade_live")
    # The CLI's parser wants a host before `?host=<socket directory>`.
    url = live.replace("@/", "@localhost/", 1)
    pushed = supabase_cli(repo, "db", "push", "--db-url", url, "--yes")
    assert pushed.returncode == 0, pushed.stdout[-3000:] + pushed.stderr[-3000:]
    with psycopg.connect(live) as conn:
        org_a, org_b = (
            conn.execute(
                "insert into public.organizations (name) values (%s) returning id", (n,)
            ).fetchone()[0]
            for n in ("A", "B")
        )
        product, category = (
            conn.execute(
                f"insert into public.{table} (org_id, {label}{extra}) values (%s, %s{value}) "
                "returning id",
                (org, name),
            ).fetchone()[0]
            for table, label, org, name, extra, value in (
                ("products", "name", org_b, "lamp", ", price", ", 9.5"),
                ("categories", "title", org_b, "home", "", ""),
            )
        )
        conn.execute(
            "insert into public.products_categories (product_id, category_id) values (%s, %s)",
            (product, category),
        )
    before = snapshot(repo)

    copier("update", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD", cwd=repo)
    after = snapshot(repo)

    old = migration_files(before)
    assert {name: after[name] for name in old} == old, "an applied migration changed"
    added = sorted(n for n in set(after) - set(before) if n.startswith("supabase/migrations/"))
    assert added == EXPECTED_NEW_MIGRATIONS
    recorded = yaml.safe_load(after[".copier-answers.yml"])
    assert recorded["format_upgrades"] == [{"format": 2, "after": 4}, {"format": 3, "after": 4}]

    # As a user deploys it: 00002 sorts before files that already ran.
    pushed = supabase_cli(repo, "db", "push", "--db-url", url, "--include-all", "--yes")
    assert pushed.returncode == 0, pushed.stdout[-3000:] + pushed.stderr[-3000:]
    applied = [line for line in (pushed.stdout + pushed.stderr).splitlines() if "Applying" in line]
    assert applied == [f"Applying migration {Path(name).name}..." for name in added], applied
    fresh = copy_at(template, "HEAD", old_answers, tmp_path / "fresh")
    reference = pg.create_database("upgrade_reference")
    database.apply_migrations(reference, fresh)
    assert_same_catalog(reference, live)

    with psycopg.connect(live) as conn:
        link_org = conn.execute("select org_id from public.products_categories").fetchall()
        assert link_org == [(org_b,)], "existing links take their organization from the product"
        assert org_a != org_b

    # The attacks of the generated pgTAP tests fail on the upgraded database too.
    with psycopg.connect(live, autocommit=True) as conn:
        conn.execute(pgtap_sql)
    assert len(tap_files(repo)) == 8
    for path in tap_files(repo):
        planned, passed, failed = tap_results(run_tap(pg, live, path))
        assert failed == [] and len(passed) == planned, (path.name, failed)

    # `supabase db reset` on the upgraded repo: old files, then the upgrade.
    reset = pg.create_database("upgrade_reset")
    database.apply_migrations(reset, repo)
    assert catalog(reset) == catalog(reference)


def test_entries_after_an_upgrade_follow_it_in_every_range(template, old_answers, pg, tmp_path):
    """A later entry is numbered after its range's upgrade file and written in the
    new format, so it can reference an upgraded table with an org-scoped key."""
    repo = repo_made_at(template, FORMAT_1, old_answers, tmp_path / "repo")
    copier("update", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD", cwd=repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "template upgrade")
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    answers["migrations"].append(
        {
            "name": "add_reviews",
            "workspace": "rust",
            "actions": [
                {
                    "table": "reviews",
                    "tenant": True,
                    "columns": [
                        {"name": "body", "type": "text", "required": True},
                        {"name": "order_id", "type": "uuid", "references": "orders"},
                    ],
                }
            ],
        }
    )
    data = tmp_path / "answers.yml"
    data.write_text(yaml.safe_dump({"migrations": answers["migrations"]}, sort_keys=False))
    fast = tmp_path / "fast"
    shutil.copytree(repo, fast)
    cli = [sys.executable, "-m", "supa_schema_cli", "update", "--data-file", str(data)]
    done = subprocess.run([*cli, "--repo", str(fast)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    copier(
        "update", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD",
        "--data-file", str(data), cwd=repo,
    )  # fmt: skip
    names = sorted(p.name for p in (repo / "supabase" / "migrations").glob("*.sql"))
    assert "00303_rust_add_reviews.sql" in names
    assert "00302_rust_upgrade_to_format_2.sql" in names
    sql = (repo / "supabase" / "migrations" / "00303_rust_add_reviews.sql").read_text()
    assert "foreign key (org_id, order_id) references public.orders (org_id, id)" in sql
    # The upgrade is recorded once and for all: later updates keep it.
    recorded = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert recorded["format_upgrades"] == [{"format": 2, "after": 4}, {"format": 3, "after": 4}]
    uri = pg.create_database("upgrade_then_entry")
    database.apply_migrations(uri, repo)
    # The CLI's fast path renders the same tree as `copier update`.
    assert snapshot(fast) == snapshot(repo)


# The last commit whose migrations are format 2: tenant isolation, but columns and
# indexes added to existing tables in one plain transaction.
FORMAT_2 = "4514bdc"


def test_a_format_2_repo_keeps_its_files_and_writes_later_additions_live_safe(
    template, pg, tmp_path
):
    answers = tmp_path / "saas.yml"
    answers.write_text(git(template, "show", f"{FORMAT_2}:examples/saas.yml"))
    repo = repo_made_at(template, FORMAT_2, answers, tmp_path / "repo")
    before = migration_files(snapshot(repo))
    recorded = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    recorded["migrations"].append(
        {
            "name": "index_skus",
            "workspace": "rust",
            "actions": [{"index": {"table": "orders", "columns": ["status"]}}],
        }
    )
    data = tmp_path / "answers.yml"
    data.write_text(yaml.safe_dump({"migrations": recorded["migrations"]}, sort_keys=False))
    copier(
        "update", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD",
        "--data-file", str(data), cwd=repo,
    )  # fmt: skip
    after = migration_files(snapshot(repo))
    assert {name: after[name] for name in before} == before
    added = sorted(n for n in set(after) - set(before) if n.startswith("supabase/"))
    assert added == ["supabase/migrations/00302_rust_index_skus.sql"]
    sql = after[added[0]].decode()
    assert sql.startswith("-- 00302_rust_index_skus") and "-- no-transaction" not in sql
    assert "create index concurrently idx_orders_status on public.orders" in sql
    assert "\nset lock_timeout = '5s';\n" in sql
    rust_copy = after["apps/rust/migrations/00302_index_skus.sql"].decode()
    assert rust_copy.startswith("-- no-transaction\n")
    recorded = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert recorded["format_upgrades"] == [{"format": 3, "after": 4}]

    # A fresh copy with the recorded answers writes the first entries as format 2
    # did, byte for byte, so `copier recopy` and the CLI agree with the files.
    fresh = copy_at(template, "HEAD", repo / ".copier-answers.yml", tmp_path / "fresh")
    assert migration_files(snapshot(fresh)) == after
    uri = pg.create_database("format_2_then_3")
    database.apply_migrations(uri, repo)


@pytest.mark.parametrize("example", ["blog", "embeddings"])
def test_other_examples_upgrade_to_the_catalog_of_a_fresh_repo(template, example, pg, tmp_path):
    """Single-tenant (blog: only the soft-delete trigger and policies change) and
    vector tables (embeddings) upgrade too."""
    answers = tmp_path / f"{example}.yml"
    answers.write_text(git(template, "show", f"{FORMAT_1}:examples/{example}.yml"))
    repo = repo_made_at(template, FORMAT_1, answers, tmp_path / "repo")
    live = pg.create_database(f"upgrade_{example}")
    database.apply_migrations(live, repo)
    before = migration_files(snapshot(repo))
    copier("update", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD", cwd=repo)
    after = migration_files(snapshot(repo))
    assert {name: after[name] for name in before} == before
    added = sorted(n for n in set(after) - set(before) if n.startswith("supabase/migrations/"))
    assert added[0] == "supabase/migrations/00002_upgrade_core_functions.sql"
    assert all("_upgrade_to_format_2.sql" in name for name in added[1:]) and added[1:]
    with psycopg.connect(live, autocommit=True) as conn:
        for name in added:
            database.apply_file(conn, repo / name)
    fresh = copy_at(template, "HEAD", answers, tmp_path / "fresh")
    reference = pg.create_database(f"upgrade_{example}_reference")
    database.apply_migrations(reference, fresh)
    assert_same_catalog(reference, live)
