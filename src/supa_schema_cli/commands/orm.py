"""Each workspace's ORM outputs: `types` explains and rewrites its typed files; `generate`
and `sync` are the kodo command's actions for hand-written ORM migrations.

`generate` runs each workspace's own migration tool (drizzle-kit, alembic,
sqlx-cli) in its directory. `sync` turns the ORM migrations the changelog did
not generate into changelog entries: their SQL is parsed (sqlmap) into actions
every workspace renders, and what does not map stays a *synced* entry of
verbatim SQL. Each entry takes the next number of its workspace's service range.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

import supa_schema

from .. import apply
from ..cli import HERE, OnlyWorkspace, Repo, Yes, console, data_file_option, fail, say
from ..repo import orm_of, recorded_answers, selected_workspaces, validate
from .schema import ask_table_option, interactive

if TYPE_CHECKING:
    # PostgreSQL's parser (pglast) loads only for `sync`: every command imports
    # this module, and `update` (the one users wait for) never maps SQL.
    from .. import sqlmap

# Where each ORM keeps its migrations, relative to the workspace.
ORM_FOLDERS = {"drizzle": "drizzle", "sqlalchemy": "alembic/versions", "sqlx": "migrations"}
# drizzle-kit's scratch folder (drizzle.config.ts `out`) when the config does not say.
DRIZZLE_KIT_OUT = "drizzle/kit"
_DRIZZLE_OUT = re.compile(r"""^\s*out:\s*["']([^"']+)["']""", re.M)
SQLX_INSTALL = "cargo install sqlx-cli --no-default-features --features rustls,postgres"
# alembic's offline mode needs a URL for the dialect only; it never connects.
OFFLINE_URL = "postgresql://postgres@localhost/postgres"


def _redirect(name: str) -> None:
    say(f"{name}: {supa_schema.ORM_REDIRECT}")


# --------------------------------------------------------------------------- types


TYPES = {
    "drizzle": ("src/db/schema.ts", "src/types/supabase.ts"),
    "sqlalchemy": ("src/db/models/", "src/schemas/"),
    "sqlx": ("src/db/models/",),
}
EXPLAIN = {
    "drizzle": [
        "table types: `typeof products.$inferSelect` and `NewProduct` ($inferInsert) in "
        "src/db/schema.ts, checked by tsc at compile time",
        "Supabase types: src/types/supabase.ts (`Database` for createClient<Database>()), "
        "rendered from the answers; `supabase gen types typescript --local` gives the same",
    ],
    "sqlalchemy": [
        "table types: SQLAlchemy models in src/db/models/<table>.py (Mapped[...] with exact "
        "nullability)",
        "API types: Pydantic v2 schemas in src/schemas/<table>.py (Base, Create, Update, "
        "Read with from_attributes), rendered from the same answers",
    ],
    "sqlx": [
        "table types: #[derive(FromRow)] structs in src/db/models/<table>.rs, Option<T> "
        "exactly where a column is nullable; enums derive sqlx::Type",
        "query_as! checks every query against the database at compile time; run "
        "`cargo sqlx prepare` to build offline (.sqlx)",
    ],
}


def types_cmd(
    workspace: OnlyWorkspace = None,
    repo: Repo = HERE,
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="Overwrite typed files that differ from the answers (hand edits are lost)",
        ),
    ] = False,
) -> None:
    """Explain where each workspace's types come from and regenerate them from the answers.

    Missing typed files are written back; files that differ from the answers
    (hand edits) are listed and only overwritten with --write.
    """
    chosen = selected_workspaces(repo, workspace)
    with console.status("rendering typed outputs from the answers"):
        try:
            rendered = apply.render_models(repo.resolve())
        except apply.UpdateError as err:
            fail(str(err))
    missing_orm = []
    for name, ws in chosen.items():
        orm = orm_of(ws)
        if orm is None:
            console.print(f"[yellow]{name}[/yellow]: {supa_schema.ORM_REDIRECT}")
            missing_orm.append(name)
            continue
        console.print(f"[bold]{name}[/bold] ({orm})")
        for line in EXPLAIN[orm]:
            console.print(f"  - {escape(line)}", highlight=False)
        prefixes = tuple(f"{ws['path']}/{p}" for p in TYPES[orm])
        counts = {"up to date": 0, "written": 0, "differs": 0}
        for rel, body in sorted(rendered.items()):
            if not rel.startswith(prefixes):
                continue
            target = repo / rel
            current = target.read_bytes() if target.is_file() else None
            if current == body:
                counts["up to date"] += 1
            elif current is None or write:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
                counts["written"] += 1
                console.print(f"  [green]wrote[/green] {rel}", highlight=False)
            else:
                counts["differs"] += 1
                console.print(
                    f"  [yellow]differs from the answers[/yellow] {rel} "
                    "(hand edits? --write overwrites)",
                    highlight=False,
                )
        console.print("  " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if missing_orm and len(missing_orm) == len(chosen):
        raise typer.Exit(1)


# --------------------------------------------------------------------------- tools


def _python_env(ws_dir: Path, uri: str | None = None) -> dict[str, str]:
    src = str(ws_dir / "src")
    path = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": f"{src}{os.pathsep}{path}" if path else src,
        "DATABASE_URL": uri or os.environ.get("DATABASE_URL") or OFFLINE_URL,
    }


def _tool(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    say(f"[bold]$[/bold] {' '.join(cmd)}  [dim](in {cwd})[/dim]")
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


def _show(result: subprocess.CompletedProcess[str]) -> None:
    out = (result.stdout + result.stderr).strip()
    if out:
        sys.stderr.write(out[-4000:] + "\n")


# --------------------------------------------------------------------------- generate


BASELINE = "supa_schema_baseline"


def drizzle_out(ws_dir: Path) -> Path:
    """The folder drizzle-kit writes to: drizzle.config.ts's `out`.

    Repos made before drizzle/kit existed say `./drizzle`, beside the changelog's files.
    """
    config = ws_dir / "drizzle.config.ts"
    found = _DRIZZLE_OUT.search(config.read_text()) if config.is_file() else None
    return ws_dir / (found.group(1) if found else DRIZZLE_KIT_OUT)


def _drizzle_baseline(name: str, kit: Path, ws_dir: Path, repo: Path, rel: str) -> bool:
    """Give drizzle-kit a snapshot of the schema supabase/migrations already build.

    Without a snapshot (drizzle/kit/meta), drizzle-kit's first migration creates every
    table.
    Generating once from the schema.ts the changelog renders (hand edits set
    aside) records that snapshot; its SQL, already in supabase/migrations, is
    removed, so the next migration holds only the user's change.
    """
    schema = ws_dir / "src" / "db" / "schema.ts"
    pristine = apply.render_file(repo, f"{rel}/src/db/schema.ts")
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
    tidy_drizzle_journal(drizzle_out(ws_dir))
    say(
        f"{name}: recorded a drizzle-kit snapshot of the generated schema in "
        f"{drizzle_out(ws_dir).relative_to(ws_dir).as_posix()}/meta "
        "(its SQL is already in supabase/migrations)"
    )
    return True


BASELINE_SQL = (
    "-- supa-schema: drizzle-kit's snapshot of the schema supabase/migrations build.\n"
    "-- Its SQL is in supabase/migrations, so there is nothing to run here; the file\n"
    "-- stays so that drizzle-kit's journal (meta/_journal.json) lists only files that exist.\n"
)


def tidy_drizzle_journal(out: Path) -> None:
    """Make drizzle-kit's journal list exactly the SQL files of its folder.

    drizzle-kit itself (`migrate`, `drop`) expects each journal entry's file.
    A baseline's SQL (the whole schema) and a migration that sync replaced by
    its entry's render are in supabase/migrations, so their entries become
    baselines whose file is a comment. Their snapshots stay: drizzle-kit's
    next `generate` diffs against the last one.
    """
    journal_path = out / "meta" / "_journal.json"
    if not journal_path.is_file():
        return
    journal = json.loads(journal_path.read_text())
    entries = journal.get("entries") or []
    for entry in entries:
        tag = str(entry.get("tag"))
        if tag.endswith(f"_{BASELINE}") or not (out / f"{tag}.sql").is_file():
            entry["tag"] = f"{tag.split('_')[0]}_{BASELINE}"
            (out / f"{entry['tag']}.sql").write_text(BASELINE_SQL)
    text = json.dumps(journal, indent=2, ensure_ascii=False)
    if text != journal_path.read_text():
        journal_path.write_text(text)


def _generate_drizzle(name: str, ws_dir: Path, rel: str, migration: str | None, repo: Path) -> bool:
    kit = ws_dir / "node_modules" / ".bin" / "drizzle-kit"
    if not kit.exists():
        say(f"{name}: drizzle-kit not found: run `npm install` in {rel}")
        return False
    meta = drizzle_out(ws_dir) / "meta"
    if not (meta / "_journal.json").is_file() and not _drizzle_baseline(
        name, kit, ws_dir, repo, rel
    ):
        say(
            f"[yellow]{name}: {meta.relative_to(ws_dir).as_posix()} has no snapshot yet, so "
            "drizzle-kit's first migration holds the whole schema; delete it (keep meta) "
            "before `supa-schema sync`[/yellow]"
        )
    cmd = [str(kit), "generate"] + (["--name", migration] if migration else [])
    result = _tool(cmd, ws_dir)
    _show(result)
    return result.returncode == 0


def _generate_sqlx(name: str, ws_dir: Path, migration: str | None) -> bool:
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


def _generate_alembic(
    name: str, ws_dir: Path, repo: Path, project: supa_schema.Project, migration: str | None
) -> bool:
    if not migration:
        say(f"{name}: alembic needs a message: pass --name (e.g. add_products)")
        return False
    pending = _candidates(repo, project, name, ws_dir, "sqlalchemy")
    if pending:
        say(
            f"{name}: {', '.join(c.rel for c in pending)} not synced yet: run "
            "`supa-schema sync` first, so alembic compares with a database that "
            "has it"
        )
        return False
    from .. import database  # psycopg and pgserver load only when a database is needed

    data = tempfile.mkdtemp(prefix="supa-schema-generate-")
    server = database.start(data)
    try:
        uri = server.create_database("supa_generate")
        try:
            with console.status("applying supabase/migrations"):
                database.apply_migrations(uri, repo)
        except database.MigrationFailed as err:
            say(
                f"[red]{name}: supabase/migrations do not apply:[/red] {database.apply_failed(err)}"
            )
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


def generate(
    workspace: OnlyWorkspace = None,
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Migration name (snake_case)")
    ] = None,
    repo: Repo = HERE,
) -> None:
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
            project = project or validate(apply.user_answers(recorded_answers(repo)))
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
    revision: str | None = None  # alembic
    down_revision: str | None = None


_REV = re.compile(r"^revision(?:\s*:[^=\n]+)?\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=\n]+)?\s*=\s*(.+)$", re.M)


def _alembic_ids(path: Path) -> tuple[str | None, str | None, bool]:
    """(revision, down_revision, is_merge) read from a revision file."""
    text = path.read_text()
    rev = _REV.search(text)
    down = _DOWN.search(text)
    raw = down.group(1).strip() if down else "None"
    single = re.fullmatch(r"['\"]([^'\"]+)['\"]", raw)
    return (
        rev.group(1) if rev else None,
        single.group(1) if single else None,
        raw.startswith(("(", "[")),
    )


def _candidates(
    repo: Path, project: supa_schema.Project, ws_name: str, ws_dir: Path, orm: str
) -> list[Candidate]:
    folder = ws_dir / ORM_FOLDERS[orm]
    if not folder.is_dir():
        return []
    # drizzle-kit writes to its scratch folder; files laid in drizzle/ by hand count too.
    folders = [folder, drizzle_out(ws_dir)] if orm == "drizzle" else [folder]
    generated = project.generated_of(ws_name)
    if orm == "sqlalchemy":
        known = {f"{m.stem}.py" for m in generated}
        files = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
    else:
        known = {f"{m.version}_{m.name}.sql" for m in generated}
        files = [
            p
            for f in dict.fromkeys(folders)
            for p in f.glob("*.sql")
            # drizzle-kit's baselines hold no change: their SQL is a comment
            if not p.name.endswith((".down.sql", f"_{BASELINE}.sql"))
        ]
    synced = {m.synced_from for m in project.migrations if m.synced}
    out = []
    for path in sorted(files, key=lambda p: (p.name, str(p))):
        rel = path.relative_to(repo).as_posix()
        if path.name in known or rel in synced:
            continue
        out.append(Candidate(ws_name, path, rel))
    return out


def _chain(ws_name: str, candidates: list[Candidate], head: str | None) -> list[Candidate]:
    """Order alembic revisions from the synced chain's head; refuse branches and strays."""
    by_down: dict[str | None, list[Candidate]] = {}
    for c in candidates:
        rev, down, merge = _alembic_ids(c.path)
        if rev is None or merge:
            fail(
                f"{ws_name}: {c.rel} is not a single-parent alembic revision "
                "(no `revision`, or a merge): sync cannot order it"
            )
        c.revision, c.down_revision = rev, down
        by_down.setdefault(down, []).append(c)
    ordered: list[Candidate] = []
    current = head
    while by_down.get(current):
        children = by_down.pop(current)
        if len(children) > 1:
            fail(
                f"{ws_name}: {', '.join(c.rel for c in children)} all revise "
                f"{current or '<base>'}: alembic would have several heads; keep one, or "
                "chain them (set down_revision)"
            )
        ordered.append(children[0])
        current = children[0].revision
    strays = [c for group in by_down.values() for c in group]
    if strays:
        c = strays[0]
        fail(
            f"{ws_name}: {c.rel} revises {c.down_revision or '<base>'}, but the head of the "
            f"alembic chain is {head or '<base>'}: set its down_revision to {head!r} (or "
            "regenerate it with `supa-schema generate --workspace python`)"
        )
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
    r".*?;[ \t]*\n\n?",
    re.M | re.S | re.I,
)


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
    span = f"{c.down_revision}:{c.revision}" if c.down_revision else str(c.revision)
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", span, "--sql"],
        cwd=ws_dir,
        env=_python_env(ws_dir),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        fail(f"python: `alembic upgrade {span} --sql` failed for {c.rel}")
    return alembic_sql(result.stdout)


SyncTo = Annotated[
    Path | None, data_file_option("Your answers file: the synced entries are appended to it too")
]
TenantFlag = Annotated[
    bool | None,
    typer.Option(
        "--tenant/--no-tenant",
        help="Tables the migration creates get org_id + tenant RLS (default: multi_tenant, "
        "or when the SQL has org_id)",
    ),
]
SoftDeleteFlag = Annotated[
    bool | None,
    typer.Option(
        "--soft-delete/--no-soft-delete",
        help="Tables it creates get deleted_at (default: when the SQL has deleted_at)",
    ),
]
TimestampsFlag = Annotated[
    bool | None,
    typer.Option(
        "--timestamps/--no-timestamps",
        help="Tables it creates get created_at/updated_at + trigger (default: when the SQL "
        "has both)",
    ),
]
VerbatimFlag = Annotated[
    bool,
    typer.Option(
        "--verbatim",
        help="Record each ORM migration as SQL only (no actions: the other workspaces' "
        "models do not learn about it)",
    ),
]


@dataclass
class Synced:
    """What one ORM migration became: a mapped entry, a verbatim one, or both."""

    candidate: Candidate
    orm: str
    mapped: dict[str, Any] | None = None  # an entry of actions
    remainder: dict[str, Any] | None = None  # a synced entry of verbatim SQL


def _map(
    c: Candidate,
    orm: str,
    sql: str,
    before: supa_schema.Project,
    flags: sqlmap.TableFlags,
    taken: set[str],
) -> Synced:
    """Parse the migration's SQL into an entry of actions and a verbatim remainder."""
    # An Alembic revision's lines are those of its offline SQL.
    from .. import sqlmap

    source = f"{c.rel} (alembic upgrade --sql)" if orm == "sqlalchemy" else c.rel
    try:
        mapped = sqlmap.map_sql(sql, source, before, flags)
    except sqlmap.SqlError as err:
        fail(f"{c.workspace}: {c.rel} does not parse (PostgreSQL's parser): {err}")
    name = _entry_name(c.path, orm, taken)
    for v in mapped.verbatim:
        say(f"[yellow]kept as SQL[/yellow] {escape(v.reason)}")
    if not mapped.actions:
        entry = {"name": name, "workspace": c.workspace, "synced_from": c.rel, "sql": sql}
        if c.revision:
            entry["revision"] = c.revision
        return Synced(c, orm, remainder=entry)
    out = Synced(c, orm, mapped={"name": name, "workspace": c.workspace, "actions": mapped.actions})
    if mapped.verbatim:
        rest: dict[str, Any] = {
            "name": _unique(f"{name}_sql", taken),
            "workspace": c.workspace,
            "synced_from": c.rel,
            "sql": mapped.sql,
        }
        if c.revision:
            rest["revision"] = c.revision
        out.remainder = rest
    elif c.revision:
        # The whole revision is the entry now: its rendered revision keeps the id
        # alembic wrote, so a database `alembic upgrade` took to it stays at head.
        assert out.mapped is not None
        out.mapped["revision"] = c.revision
    return out


def _unique(name: str, taken: set[str]) -> str:
    name = name[:56].rstrip("_")
    unique, n = name, 2
    while unique in taken:
        unique, n = f"{name}_{n}", n + 1
    taken.add(unique)
    return unique


def _replace_orm_file(s: Synced, project: supa_schema.Project) -> str:
    """The user's ORM migration after its actions became an entry of their own.

    The entry renders its own ORM migration (drizzle's numbered file, an
    Alembic revision, an sqlx-cli file), so the user's file is deleted, or,
    when statements stayed SQL, holds just those (an Alembic revision then
    revises the entry's revision, keeping one chain).
    """
    path = s.candidate.path
    if s.remainder is None:
        path.unlink()
        undo = path.with_name(path.name.replace(".up.sql", ".down.sql"))
        if undo != path and undo.is_file():
            undo.unlink()
        return "deleted (the entry renders its own)"
    sql = s.remainder["sql"]
    if s.orm != "sqlalchemy":
        path.write_text(sql)
        return "now holds only the statements kept as SQL"
    chain = project.migrations_of(s.candidate.workspace)
    at = next(i for i, m in enumerate(chain) if m.name == s.remainder["name"])
    down = chain[at - 1].revision
    path.write_text(
        f'"""{s.remainder["name"]}: the statements supa-schema sync kept as SQL.\n\n'
        f'Revision ID: {s.candidate.revision}\nRevises: {down}\n"""\n\n'
        "from alembic import op\n\n"
        f"revision = {s.candidate.revision!r}\n"
        f"down_revision = {down!r}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        f"    op.execute({sql!r})\n\n\n"
        "def downgrade() -> None:\n"
        '    raise NotImplementedError("statements kept as SQL are not undone")\n'
    )
    return "now holds only the statements kept as SQL, after the entry's revision"


def _absorb_schema_edits(
    repo: Path, selected: dict[str, Any], results: list[Synced]
) -> dict[Path, tuple[bytes, bytes]]:
    """Set the ORM schema files a mapped migration came from back to the render.

    drizzle-kit and alembic diff the ORM schema (schema.ts, the SQLAlchemy
    models) against the database, so the hand edit *is* the migration: once
    the migration is an entry, the entry renders that schema, and merging the
    edit beside it would declare the table or column twice. Returns
    {path: (the user's file, the render it was set back to)}, for
    ``_reapply_other_edits``.
    """
    wanted = {s.candidate.workspace: s.orm for s in results if s.mapped is not None}
    wanted = {ws: orm for ws, orm in wanted.items() if orm in ("drizzle", "sqlalchemy")}
    if not wanted:
        return {}
    try:
        rendered = apply.render_models(repo)
    except apply.UpdateError:
        return {}
    prefixes = tuple(f"{selected[ws]['path']}/{TYPES[orm][0]}" for ws, orm in wanted.items())
    edits: dict[Path, tuple[bytes, bytes]] = {}
    for rel, body in rendered.items():
        target = repo / rel
        if rel.startswith(prefixes) and target.is_file() and target.read_bytes() != body:
            edits[target] = (target.read_bytes(), body)
            target.write_bytes(body)
    return edits


def _reapply_other_edits(repo: Path, edits: dict[Path, tuple[bytes, bytes]]) -> None:
    """Merge the user's other edits (own methods, comments) back into the updated files.

    Where the user's edit and the entry's render change the same lines, the
    render wins: those lines are the schema change the entry now makes.
    """
    for path, (edited, pristine) in edits.items():
        if not path.is_file():
            continue
        merged, _ = apply.merge(edited, pristine, path.read_bytes(), theirs=True)
        path.write_bytes(merged)
        rel = path.relative_to(repo).as_posix()
        say(
            f"  {rel}: your schema edit is now the entry's (rendered from the answers); "
            "other edits of the file are merged back (git has your version)"
        )


def _follow_chain(s: Synced, project: supa_schema.Project) -> None:
    """Point a revision kept whole at the revision before it in the synced chain.

    An earlier revision of the same sync may have become an entry whose
    revision the engine renders under another id.
    """
    assert s.remainder is not None
    chain = project.migrations_of(s.candidate.workspace)
    at = next(i for i, m in enumerate(chain) if m.name == s.remainder["name"])
    down = chain[at - 1].revision if at else None
    if down == s.candidate.down_revision:
        return
    text = s.candidate.path.read_text()
    value = f'"{down}"' if down else "None"
    s.candidate.path.write_text(_DOWN.sub(f"down_revision = {value}", text, count=1))
    say(f"  {s.candidate.rel} now revises {down} (the revision before it was synced)")


def _refresh_drizzle_snapshot(name: str, repo: Path, rel: str) -> None:
    """Give drizzle-kit a snapshot of the schema the synced entries render.

    drizzle-kit's meta folder still holds the user's version of the change; the entry's
    render adds what the engine adds (org_id, keys, policies), which the
    next `drizzle-kit generate` would otherwise put in its migration again.
    The replaced migration's journal entry becomes a baseline too
    (``tidy_drizzle_journal``).
    """
    ws_dir = repo / rel
    tidy_drizzle_journal(drizzle_out(ws_dir))  # also without drizzle-kit installed
    kit = ws_dir / "node_modules" / ".bin" / "drizzle-kit"
    if not kit.exists() or not _drizzle_baseline(name, kit, ws_dir, repo, rel):
        meta = (drizzle_out(ws_dir) / "meta").relative_to(ws_dir).as_posix()
        say(
            f"[yellow]{name}: {meta} is behind the synced schema: run "
            f"`supa-schema generate --workspace {name}` after `npm install`, and "
            "delete the SQL file it makes (its changes are in supabase/migrations)[/yellow]"
        )


def _refuse_dirty(repo: Path) -> None:
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    if dirty.returncode == 0 and dirty.stdout.strip():
        fail(
            f"{repo} has uncommitted changes: commit them first (the ORM migration and "
            "the schema edit that made it), so the sync can be reviewed"
        )


def _ask_table_option(table: str, option: str, default: bool) -> bool:
    return ask_table_option(option, default, table)


def sync(
    workspace: OnlyWorkspace = None,
    repo: Repo = HERE,
    data_file: SyncTo = None,
    tenant: TenantFlag = None,
    soft_delete: SoftDeleteFlag = None,
    timestamps: TimestampsFlag = None,
    verbatim: VerbatimFlag = False,
    yes: Yes = False,
) -> None:
    """Turn new ORM migrations into changelog entries, numbered in the workspace's range.

    Each migration's SQL is parsed with PostgreSQL's parser: statements that map
    to changelog actions become an entry every workspace renders (models, the
    Supabase migration with RLS, pgTAP); the rest stays verbatim SQL, listed
    with the reason. A table the migration creates gets `supa-schema table`'s
    questions (tenant, soft delete, timestamps) unless flags or --yes answer them.
    """
    repo = repo.resolve()
    answers = recorded_answers(repo)
    project = validate(apply.user_answers(answers))
    selected = selected_workspaces(repo, workspace)
    recorded = list(answers.get("migrations") or [])
    taken = {e["name"] for e in recorded if isinstance(e, dict) and e.get("name")}
    from .. import sqlmap

    flags = sqlmap.TableFlags(
        tenant=tenant,
        soft_delete=soft_delete,
        timestamps=timestamps,
        ask=_ask_table_option if interactive(yes) else None,
    )
    new: list[dict[str, Any]] = []
    results: list[Synced] = []
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
        if found and not results and not new:
            _refuse_dirty(repo)  # before any question is asked
        for c in found:
            sql = _sql_of(c, orm, ws_dir)
            if not sql.strip():
                fail(
                    f"{ws_name}: {c.rel} has no SQL to sync (an empty migration); "
                    "write its SQL or delete it"
                )
            if verbatim:
                entry = {
                    "name": _entry_name(c.path, orm, taken),
                    "workspace": ws_name,
                    "synced_from": c.rel,
                    "sql": sql,
                }
                if c.revision:
                    entry["revision"] = c.revision
                synced_one = Synced(c, orm, remainder=entry)
            else:
                try:
                    before = supa_schema.build(
                        {**apply.user_answers(answers), "migrations": recorded + new}
                    )
                except supa_schema.SchemaError as err:
                    fail(f"cannot sync: {err}")
                synced_one = _map(c, orm, sql, before, flags, taken)
            results.append(synced_one)
            new.extend(e for e in (synced_one.mapped, synced_one.remainder) if e is not None)
    if not new:
        say("nothing to sync: every ORM migration is in supabase/migrations")
        return
    migrations = recorded + new
    try:
        synced = supa_schema.build({**apply.user_answers(answers), "migrations": migrations})
    except supa_schema.SchemaError as err:
        fail(f"cannot sync: {err}")
    absorbed = _absorb_schema_edits(repo, selected, results)
    try:
        apply.apply_changelog(repo, migrations, data_file, allow_dirty=bool(absorbed))
    except apply.UpdateError as err:
        for path, (body, _) in absorbed.items():
            path.write_bytes(body)
        fail(str(err))
    _reapply_other_edits(repo, absorbed)
    stems = {m.name: m.stem for m in synced.migrations if not m.upgrade}
    for s in results:
        entries = [e for e in (s.mapped, s.remainder) if e is not None]
        files = ", ".join(f"supabase/migrations/{stems[e['name']]}.sql" for e in entries)
        how = "mapped to actions" if s.mapped else "kept as SQL"
        say(f"[green]synced[/green] {s.candidate.rel} -> {files} ({how})")
        if s.mapped is not None:
            say(f"  {s.candidate.rel} {_replace_orm_file(s, synced)}")
        elif s.orm == "sqlalchemy":
            _follow_chain(s, synced)
    for ws_name in sorted(
        {s.candidate.workspace for s in results if s.mapped and s.orm == "drizzle"}
    ):
        _refresh_drizzle_snapshot(ws_name, repo, selected[ws_name]["path"])
    say(
        "next steps:\n"
        "  # review the entries in the answers file and the rendered models\n"
        "  supa-schema check\n"
        "  # apply migrations\n"
        "  supabase db reset"
    )
