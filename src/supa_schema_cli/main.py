"""The `supa-schema` command line: the app with every command registered.

The entry point (``supa-schema = "supa_schema_cli.__main__:main"``) and
``python -m supa_schema_cli`` use this module for every command line but a
plain ``update`` (see ``updating.py``). The commands are plain
functions in ``commands/``; they are registered here, in the order
``supa-schema --help`` lists them.
"""

from __future__ import annotations

from .cli import app
from .commands import orm, project, schema

app.command()(project.new)
app.command()(project.check)
app.command()(schema.update)
app.command()(schema.table)
app.command("column")(schema.column_cmd)
app.command("index")(schema.index_cmd)
app.command()(schema.relation)
app.command()(schema.enum)
app.command("types")(orm.types_cmd)
app.command()(orm.generate)
app.command()(orm.sync)

__all__ = ["app"]
