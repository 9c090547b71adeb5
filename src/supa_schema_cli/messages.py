"""The console every command writes to, ``fail`` and ``say``.

Apart from ``cli.py`` (which re-exports them) so that ``supa-schema update``
can report without importing Typer (see ``updating.py``).
"""

from __future__ import annotations

from typing import NoReturn

from rich.console import Console
from rich.markup import escape

console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` as an error and exit with ``code``.

    ``SystemExit`` rather than Typer's ``Exit``: both end the command with
    ``code`` (Typer lets ``SystemExit`` through), and this one needs no Typer.
    """
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise SystemExit(code)


def say(message: str) -> None:
    """One message on stderr, never wrapped (paths and commands stay whole)."""
    console.print(message, highlight=False, soft_wrap=True)
