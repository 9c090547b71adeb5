"""Lay out generated Rust the way rustfmt does with its default settings.

Generated Rust passes `rustfmt --edition 2021 --check` unchanged. The templates
write the code - struct literals, calls, use lists, assignments - and these
functions choose its line breaks with rustfmt's default widths: a line holds at
most ``max_width`` (100) columns, a struct literal stays on one line while its
fields take at most ``struct_lit_width`` (18) columns, a call while its
arguments take at most ``fn_call_width`` (60), and indentation steps by
``tab_spaces`` (4).

Returned text starts where the template placed it: its first line has no
indentation (the template writes it), later lines carry ``indent`` spaces and
more.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_WIDTH = 100
STRUCT_LIT_WIDTH = 18
FN_CALL_WIDTH = 60
TAB_SPACES = 4

# Macros whose leading arguments rustfmt keeps together on the call's first
# line when it breaks the call (its "special case" macros).
SPECIAL_MACROS = {"assert_eq!": 2, "assert_ne!": 2}


def _lines(items: Sequence[str], indent: int, trailing: str = ",") -> str:
    """``items`` one a line at ``indent`` spaces, each followed by ``trailing``."""
    pad = " " * indent
    return "".join(f"\n{pad}{item}{trailing}" for item in items)


def struct_literal(name: str, fields: Sequence[str], indent: int = 0) -> str:
    """``Name { a, b: c }``; one field a line (with a trailing comma) once the
    fields take more than ``struct_lit_width`` columns.

    ``fields`` are written as given (``field`` or ``field: value``); ``indent``
    is the indentation of the line the literal starts on.
    """
    if not fields:
        return f"{name} {{}}"
    joined = ", ".join(fields)
    if len(joined) <= STRUCT_LIT_WIDTH:
        return f"{name} {{ {joined} }}"
    return f"{name} {{{_lines(fields, indent + TAB_SPACES)}\n{' ' * indent}}}"


def call(func: str, args: Sequence[str], indent: int = 0) -> str:
    """``func(a, b)``; one argument a line (with a trailing comma) once the
    arguments take more than ``fn_call_width`` columns.

    Macros rustfmt special-cases (``assert_eq!``, ``assert_ne!``) keep their
    leading arguments together on the first broken line and get no trailing
    comma. ``func`` is the callee as written (``f``, ``x.f``, ``assert_eq!``).
    """
    joined = ", ".join(args)
    if len(joined) <= FN_CALL_WIDTH:
        return f"{func}({joined})"
    inner = indent + TAB_SPACES
    lead = SPECIAL_MACROS.get(func, 0)
    if lead and len(args) > lead:
        rows = [", ".join(args[:lead]) + ",", *(f"{a}," for a in args[lead:-1]), args[-1]]
        return f"{func}({_lines(rows, inner, '')}\n{' ' * indent})"
    return f"{func}({_lines(args, inner)}\n{' ' * indent})"


def use_list(path: str, names: Sequence[str], keyword: str = "pub use") -> str:
    """``pub use path::{A, B};`` on one line when it fits in ``max_width``; else
    the names on indented lines, as many a line as fit in ``max_width`` (rustfmt's
    "mixed" layout), with a trailing comma. A single name loses its braces.
    """
    if len(names) == 1:
        return f"{keyword} {path}::{names[0]};"
    one = f"{keyword} {path}::{{{', '.join(names)}}};"
    if len(one) <= MAX_WIDTH:
        return one
    rows: list[list[str]] = []
    for name in names:
        row = rows[-1] if rows else None
        if row is not None and TAB_SPACES + len(", ".join([*row, name])) + 1 <= MAX_WIDTH:
            row.append(name)
        else:
            rows.append([name])
    return f"{keyword} {path}::{{{_lines([', '.join(r) for r in rows], TAB_SPACES)}\n}};"


def assign(left: str, right: str, indent: int = 0) -> str:
    """``left right;`` (``left`` ends in ``=``), else ``right`` on the next line,
    one level deeper, when only there it fits in ``max_width``.
    """
    one = f"{left} {right};"
    below = indent + TAB_SPACES + len(right) + 1
    if indent + len(one) <= MAX_WIDTH or below > MAX_WIDTH:
        return one
    return f"{left}\n{' ' * (indent + TAB_SPACES)}{right};"


def assign_call(left: str, func: str, args: Sequence[str], indent: int = 0) -> str:
    """``left func(args);`` (``left`` ends in ``=``): on one line when it fits in
    ``max_width``, else the call on the next line, one level deeper, when it fits
    there whole, else the call's arguments one a line (as ``call`` breaks them).
    """
    flat = call(func, args, indent)
    if "\n" not in flat:
        if indent + len(left) + 1 + len(flat) + 1 <= MAX_WIDTH:
            return f"{left} {flat};"
        if indent + TAB_SPACES + len(flat) + 1 <= MAX_WIDTH:
            return f"{left}\n{' ' * (indent + TAB_SPACES)}{flat};"
    return f"{left} {func}({_lines(args, indent + TAB_SPACES)}\n{' ' * indent});"
