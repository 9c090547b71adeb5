"""Lay out generated TypeScript the way Prettier 3 does (printWidth 100).

Generated TypeScript passes `prettier --check` unchanged (the workspace's
.prettierrc.json sets printWidth 100; Prettier's defaults do the rest). The
templates describe the code - calls, arrays, objects, arrow functions, unions -
and these functions choose its line breaks: a construct stays on one line when
it fits in 100 columns; else a call hugs its last argument (the array or object
opens on the call's line) when that line fits; else each argument, item or
property goes on a line of its own, with a trailing comma.

Returned text starts where the template placed it: its first line has no
indentation (the template writes it), later lines carry ``indent`` spaces and
more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Union

from .literals import ts_string

LINE = 100
STEP = 2  # spaces per level of indentation

Value = Union[str, "Call", "Group"]


@dataclass(frozen=True)
class Call:
    """``func(arg, ...)`` whose arguments are code strings, Calls or Groups.

    ``hug``: open the last argument on the call's line even when that line is
    too long (Prettier would then put each argument on a line of its own).
    """

    func: str
    args: tuple[Value, ...]
    hug: bool = False

    def flat(self) -> str | None:
        """The call on one line (None when an argument must break)."""
        args = [_flat(a) for a in self.args]
        if any(a is None for a in args):
            return None
        return f"{self.func}({', '.join(a for a in args if a is not None)})"


@dataclass(frozen=True)
class Group:
    """Items between brackets: ``[a, b]``, ``{ key: value }``, ``(p) => ({ ... })``.

    Each item is ``(key, value)``: ``key`` None for an array's item or an
    object's shorthand property. ``expand``: written one item a line, which
    Prettier keeps for an object whose source has a line break after ``{``.
    """

    open: str
    items: tuple[tuple[str | None, Value], ...]
    close: str
    spaced: bool = False
    expand: bool = False

    def flat(self) -> str | None:
        """The group on one line (None when it must break)."""
        if self.expand:
            return None
        parts = []
        for key, value in self.items:
            flat = _flat(value)
            if flat is None:
                return None
            parts.append(flat if key is None else f"{key}: {flat}")
        if not parts:
            return self.open + self.close
        space = " " if self.spaced else ""
        return f"{self.open}{space}{', '.join(parts)}{space}{self.close}"


def _flat(value: Value) -> str | None:
    return value if isinstance(value, str) else value.flat()


def quote(text: str) -> str:
    """``text`` as a string literal with Prettier's quotes: double quotes, unless
    the text holds more double quotes than single ones."""
    literal = ts_string(text)
    if text.count('"') > text.count("'"):
        return "'" + literal[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"
    return literal


def call(
    func: str, *args: Value | list[Value] | tuple[Value, ...] | None, hug: bool = False
) -> Call:
    """A call; ``None`` arguments are left out and lists are spread."""
    flat: list[Value] = []
    for a in args:
        if isinstance(a, (list, tuple)):
            flat.extend(a)
        elif a is not None:
            flat.append(a)
    return Call(func, tuple(flat), hug)


def array(items: Iterable[Value]) -> Group:
    """An array literal ``[a, b]``."""
    return Group("[", tuple((None, i) for i in items), "]")


def obj(
    props: Mapping[str, Value] | Iterable[tuple[str, Value] | str], expand: bool = False
) -> Group:
    """An object literal ``{ key: value }`` from a mapping or ``(key, value)`` pairs
    (a plain string is a shorthand property); ``expand``: one property a line."""
    pairs = props.items() if isinstance(props, Mapping) else props
    items: list[tuple[str | None, Value]] = []
    for p in pairs:
        if isinstance(p, str):
            items.append((None, p))
        else:
            key, value = p
            items.append((key, value))
    return Group("{", tuple(items), "}", spaced=True, expand=expand)


def arrow(params: str, body: Group) -> Group:
    """An arrow function returning an object, ``params => ({ ... })``."""
    return Group(f"{params} => ({body.open}", body.items, f"{body.close})", True, body.expand)


def layout(prefix: str, value: Value, indent: int = 0, suffix: str = "") -> str:
    """``prefix + value + suffix`` on a line indented ``indent`` spaces, broken as
    Prettier breaks it when it does not fit."""
    return _layout(prefix, value, indent, suffix)


def _layout(
    prefix: str, value: Value, indent: int, suffix: str = "", lead: str = "", tail: str = ""
) -> str:
    """``layout``, measured after ``lead`` (text already on the line) and up to
    ``tail`` (text the caller writes after it, up to the next possible break)."""
    if isinstance(value, str):
        return prefix + value + suffix
    start = indent + len(lead)
    flat = value.flat()
    if flat is not None and start + len(prefix + flat + suffix + tail) <= LINE:
        return prefix + flat + suffix
    if isinstance(value, Group):
        return prefix + value.open + _items(value, indent) + value.close + suffix
    if value.args:
        *rest, last = value.args
        if isinstance(last, Group) and all(isinstance(a, str) for a in rest):
            head = f"{prefix}{value.func}({''.join(f'{a}, ' for a in rest)}{last.open}"
            if value.hug or start + len(head) <= LINE:
                return head + _items(last, indent) + last.close + ")" + suffix
    inner = indent + STEP
    args = "".join(f"\n{' ' * inner}{_layout('', a, inner, ',')}" for a in value.args)
    return f"{prefix}{value.func}({args}\n{' ' * indent}){suffix}"


def _items(group: Group, indent: int) -> str:
    """A group's items, one a line, between its (already written) brackets."""
    inner = indent + STEP
    lines = []
    for key, value in group.items:
        if key is None:
            lines.append(_layout("", value, inner, ","))
        elif isinstance(value, str):
            lines.append(assign(f"{key}:", value, inner, ","))
        else:
            lines.append(_layout(f"{key}: ", value, inner, ","))
    return "".join(f"\n{' ' * inner}{line}" for line in lines) + "\n" + " " * indent


def assign(left: str, right: str, indent: int = 0, suffix: str = "") -> str:
    """``left right`` (``x =``, ``key:`` and the like), else ``right`` on the next
    line, one level deeper."""
    one = f"{left} {right}{suffix}"
    if indent + len(one) <= LINE:
        return one
    return f"{left}\n{' ' * (indent + STEP)}{right}{suffix}"


def union(left: str, members: Sequence[str], indent: int = 0, suffix: str = "") -> str:
    """A union type after ``left``: ``left A | B``, else the union on the next line,
    else one ``| member`` a line."""
    joined = " | ".join(members)
    one = f"{left} {joined}{suffix}"
    if indent + len(one) <= LINE or len(members) < 2:
        return one
    pad = " " * (indent + STEP)
    if len(pad + joined + suffix) <= LINE:
        return f"{left}\n{pad}{joined}{suffix}"
    return left + "".join(f"\n{pad}| {m}" for m in members) + suffix


def import_from(names: Sequence[str], module: str) -> str:
    """``import { a, b } from "module";``, one name a line when too long."""
    end = f" from {quote(module)};"
    one = f"import {{ {', '.join(names)} }}{end}"
    if len(one) <= LINE:
        return one
    return "import {\n" + "".join(f"{' ' * STEP}{n},\n" for n in names) + "}" + end


def _simple(arg: str) -> bool:
    """Whether Prettier counts a call argument simple: anything generated here but
    a tagged template (sql`...`) or an arrow function with an expression body."""
    return not (re.match(r"\w+`", arg) or re.match(r"\([^)]*\)\s*=>\s*[^{\s]", arg))


def _builder(text: str) -> Call:
    """A builder call as the type table spells it, ``fn(arg)`` or
    ``fn(arg, { key: value, ... })``, as a Call."""
    func, _, rest = text.partition("(")
    first, brace, options = rest[:-1].partition(", { ")
    args: list[Value] = [first]
    if brace:
        props = [p.split(": ", 1) for p in options[:-2].split(", ")]
        args.append(obj([(p[0], p[1]) for p in props]))
    built = Call(func, tuple(args))
    if built.flat() != text:
        raise ValueError(f"not a builder call: {text!r}")
    return built


def chain(
    prefix: str,
    builder: str,
    methods: Sequence[Sequence[str]],
    indent: int = 0,
    suffix: str = "",
) -> str:
    """``prefix + builder.m1(a1).m2(a2) + suffix``: a builder call (``fn(arg)`` or
    ``fn(arg, { ... })``) and its methods, each ``(name, argument)`` with ``""``
    for no argument, as Prettier prints such a member chain.

    A chain of two calls, or one whose arguments are all simple, stays on one
    line when it fits. Three calls or more that do not: the builder, then one
    method a line. Two calls that do not fit: the method's argument breaks, or
    else the builder's arguments do and the method follows the closing bracket.
    """
    built = _builder(builder)
    steps = [(m, a) for m, a in methods]
    one = prefix + builder + "".join(f".{m}({a})" for m, a in steps) + suffix
    fits = indent + len(one) <= LINE
    if len(steps) > 1 and not (fits and all(_simple(a) for _, a in steps)):
        out = _layout(prefix, built, indent)
        for i, (m, a) in enumerate(steps):
            end = suffix if i == len(steps) - 1 else ""
            out += (
                f"\n{' ' * (indent + STEP)}{_layout('.', call(m, a or None), indent + STEP, end)}"
            )
        return out
    if fits:
        return one
    if not steps:
        return _layout(prefix, built, indent, suffix)
    ((m, a),) = steps
    if a and indent + len(f"{prefix}{builder}.{m}(") <= LINE:
        # The builder stays on the line and the argument breaks.
        return _layout(f"{prefix}{builder}.", call(m, a), indent, suffix)
    # The builder's arguments break; the method follows the closing bracket.
    out = _layout(prefix, built, indent, tail=f".{m}(" if a else f".{m}(){suffix}")
    close = out.rsplit("\n", 1)[-1].lstrip() + "."
    return out + "." + _layout("", call(m, a or None), indent, suffix, lead=close)
