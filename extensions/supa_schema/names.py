"""Identifier rules and how a SQL name becomes a name in each language.

SQL names are checked, never quoted: a name that passes ``check_identifier``
is a lower-case PostgreSQL identifier that needs no quoting, so it can be
written as-is in SQL, Python, TypeScript and Rust strings. Names that are
keywords only in a host language are kept and mapped per language
(``class`` -> ``class_`` in Python, ``r#type`` in Rust).
"""

from __future__ import annotations

import keyword
import re

MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")

# PostgreSQL's reserved key words (both "reserved" and "reserved, can be
# function or type"): as table, column or type names they need quoting.
SQL_RESERVED = frozenset(
    """
all analyse analyze and any array as asc asymmetric authorization binary both case cast
check collate collation column concurrently constraint create cross current_catalog
current_date current_role current_schema current_time current_timestamp current_user
default deferrable desc distinct do else end except false fetch for foreign freeze from
full grant group having ilike in initially inner intersect into is isnull join lateral
leading left like limit localtime localtimestamp natural not notnull null offset on only
or order outer overlaps placing primary references returning right select session_user
similar some symmetric system_user table tablesample then to trailing true union unique
user using variadic verbose when where window with
""".split()
)

PYTHON_RESERVED = frozenset(keyword.kwlist) | {
    # Attributes SQLAlchemy's declarative base reserves on mapped classes.
    "metadata",
    "registry",
    # Names our models and schemas use for themselves (a field of that name would
    # hide them in the class body).
    "model_config",
    "is_none",
}

TS_RESERVED = frozenset(
    """
break case catch class const continue debugger default delete do else enum export extends
false finally for function if import in instanceof new null return super switch this throw
true try typeof var void while with yield let static implements interface package private
protected public await arguments eval undefined
""".split()
)

RUST_RESERVED = frozenset(
    """
as break const continue crate else enum extern false fn for if impl in let loop match mod
move mut pub ref return self Self static struct super trait true type unsafe use where
while async await dyn abstract become box do final macro override priv typeof unsized
virtual yield try gen
""".split()
)
# Keywords that cannot be raw identifiers in Rust.
RUST_NO_RAW = frozenset({"self", "Self", "super", "crate", "_"})


def identifier_problem(name: object) -> str | None:
    """Return why ``name`` is not a usable SQL identifier, or None when it is."""
    if not isinstance(name, str) or name == "":
        return "a name is required (lower-case letters, digits and underscores)"
    if len(name.encode()) > MAX_IDENTIFIER_BYTES:
        return (
            f"'{name[:20]}...' is {len(name.encode())} bytes; PostgreSQL truncates names "
            f"longer than {MAX_IDENTIFIER_BYTES} bytes: choose a shorter name"
        )
    if not IDENTIFIER.match(name):
        return (
            f"'{name}' is not a valid name: use lower-case snake_case that starts with a "
            "letter (a-z, 0-9 and _ only)"
        )
    if name.endswith("_"):
        return f"'{name}' ends with an underscore, which is kept for names mapped in Python"
    if name in SQL_RESERVED:
        return (
            f"'{name}' is a reserved word in SQL and would have to be quoted everywhere: "
            "choose another name"
        )
    return None


def pascal(name: str) -> str:
    """``order_items`` -> ``OrderItems``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def camel(name: str) -> str:
    """``order_items`` -> ``orderItems``."""
    p = pascal(name)
    return p[:1].lower() + p[1:]


_IRREGULAR = {
    "people": "person",
    "children": "child",
    "men": "man",
    "women": "woman",
    "mice": "mouse",
    "geese": "goose",
    "teeth": "tooth",
    "feet": "foot",
    "data": "data",
    "media": "media",
    "criteria": "criterion",
    "analyses": "analysis",
    "indices": "index",
    "matrices": "matrix",
    "vertices": "vertex",
    "series": "series",
    "species": "species",
    "news": "news",
    "statuses": "status",
    "addresses": "address",
}


def singular(word: str) -> str:
    """English singular of a snake_case table name (its last word is singularised).

    Rules cover regular plurals; a table can name its model explicitly
    (``model:``) where they guess wrong.
    """
    head, _, last = word.rpartition("_")
    low = last
    if low in _IRREGULAR:
        one = _IRREGULAR[low]
    elif low.endswith("ies") and len(low) > 3:
        one = low[:-3] + "y"
    elif low.endswith(("sses", "shes", "ches", "xes", "zzes")):
        one = low[:-2]
    elif low.endswith("ses") and not low.endswith("uses"):
        one = low[:-1]  # courses -> course, responses -> response
    elif low.endswith("uses"):
        one = low[:-2]  # buses -> bus
    elif low.endswith("s") and not low.endswith(("ss", "us", "is")):
        one = low[:-1]
    else:
        one = low
    return f"{head}_{one}" if head else one


def python_name(name: str) -> str:
    """Attribute name in Python for a SQL column name."""
    return f"{name}_" if name in PYTHON_RESERVED else name


def ts_name(name: str) -> str:
    """camelCase property name in TypeScript (keywords are valid property names)."""
    return camel(name)


def ts_export(name: str) -> str:
    """The exported const of a table in schema.ts (``order_items`` -> ``orderItems``).

    Words reserved in JavaScript/TypeScript get a ``Table`` suffix.
    """
    base = camel(name)
    return f"{base}Table" if base in TS_RESERVED else base


def rust_name(name: str) -> str:
    """Field name in Rust for a SQL column name."""
    if name in RUST_NO_RAW:
        return f"{name}_"
    if name in RUST_RESERVED:
        return f"r#{name}"
    return name


def enum_member(label: str, taken: set[str]) -> str:
    """An UPPER_SNAKE member name for an enum label, unique within ``taken``."""
    base = re.sub(r"[^0-9A-Za-z]+", "_", label).strip("_").upper() or "VALUE"
    if base[0].isdigit():
        base = f"V_{base}"
    if keyword.iskeyword(base):
        base = f"{base}_"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name
