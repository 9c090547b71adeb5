import os
import sys

from .updating import lean_update


def main() -> None:
    """The `supa-schema` command: a plain `update` runs without Typer (see
    updating.py); any other command line goes to the Typer app."""
    if not lean_update(sys.argv[1:]):
        from .main import app

        app(prog_name="supa-schema")
        return
    # Done, and everything written (files closed, the caches' SQLite in
    # autocommit): skip freeing the folded projects and rendered files object
    # by object, a tenth of a second at 500 tables, the way a process ends.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
