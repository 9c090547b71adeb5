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
    """``func(arg, ...)`` whose arguments are code strings or nested Calls
    (``func[arg, ...]`` with ``brackets="[]"``: a subscript such as ``Annotated[...]``)."""

    func: str
    args: tuple
    brackets: str = "()"

    def flat(self) -> str:
        args = ", ".join(_flat(a) for a in self.args)
        return f"{self.func}{self.brackets[0]}{args}{self.brackets[1]}"


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
        return Call(f"{name}={value.func}", value.args, value.brackets)
    return f"{name}={value}"


def parse(code: str) -> str | Call:
    """``code``, one expression without string literals (such as a type from the
    type table), as a Call tree when it is a call or a subscript, so that
    ``layout`` can split it; anything else stays a string."""
    code = code.strip()
    start = min((i for i in (code.find("("), code.find("[")) if i > 0), default=-1)
    if start < 0 or code[-1] != {"(": ")", "[": "]"}[code[start]]:
        return code
    parts, depth, current = [], 0, ""
    for ch in code[start + 1 : -1]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                return code  # ``a(b) | c(d)``: not one call
        elif ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    if current.strip():
        parts.append(current.strip())
    return Call(code[:start], tuple(parse(p) for p in parts), code[start] + code[-1])


def layout(prefix: str, value: Call, indent: int = 4, suffix: str = "") -> str:
    """``prefix + value + suffix`` at ``indent`` spaces, formatted as Ruff would."""
    pad = " " * indent
    one = f"{pad}{prefix}{value.flat()}{suffix}"
    if len(one) <= LINE or not value.args:
        return one
    opening, closing = value.brackets[0], value.brackets[1]
    inner = " " * (indent + 4)
    joined = ", ".join(_flat(a) for a in value.args)
    if len(inner) + len(joined) <= LINE:
        return f"{pad}{prefix}{value.func}{opening}\n{inner}{joined}\n{pad}{closing}{suffix}"
    lines = [f"{pad}{prefix}{value.func}{opening}"]
    for arg in value.args:
        if isinstance(arg, Call):
            lines.append(layout("", arg, indent + 4, ","))
        else:
            lines.append(f"{inner}{arg},")
    lines.append(f"{pad}{closing}{suffix}")
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


def _natural(text: str) -> tuple:
    """Ruff's isort compares names case-insensitively, digit runs as numbers."""
    key: list[tuple[int, int]] = []
    digits = ""
    for ch in text.lower() + "\0":
        if ch.isdigit():
            digits += ch
            continue
        if digits:
            key.append((ord("0"), int(digits)))
            digits = ""
        if ch != "\0":
            key.append((ord(ch), 0))
    return tuple(key)


def member_key(name: str) -> tuple:
    """Where Ruff's isort (``order-by-type``) puts a name in ``from m import ...``:
    CONSTANTS, then Classes, then everything else."""
    if len(name) > 1 and name.upper() == name and name.lower() != name:
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return (kind, _natural(name), name)


def module_key(module: str) -> tuple:
    """Where Ruff's isort puts ``from module import ...`` among its section's imports."""
    return (_natural(module), module)


def import_from(module: str, names: list[str], indent: int = 0) -> str:
    """``from module import a, b`` at ``indent`` spaces, with the names in isort's
    order, exploded one name per line when too long."""
    pad = " " * indent
    names = sorted(dict.fromkeys(names), key=member_key)
    one = f"{pad}from {module} import {', '.join(names)}"
    if len(one) <= LINE:
        return one
    return f"{pad}from {module} import (\n" + "".join(f"{pad}    {n},\n" for n in names) + f"{pad})"


def imports_from(imports: list, indent: int = 0) -> str:
    """The ``from m import ...`` lines of one import section at ``indent`` spaces,
    in isort's order; ``imports`` holds ``(module, names)`` pairs, and names of
    a module listed twice are merged."""
    merged: dict[str, list[str]] = {}
    for module, names in imports:
        merged.setdefault(module, []).extend(names)
    return "\n".join(
        import_from(module, merged[module], indent) for module in sorted(merged, key=module_key)
    )
