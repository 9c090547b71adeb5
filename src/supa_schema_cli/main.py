"""The `supa-schema` command line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import typer
import yaml
from rich.console import Console

from . import database

app = typer.Typer(help="Grow a hybrid Supabase schema (Drizzle, SQLAlchemy, SQLx) from one "
                  "answers file.", no_args_is_help=True, add_completion=False)
console = Console(stderr=True)
TEMPLATE = Path(__file__).resolve().parents[2]  # this repository, when run from a checkout


def fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def load_engine():
    sys.path.insert(0, str(TEMPLATE / "extensions"))
    import supa_schema

    return supa_schema


def validate(answers: dict) -> None:
    """Stop with the engine's message before Copier writes anything."""
    engine = load_engine()
    try:
        engine.build(answers)
    except engine.SchemaError as err:
        fail(str(err))


def kodo_config(repo: Path) -> dict:
    path = repo / ".kodo" / "config.json"
    if not path.is_file():
        fail(f"{path} not found: run this inside a repo made by supa-schema (or pass --repo)")
    return json.loads(path.read_text())


@app.command()
def new(destination: Path = typer.Argument(..., help="Directory of the new repo"),
        data_file: Optional[Path] = typer.Option(None, "--data-file", help="Answers file (YAML)"),
        template: str = typer.Option(str(TEMPLATE), help="Template location"),
        defaults: bool = typer.Option(True, help="Use defaults for questions not answered")):
    """Scaffold a new repo (copier copy)."""
    from copier import run_copy

    data = {}
    if data_file is not None:
        data = yaml.safe_load(data_file.read_text()) or {}
        validate(data)
    run_copy(template, str(destination), data=data, defaults=defaults, unsafe=True,
             quiet=True, vcs_ref="HEAD" if Path(template, ".git").exists() else None)
    console.print(f"[green]created[/green] {destination}")


def _run(step: str, cmd: list[str], cwd: Path, env: dict | None = None) -> None:
    console.print(f"[bold]{step}[/bold]: {' '.join(cmd)}", highlight=False)
    result = subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        fail(f"{step} failed (exit {result.returncode})")


@app.command()
def check(repo: Path = typer.Option(Path("."), help="The generated repo"),
          data_dir: Optional[Path] = typer.Option(None, help="Keep PostgreSQL's data here"),
          typescript: bool = typer.Option(True, help="Type-check the TypeScript workspace"),
          rust: bool = typer.Option(True, help="Build and test the Rust workspace")):
    """Apply supabase/migrations to an embedded PostgreSQL and check every workspace agrees."""
    config = kodo_config(repo)
    server = database.start(data_dir)
    uri = server.create_database("supa_check")
    with console.status("applying supabase/migrations"):
        files = database.apply_migrations(uri, repo)
    console.print(f"[green]applied[/green] {len(files)} migrations")
    for name, ws in config["stack"]["workspaces"].items():
        orm = (ws["database"].get("orm") or {}).get("name")
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
            _run(f"{name}: alembic stamp", [sys.executable, "-m", "alembic", "stamp", "head"],
                 path, env)
            _run(f"{name}: alembic check", [sys.executable, "-m", "alembic", "check"], path, env)
        elif orm == "drizzle" and typescript and (path / "package.json").is_file():
            npm = shutil.which("npm") or fail("npm is required to check the TypeScript workspace")
            _run(f"{name}: npm install", [npm, "install", "--no-audit", "--no-fund"], path)
            _run(f"{name}: tsc", ["npx", "tsc", "--noEmit"], path)
        elif orm == "sqlx" and rust and (path / "Cargo.toml").is_file():
            cargo = shutil.which("cargo") or fail("cargo is required to check the Rust workspace")
            sqlx_url = f"postgres://postgres@localhost/supa_check?host={server.socket_dir}"
            _run(f"{name}: cargo test", [cargo, "test", "-j", "2"], path,
                 {"DATABASE_URL": sqlx_url, "SQLX_OFFLINE": "false"})
        console.print(f"[green]{name}: agrees with the database[/green]")
    console.print("[green bold]check passed[/green bold]")


if __name__ == "__main__":
    app()
