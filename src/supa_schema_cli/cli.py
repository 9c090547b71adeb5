"""What every command shares: the Typer app, the console, ``fail`` and the shared options.

The commands are functions in ``commands/`` (one module per group) whose
parameters use the shared options below; ``main.py`` registers them on :data:`app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .messages import console as console
from .messages import fail as fail
from .messages import say as say

app = typer.Typer(
    help="Grow a hybrid Supabase schema (Drizzle, SQLAlchemy, SQLx) from one answers file.",
    no_args_is_help=True,
    add_completion=False,
)


# ---- shared options ---------------------------------------------------------------------
# Each is a type for ``Annotated`` parameters; the default goes on the parameter
# (``repo: Repo = HERE``).

HERE = Path(".")


def data_file_option(help: str, **checks: Any) -> Any:
    """``--data-file``: the user's answers file (YAML); ``help`` says what the command does."""
    return typer.Option("--data-file", help=help, **checks)


Repo = Annotated[Path, typer.Option("--repo", help="The generated repo")]
OwningWorkspace = Annotated[
    str | None, typer.Option("--workspace", "-w", help="Owning workspace (asked when not given)")
]
OnlyWorkspace = Annotated[str | None, typer.Option("--workspace", "-w", help="Only this workspace")]
MigrationName = Annotated[
    str | None, typer.Option("--migration-name", help="Migration name (default: from the action)")
]
AppendTo = Annotated[
    Path | None,
    data_file_option("Your answers file: the new entry is appended to it too (comments kept)"),
]
Yes = Annotated[
    bool,
    typer.Option(
        "--yes",
        "--no-input",
        "-y",
        help="Ask nothing: flags and defaults only (and drops go ahead unconfirmed)",
    ),
]
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run", help="Print the SQL of the migration files the entry would add; write nothing"
    ),
]
AllowDirty = Annotated[
    bool, typer.Option("--allow-dirty", help="Update a repo with uncommitted changes")
]
