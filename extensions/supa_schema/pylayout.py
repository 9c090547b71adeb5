"""Lay out generated Python calls the way Ruff's formatter (Black style) does.

Generated Python passes `ruff format --check` unchanged: a call stays on one
line when it fits in 88 columns, else its arguments move to one indented line,
else one argument per line with a trailing comma (recursively for nested calls).
"""

from __future__ import annotations

from dataclasses import dataclass

LINE = 88


@dataclass(frozen=True)
class Call:
    """``func(arg, ...)`` whose arguments are code strings or nested Calls."""

    func: str
    args: tuple

    def flat(self) -> str:
        return f"{self.func}({', '.join(_flat(a) for a in self.args)})"


def _flat(arg) -> str:
    return arg.flat() if isinstance(arg, Call) else arg


def call(func: str, *args) -> Call:
    """Build a call; ``None`` arguments are left out and lists are spread."""
    flat: list = []
    for a in args:
        if isinstance(a, (list, tuple)):
            flat.extend(a)
        elif a is not None:
            flat.append(a)
    return Call(func, tuple(flat))


def kw(name: str, value) -> str | Call | None:
    """A keyword argument ``name=value`` (``None`` value: left out)."""
    if value is None:
        return None
    if isinstance(value, Call):
        return Call(f"{name}={value.func}", value.args)
    return f"{name}={value}"


def layout(prefix: str, value: Call, indent: int = 4, suffix: str = "") -> str:
    """``prefix + value + suffix`` at ``indent`` spaces, formatted as Ruff would."""
    pad = " " * indent
    one = f"{pad}{prefix}{value.flat()}{suffix}"
    if len(one) <= LINE or not value.args:
        return one
    inner = " " * (indent + 4)
    joined = ", ".join(_flat(a) for a in value.args)
    if len(inner) + len(joined) <= LINE:
        return f"{pad}{prefix}{value.func}(\n{inner}{joined}\n{pad}){suffix}"
    lines = [f"{pad}{prefix}{value.func}("]
    for arg in value.args:
        if isinstance(arg, Call):
            lines.append(layout("", arg, indent + 4, ","))
        else:
            lines.append(f"{inner}{arg},")
    lines.append(f"{pad}){suffix}")
    return "\n".join(lines)


def layout_tuple(prefix: str, items: list, indent: int = 4) -> str:
    """``prefix + (item, ...)``: one line when a single item fits, else one item per line."""
    pad = " " * indent
    if len(items) == 1:
        one = f"{pad}{prefix}({_flat(items[0])},)"
        if len(one) <= LINE:
            return one
    lines = [f"{pad}{prefix}("]
    for item in items:
        lines.append(
            layout("", item, indent + 4, ",") if isinstance(item, Call) else f"{pad}    {item},"
        )
    lines.append(f"{pad})")
    return "\n".join(lines)


def returning(expr: str, indent: int = 8) -> str:
    """``return expr``, in parentheses on a line of its own when that makes it fit."""
    pad = " " * indent
    one = f"{pad}return {expr}"
    if len(one) <= LINE or len(pad) + 4 + len(expr) > LINE:
        return one
    return f"{pad}return (\n{pad}    {expr}\n{pad})"


def import_from(module: str, names: list[str]) -> str:
    """``from module import a, b``, exploded one name per line when too long."""
    one = f"from {module} import {', '.join(names)}"
    if len(one) <= LINE:
        return one
    return f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"
