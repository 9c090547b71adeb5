"""Week two of examples/evolve.yml on a database that already holds rows.

The modification actions (renames, column changes, drops, enum values) keep
every row, lint clean with Squawk's locking rules, and run through each tool
that applies migrations: our harness, Alembic (up, down, up again), the
Supabase CLI and sqlx-cli.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from support import load_example, workspace_dir
from test_rust import sqlx_url
from test_typescript import catalog

from supa_schema import build
from supa_schema.plan import RenameTable
from supa_schema_cli import database

EXAMPLE = "evolve"
PROJECT = build(load_example(EXAMPLE))
# The files of week two: every file of an entry that changes what exists.
WEEK_TWO = [m for m in PROJECT.migrations if m.modifies or m.concurrent]
FIRST_CHANGE = min(m.stem for m in WEEK_TWO)
FILES = [f"{m.stem}.sql" for m in PROJECT.migrations]
BEFORE_WEEK_TWO = max(f for f in FILES if f < FIRST_CHANGE)
RENAMED = next(
    f"{m.stem}.sql"
    for m in PROJECT.migrations
    if any(isinstance(op, RenameTable) for op in m.operations)
)

SUPABASE_CLI = "supabase@2.117.0"

ORG_A = "00000000-0000-4000-8000-00000000000a"
ORG_B = "00000000-0000-4000-8000-00000000000b"
USER = "00000000-0000-4000-8000-0000000000ee"
ADA, BO, GONE = (f"00000000-0000-4000-8000-0000000001{i:02d}" for i in range(3))
T1, T2, T3 = (f"00000000-0000-4000-8000-0000000002{i:02d}" for i in range(3))
MACRO = "00000000-0000-4000-8000-000000000300"
R1, R2 = (f"00000000-0000-4000-8000-0000000004{i:02d}" for i in range(2))
TAG = "00000000-0000-4000-8000-000000000500"
DUE = datetime.date(2026, 1, 5)
MAX_INT = 2**31 - 1


def seed_week_one(conn: psycopg.Connection) -> None:
    """Rows of every table week two changes, with real values, nulls where a
    change must fill them, and a soft-deleted row."""
    conn.execute("insert into auth.users (id) values (%s)", [USER])
    conn.execute(
        "insert into public.organizations (id, name) values (%s, 'Acme'), (%s, 'Bolt')",
        [ORG_A, ORG_B],
    )
    conn.execute(
        """insert into public.customers (org_id, id, name, email, phone, vip, deleted_at) values
           (%s, %s, 'Ada', 'ada@example.com', '+44 20 7946 0000', true, null),
           (%s, %s, 'Bo', 'shared@example.com', null, false, null),
           (%s, %s, 'Gone', 'gone@example.com', null, false, now())""",
        [ORG_A, ADA, ORG_B, BO, ORG_A, GONE],
    )
    conn.execute(
        """insert into public.tickets
             (org_id, id, customer_id, subject, status, via, estimate_hours, due_on, team,
              legacy_ref, deleted_at)
           values
             (%s, %s, %s, 'Refund "twice" it''s urgent', 'solved', 'phone', %s, %s, null,
              'L-1', null),
             (%s, %s, %s, 'Login loop', 'open', default, null, null, 'billing', null, null),
             (%s, %s, %s, 'Old question', 'pending', 'chat', 3, default, null, 'L-3', now())""",
        [ORG_A, T1, ADA, MAX_INT, DUE, ORG_A, T2, ADA, ORG_B, T3, BO],
    )
    conn.execute(
        "insert into public.tags (org_id, id, label) values (%s, %s, 'refunds')", [ORG_A, TAG]
    )
    conn.execute("insert into public.tickets_tags (ticket_id, tag_id) values (%s, %s)", [T1, TAG])
    conn.execute(
        "insert into public.macros (org_id, id, shortcut, body) values (%s, %s, 'thx', 'Thanks!')",
        [ORG_A, MACRO],
    )
    conn.execute(
        """insert into public.replies
             (org_id, id, user_id, ticket_id, body, internal, message_id, macro_id) values
             (%s, %s, %s, %s, 'We refunded you.', true, '<m1@example.com>', %s),
             (%s, %s, %s, %s, 'Try again?', false, null, null)""",
        [ORG_A, R1, USER, T1, MACRO, ORG_A, R2, USER, T2],
    )


def rows(conn: psycopg.Connection, sql: str, *params) -> list[tuple]:
    return conn.execute(sql, params or None).fetchall()


@pytest.fixture(scope="module")
def evolved(pg, rendered) -> str:
    """A database migrated through week one, seeded, then through week two (a link
    row is added right after the rename, before the link table is dropped)."""
    repo = rendered(EXAMPLE)
    uri = pg.create_database("mods_kept")
    database.apply_migrations(uri, repo, upto=BEFORE_WEEK_TWO)
    with psycopg.connect(uri, autocommit=True) as conn:
        with conn.transaction():
            seed_week_one(conn)
        for path in database.migration_files(repo):
            if path.name <= BEFORE_WEEK_TWO:
                continue
            database.apply_file(conn, path)
            if path.name == RENAMED:
                # the link's org_id trigger now reads it from the renamed table
                conn.execute(
                    "insert into public.tickets_tags (ticket_id, tag_id) values (%s, %s)", [T2, TAG]
                )
                linked = rows(conn, "select ticket_id::text, org_id::text from public.tickets_tags")
                assert sorted(linked) == [(T1, ORG_A), (T2, ORG_A)]
    return uri


def test_week_two_starts_after_week_one_and_has_files_of_every_kind():
    assert BEFORE_WEEK_TWO == "00201_python_create_replies.sql"
    assert RENAMED == "00204_python_tickets_become_cases.sql"
    owners = {m.workspace for m in WEEK_TWO}
    assert owners == {"python", "rust"}
    assert any(m.concurrent for m in WEEK_TWO) and any(m.lost for m in WEEK_TWO)


def test_renamed_tables_and_columns_keep_every_row(evolved):
    with psycopg.connect(evolved) as conn:
        cases = rows(
            conn,
            "select id::text, org_id::text, customer_id::text, subject, deleted_at is not null "
            "from public.cases order by id",
        )
        assert cases == [
            (T1, ORG_A, ADA, 'Refund "twice" it\'s urgent', False),
            (T2, ORG_A, ADA, "Login loop", False),
            (T3, ORG_B, BO, "Old question", True),
        ]
        assert rows(conn, "select to_regclass('public.tickets')") == [(None,)]
        replies = rows(
            conn,
            "select id::text, ticket_id::text, user_id::text, body, internal, message_id "
            "from public.replies order by id",
        )
        assert replies == [
            (R1, T1, USER, "We refunded you.", True, "<m1@example.com>"),
            (R2, T2, USER, "Try again?", False, None),
        ]
        customers = rows(
            conn,
            "select id::text, name, email, phone, vip, deleted_at is not null "
            "from public.customers order by id",
        )
        assert customers == [
            (ADA, "Ada", "ada@example.com", "+44 20 7946 0000", True, False),
            (BO, "Bo", "shared@example.com", None, False, False),
            (GONE, "Gone", "gone@example.com", None, False, True),
        ]
        assert rows(conn, "select id::text, shortcut, body from public.macros") == [
            (MACRO, "thx", "Thanks!")
        ]


def test_a_widened_column_keeps_its_values_and_its_default(evolved):
    with psycopg.connect(evolved) as conn:
        estimates = rows(conn, "select id::text, estimate from public.cases order by id")
        assert estimates == [(T1, MAX_INT), (T2, None), (T3, 3)]
        (column,) = rows(
            conn,
            "select data_type, column_default from information_schema.columns "
            "where table_name = 'cases' and column_name = 'estimate'",
        )
        assert column == ("bigint", "1")
        conn.execute("update public.cases set estimate = %s where id = %s", [MAX_INT + 1, T2])
        assert rows(conn, "select estimate from public.cases where id = %s", T2) == [(MAX_INT + 1,)]
        conn.rollback()


def test_a_required_column_backfills_nulls_from_its_default(evolved):
    with psycopg.connect(evolved) as conn:
        teams = rows(conn, "select id::text, team from public.cases order by id")
        assert teams == [(T1, "support"), (T2, "billing"), (T3, "support")]
        (column,) = rows(
            conn,
            "select is_nullable, column_default from information_schema.columns "
            "where table_name = 'cases' and column_name = 'team'",
        )
        assert column == ("NO", "'support'::text")
        checks = rows(
            conn, "select conname from pg_constraint where conname = 'cases_team_not_null'"
        )
        assert checks == []  # the temporary check is gone once not null holds
        with pytest.raises(psycopg.errors.NotNullViolation):
            conn.execute("update public.cases set team = null where id = %s", [T1])


def test_changed_and_dropped_defaults_leave_stored_values_alone(evolved):
    with psycopg.connect(evolved) as conn:
        stored = rows(conn, "select id::text, via::text, due_on from public.cases order by id")
        assert stored == [(T1, "phone", DUE), (T2, "email", None), (T3, "chat", stored[2][2])]
        assert stored[2][2] is not None  # the old default current_date, as stored then
        conn.execute(
            "insert into public.cases (org_id, id, customer_id, subject) "
            "values (%s, gen_random_uuid(), %s, 'New') ",
            [ORG_A, ADA],
        )
        fresh = rows(
            conn, "select via::text, due_on, team, estimate from public.cases where subject = 'New'"
        )
        assert fresh == [("chat", None, "support", 1)]
        conn.rollback()


def test_a_renamed_enum_value_reads_back_with_its_new_label(evolved):
    with psycopg.connect(evolved) as conn:
        statuses = rows(conn, "select id::text, status::text from public.cases order by id")
        assert statuses == [(T1, "resolved"), (T2, "open"), (T3, "pending")]
        (labels,) = rows(conn, "select enum_range(null::public.ticket_status)::text[]")
        assert labels == (["open", "pending", "escalated", "resolved"],)
        (channels,) = rows(conn, "select enum_range(null::public.channel)::text[]")
        assert channels == (["email", "chat", "sms", "phone"],)


def test_unique_keys_added_and_dropped_hold_for_new_rows(evolved):
    with psycopg.connect(evolved) as conn:
        conn.execute(
            "insert into public.customers (org_id, name, email) values (%s, 'Twin', 'ada@example.com')",
            [ORG_A],
        )  # customers.email is no longer unique
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "insert into public.replies (org_id, user_id, ticket_id, body, message_id) "
                "values (%s, %s, %s, 'dup', '<m1@example.com>')",
                [ORG_A, USER, T2],
            )


def test_dropped_columns_relations_indexes_and_tables_are_gone(evolved):
    with psycopg.connect(evolved) as conn:
        columns = set(
            rows(
                conn,
                "select table_name::text, column_name::text from information_schema.columns "
                "where table_schema = 'public'",
            )
        )
        assert ("cases", "legacy_ref") not in columns
        assert ("replies", "macro_id") not in columns
        tables = {
            r[0]
            for r in rows(conn, "select tablename::text from pg_tables where schemaname = 'public'")
        }
        assert tables == set(PROJECT.tables)
        assert "tags" not in tables and "tickets_tags" not in tables
        indexes = {r[0] for r in rows(conn, "select indexname::text from pg_indexes")}
        assert "idx_tickets_status" not in indexes and "idx_cases_status" not in indexes


def test_the_migrated_database_equals_one_migrated_without_rows(evolved, migrated):
    """Migrating a database with rows builds the same catalog as an empty one."""
    assert catalog(evolved) == catalog(migrated(EXAMPLE))


# ---------------------------------------------------------------- Squawk

# Squawk's rules about locks and table rewrites on tables that hold rows.
LOCKING_RULES = [
    "adding-field-with-default",
    "adding-foreign-key-constraint",
    "adding-not-nullable-field",
    "adding-required-field",
    "ban-concurrent-index-creation-in-transaction",
    "constraint-missing-not-valid",
    "disallowed-unique-constraint",
    "require-concurrent-index-creation",
    "require-lock-timeout",
]


@pytest.fixture(scope="module")
def squawk_findings(rendered) -> list[tuple[str, int, str, str]]:
    """(file, line, rule, statement) of every locking rule that fires on week two.

    The Supabase CLI (like sqlx and Alembic) runs each file in a transaction,
    except the files of concurrent steps, which run outside one: Squawk is
    told the same, file by file."""
    exe = shutil.which("squawk") or shutil.which("squawk", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("squawk is not installed: pip install -e '.[test]' (squawk-cli)")
    migrations = rendered(EXAMPLE) / "supabase" / "migrations"
    found = []
    for m in WEEK_TWO:
        path = migrations / f"{m.stem}.sql"
        cmd = [exe, "--pg-version", "16", "--reporter", "json"]
        cmd += ["--include", ",".join(LOCKING_RULES)]
        cmd += [] if m.concurrent else ["--assume-in-transaction"]
        result = subprocess.run([*cmd, str(path)], capture_output=True, text=True)
        assert result.returncode in (0, 1), result.stderr
        lines = path.read_text().splitlines()
        for v in json.loads(result.stdout or "[]"):
            assert v["rule_name"] != "syntax-error", v
            found.append((path.name, v["line"] + 1, v["rule_name"], lines[v["line"]].strip()))
    return found


def test_squawk_reads_every_week_two_file(squawk_findings):
    """The lint sees the files (renames and drops draw warnings of other rules)."""
    rules = {rule for _, _, rule, _ in squawk_findings}
    assert {"renaming-table", "ban-drop-column", "ban-drop-table"} <= rules


@pytest.mark.parametrize("rule", LOCKING_RULES)
def test_squawk_locking_rule_finds_nothing_in_week_two(rule, squawk_findings):
    fired = [f for f in squawk_findings if f[2] == rule]
    assert fired == []


# ---------------------------------------------------------------- Alembic


def alembic(ws: Path, uri: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": uri, "PYTHONPATH": str(ws / "src")}
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args], cwd=ws, env=env, capture_output=True, text=True
    )


def test_alembic_downgrades_week_two_until_a_drop_then_upgrades_again(rendered, pg):
    repo = rendered(EXAMPLE)
    ws = workspace_dir(repo, "python")
    python = [m for m in PROJECT.migrations if m.workspace == "python"]
    uri = pg.create_database("mods_alembic")
    with psycopg.connect(uri, autocommit=True) as conn:
        for path in database.migration_files(repo):
            if path.name < python[0].stem:
                database.apply_file(conn, path)
    upgraded = alembic(ws, uri, "upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    head = catalog(uri)
    # newest first: each reversible revision goes down, then the drop refuses
    irreversible = max(i for i, m in enumerate(python) if m.lost)
    reversible = python[irreversible + 1 :]
    assert [m.stem for m in reversible] == [
        "00204_python_tickets_become_cases",
        "00205_python_tickets_become_cases_2",
        "00206_python_dedupe_replies",
        "00207_python_dedupe_replies_2",
    ]
    for m in reversed(reversible):
        down = alembic(ws, uri, "downgrade", "-1")
        assert down.returncode == 0, f"{m.stem}: {down.stderr}"
        current = alembic(ws, uri, "current")
        assert current.stdout.split()[0] == m.down_revision, current.stdout + current.stderr
    with psycopg.connect(uri) as conn:  # back before the rename and the unique changes
        assert rows(conn, "select to_regclass('public.tickets')::text") == [("tickets",)]
        keys = (
            "select conname::text from pg_constraint where conrelid = 'public.customers'::regclass"
        )
        assert ("customers_email_key",) in rows(conn, keys)
        (labels,) = rows(conn, "select enum_range(null::public.ticket_status)::text[]")
        assert labels == (["open", "pending", "solved"],)
    refused = alembic(ws, uri, "downgrade", "-1")
    assert refused.returncode != 0
    dropped = python[irreversible]
    assert "NotImplementedError" in refused.stderr
    assert f"cannot downgrade {dropped.stem}: " in refused.stderr
    assert "legacy_ref" in refused.stderr, refused.stderr[-2000:]
    again = alembic(ws, uri, "upgrade", "head")
    assert again.returncode == 0, again.stderr
    assert catalog(uri) == head


# ---------------------------------------------------------------- Supabase CLI


def supabase_cli(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["npx", "--yes", SUPABASE_CLI, *args],
        cwd=repo,
        capture_output=True,
        text=True,
        input="y\n",
        env={**os.environ, "DO_NOT_TRACK": "1"},
    )


def test_supabase_cli_db_push_applies_every_file_including_concurrent_ones(rendered, pg, migrated):
    repo = rendered(EXAMPLE)
    uri = pg.create_database("mods_supabase")
    # The CLI's parser wants a host before `?host=<socket directory>`.
    url = uri.replace("@/", "@localhost/", 1)
    pushed = supabase_cli(repo, "db", "push", "--db-url", url, "--include-all", "--yes")
    assert pushed.returncode == 0, pushed.stdout[-3000:] + pushed.stderr[-3000:]
    for name in FILES:
        assert f"Applying migration {name}..." in pushed.stdout + pushed.stderr
    with psycopg.connect(uri) as conn:
        versions = rows(conn, "select version from supabase_migrations.schema_migrations")
        assert sorted(v for (v,) in versions) == sorted(
            ["00000", "00001", *(m.version for m in PROJECT.migrations)]
        )
    assert catalog(uri) == catalog(migrated(EXAMPLE))


# ---------------------------------------------------------------- sqlx-cli


def test_sqlx_migrate_runs_the_rust_files_outside_a_transaction_where_marked(
    rendered, pg, migrated, sqlx_cli
):
    repo = rendered(EXAMPLE)
    source = workspace_dir(repo, "rust") / "migrations"
    rust = [m for m in PROJECT.migrations if m.workspace == "rust"]
    for m in rust:
        text = (source / f"{m.version}_{m.name}.sql").read_text()
        assert text.startswith("-- no-transaction\n") == m.concurrent, m.stem
    uri = pg.create_database("mods_sqlx")
    database.apply_migrations(uri, repo, upto=max(f for f in FILES if f < rust[0].stem))
    ran = subprocess.run(
        [str(sqlx_cli), "migrate", "run", "--source", str(source)],
        env={**os.environ, "DATABASE_URL": sqlx_url(pg, uri)},
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    with psycopg.connect(uri) as conn:
        applied = rows(conn, "select version, success from _sqlx_migrations order by version")
        conn.execute("drop table _sqlx_migrations")  # sqlx's bookkeeping, in public
    assert applied == [(m.number, True) for m in rust]
    assert catalog(uri) == catalog(migrated(EXAMPLE))
