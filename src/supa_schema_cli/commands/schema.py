"""Schema evolution: `update` applies an answers file's changelog; `table`, `column`,
`index`, `relation` and `enum` append one changelog entry each, which adds
something or (with --rename-to, --drop, --type on an existing column, ...) changes
what exists."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml

from .. import apply, updating
from ..cli import (
    HERE,
    AllowDirty,
    AppendTo,
    DryRun,
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
    import supa_schema

if TYPE_CHECKING:
    from types import ModuleType

    from questionary import Question


# The update's work and report live in ``updating`` (no Typer there, so that
# ``python -m supa_schema_cli update`` can skip importing it); the commands that
# append an entry apply it through the same ``updating.apply_entries``.


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
    updating.update(data_file, repo, allow_dirty)


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


def interactive(yes: bool) -> bool:
    """True when questions may be asked: a terminal, and no --yes."""
    return not yes and sys.stdin.isatty()


# The standard questions about a new table: `table` asks them, and `sync` asks them
# for a table an ORM migration creates, whose SQL leaves them open.
TABLE_QUESTIONS = {
    "tenant": "Multi-tenant (org_id and tenant RLS)?",
    "soft_delete": "Soft delete (deleted_at)?",
    "timestamps": "Audit timestamps (created_at, updated_at)?",
}


def ask_table_option(option: str, default: bool, table: str | None = None) -> bool:
    """Ask one of TABLE_QUESTIONS (about ``table`` when several tables may be asked about)."""
    question = TABLE_QUESTIONS[option]
    return bool(
        _prompt(
            _questionary().confirm(f"{table}: {question}" if table else question, default=default)
        )
    )


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
    *,
    dry_run: bool = False,
    destroys: str | None = None,
    yes: bool = False,
) -> None:
    """Apply the recorded changelog plus one entry (and append it to ``data_file``).

    ``dry_run`` prints the entry's migration files instead. ``destroys`` says
    what a drop deletes: the entry is validated, then confirmed (``yes``, or a
    question on a terminal) before anything is written.
    """
    entry = {"name": name, "workspace": workspace, "actions": actions}
    recorded = recorded_answers(repo)
    migrations = [*(recorded.get("migrations") or []), entry]
    if dry_run:
        _preview(repo, migrations, recorded)
        return
    if destroys is not None and not yes:
        validate({**apply.user_answers(recorded), "migrations": migrations})
        if not sys.stdin.isatty():
            fail(f"{destroys}: pass --yes to confirm (there is no terminal to ask on)")
        if not _prompt(_questionary().confirm(f"{destroys}. Go ahead?", default=False)):
            fail("not confirmed; nothing was written")
    updating.apply_entries(repo, migrations, data_file, allow_dirty)


def _preview(repo: Path, migrations: list[Any], recorded: dict[str, Any]) -> None:
    """Print the migration files the last entry of ``migrations`` would add."""
    try:
        files = apply.preview(repo, migrations, recorded)
    except apply.UpdateError as err:
        fail(str(err))
    for path, sql in files:
        sys.stdout.write(f"-- {path}\n{sql}")
        if not sql.endswith("\n"):
            sys.stdout.write("\n")
    console.print(
        f"dry run: {len(files)} migration file(s) shown, nothing written", highlight=False
    )


def _project(repo: Path) -> supa_schema.Project:
    """The engine's project for the repo's recorded answers (the schema as it is now)."""
    return validate(apply.user_answers(recorded_answers(repo)))


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
    rename_to: Annotated[
        str | None, typer.Option("--rename-to", help="Rename the table (data is kept)")
    ] = None,
    drop: Annotated[
        bool, typer.Option("--drop", help="Drop the table and its rows (asks to confirm)")
    ] = False,
    workspace: OwningWorkspace = None,
    migration: MigrationName = None,
    repo: Repo = HERE,
    data_file: AppendTo = None,
    yes: Yes = False,
    allow_dirty: AllowDirty = False,
    dry_run: DryRun = False,
) -> None:
    """Create a table (asks the standard questions unless --yes), or rename or drop one."""
    ask = interactive(yes)
    if rename_to is not None or drop:
        if rename_to is not None and drop:
            fail(f"table '{name}': give --rename-to or --drop, not both")
        if column or index or {tenant, soft_delete, timestamps} != {None}:
            fail(f"table '{name}': --rename-to and --drop take no column or table options")
        owner = _ask_workspace(repo, workspace, not ask)
        if drop:
            _append(
                repo,
                migration or default_name("drop", name),
                owner,
                [{"drop_table": name}],
                data_file,
                allow_dirty,
                dry_run=dry_run,
                destroys=f"drop table '{name}' and every row in it",
                yes=yes,
            )
        else:
            _append(
                repo,
                migration or default_name("rename", name, "to", str(rename_to)),
                owner,
                [{"rename_table": name, "to": rename_to}],
                data_file,
                allow_dirty,
                dry_run=dry_run,
            )
        return
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
        tenant = ask_table_option("tenant", multi) if ask else multi
    if soft_delete is None:
        soft_delete = ask_table_option("soft_delete", False) if ask else False
    if timestamps is None:
        timestamps = ask_table_option("timestamps", True) if ask else True
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
        repo,
        migration or default_name("create", name),
        owner,
        [action],
        data_file,
        allow_dirty,
        dry_run=dry_run,
    )


def column_cmd(
    table_name: Annotated[str, typer.Argument(metavar="TABLE")],
    name: Annotated[str, typer.Argument()],
    type_: Annotated[
        str | None,
        typer.Option("--type", "-t", help="Column type, e.g. text, numeric(10,2), text[]"),
    ] = None,
    required: Annotated[
        bool | None, typer.Option("--required/--optional", help="NOT NULL, or nullable")
    ] = None,
    unique: Annotated[
        bool | None, typer.Option("--unique/--no-unique", help="Add or drop a unique key")
    ] = None,
    default: Annotated[
        str | None, typer.Option("--default", help="Default value (YAML scalar)")
    ] = None,
    no_default: Annotated[
        bool, typer.Option("--no-default", help="Drop the column's default")
    ] = False,
    references: Annotated[
        str | None, typer.Option("--references", help="Foreign key target table")
    ] = None,
    on_delete: Annotated[str | None, typer.Option("--on-delete")] = None,
    rename_to: Annotated[
        str | None, typer.Option("--rename-to", help="Rename the column (data is kept)")
    ] = None,
    drop: Annotated[
        bool, typer.Option("--drop", help="Drop the column and its values (asks to confirm)")
    ] = False,
    workspace: OwningWorkspace = None,
    migration: MigrationName = None,
    repo: Repo = HERE,
    data_file: AppendTo = None,
    yes: Yes = False,
    allow_dirty: AllowDirty = False,
    dry_run: DryRun = False,
) -> None:
    """Add a column to a table, or change one that exists.

    On an existing column, --type, --required/--optional, --default/--no-default
    and --unique/--no-unique change only what they name; --rename-to renames it,
    --drop drops it.
    """
    ask = interactive(yes)
    if default is not None and no_default:
        fail(f"column '{name}': give --default or --no-default, not both")
    changes: dict[str, Any] = {}
    if type_ is not None:
        changes["type"] = type_
    for key, value in (("required", required), ("unique", unique)):
        if value is not None:
            changes[key] = value
    if default is not None or no_default:
        changes["default"] = None if no_default else yaml.safe_load(default or "")
    table_model = _project(repo).tables.get(table_name)
    exists = table_model is not None and table_model.column(name) is not None
    if drop:
        if changes or rename_to is not None or references or on_delete:
            fail(f"column '{name}': --drop takes no other changes")
        owner = _ask_workspace(repo, workspace, not ask)
        _append(
            repo,
            migration or default_name("drop", name, "from", table_name),
            owner,
            [{"drop_column": name, "table": table_name}],
            data_file,
            allow_dirty,
            dry_run=dry_run,
            destroys=f"drop column '{table_name}.{name}' and every value in it",
            yes=yes,
        )
        return
    if exists or rename_to is not None:
        if references or on_delete:
            fail(f"column '{table_name}.{name}' exists: relate tables with `supa-schema relation`")
        if not changes and rename_to is None:
            if not ask:
                fail(
                    f"column '{table_name}.{name}' exists: say what to change (--type, "
                    "--required/--optional, --default/--no-default, --unique/--no-unique, "
                    "--rename-to, --drop)"
                )
            rename_to = _ask_change(changes)
            if rename_to == "":
                return column_cmd(
                    table_name,
                    name,
                    drop=True,
                    workspace=workspace,
                    migration=migration,
                    repo=repo,
                    data_file=data_file,
                    yes=yes,
                    allow_dirty=allow_dirty,
                    dry_run=dry_run,
                )
        actions: list[dict[str, Any]] = []
        if changes:
            actions.append({"alter_column": name, "table": table_name, **changes})
        if rename_to is not None:
            actions.append({"rename_column": name, "table": table_name, "to": rename_to})
        words = (
            ("rename", table_name, name, "to", rename_to)
            if not changes
            else ("alter", table_name, name)
        )
        owner = _ask_workspace(repo, workspace, not ask)
        _append(
            repo,
            migration or default_name(*(w for w in words if w)),
            owner,
            actions,
            data_file,
            allow_dirty,
            dry_run=dry_run,
        )
        return
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
    if changes.get("default") is not None:
        action["default"] = changes["default"]
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
        dry_run=dry_run,
    )


CHANGES = {
    "rename it": None,
    "change its type": "type",
    "make it required (not null)": "required",
    "make it optional (nullable)": "optional",
    "set its default": "default",
    "drop its default": "no_default",
    "add a unique key": "unique",
    "drop its unique key": "no_unique",
    "drop the column": "drop",
}


def _ask_change(changes: dict[str, Any]) -> str | None:
    """Ask what to change about an existing column; fills ``changes``.

    Returns the new name for a rename, "" for a drop, None otherwise.
    """
    q = _questionary()
    what = CHANGES[_prompt(q.select("Change what?", choices=list(CHANGES)))]
    if what is None:
        new: str = _prompt(q.text("New name", validate=lambda v: bool(v.strip()) or "required"))
        return new
    if what == "drop":
        return ""
    if what == "type":
        changes["type"] = _prompt(q.text("New type", validate=lambda v: bool(v.strip())))
    elif what in ("required", "optional"):
        changes["required"] = what == "required"
        if what == "required":
            value = _prompt(q.text("Default for existing nulls (empty: none)"))
            if value:
                changes["default"] = yaml.safe_load(value)
    elif what == "default":
        changes["default"] = yaml.safe_load(_prompt(q.text("New default (YAML scalar)")))
    elif what == "no_default":
        changes["default"] = None
    else:
        changes["unique"] = what == "unique"
    return None


def index_cmd(
    table_name: Annotated[str | None, typer.Argument(metavar="[TABLE]")] = None,
    columns: Annotated[str | None, typer.Argument(help="Comma-separated columns")] = None,
    unique: Annotated[bool, typer.Option("--unique")] = False,
    method: Annotated[
        str | None, typer.Option("--method", help="btree, hash, gin, gist, hnsw, ivfflat")
    ] = None,
    drop: Annotated[
        str | None,
        typer.Option("--drop", metavar="NAME", help="Drop the index NAME (asks to confirm)"),
    ] = None,
    workspace: OwningWorkspace = None,
    migration: MigrationName = None,
    repo: Repo = HERE,
    data_file: AppendTo = None,
    yes: Yes = False,
    allow_dirty: AllowDirty = False,
    dry_run: DryRun = False,
) -> None:
    """Add an index on a table (TABLE COLUMNS), or drop one (--drop NAME)."""
    if drop is not None:
        if table_name is not None or unique or method is not None:
            fail(f"index --drop {drop}: takes the index name only (no TABLE, COLUMNS or options)")
        owner = _ask_workspace(repo, workspace, not interactive(yes))
        _append(
            repo,
            migration or default_name("drop", drop),
            owner,
            [{"drop_index": drop}],
            data_file,
            allow_dirty,
            dry_run=dry_run,
            destroys=f"drop index '{drop}'",
            yes=yes,
        )
        return
    if table_name is None or columns is None:
        fail("index: give TABLE and COLUMNS to add an index, or --drop NAME to drop one")
    cols = [c.strip() for c in columns.split(",") if c.strip()]
    spec: dict[str, Any] = {"table": table_name, "columns": cols}
    if unique:
        spec["unique"] = True
    if method is not None:
        spec["method"] = method
    owner = _ask_workspace(repo, workspace, not interactive(yes))
    _append(
        repo,
        migration or default_name("add_index", table_name, *cols),
        owner,
        [{"index": spec}],
        data_file,
        allow_dirty,
        dry_run=dry_run,
    )


RELATION_KINDS = ("one-to-many", "many-to-one", "many-to-many")


def relation(
    from_table: Annotated[str | None, typer.Argument(metavar="[FROM]")] = None,
    to_table: Annotated[str | None, typer.Argument(metavar="[TO]")] = None,
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
    drop: Annotated[
        str | None,
        typer.Option(
            "--drop",
            metavar="TABLE.COLUMN|LINK_TABLE",
            help="Drop a relation: its foreign key column, or a many-to-many link table "
            "(asks to confirm)",
        ),
    ] = None,
    workspace: OwningWorkspace = None,
    migration: MigrationName = None,
    repo: Repo = HERE,
    data_file: AppendTo = None,
    yes: Yes = False,
    allow_dirty: AllowDirty = False,
    dry_run: DryRun = False,
) -> None:
    """Relate two tables (the foreign key lands on the many side), or drop a relation."""
    ask = interactive(yes)
    if drop is not None:
        if from_table is not None or kind or on_delete or required or name or inverse:
            fail(f"relation --drop {drop}: takes the relation only (no FROM, TO or options)")
        owner = _ask_workspace(repo, workspace, not ask)
        what = "its foreign key column" if "." in drop else "the link table and its rows"
        _append(
            repo,
            migration or default_name("drop_relation", drop),
            owner,
            [{"drop_relation": drop}],
            data_file,
            allow_dirty,
            dry_run=dry_run,
            destroys=f"drop relation {drop} ({what})",
            yes=yes,
        )
        return
    if from_table is None or to_table is None:
        fail("relation: give FROM and TO to relate two tables, or --drop to drop a relation")
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
        dry_run=dry_run,
    )


def enum(
    name: Annotated[str, typer.Argument()],
    values: Annotated[
        list[str] | None, typer.Argument(help="Labels, in order (to create the enum)")
    ] = None,
    add_value: Annotated[
        str | None, typer.Option("--add-value", help="Add a value to an existing enum")
    ] = None,
    after: Annotated[str | None, typer.Option("--after", help="...after this value")] = None,
    before: Annotated[str | None, typer.Option("--before", help="...before this value")] = None,
    rename_value: Annotated[
        str | None, typer.Option("--rename-value", help="Rename a value (rows follow)")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="The renamed value's new name")] = None,
    workspace: OwningWorkspace = None,
    migration: MigrationName = None,
    repo: Repo = HERE,
    data_file: AppendTo = None,
    yes: Yes = False,
    allow_dirty: AllowDirty = False,
    dry_run: DryRun = False,
) -> None:
    """Create an enum type (create it before the tables that use it), or add or rename a value."""
    ask = interactive(yes)
    action: dict[str, Any]
    if add_value is not None or rename_value is not None:
        if values or (add_value is not None and rename_value is not None):
            fail(f"enum '{name}': give VALUES, --add-value or --rename-value (one of them)")
        if add_value is not None:
            action = {"enum_value": add_value, "enum": name}
            for key, anchor in (("after", after), ("before", before)):
                if anchor is not None:
                    action[key] = anchor
            words: tuple[str, ...] = ("add", add_value, "to", name)
        else:
            if to is None:
                if not ask:
                    fail(f"enum '{name}': --rename-value {rename_value} needs --to NEW")
                to = _prompt(
                    _questionary().text(
                        f"New name of {rename_value!r}", validate=lambda v: bool(v) or "required"
                    )
                )
            action = {"rename_enum_value": rename_value, "enum": name, "to": to}
            words = ("rename", name, str(rename_value), "to", str(to))
        if (after or before) and add_value is None or to is not None and rename_value is None:
            fail(f"enum '{name}': --after/--before go with --add-value, --to with --rename-value")
        owner = _ask_workspace(repo, workspace, not ask)
        _append(
            repo,
            migration or default_name(*words),
            owner,
            [action],
            data_file,
            allow_dirty,
            dry_run=dry_run,
        )
        return
    if not values:
        fail(f"enum '{name}': give its VALUES, or --add-value / --rename-value")
    labels = [v for value in values for v in value.split(",") if v]
    owner = _ask_workspace(repo, workspace, not ask)
    _append(
        repo,
        migration or default_name("create_enum", name),
        owner,
        [{"enum": name, "values": labels}],
        data_file,
        allow_dirty,
        dry_run=dry_run,
    )
