"""The `supa-schema` command line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import typer
import yaml
from rich.console import Console
from rich.markup import escape

from . import apply

app = typer.Typer(help="Grow a hybrid Supabase schema (Drizzle, SQLAlchemy, SQLx) from one "
                  "answers file.", no_args_is_help=True, add_completion=False)
console = Console(stderr=True)
TEMPLATE = Path(__file__).resolve().parents[2]  # this repository, when run from a checkout


def fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def load_engine():
    sys.path.insert(0, str(TEMPLATE / "extensions"))
    import supa_schema

    return supa_schema


def validate(answers: dict):
    """The engine's Project for ``answers``; stops with its message before anything is written."""
    engine = load_engine()
    try:
        return engine.build(answers)
    except engine.SchemaError as err:
        fail(str(err))


def orm_of(workspace: dict) -> Optional[str]:
    """The ORM of a workspace of .kodo/config.json (None: plain SQL, the seed's redirect)."""
    return ((workspace.get("database") or {}).get("orm") or {}).get("name")


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
    from . import database

    config = kodo_config(repo)
    server = database.start(data_dir)
    uri = server.create_database("supa_check")
    try:
        with console.status("applying supabase/migrations"):
            files = database.apply_migrations(uri, repo)
    except database.MigrationFailed as err:
        from .orm import apply_failed

        fail(apply_failed(err))
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


# ---- schema evolution -------------------------------------------------------------------

RepoOption = typer.Option(Path("."), "--repo", help="The generated repo")
DataFileOption = typer.Option(None, "--data-file",
                              help="Your answers file: the new entry is appended to it too "
                                   "(comments kept)")
YesOption = typer.Option(False, "--yes", "--no-input", "-y",
                         help="Ask nothing: flags and defaults only")
DirtyOption = typer.Option(False, "--allow-dirty", help="Update a repo with uncommitted changes")
WorkspaceOption = typer.Option(None, "--workspace", "-w",
                               help="Owning workspace (asked when not given)")
MigrationOption = typer.Option(None, "--migration-name",
                               help="Migration name (default: from the action)")


def _report(result: "apply.Result", repo: Path) -> None:
    if not result.fast:
        console.print("ran the real [bold]copier update[/bold] (answers other than the "
                      "changelog changed, or the template's recorded commit is not local)")
    for name in result.written:
        console.print(f"[green]wrote[/green] {name}", highlight=False)
    for name in result.merged:
        console.print(f"[green]merged[/green] {name} (your edits kept)", highlight=False)
    for name in result.kept:
        console.print(f"[yellow]skipped[/yellow] {name} (you deleted it)", highlight=False)
    for name in result.conflicts:
        console.print(f"[red]conflict[/red] {name}: resolve the <<<<<<< markers",
                      highlight=False)
    if result.new_migrations:
        console.print("new migrations: " + ", ".join(f"supabase/migrations/{n}.sql"
                                                     for n in result.new_migrations),
                      highlight=False)
        console.print("next: [bold]supabase db reset[/bold] (or supa-schema check)")
    elif result.fast and not (result.written or result.merged or result.conflicts):
        console.print("nothing to do: the repo already has these entries")
    if result.conflicts:
        raise typer.Exit(1)


def _apply(repo: Path, migrations: list, data_file: Optional[Path], allow_dirty: bool) -> None:
    try:
        result = apply.apply_changelog(repo, migrations, data_file, allow_dirty=allow_dirty,
                                       recorded=_recorded(repo))
    except apply.UpdateError as err:
        fail(str(err))
    _report(result, repo)


_RECORDED: dict[Path, dict] = {}


def _recorded(repo: Path) -> dict:
    """The repo's recorded answers (loaded once per command: large changelogs take time)."""
    key = repo.resolve()
    if key not in _RECORDED:
        try:
            _RECORDED[key] = apply.load_answers(repo)
        except apply.UpdateError as err:
            fail(str(err))
    return _RECORDED[key]


@app.command()
def update(data_file: Path = typer.Option(..., "--data-file", exists=True, dir_okay=False,
                                          help="Answers file with the changelog to apply"),
           repo: Path = RepoOption, allow_dirty: bool = DirtyOption):
    """Apply new changelog entries from an answers file (fast `copier update`).

    Renders only the files the new entries touch and merges them like Copier,
    keeping hand edits. When other answers change, runs the real `copier update`.
    """
    try:
        data = yaml.load(data_file.read_text(), Loader=apply._Loader) or {}
    except yaml.YAMLError as err:
        fail(f"{data_file} is not valid YAML: {err}")
    if not isinstance(data, dict):
        fail(f"{data_file} must be a mapping of answers (project_name, migrations, ...)")
    recorded = _recorded(repo)
    others = {k: v for k, v in data.items() if k != "migrations" and not k.startswith("_")}
    if any(recorded.get(k) != v for k, v in others.items()):
        validate({**apply.user_answers(recorded), **data})
        _report(apply.copier_update(repo.resolve(), data), repo)
        return
    _apply(repo, data.get("migrations") or [], None, allow_dirty)


def selected_workspaces(repo: Path, workspace: Optional[str]) -> dict[str, dict]:
    """The workspaces of .kodo/config.json, or only ``workspace`` (which must be one of them)."""
    workspaces = kodo_config(repo)["stack"]["workspaces"]
    if workspace is None:
        return workspaces
    if workspace not in workspaces:
        fail(f"unknown workspace {workspace!r}: this repo's workspaces are "
             f"{', '.join(workspaces)} (.kodo/config.json)")
    return {workspace: workspaces[workspace]}


def _ask_workspace(repo: Path, workspace: Optional[str], yes: bool) -> str:
    names = list(selected_workspaces(repo, workspace))
    if workspace is not None:
        return workspace
    if yes or len(names) == 1 or not sys.stdin.isatty():
        return names[0]
    return _prompt(_questionary().select("Owning workspace (its service range numbers the "
                                      "migration)", choices=names))


def _questionary():
    """questionary, imported when a question is asked (prompt_toolkit is slow to import)."""
    import questionary

    return questionary


def _prompt(question):
    answer = question.ask()
    if answer is None:  # Ctrl-C
        fail("cancelled; nothing was written", 130)
    return answer


def _interactive(yes: bool) -> bool:
    return not yes and sys.stdin.isatty()


def parse_column(spec: str) -> dict:
    """``name:type[:required][:unique][:default=V][:references=T][:on_delete=A]``."""
    pieces = spec.split(":")
    if len(pieces) < 2 or not pieces[0] or not pieces[1]:
        fail(f"column {spec!r} must look like name:type, e.g. price:numeric(10,2):required")
    column: dict = {"name": pieces[0], "type": pieces[1]}
    for flag in pieces[2:]:
        key, _, value = flag.partition("=")
        if key in ("required", "unique") and not value:
            column[key] = True
        elif key == "default" and value:
            column["default"] = yaml.safe_load(value)
        elif key in ("references", "on_delete") and value:
            column[key] = value
        else:
            fail(f"column {spec!r}: unknown flag {flag!r} (use required, unique, default=V, "
                 "references=TABLE, on_delete=ACTION)")
    return column


def default_name(*words: str) -> str:
    """A migration name from the action's words, always a valid name.

    Bad table or column names are then reported by the engine for what they are.
    """
    return re.sub(r"[^a-z0-9_]+", "_", "_".join(words).lower()).strip("_")[:63]


def _append(repo: Path, name: str, workspace: str, actions: list[dict],
            data_file: Optional[Path], allow_dirty: bool) -> None:
    """Apply the recorded changelog plus one entry (and append it to ``data_file``)."""
    entry = {"name": name, "workspace": workspace, "actions": actions}
    _apply(repo, [*(_recorded(repo).get("migrations") or []), entry], data_file, allow_dirty)


@app.command()
def table(name: str = typer.Argument(..., help="Table name (snake_case, plural)"),
          column: list[str] = typer.Option([], "--column", "-c",
                                            help="name:type[:required][:unique][:default=V]"
                                                 "[:references=TABLE] (repeat)"),
          index: list[str] = typer.Option([], "--index", help="Comma-separated columns to "
                                          "index (repeat)"),
          tenant: Optional[bool] = typer.Option(None, "--tenant/--no-tenant",
                                                help="org_id + tenant RLS"),
          soft_delete: Optional[bool] = typer.Option(None, "--soft-delete/--no-soft-delete",
                                                     help="deleted_at column"),
          timestamps: Optional[bool] = typer.Option(None, "--timestamps/--no-timestamps",
                                                    help="created_at/updated_at + trigger"),
          workspace: Optional[str] = WorkspaceOption,
          migration: Optional[str] = MigrationOption,
          repo: Path = RepoOption, data_file: Optional[Path] = DataFileOption,
          yes: bool = YesOption, allow_dirty: bool = DirtyOption):
    """Create a table (asks the standard questions unless --yes)."""
    ask = _interactive(yes)
    multi = bool(_recorded(repo).get("multi_tenant"))
    columns = [parse_column(c) for c in column]
    if ask and not columns:
        while True:
            spec = _prompt(_questionary().text(
                "Column as name:type[:required] (empty to finish)",
                validate=lambda v: not v or len(v.split(":")) >= 2 or "use name:type"))
            if not spec:
                break
            columns.append(parse_column(spec))
    if tenant is None:
        tenant = _prompt(_questionary().confirm("Multi-tenant (org_id and tenant RLS)?",
                                             default=multi)) if ask else multi
    if soft_delete is None:
        soft_delete = _prompt(_questionary().confirm("Soft delete (deleted_at)?",
                                                  default=False)) if ask else False
    if timestamps is None:
        timestamps = _prompt(_questionary().confirm("Audit timestamps (created_at, updated_at)?",
                                                 default=True)) if ask else True
    owner = _ask_workspace(repo, workspace, not ask)
    action: dict = {"table": name, "tenant": tenant, "soft_delete": soft_delete,
                    "timestamps": timestamps, "columns": columns}
    if index:
        action["indexes"] = [{"columns": [c.strip() for c in i.split(",")]} for i in index]
    _append(repo, migration or default_name("create", name), owner, [action], data_file,
            allow_dirty)


@app.command("column")
def column_cmd(table_name: str = typer.Argument(..., metavar="TABLE"),
               name: str = typer.Argument(...),
               type_: str = typer.Option(None, "--type", "-t",
                                         help="Column type, e.g. text, numeric(10,2), text[]"),
               required: bool = typer.Option(False, "--required", help="NOT NULL"),
               unique: bool = typer.Option(False, "--unique"),
               default: Optional[str] = typer.Option(None, "--default",
                                                     help="Default value (YAML scalar)"),
               references: Optional[str] = typer.Option(None, "--references",
                                                        help="Foreign key target table"),
               on_delete: Optional[str] = typer.Option(None, "--on-delete"),
               workspace: Optional[str] = WorkspaceOption,
               migration: Optional[str] = MigrationOption,
               repo: Path = RepoOption, data_file: Optional[Path] = DataFileOption,
               yes: bool = YesOption, allow_dirty: bool = DirtyOption):
    """Add a column to a table."""
    ask = _interactive(yes)
    if type_ is None:
        if not ask:
            fail(f"column '{name}': --type is required (e.g. --type text)")
        type_ = _prompt(_questionary().text("Type (text, integer, numeric(10,2), an enum, ...)",
                                         validate=lambda v: bool(v.strip()) or "required"))
    action: dict = {"column": name, "table": table_name, "type": type_}
    for key, value in (("required", required), ("unique", unique)):
        if value:
            action[key] = True
    if default is not None:
        action["default"] = yaml.safe_load(default)
    if references is not None:
        action["references"] = references
    if on_delete is not None:
        action["on_delete"] = on_delete
    owner = _ask_workspace(repo, workspace, not ask)
    _append(repo, migration or default_name("add", name, "to", table_name), owner, [action],
            data_file, allow_dirty)


@app.command("index")
def index_cmd(table_name: str = typer.Argument(..., metavar="TABLE"),
              columns: str = typer.Argument(..., help="Comma-separated columns"),
              unique: bool = typer.Option(False, "--unique"),
              method: Optional[str] = typer.Option(None, "--method",
                                                   help="btree, hash, gin, gist, hnsw, ivfflat"),
              workspace: Optional[str] = WorkspaceOption,
              migration: Optional[str] = MigrationOption,
              repo: Path = RepoOption, data_file: Optional[Path] = DataFileOption,
              yes: bool = YesOption, allow_dirty: bool = DirtyOption):
    """Add an index on a table."""
    cols = [c.strip() for c in columns.split(",") if c.strip()]
    spec: dict = {"table": table_name, "columns": cols}
    if unique:
        spec["unique"] = True
    if method is not None:
        spec["method"] = method
    owner = _ask_workspace(repo, workspace, not _interactive(yes))
    _append(repo, migration or default_name("add_index", table_name, *cols), owner,
            [{"index": spec}], data_file, allow_dirty)


RELATION_KINDS = ("one-to-many", "many-to-one", "many-to-many")


@app.command()
def relation(from_table: str = typer.Argument(..., metavar="FROM"),
             to_table: str = typer.Argument(..., metavar="TO"),
             kind: Optional[str] = typer.Option(None, "--kind", "-k",
                                                help="one-to-many, many-to-one, many-to-many"),
             on_delete: Optional[str] = typer.Option(None, "--on-delete"),
             required: bool = typer.Option(False, "--required",
                                           help="The foreign key is NOT NULL"),
             name: Optional[str] = typer.Option(None, "--name",
                                                help="Attribute name (needed for self relations)"),
             inverse: Optional[str] = typer.Option(None, "--inverse"),
             workspace: Optional[str] = WorkspaceOption,
             migration: Optional[str] = MigrationOption,
             repo: Path = RepoOption, data_file: Optional[Path] = DataFileOption,
             yes: bool = YesOption, allow_dirty: bool = DirtyOption):
    """Relate two tables (the foreign key lands on the many side)."""
    ask = _interactive(yes)
    if kind is None:
        if not ask:
            fail(f"relation {from_table} -> {to_table}: --kind is required "
                 f"({', '.join(RELATION_KINDS)})")
        kind = _prompt(_questionary().select("Kind", choices=list(RELATION_KINDS)))
    if kind not in RELATION_KINDS:
        fail(f"relation {from_table} -> {to_table}: unknown --kind {kind!r} "
             f"(use {', '.join(RELATION_KINDS)})")
    action: dict = {"relation": kind, "from": from_table, "to": to_table}
    for key, value in (("on_delete", on_delete), ("name", name), ("inverse", inverse)):
        if value is not None:
            action[key] = value
    if required:
        action["required"] = True
    owner = _ask_workspace(repo, workspace, not ask)
    _append(repo, migration or default_name("relate", from_table, to_table), owner, [action],
            data_file, allow_dirty)


@app.command()
def enum(name: str = typer.Argument(...),
         values: list[str] = typer.Argument(..., help="Labels, in order"),
         workspace: Optional[str] = WorkspaceOption,
         migration: Optional[str] = MigrationOption,
         repo: Path = RepoOption, data_file: Optional[Path] = DataFileOption,
         yes: bool = YesOption, allow_dirty: bool = DirtyOption):
    """Create an enum type (create it before the tables that use it)."""
    labels = [v for value in values for v in value.split(",") if v]
    owner = _ask_workspace(repo, workspace, not _interactive(yes))
    _append(repo, migration or default_name("create_enum", name), owner,
            [{"enum": name, "values": labels}], data_file, allow_dirty)


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
        "API types: Pydantic v2 schemas in src/schemas/<table>.py (Base, Create, Read with "
        "from_attributes), rendered from the same answers",
    ],
    "sqlx": [
        "table types: #[derive(FromRow)] structs in src/db/models/<table>.rs, Option<T> "
        "exactly where a column is nullable; enums derive sqlx::Type",
        "query_as! checks every query against the database at compile time; run "
        "`cargo sqlx prepare` to build offline (.sqlx)",
    ],
}


@app.command("types")
def types_cmd(workspace: Optional[str] = typer.Option(None, "--workspace", "-w",
                                                     help="Only this workspace"),
              repo: Path = RepoOption,
              write: bool = typer.Option(False, "--write",
                                         help="Overwrite typed files that differ from the "
                                              "answers (hand edits are lost)")):
    """Explain where each workspace's types come from and regenerate them from the answers.

    Missing typed files are written back; files that differ from the answers
    (hand edits) are listed and only overwritten with --write.
    """
    chosen = selected_workspaces(repo, workspace)
    engine = load_engine()
    with console.status("rendering typed outputs from the answers"):
        try:
            rendered = apply.render_models(repo.resolve())
        except apply.UpdateError as err:
            fail(str(err))
    missing_orm = []
    for name, ws in chosen.items():
        orm = orm_of(ws)
        if orm is None:
            console.print(f"[yellow]{name}[/yellow]: {engine.ORM_REDIRECT}")
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
                console.print(f"  [yellow]differs from the answers[/yellow] {rel} "
                              "(hand edits? --write overwrites)", highlight=False)
        console.print("  " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if missing_orm and len(missing_orm) == len(chosen):
        raise typer.Exit(1)


from . import orm as _orm_commands  # noqa: E402,F401  (registers generate, sync)

if __name__ == "__main__":
    app()
