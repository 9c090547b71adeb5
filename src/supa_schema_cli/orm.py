"""The seed's `generate` and `sync` actions, for hand-written ORM migrations.

`generate` runs each workspace's own migration tool (drizzle-kit, alembic,
sqlx-cli) in its directory. `sync` copies the ORM migrations the changelog did
not generate into the changelog as *synced* entries: each takes the next number
of its workspace's service range and renders to `supabase/migrations/` as the
ORM's SQL, verbatim.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer

from . import apply
from .main import (_recorded, app, console, fail, load_engine, orm_of, selected_workspaces,
                   validate)
# Where each ORM keeps its migrations, relative to the workspace.
ORM_FOLDERS = {"drizzle": "drizzle", "sqlalchemy": "alembic/versions", "sqlx": "migrations"}
SQLX_INSTALL = "cargo install sqlx-cli --no-default-features --features rustls,postgres"
# alembic's offline mode needs a URL for the dialect only; it never connects.
OFFLINE_URL = "postgresql://postgres@localhost/postgres"


# --------------------------------------------------------------------------- helpers


def _redirect(name: str) -> None:
    say(f"{name}: {load_engine().ORM_REDIRECT}")


def _python_env(ws_dir: Path, uri: Optional[str] = None) -> dict[str, str]:
    src = str(ws_dir / "src")
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{path}" if path else src,
            "DATABASE_URL": uri or os.environ.get("DATABASE_URL") or OFFLINE_URL}


def say(message: str) -> None:
    """One message on stderr, never wrapped (paths and commands stay whole)."""
    console.print(message, highlight=False, soft_wrap=True)


def _tool(cmd: list[str], cwd: Path, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    say(f"[bold]$[/bold] {' '.join(cmd)}  [dim](in {cwd})[/dim]")
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


def _show(result: subprocess.CompletedProcess) -> None:
    out = (result.stdout + result.stderr).strip()
    if out:
        sys.stderr.write(out[-4000:] + "\n")


def advice(message: str) -> str:
    """The seed's Error Handling advice for a migration that failed to apply."""
    enum = re.search(r'type "([^"]+)" does not exist', message)
    if enum:
        return (f'Type "{enum.group(1)}" does not exist: custom types (enums) must be created '
                "in an earlier migration. Declare it with an `enum:` action in an earlier "
                "changelog entry (one whose file sorts before this one).")
    if "violates foreign key" in message or re.search(r'relation "[^"]+" does not exist',
                                                      message):
        return ("A migration refers to a table that does not exist yet: ensure referenced "
                "tables are created first. Files apply in file-name order across the service "
                "ranges (typescript 00100-00199, python 00200-00299, rust 00300-00399), so "
                "create the table in an entry whose number sorts earlier.")
    if "already exists" in message:
        return ("The object already exists: it was probably created directly in Supabase or "
                "by another migration. If the database already has it, mark the migration "
                "as applied with `supabase migration repair --status applied <version>`; "
                "otherwise remove the duplicate.")
    return ""


def apply_failed(err: Exception) -> str:
    text = str(err)
    hint = advice(text)
    return f"{text}\n  -> {hint}" if hint else text


# --------------------------------------------------------------------------- generate


BASELINE = "supa_schema_baseline"


def _rendered(repo: Path, rel: str) -> Optional[bytes]:
    """``rel`` as the template renders it for the recorded answers (without hand edits)."""
    try:
        recorded = apply.load_answers(repo)
        renderer = apply.renderer_for(repo, recorded)
        if renderer is None:
            return None
        ctx = renderer.context(recorded.get("migrations") or [])
        for source in renderer.sources():
            for path, extra in renderer.paths(source, ctx, None):
                if path == rel:
                    return renderer.render(source, ctx, extra)
    except Exception:  # noqa: BLE001 - no baseline is a warning, not a failure
        return None
    return None


def _drizzle_baseline(name: str, kit: Path, ws_dir: Path, repo: Path, rel: str) -> bool:
    """Give drizzle-kit a snapshot of the schema supabase/migrations already build.

    Without drizzle/meta, drizzle-kit's first migration creates every table.
    Generating once from the schema.ts the changelog renders (hand edits set
    aside) records that snapshot; its SQL, already in supabase/migrations, is
    removed, so the next migration holds only the user's change.
    """
    schema = ws_dir / "src" / "db" / "schema.ts"
    pristine = _rendered(repo, f"{rel}/src/db/schema.ts")
    if pristine is None or not schema.is_file():
        return False
    current = schema.read_bytes()
    try:
        schema.write_bytes(pristine)
        result = _tool([str(kit), "generate", "--name", BASELINE], ws_dir)
    finally:
        schema.write_bytes(current)
    if result.returncode != 0:
        _show(result)
        return False
    for sql in (ws_dir / "drizzle").glob(f"*_{BASELINE}.sql"):
        sql.unlink()
    say(f"{name}: recorded a drizzle-kit snapshot of the generated schema in drizzle/meta "
        "(its SQL is already in supabase/migrations)")
    return True


def _generate_drizzle(name: str, ws_dir: Path, rel: str, migration: Optional[str],
                      repo: Path) -> bool:
    kit = ws_dir / "node_modules" / ".bin" / "drizzle-kit"
    if not kit.exists():
        say(f"{name}: drizzle-kit not found: run `npm install` in {rel}")
        return False
    if not (ws_dir / "drizzle" / "meta" / "_journal.json").is_file() and \
            not _drizzle_baseline(name, kit, ws_dir, repo, rel):
        say(f"[yellow]{name}: drizzle/meta has no snapshot yet, so drizzle-kit's "
            "first migration holds the whole schema; delete it (keep drizzle/meta) "
            "before `supa-schema sync`[/yellow]")
    cmd = [str(kit), "generate"] + (["--name", migration] if migration else [])
    result = _tool(cmd, ws_dir)
    _show(result)
    return result.returncode == 0


def _generate_sqlx(name: str, ws_dir: Path, migration: Optional[str]) -> bool:
    sqlx = shutil.which("sqlx")
    if sqlx is None:
        say(f"{name}: sqlx-cli not found: install it with `{SQLX_INSTALL}`")
        return False
    if not migration:
        say(f"{name}: sqlx migrate add needs a name: pass --name (e.g. add_products)")
        return False
    result = _tool([sqlx, "migrate", "add", migration], ws_dir)
    _show(result)
    if result.returncode == 0:
        say(f"{name}: write the SQL in the new file under migrations/ (edit manually)")
    return result.returncode == 0


def _generate_alembic(name: str, ws_dir: Path, repo: Path, project, migration: Optional[str]
                      ) -> bool:
    if not migration:
        say(f"{name}: alembic needs a message: pass --name (e.g. add_products)")
        return False
    pending = _candidates(repo, project, name, ws_dir, "sqlalchemy")
    if pending:
        say(f"{name}: {', '.join(c.rel for c in pending)} not synced yet: run "
                      "`supa-schema sync` first, so alembic compares with a database that "
                      "has it")
        return False
    from . import database  # psycopg and pgserver load only when a database is needed

    data = tempfile.mkdtemp(prefix="supa-schema-generate-")
    server = database.start(data)
    try:
        uri = server.create_database("supa_generate")
        try:
            with console.status("applying supabase/migrations"):
                database.apply_migrations(uri, repo)
        except database.MigrationFailed as err:
            say(f"[red]{name}: supabase/migrations do not apply:[/red] "
                          f"{apply_failed(err)}")
            return False
        env = _python_env(ws_dir, uri)
        alembic = [sys.executable, "-m", "alembic"]
        stamped = _tool(alembic + ["stamp", "head"], ws_dir, env)
        if stamped.returncode != 0:
            _show(stamped)
            return False
        result = _tool(alembic + ["revision", "--autogenerate", "-m", migration], ws_dir, env)
        _show(result)
        return result.returncode == 0
    finally:
        server.handle.cleanup()
        shutil.rmtree(data, ignore_errors=True)


@app.command()
def generate(workspace: Optional[str] = typer.Option(None, "--workspace", "-w",
                                                     help="Only this workspace"),
             name: Optional[str] = typer.Option(None, "--name", "-n",
                                                help="Migration name (snake_case)"),
             repo: Path = typer.Option(Path("."), "--repo", help="The generated repo")):
    """Generate an ORM migration with each workspace's own tool (drizzle-kit, alembic, sqlx)."""
    if name is not None and not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
        fail(f"--name {name!r} must be snake_case (a-z, 0-9, _; starting with a letter)")
    repo = repo.resolve()
    selected = selected_workspaces(repo, workspace)
    project = None
    failed = skipped = 0
    for ws_name, ws in selected.items():
        orm = orm_of(ws)
        ws_dir = repo / ws["path"]
        if orm is None:
            _redirect(ws_name)
            skipped += 1
            continue
        if not ws_dir.is_dir():
            say(f"[yellow]{ws_name}: no workspace at {ws_dir}[/yellow]")
            failed += 1
            continue
        if orm == "drizzle":
            ok = _generate_drizzle(ws_name, ws_dir, ws["path"], name, repo)
        elif orm == "sqlx":
            ok = _generate_sqlx(ws_name, ws_dir, name)
        elif orm == "sqlalchemy":
            project = project or validate(apply.user_answers(_recorded(repo)))
            ok = _generate_alembic(ws_name, ws_dir, repo, project, name)
        else:
            say(f"{ws_name}: unknown ORM {orm!r}")
            ok = False
        failed += not ok
    if failed or skipped == len(selected):
        raise typer.Exit(1)
    say("next: review the new migration, then [bold]supa-schema sync[/bold]")


# --------------------------------------------------------------------------- sync


@dataclass
class Candidate:
    """An ORM migration neither generated from the changelog nor synced yet."""

    workspace: str
    path: Path
    rel: str  # relative to the repo, POSIX
    revision: Optional[str] = None  # alembic
    down_revision: Optional[str] = None


_REV = re.compile(r"^revision(?:\s*:[^=\n]+)?\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=\n]+)?\s*=\s*(.+)$", re.M)


def _alembic_ids(path: Path) -> tuple[Optional[str], Optional[str], bool]:
    """(revision, down_revision, is_merge) read from a revision file."""
    text = path.read_text()
    rev = _REV.search(text)
    down = _DOWN.search(text)
    raw = down.group(1).strip() if down else "None"
    single = re.fullmatch(r"['\"]([^'\"]+)['\"]", raw)
    return (rev.group(1) if rev else None, single.group(1) if single else None,
            raw.startswith(("(", "[")))


def _candidates(repo: Path, project, ws_name: str, ws_dir: Path, orm: str) -> list[Candidate]:
    folder = ws_dir / ORM_FOLDERS[orm]
    if not folder.is_dir():
        return []
    generated = project.generated_of(ws_name)
    if orm == "sqlalchemy":
        known = {f"{m.stem}.py" for m in generated}
        files = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
    else:
        known = {f"{m.version}_{m.name}.sql" for m in generated}
        files = [p for p in folder.glob("*.sql") if not p.name.endswith(".down.sql")]
    synced = {m.synced_from for m in project.migrations if m.synced}
    out = []
    for path in sorted(files, key=lambda p: p.name):
        rel = path.relative_to(repo).as_posix()
        if path.name in known or rel in synced:
            continue
        out.append(Candidate(ws_name, path, rel))
    return out


def _chain(ws_name: str, candidates: list[Candidate], head: Optional[str]) -> list[Candidate]:
    """Order alembic revisions from the synced chain's head; refuse branches and strays."""
    by_down: dict[Optional[str], list[Candidate]] = {}
    for c in candidates:
        rev, down, merge = _alembic_ids(c.path)
        if rev is None or merge:
            fail(f"{ws_name}: {c.rel} is not a single-parent alembic revision "
                 "(no `revision`, or a merge): sync cannot order it")
        c.revision, c.down_revision = rev, down
        by_down.setdefault(down, []).append(c)
    ordered: list[Candidate] = []
    current = head
    while by_down.get(current):
        children = by_down.pop(current)
        if len(children) > 1:
            fail(f"{ws_name}: {', '.join(c.rel for c in children)} all revise "
                 f"{current or '<base>'}: alembic would have several heads; keep one, or "
                 "chain them (set down_revision)")
        ordered.append(children[0])
        current = children[0].revision
    strays = [c for group in by_down.values() for c in group]
    if strays:
        c = strays[0]
        fail(f"{ws_name}: {c.rel} revises {c.down_revision or '<base>'}, but the head of the "
             f"alembic chain is {head or '<base>'}: set its down_revision to {head!r} (or "
             "regenerate it with `supa-schema generate --workspace python`)")
    return ordered


def _entry_name(path: Path, orm: str, taken: set[str]) -> str:
    stem = path.name
    for suffix in (".up.sql", ".sql", ".py"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if orm == "sqlalchemy":
        stem = stem.split("_", 1)[1] if "_" in stem else stem  # <revision>_<slug>
    else:
        stem = re.sub(r"^\d+_?", "", stem)  # drizzle 0003_, sqlx 20250101120000_
    name = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_") or "synced"
    if not name[0].isalpha():
        name = f"m_{name}"
    name = name[:56].rstrip("_")
    unique, n = name, 2
    while unique in taken:
        unique, n = f"{name}_{n}", n + 1
    taken.add(unique)
    return unique


_BOOKKEEPING = re.compile(
    r"^(?:CREATE TABLE|INSERT INTO|UPDATE|DELETE FROM|DROP TABLE)\s+(?:\w+\.)?alembic_version\b"
    r".*?;[ \t]*\n\n?", re.M | re.S | re.I)


def alembic_sql(text: str) -> str:
    """alembic's offline SQL without its version bookkeeping and transaction statements.

    Supabase (and supa-schema check) run each migration file in a transaction of its own.
    """
    text = _BOOKKEEPING.sub("", text)
    text = re.sub(r"^(?:BEGIN|COMMIT);[ \t]*\n\n?", "", text, flags=re.M)
    return text.strip() + "\n"


def _sql_of(c: Candidate, orm: str, ws_dir: Path) -> str:
    if orm != "sqlalchemy":
        return c.path.read_text()
    span = f"{c.down_revision}:{c.revision}" if c.down_revision else c.revision
    result = subprocess.run([sys.executable, "-m", "alembic", "upgrade", span, "--sql"],
                            cwd=ws_dir, env=_python_env(ws_dir), capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        fail(f"python: `alembic upgrade {span} --sql` failed for {c.rel}")
    return alembic_sql(result.stdout)


def apply_entries(repo: Path, migrations: list[dict], data_file: Optional[Path]) -> None:
    """Make ``migrations`` (recorded changelog + new entries) the repo's changelog, rendered.

    ``apply.apply_changelog`` validates, renders only the touched files, writes
    the answers file and the user's data file (or runs the real `copier update`).
    """
    try:
        apply.apply_changelog(repo, migrations, data_file)
    except apply.UpdateError as err:
        fail(str(err))


@app.command()
def sync(workspace: Optional[str] = typer.Option(None, "--workspace", "-w",
                                                 help="Only this workspace"),
         repo: Path = typer.Option(Path("."), "--repo", help="The generated repo"),
         data_file: Optional[Path] = typer.Option(None, "--data-file",
                                                  help="Your answers file: the synced entries "
                                                       "are appended to it too")):
    """Copy new ORM migrations into supabase/migrations with service-range numbering."""
    repo = repo.resolve()
    engine = load_engine()
    answers = _recorded(repo)
    project = validate(apply.user_answers(answers))
    selected = selected_workspaces(repo, workspace)
    recorded = list(answers.get("migrations") or [])
    taken = {e.get("name") for e in recorded if isinstance(e, dict)}
    new: list[dict] = []
    for ws_name, ws in selected.items():
        orm = orm_of(ws)
        if orm is None:
            if workspace is not None:
                _redirect(ws_name)
                raise typer.Exit(1)
            continue
        ws_dir = repo / ws["path"]
        found = _candidates(repo, project, ws_name, ws_dir, orm)
        if orm == "sqlalchemy" and found:
            python = project.migrations_of(ws_name)
            found = _chain(ws_name, found, python[-1].revision if python else None)
        for c in found:
            entry = {"name": _entry_name(c.path, orm, taken), "workspace": ws_name,
                     "synced_from": c.rel, "sql": _sql_of(c, orm, ws_dir)}
            if c.revision:
                entry["revision"] = c.revision
            if not entry["sql"].strip():
                fail(f"{ws_name}: {c.rel} has no SQL to sync (an empty migration); "
                     "write its SQL or delete it")
            new.append(entry)
    if not new:
        say("nothing to sync: every ORM migration is in supabase/migrations")
        return
    migrations = recorded + new
    try:
        synced = engine.build({**{k: v for k, v in answers.items() if not k.startswith("_")},
                               "migrations": migrations})
    except engine.SchemaError as err:
        fail(f"cannot sync: {err}")
    apply_entries(repo, migrations, data_file)
    positions = range(len(recorded), len(migrations))
    stems = {m.position: m.stem for m in synced.migrations}
    for pos in positions:
        say(f"[green]synced[/green] {migrations[pos]['synced_from']} -> "
                      f"supabase/migrations/{stems[pos]}.sql")
    say("next steps:\n"
                  "  # create RLS policies for new tables\n"
                  "  supabase migration new <table>_rls\n"
                  "  # apply migrations\n"
                  "  supabase db reset")
