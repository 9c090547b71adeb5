"""Schema evolution: `update` applies an answers file's changelog; `table`, `column`,
`index`, `relation` and `enum` append one changelog entry each."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml

from .. import apply
from ..cli import (
    HERE,
    AllowDirty,
    AppendTo,
    MigrationName,
    OwningWorkspace,
    Repo,
    Yes,
    console,
    data_file_option,
    fail,
)
from ..repo import recorded_answers, selected_workspaces, validate

if TYPE_CHECKING:
    from types import ModuleType

    from questionary import Question


def _report(result: apply.Result) -> None:
    if not result.fast:
        console.print(
            "ran the real [bold]copier update[/bold] (answers other than the "
            "changelog changed, or the template's recorded commit is not local)"
        )
    for name in result.written:
        console.print(f"[green]wrote[/green] {name}", highlight=False)
    for name in result.merged:
        console.print(f"[green]merged[/green] {name} (your edits kept)", highlight=False)
    for name in result.kept:
        console.print(f"[yellow]skipped[/yellow] {name} (you deleted it)", highlight=False)
    for name in result.deleted:
        console.print(f"[green]deleted[/green] {name}", highlight=False)
    for name in result.moved:
        console.print(
            f"[green]moved[/green] your edits of {name} to the renamed table's file",
            highlight=False,
        )
    for name in result.dropped_edits:
        console.print(
            f"[yellow]deleted[/yellow] {name}: its table is gone; your edits are in git history",
            highlight=False,
        )
    for name in result.conflicts:
        console.print(f"[red]conflict[/red] {name}: resolve the <<<<<<< markers", highlight=False)
    if result.new_migrations:
        console.print(
            "new migrations: "
            + ", ".join(f"supabase/migrations/{n}.sql" for n in result.new_migrations),
            highlight=False,
        )
        console.print("next: [bold]supabase db reset[/bold] (or supa-schema check)")
    elif result.fast and not (result.written or result.merged or result.conflicts):
        console.print("nothing to do: the repo already has these entries")
    if result.conflicts:
        raise typer.Exit(1)


def _apply(repo: Path, migrations: list[Any], data_file: Path | None, allow_dirty: bool) -> None:
    try:
        result = apply.apply_changelog(
            repo, migrations, data_file, allow_dirty=allow_dirty, recorded=recorded_answers(repo)
        )
    except apply.UpdateError as err:
        fail(str(err))
    _report(result)


def update(
    data_file: Annotated[
        Path,
        data_file_option("Answers file with the changelog to apply", exists=True, dir_okay=False),
    ],
    repo: Repo = HERE,
    allow_dirty: AllowDirty = False,
) -> None:
    """Apply new changelog entries from an answers file (fast `copier update`).

    Renders only the files the new entries touch and merges them like Copier,
    keeping hand edits. When other answers change, runs the real `copier update`.
    """
    try:
        data = apply.load_yaml(data_file.read_text()) or {}
    except yaml.YAMLError as err:
        fail(f"{data_file} is not valid YAML: {err}")
    if not isinstance(data, dict):
        fail(f"{data_file} must be a mapping of answers (project_name, migrations, ...)")
    recorded = recorded_answers(repo)
    others = {k: v for k, v in data.items() if k != "migrations" and not k.startswith("_")}
    if any(recorded.get(k) != v for k, v in others.items()):
        validate({**apply.user_answers(recorded), **data})
        _report(apply.copier_update(repo.resolve(), data))
        return
    _apply(repo, data.get("migrations") or [], None, allow_dirty)


# ---- questions --------------------------------------------------------------------------


def _questionary() -> ModuleType:
    """questionary, imported when a question is asked (prompt_toolkit is slow to import)."""
    import questionary

    return questionary


def _prompt(question: Question) -> Any:
    answer = question.ask()
    if answer is None:  # Ctrl-C
        fail("cancelled; nothing was written", 130)
    return answer


def _interactive(yes: bool) -> bool:
    return not yes and sys.stdin.isatty()


def _ask_workspace(repo: Path, workspace: str | None, yes: bool) -> str:
    names = list(selected_workspaces(repo, workspace))
    if workspace is not None:
        return workspace
    if yes or len(names) == 1 or not sys.stdin.isatty():
        return names[0]
    answer: str = _prompt(
        _questionary().select(
            "Owning workspace (its service range numbers the migration)", choices=names
        )
    )
    return answer


# ---- changelog entries ------------------------------------------------------------------


def parse_column(spec: str) -> dict[str, Any]:
    """``name:type[:required][:unique][:default=V][:references=T][:on_delete=A]``."""
    pieces = spec.split(":")
    if len(pieces) < 2 or not pieces[0] or not pieces[1]:
        fail(f"column {spec!r} must look like name:type, e.g. price:numeric(10,2):required")
    column: dict[str, Any] = {"name": pieces[0], "type": pieces[1]}
    for flag in pieces[2:]:
        key, _, value = flag.partition("=")
        if key in ("required", "unique") and not value:
            column[key] = True
        elif key == "default" and value:
            column["default"] = yaml.safe_load(value)
        elif key in ("references", "on_delete") and value:
            column[key] = value
        else:
            fail(
                f"column {spec!r}: unknown flag {flag!r} (use required, unique, default=V, "
                "references=TABLE, on_delete=ACTION)"
            )
    return column


def default_name(*words: str) -> str:
    """A migration name from the action's words, always a valid name.

    Bad table or column names are then reported by the engine for what they are.
    """
    return re.sub(r"[^a-z0-9_]+", "_", "_".join(words).lower()).strip("_")[:63]


def _append(
    repo: Path,
    name: str,
    workspace: str,
    actions: list[dict[str, Any]],
    data_file: Path | None,
    allow_dirty: bool,
) -> None:
    """Apply the recorded changelog plus one entry (and append it to ``data_file``)."""
    entry = {"name": name, "workspace": workspace, "actions": actions}
    _apply(repo, [*(recorded_answers(repo).get("migrations") or []), entry], data_file, allow_dirty)


def table(
    name: Annotated[str, typer.Argument(help="Table name (snake_case, plural)")],
    column: Annotated[
        list[str],
        typer.Option(
            "--column",
            "-c",
            default_factory=list,
            show_default=False,
            help="name:type[:required][:unique][:default=V][:references=TABLE] (repeat)",
        ),
    ],
    index: Annotated[
        list[str],
        typer.Option(
            "--index",
            default_factory=list,
            show_default=False,
            help="Comma-separated columns to index (repeat)",
        ),
    ],
    tenant: Annotated[
        bool | None, typer.Option("--tenant/--no-tenant", help="org_id + tenant RLS")
    ] = None,
    soft_delete: Annotated[
        bool | None, typer.Option("--soft-delete/--no-soft-delete", help="deleted_at column")
    ] = None,
    timestamps: Annotated[
        bool | None,
        typer.Option("--timestamps/--no-timestamps", help="created_at/updated_at + trigger"),
    ] = None,
    workspace: OwningWorkspace = None,
    migration: MigrationName = None,
    repo: Repo = HERE,
    data_file: AppendTo = None,
    yes: Yes = False,
    allow_dirty: AllowDirty = False,
) -> None:
    """Create a table (asks the standard questions unless --yes)."""
    ask = _interactive(yes)
    multi = bool(recorded_answers(repo).get("multi_tenant"))
    columns = [parse_column(c) for c in column]
    if ask and not columns:
        while True:
            spec = _prompt(
                _questionary().text(
                    "Column as name:type[:required] (empty to finish)",
                    validate=lambda v: not v or len(v.split(":")) >= 2 or "use name:type",
                )
            )
            if not spec:
                break
            columns.append(parse_column(spec))
    if tenant is None:
        tenant = (
            _prompt(_questionary().confirm("Multi-tenant (org_id and tenant RLS)?", default=multi))
            if ask
            else multi
        )
    if soft_delete is None:
        soft_delete = (
            _prompt(_questionary().confirm("Soft delete (deleted_at)?", default=False))
            if ask
            else False
        )
    if timestamps is None:
        timestamps = (
            _prompt(
                _questionary().confirm("Audit timestamps (created_at, updated_at)?", default=True)
            )
            if ask
            else True
        )
    owner = _ask_workspace(repo, workspace, not ask)
    action: dict[str, Any] = {
        "table": name,
        "tenant": tenant,
        "soft_delete": soft_delete,
        "timestamps": timestamps,
        "columns": columns,
    }
    if index:
        action["indexes"] = [{"columns": [c.strip() for c in i.split(",")]} for i in index]
    _append(
        repo, migration or default_name("create", name), owner, [action], data_file, allow_dirty
    )


def column_cmd(
    table_name: Annotated[str, typer.Argument(metavar="TABLE")],
    name: Annotated[str, typer.Argument()],
    type_: Annotated[
        str | None,
        typer.Option("--type", "-t", help="Column type, e.g. text, numeric(10,2), text[]"),
    ] = None,
    required: Annotated[bool, typer.Option("--required", help="NOT NULL")] = False,
    unique: Annotated[bool, typer.Option("--unique")] = False,
    default: Annotated[
        str | None, typer.Option("--default", help="Default value (YAML scalar)")
    ] = None,
    references: Annotated[
        str | None, typer.Option("--references", help="Foreign key target table")
    ] = None,
    on_delete: Annotated[str | None, typer.Option("--on-delete")] = None,
    workspace: OwningWorkspace = None,
    migration: MigrationName = None,
    repo: Repo = HERE,
    data_file: AppendTo = None,
    yes: Yes = False,
    allow_dirty: AllowDirty = False,
) -> None:
    """Add a column to a table."""
    ask = _interactive(yes)
    if type_ is None:
        if not ask:
            fail(f"column '{name}': --type is required (e.g. --type text)")
        type_ = _prompt(
            _questionary().text(
                "Type (text, integer, numeric(10,2), an enum, ...)",
                validate=lambda v: bool(v.strip()) or "required",
            )
        )
    action: dict[str, Any] = {"column": name, "table": table_name, "type": type_}
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
    _append(
        repo,
        migration or default_name("add", name, "to", table_name),
        owner,
        [action],
        data_file,
        allow_dirty,
    )


def index_cmd(
    table_name: Annotated[str, typer.Argument(metavar="TABLE")],
    columns: Annotated[str, typer.Argument(help="Comma-separated columns")],
    unique: Annotated[bool, typer.Option("--unique")] = False,
    method: Annotated[
        str | None, typer.Option("--method", help="btree, hash, gin, gist, hnsw, ivfflat")
    ] = None,
    workspace: OwningWorkspace = None,
    migration: MigrationName = None,
    repo: Repo = HERE,
    data_file: AppendTo = None,
    yes: Yes = False,
    allow_dirty: AllowDirty = False,
) -> None:
    """Add an index on a table."""
    cols = [c.strip() for c in columns.split(",") if c.strip()]
    spec: dict[str, Any] = {"table": table_name, "columns": cols}
    if unique:
        spec["unique"] = True
    if method is not None:
        spec["method"] = method
    owner = _ask_workspace(repo, workspace, not _interactive(yes))
    _append(
        repo,
        migration or default_name("add_index", table_name, *cols),
        owner,
        [{"index": spec}],
        data_file,
        allow_dirty,
    )


RELATION_KINDS = ("one-to-many", "many-to-one", "many-to-many")


def relation(
    from_table: Annotated[str, typer.Argument(metavar="FROM")],
    to_table: Annotated[str, typer.Argument(metavar="TO")],
    kind: Annotated[
        str | None, typer.Option("--kind", "-k", help="one-to-many, many-to-one, many-to-many")
    ] = None,
    on_delete: Annotated[str | None, typer.Option("--on-delete")] = None,
    required: Annotated[
        bool, typer.Option("--required", help="The foreign key is NOT NULL")
    ] = False,
    name: Annotated[
        str | None, typer.Option("--name", help="Attribute name (needed for self relations)")
    ] = None,
    inverse: Annotated[str | None, typer.Option("--inverse")] = None,
    workspace: OwningWorkspace = None,
    migration: MigrationName = None,
    repo: Repo = HERE,
    data_file: AppendTo = None,
    yes: Yes = False,
    allow_dirty: AllowDirty = False,
) -> None:
    """Relate two tables (the foreign key lands on the many side)."""
    ask = _interactive(yes)
    if kind is None:
        if not ask:
            fail(
                f"relation {from_table} -> {to_table}: --kind is required "
                f"({', '.join(RELATION_KINDS)})"
            )
        kind = _prompt(_questionary().select("Kind", choices=list(RELATION_KINDS)))
    if kind not in RELATION_KINDS:
        fail(
            f"relation {from_table} -> {to_table}: unknown --kind {kind!r} "
            f"(use {', '.join(RELATION_KINDS)})"
        )
    action: dict[str, Any] = {"relation": kind, "from": from_table, "to": to_table}
    for key, value in (("on_delete", on_delete), ("name", name), ("inverse", inverse)):
        if value is not None:
            action[key] = value
    if required:
        action["required"] = True
    owner = _ask_workspace(repo, workspace, not ask)
    _append(
        repo,
        migration or default_name("relate", from_table, to_table),
        owner,
        [action],
        data_file,
        allow_dirty,
    )


def enum(
    name: Annotated[str, typer.Argument()],
    values: Annotated[list[str], typer.Argument(help="Labels, in order")],
    workspace: OwningWorkspace = None,
    migration: MigrationName = None,
    repo: Repo = HERE,
    data_file: AppendTo = None,
    yes: Yes = False,
    allow_dirty: AllowDirty = False,
) -> None:
    """Create an enum type (create it before the tables that use it)."""
    labels = [v for value in values for v in value.split(",") if v]
    owner = _ask_workspace(repo, workspace, not _interactive(yes))
    _append(
        repo,
        migration or default_name("create_enum", name),
        owner,
        [{"enum": name, "values": labels}],
        data_file,
        allow_dirty,
    )
