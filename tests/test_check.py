"""`supa-schema check` with and without the Supabase CLI on PATH: with it, the
migrations are pushed again by `supabase db push` and `supabase migration list` must
show each one applied; without it, check says it skipped that step and passes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

SUPABASE_CLI = "supabase@2.117.0"  # as the generated workflow pins it
SKIPPED = "supabase CLI: not on PATH, skipped `supabase db push` and `supabase migration list`"


@pytest.fixture(scope="session")
def supabase_shim(tmp_path_factory) -> Path:
    """A directory holding `supabase`, which runs the npx-cached pinned CLI."""
    version = subprocess.run(
        ["npx", "--yes", SUPABASE_CLI, "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0, version.stderr
    shim = tmp_path_factory.mktemp("shim")
    exe = shim / "supabase"
    exe.write_text(f'#!/bin/sh\nexec npx --yes {SUPABASE_CLI} "$@"\n')
    exe.chmod(0o755)
    return shim


@pytest.fixture
def pg_data():
    """check's PostgreSQL data, outside pytest's temporary tree (see conftest's pg)."""
    data = Path(tempfile.mkdtemp(prefix="supa-schema-check-"))
    yield data
    shutil.rmtree(data, ignore_errors=True)


def without_supabase() -> str:
    return os.pathsep.join(
        d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "supabase").exists()
    )


def repo_copy(rendered, tmp_path: Path) -> Path:
    return shutil.copytree(rendered("saas"), tmp_path / "repo", symlinks=True)


def check(repo: Path, path: str, data_dir: Path) -> subprocess.CompletedProcess:
    # The TypeScript and Rust workspaces have tests of their own; alembic check runs.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "supa_schema_cli",
            "check",
            "--repo",
            str(repo),
            "--no-typescript",
            "--no-rust",
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path, "DO_NOT_TRACK": "1", "COLUMNS": "200"},
        timeout=600,
    )
    result.out = result.stdout + result.stderr  # type: ignore[attr-defined]
    return result


def test_check_pushes_with_the_supabase_cli_and_lists_every_migration(
    rendered, supabase_shim, tmp_path, pg_data
):
    repo = repo_copy(rendered, tmp_path)
    files = sorted(p.name for p in (repo / "supabase/migrations").glob("*.sql"))
    path = os.pathsep.join([str(supabase_shim), without_supabase()])
    result = check(repo, path, pg_data)
    assert result.returncode == 0, result.out
    assert "supabase db push --db-url postgresql://postgres@localhost/supa_check_cli?host=" in (
        result.out
    )
    assert "supabase migration list --db-url" in result.out
    assert f"db push applied and migration list shows all {len(files)} migrations" in result.out
    assert SKIPPED not in result.out and "check passed" in result.out


def test_check_without_the_supabase_cli_says_it_skipped_and_passes(rendered, tmp_path, pg_data):
    repo = repo_copy(rendered, tmp_path)
    result = check(repo, without_supabase(), pg_data)
    assert result.returncode == 0, result.out
    assert [line for line in result.out.splitlines() if "supabase CLI" in line] == [
        SKIPPED + " (the workflow pins 2.117.0)"
    ]
    assert "check passed" in result.out


def test_check_fails_naming_a_file_the_supabase_cli_cannot_apply(
    rendered, supabase_shim, tmp_path, pg_data
):
    """A migration the embedded replay applies but `supabase db push` does not: it
    creates the schema the CLI keeps its history in."""
    repo = repo_copy(rendered, tmp_path)
    (repo / "supabase/migrations/00102_node_history.sql").write_text(
        "create schema supabase_migrations;\n"
    )
    path = os.pathsep.join([str(supabase_shim), without_supabase()])
    result = check(repo, path, pg_data)
    assert result.returncode != 0
    assert "supabase db push failed at 00102_node_history.sql" in result.out, result.out
    assert "check passed" not in result.out


def test_check_fails_naming_a_file_the_supabase_cli_skips(
    rendered, supabase_shim, tmp_path, pg_data
):
    """A file not named <version>_<name>.sql: the embedded replay applies it, the CLI
    skips it, so `supabase migration list` does not show it applied."""
    repo = repo_copy(rendered, tmp_path)
    (repo / "supabase/migrations/add_notes.sql").write_text(
        "alter table public.categories add column notes text;\n"
    )
    path = os.pathsep.join([str(supabase_shim), without_supabase()])
    result = check(repo, path, pg_data)
    assert result.returncode != 0
    assert "supabase migration list does not show add_notes.sql as applied" in result.out, (
        result.out
    )
