"""MkDocs hook: pages that cannot drift from the code.

Markers in the Markdown are replaced at build time:
- ``<!-- supa:type-table -->``: every column type in every language, from the
  engine's one type table;
- ``<!-- supa:errors -->``: every message the engine can raise, read from its source;
- ``<!-- supa:cli -->``: the CLI's own ``--help`` for every command.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "extensions"))
sys.path.insert(0, str(ROOT / "src"))

from supa_schema.model import ColumnType, Enum  # noqa: E402
from supa_schema.types import TYPES  # noqa: E402

EXAMPLE_PARAMS = {
    "varchar": {"length": 80},
    "numeric": {"precision": 10, "scale": 2},
    "vector": {"dimensions": 1536},
}
LANGS = [
    ("SQL", "sql"),
    ("Drizzle", "drizzle"),
    ("SQLAlchemy", "sqlalchemy"),
    ("Python (model)", "python"),
    ("Pydantic", "pydantic"),
    ("Rust (sqlx)", "rust"),
    ("Supabase TS type", "ts"),
]


def _cell(text: str) -> str:
    return "`" + text.replace("|", "\\|").replace("{col}", "name") + "`"


def type_table() -> str:
    rows = [
        "| answers `type` | " + " | ".join(n for n, _ in LANGS) + " |",
        "|---" * (len(LANGS) + 1) + "|",
    ]
    status = Enum("order_status", ["pending"])
    for name in TYPES:
        if name == "enum":
            ctype, label = ColumnType("enum", enum=status), "an enum, e.g. `order_status`"
        else:
            ctype = ColumnType(name, **EXAMPLE_PARAMS.get(name, {}))
            params = EXAMPLE_PARAMS.get(name)
            label = f"`{name}`" + (
                " (" + ", ".join(f"{k}: {v}" for k, v in params.items()) + ")" if params else ""
            )
        rows.append(
            f"| {label} | " + " | ".join(_cell(ctype.spell(lang)) for _, lang in LANGS) + " |"
        )
    arr = ColumnType("text", array=True)
    rows.append(
        "| `text[]` (any scalar but vector) | "
        + " | ".join(_cell(arr.spell(lang)) for _, lang in LANGS)
        + " |"
    )
    return "\n".join(rows)


def _message(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values)
    if isinstance(node, ast.BinOp):
        return _message(node.left) + _message(node.right)
    return "…"


def error_messages() -> str:
    """Every `fail(...)`/`SchemaError(...)` message in the engine, in source order."""
    lines = []
    for path in sorted((ROOT / "extensions" / "supa_schema").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if name == "fail" and node.args:
                msg, hint = node.args[0], node.args[1] if len(node.args) > 1 else None
            elif name == "SchemaError" and len(node.args) >= 2:
                msg, hint = node.args[1], node.args[2] if len(node.args) > 2 else None
            elif name == "ValueError" and path.name == "literals.py" and node.args:
                msg, hint = node.args[0], None
            else:
                continue
            text = _message(msg)
            if not any(ch.isalpha() for ch in text):
                continue  # a message passed through from elsewhere (listed where it is made)
            if hint is not None:
                text += " → " + _message(hint)
            lines.append((node.lineno, path.name, text))
    lines.sort(key=lambda x: (x[1], x[0]))
    return "\n".join(f"- `` {text} ``" for _, _, text in lines)


def cli_help() -> str:
    try:
        from supa_schema_cli import main  # noqa: F401
    except Exception as err:  # the CLI is optional for the docs build
        return f"*(CLI help unavailable: {err})*"
    out = []
    base = [sys.executable, "-m", "supa_schema_cli"]
    # Plain, 100-column help text, the same on every machine.
    env = {
        "COLUMNS": "100",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "PYTHONPATH": str(ROOT / "src") + ":" + str(ROOT / "extensions"),
        "PATH": "/usr/bin:/bin",
    }
    top = subprocess.run(
        base + ["--help"],
        capture_output=True,
        text=True,
        env=env,
    )
    out.append("```text\n$ supa-schema --help\n" + top.stdout.strip() + "\n```")
    commands = []
    for line in top.stdout.splitlines():
        parts = line.strip("│ ").split()
        if parts and parts[0].isidentifier() and len(line) - len(line.lstrip("│ ")) <= 3:
            commands.append(parts[0])
    for cmd in commands:
        res = subprocess.run(
            base + [cmd, "--help"],
            capture_output=True,
            text=True,
            env=env,
        )
        if res.returncode == 0:
            out.append(f"### `supa-schema {cmd}`\n\n```text\n{res.stdout.strip()}\n```")
    return "\n\n".join(out)


MARKERS = {
    "<!-- supa:type-table -->": type_table,
    "<!-- supa:errors -->": error_messages,
    "<!-- supa:cli -->": cli_help,
}


def on_page_markdown(markdown: str, **_kwargs) -> str:
    for marker, make in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown
