import sys

from .updating import lean_update


def main() -> None:
    """The `supa-schema` command: a plain `update` runs without Typer (see
    updating.py); any other command line goes to the Typer app."""
    if not lean_update(sys.argv[1:]):
        from .main import app

        app(prog_name="supa-schema")


if __name__ == "__main__":
    main()
