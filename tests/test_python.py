"""The Python workspace: models import, Alembic agrees with the database, rows round-trip,
the Pydantic schemas keep every value, and the code passes its own ruff and mypy settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import CACHE, EXAMPLES, workspace_dir

PY_EXAMPLES = [
    p.stem
    for p in sorted(EXAMPLES.glob("*.yml"))
    if "python" in (yaml.safe_load(p.read_text()).get("languages") or [])
]
ROUNDTRIP = Path(__file__).with_name("python_roundtrip.py")
SCHEMAS = Path(__file__).with_name("python_schemas.py")


def run(cmd: list[str], cwd: Path, uri: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": uri, "PYTHONPATH": str(cwd / "src")}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


@pytest.mark.parametrize("example", PY_EXAMPLES)
def test_alembic_check_finds_nothing_to_do(example, rendered, migrated):
    ws = workspace_dir(rendered(example), "python")
    uri = migrated(example)
    alembic = [sys.executable, "-m", "alembic"]
    stamped = run(alembic + ["stamp", "head"], ws, uri)
    assert stamped.returncode == 0, stamped.stderr
    checked = run(alembic + ["check"], ws, uri)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No new upgrade operations detected" in checked.stdout + checked.stderr


@pytest.mark.parametrize("example", PY_EXAMPLES)
def test_workspace_passes_its_ruff_rules_and_mypy_strict(example, rendered):
    """`ruff check` and `mypy` run in the workspace, so by its own pyproject.toml: the
    rule set and strictness it states are the ones checked."""
    ws = workspace_dir(rendered(example), "python")
    config = (ws / "pyproject.toml").read_text()
    for stated in (
        'select = ["E", "F", "I", "UP", "B"]',
        "[tool.mypy]\nstrict = true\n",
        'plugins = ["pydantic.mypy"]',
        '"mypy>=',
        '"ruff>=',
    ):
        assert stated in config
    env = {**os.environ, "PYTHONPATH": str(ws / "src")}
    checked = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The cache (third-party stubs, mostly) is kept between runs, one per example.
    cache = CACHE / "mypy" / example
    typed = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache)],
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr
    assert "Success: no issues found" in typed.stdout


@pytest.mark.parametrize("example", PY_EXAMPLES)
def test_schemas_keep_every_value_and_dump_only_what_was_set(example, rendered):
    """Create/Update/Read take column names and attribute names alike, refuse unknown
    keys, and dump only what was given (never None for a NOT NULL column)."""
    ws = workspace_dir(rendered(example), "python")
    result = run([sys.executable, str(SCHEMAS)], ws, "postgresql://unused")
    assert result.returncode == 0, result.stdout + result.stderr
    from supa_schema import build

    project = build(yaml.safe_load((EXAMPLES / f"{example}.yml").read_text()))
    lines = [line for line in result.stdout.splitlines() if line.startswith("schemas ")]
    assert sorted(line.split()[1].rstrip(":") for line in lines) == sorted(project.tables)


def test_alembic_check_fails_when_a_model_disagrees(rendered, pg, tmp_path):
    """The agreement check can fail: drop a column in the database and alembic sees it."""
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(rendered("saas"), repo)
    uri = pg.create_database("py_disagree")
    from supa_schema_cli import database

    database.apply_migrations(uri, repo)
    import psycopg

    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("alter table public.products drop column description")
        conn.execute("alter table public.orders alter column note set not null")
    ws = workspace_dir(repo, "python")
    assert run([sys.executable, "-m", "alembic", "stamp", "head"], ws, uri).returncode == 0
    checked = run([sys.executable, "-m", "alembic", "check"], ws, uri)
    assert checked.returncode != 0
    out = checked.stdout + checked.stderr
    assert "description" in out and "note" in out


@pytest.mark.parametrize("example", PY_EXAMPLES)
def test_every_table_round_trips_through_sqlalchemy_and_pydantic(example, rendered, fresh_db):
    ws = workspace_dir(rendered(example), "python")
    uri = fresh_db(example, "py_rows")
    result = run([sys.executable, str(ROUNDTRIP)], ws, uri)
    assert result.returncode == 0, result.stdout + result.stderr
    from supa_schema import build

    project = build(yaml.safe_load((EXAMPLES / f"{example}.yml").read_text()))
    lines = [line for line in result.stdout.splitlines() if line.startswith("roundtrip ")]
    assert sorted(line.split()[1].rstrip(":") for line in lines) == sorted(project.tables)


def test_alembic_revisions_form_one_linear_chain_that_upgrades_a_database(rendered, pg):
    """Running the Python-owned revisions with `alembic upgrade` gives the same objects."""
    ws = workspace_dir(rendered("saas"), "python")
    versions = sorted((ws / "alembic" / "versions").glob("*.py"))
    # add_sku adds a unique column and an index to a table with rows: the column,
    # then each index built concurrently (its own revision), then the key.
    assert [v.name for v in versions] == [
        "00201_python_create_orders.py",
        "00202_python_add_sku.py",
        "00203_python_add_sku_2.py",
        "00204_python_add_sku_3.py",
        "00205_python_add_sku_4.py",
    ]
    history = run([sys.executable, "-m", "alembic", "history"], ws, "postgresql://unused")
    assert history.returncode == 0, history.stderr
    assert "00204 -> 00205 (head)" in history.stdout
    assert "00201 -> 00202" in history.stdout
    assert "<base> -> 00201" in history.stdout
    # Apply the migrations that sort before 00201 with Supabase's order, then alembic upgrade.
    from supa_schema_cli import database

    uri = pg.create_database("py_upgrade")
    import psycopg

    with psycopg.connect(uri, autocommit=True) as conn:
        for path in database.migration_files(rendered("saas")):
            if path.name < "00201":
                conn.execute(path.read_text())
    upgraded = run([sys.executable, "-m", "alembic", "upgrade", "head"], ws, uri)
    assert upgraded.returncode == 0, upgraded.stderr
    with psycopg.connect(uri) as conn:
        cols = {
            r[0]
            for r in conn.execute(
                "select column_name from information_schema.columns where table_name = 'products'"
            )
        }
        assert "sku" in cols
    downgraded = run([sys.executable, "-m", "alembic", "downgrade", "base"], ws, uri)
    assert downgraded.returncode == 0, downgraded.stderr


def test_workspace_is_pip_installable(rendered, tmp_path):
    ws = workspace_dir(rendered("blog"), "python")
    target = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(ws),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (target / "db" / "models" / "posts.py").is_file()
    assert (target / "schemas" / "posts.py").is_file()


def test_env_py_accepts_the_unix_socket_uri_form(rendered, migrated):
    ws = workspace_dir(rendered("blog"), "python")
    uri = migrated("blog")
    assert "?host=/" in uri and "@/" in uri
    current = run([sys.executable, "-m", "alembic", "current"], ws, uri)
    assert current.returncode == 0, current.stderr
