"""The Rust workspace: `sqlx::query_as!` is checked against the migrated database
by the real compiler, and the generated integration test round-trips every table."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLE_NAMES, EXAMPLES

RUST_EXAMPLES = [e for e in EXAMPLE_NAMES
                 if "rust" in yaml.safe_load((EXAMPLES / f"{e}.yml").read_text())["languages"]]
# One target directory for the whole suite (and across runs): dependencies compile once.
TARGET = Path(os.environ.get("SUPA_SCHEMA_CARGO_TARGET",
                             Path.home() / ".cache" / "supa-schema" / "cargo-target"))


def workspace(repo: Path) -> Path:
    config = json.loads((repo / ".kodo" / "config.json").read_text())
    return repo / config["stack"]["workspaces"]["rust"]["path"]


def sqlx_url(pg, uri: str) -> str:
    """sqlx's spelling of the unix-socket URI."""
    dbname = uri.split("@/")[1].split("?")[0]
    return f"postgres://postgres@localhost/{dbname}?host={pg.socket_dir}"


def cargo(ws: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "SQLX_OFFLINE": "false",
           "CARGO_TARGET_DIR": str(TARGET), "CARGO_TERM_COLOR": "never"}
    return subprocess.run(["cargo", *args, "-j", "2"], cwd=ws, env=env, capture_output=True,
                          text=True)


@pytest.mark.parametrize("example", RUST_EXAMPLES)
def test_cargo_test_builds_against_the_database_and_round_trips(example, rendered, fresh_db,
                                                                 pg):
    ws = workspace(rendered(example))
    result = cargo(ws, sqlx_url(pg, fresh_db(example, "rs_rows")), "test")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert "test every_table_round_trips ... ok" in result.stdout


def test_wrong_nullability_fails_to_compile(rendered, migrated, pg, tmp_path):
    """The compile-time check can fail: a nullable column mapped to a plain type."""
    ws = tmp_path / "rust"
    shutil.copytree(workspace(rendered("saas")), ws)
    model = ws / "src" / "db" / "models" / "products.rs"
    text = model.read_text()
    assert "    pub description: Option<String>,\n" in text
    model.write_text(text.replace("    pub description: Option<String>,\n",
                                  "    pub description: String,\n", 1))
    result = cargo(ws, sqlx_url(pg, migrated("saas")), "build")
    assert result.returncode != 0
    assert "error[E0277]" in result.stderr and "products.rs" in result.stderr, result.stderr
    assert "From<std::option::Option<std::string::String>>" in result.stderr, result.stderr


def test_sqlx_migrations_hold_the_rust_owned_entries(rendered):
    ws = workspace(rendered("saas"))
    repo = rendered("saas")
    files = sorted(p.name for p in (ws / "migrations").glob("*.sql"))
    assert files == ["00301_create_shipments.sql"]
    assert (ws / "migrations" / files[0]).read_bytes() == \
        (repo / "supabase/migrations/00301_rust_create_shipments.sql").read_bytes()
