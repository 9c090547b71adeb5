"""`new` scaffolds a repo; `check` replays its migrations and checks every workspace agrees."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from ..cli import HERE, Repo, console, data_file_option, fail
from ..repo import kodo_config, orm_of, validate

# This repository, when run from a checkout (src/supa_schema_cli/commands/project.py).
CHECKOUT = Path(__file__).resolve().parents[3]


def new(
    destination: Annotated[Path, typer.Argument(help="Directory of the new repo")],
    data_file: Annotated[Path | None, data_file_option("Answers file (YAML)")] = None,
    template: Annotated[str, typer.Option(help="Template location")] = str(CHECKOUT),
    defaults: Annotated[bool, typer.Option(help="Use defaults for questions not answered")] = True,
) -> None:
    """Scaffold a new repo (copier copy)."""
    from copier import run_copy

    data: dict[str, Any] = {}
    if data_file is not None:
        data = yaml.safe_load(data_file.read_text()) or {}
        validate(data)
    run_copy(
        template,
        str(destination),
        data=data,
        defaults=defaults,
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD" if Path(template, ".git").exists() else None,
    )
    console.print(f"[green]created[/green] {destination}")


def _run(step: str, cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    console.print(f"[bold]{step}[/bold]: {' '.join(cmd)}", highlight=False)
    result = subprocess.run(
        cmd, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        fail(f"{step} failed (exit {result.returncode})")


def check(
    repo: Repo = HERE,
    data_dir: Annotated[Path | None, typer.Option(help="Keep PostgreSQL's data here")] = None,
    typescript: Annotated[bool, typer.Option(help="Type-check the TypeScript workspace")] = True,
    rust: Annotated[bool, typer.Option(help="Build and test the Rust workspace")] = True,
) -> None:
    """Apply supabase/migrations to an embedded PostgreSQL and check every workspace agrees."""
    from .. import database  # psycopg and pgserver load only when a database is needed

    config = kodo_config(repo)
    server = database.start(data_dir)
    uri = server.create_database("supa_check")
    try:
        with console.status("applying supabase/migrations"):
            files = database.apply_migrations(uri, repo)
    except database.MigrationFailed as err:
        fail(database.apply_failed(err))
    console.print(f"[green]applied[/green] {len(files)} migrations")
    for name, ws in config["stack"]["workspaces"].items():
        orm = orm_of(ws)
        path = repo / ws["path"]
        if orm is None:
            console.print(f"{name}: no ORM, SQL migrations only")
            continue
        if not path.is_dir():
            console.print(f"[yellow]{name}: no generated workspace at {path}[/yellow]")
            continue
        env = {"DATABASE_URL": uri}
        if orm == "sqlalchemy":
            env["PYTHONPATH"] = str(path / "src")
            _run(
                f"{name}: alembic stamp",
                [sys.executable, "-m", "alembic", "stamp", "head"],
                path,
                env,
            )
            _run(f"{name}: alembic check", [sys.executable, "-m", "alembic", "check"], path, env)
        elif orm == "drizzle" and typescript and (path / "package.json").is_file():
            npm = shutil.which("npm") or fail("npm is required to check the TypeScript workspace")
            _run(f"{name}: npm install", [npm, "install", "--no-audit", "--no-fund"], path)
            _run(f"{name}: tsc", ["npx", "tsc", "--noEmit"], path)
        elif orm == "sqlx" and rust and (path / "Cargo.toml").is_file():
            cargo = shutil.which("cargo") or fail("cargo is required to check the Rust workspace")
            sqlx_url = f"postgres://postgres@localhost/supa_check?host={server.socket_dir}"
            _run(
                f"{name}: cargo test",
                [cargo, "test", "-j", "2"],
                path,
                {"DATABASE_URL": sqlx_url, "SQLX_OFFLINE": "false"},
            )
        console.print(f"[green]{name}: agrees with the database[/green]")
    console.print("[green bold]check passed[/green bold]")
