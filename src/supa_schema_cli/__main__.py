import sys

from .updating import lean_update

# A plain `update` runs without Typer (see updating.py); anything else, the app.
if not lean_update(sys.argv[1:]):
    from .main import app

    app(prog_name="supa-schema")
