"""`new` scaffolds a repo; `check` replays its migrations and checks every workspace agrees."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml

from ..cli import HERE, Repo, console, data_file_option, fail
from ..repo import kodo_config, orm_of, validate

if TYPE_CHECKING:
    from ..database import Server

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


# The Supabase CLI the generated workflow pins (and supa-schema is tested with).
SUPABASE_CLI = "2.117.0"
_APPLYING = re.compile(r"Applying migration (\S+?)\.\.\.")
_LISTED = re.compile(r"^\s*`?(\w*)`?\s*\|\s*`?(\w*)`?\s*\|", re.M)


def _supabase_cli(repo: Path, server: Server, files: list[Path]) -> None:
    """Apply supabase/migrations again with the Supabase CLI, when it is on PATH:
    `supabase db push --include-all` into a fresh database, then `supabase migration
    list` must show every local file as applied (the CLI skips a file whose name is not
    `<version>_<name>.sql`, which the embedded replay would apply)."""
    exe = shutil.which("supabase")
    if exe is None:
        console.print(
            "[yellow]supabase CLI: not on PATH, skipped `supabase db push` and "
            f"`supabase migration list` (the workflow pins {SUPABASE_CLI})[/yellow]"
        )
        return
    name = "supa_check_cli"
    server.create_database(name)
    # The CLI's URL parser wants a host before `?host=<socket directory>`.
    url = f"postgresql://postgres@localhost/{name}?host={server.socket_dir}"
    env = {**os.environ, "DO_NOT_TRACK": "1"}

    def run(*args: str) -> tuple[int, str]:
        console.print(f"[bold]supabase CLI[/bold]: supabase {' '.join(args)}", highlight=False)
        result = subprocess.run(
            [exe, *args], cwd=repo, env=env, input="y\n", capture_output=True, text=True
        )
        return result.returncode, result.stdout + result.stderr

    code, out = run("db", "push", "--db-url", url, "--include-all", "--yes")
    if code != 0:
        applying = _APPLYING.findall(out)
        sys.stderr.write(out[-4000:] + "\n")
        where = f" at {applying[-1]}" if applying else ""
        fail(f"supabase db push failed{where} (exit {code})")
    code, out = run("migration", "list", "--db-url", url)
    if code != 0:
        sys.stderr.write(out[-4000:] + "\n")
        fail(f"supabase migration list failed (exit {code})")
    remote = {local: applied for local, applied in _LISTED.findall(out) if local.isdigit()}
    missing = []
    for path in files:
        version = re.match(r"(\d+)_", path.name)
        if version is None or not remote.get(version.group(1)):
            missing.append(path.name)
    if missing:
        sys.stderr.write(out[-4000:] + "\n")
        fail(
            f"supabase migration list does not show {', '.join(missing)} as applied: the "
            "Supabase CLI applies only files named <version>_<name>.sql"
        )
    console.print(
        f"[green]supabase CLI: db push applied and migration list shows all {len(files)} "
        "migrations[/green]"
    )


def check(
    repo: Repo = HERE,
    data_dir: Annotated[Path | None, typer.Option(help="Keep PostgreSQL's data here")] = None,
    typescript: Annotated[bool, typer.Option(help="Type-check the TypeScript workspace")] = True,
    rust: Annotated[bool, typer.Option(help="Build and test the Rust workspace")] = True,
) -> None:
    """Apply supabase/migrations to an embedded PostgreSQL and check every workspace agrees.

    With the Supabase CLI on PATH, `supabase db push` applies them again and `supabase
    migration list` must show each one applied.
    """
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
    _supabase_cli(repo, server, files)
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
        else:  # --no-typescript, --no-rust, or a workspace without its manifest
            console.print(f"[yellow]{name}: not checked[/yellow]")
            continue
        console.print(f"[green]{name}: agrees with the database[/green]")
    console.print("[green bold]check passed[/green bold]")
