"""Template upgrades: tables made by an older version of the template, brought to
what this version makes, in new migration files.

Applied migrations never change, so when a repo whose files an older template
wrote is updated, what this version writes differently for existing tables
arrives as new files. The answers file records where that happened
(``format_upgrades: [{format: 2, after: N}]``: the first N entries were written
in format 1). The engine then adds, after those entries, one upgrade entry per
service range (numbered like any entry of that range), and the template adds
``00002_upgrade_core_functions.sql`` for the shared functions and policies.

Format 2 is tenant isolation: ``unique (org_id, id)`` on tenant tables,
foreign keys between tenant tables as ``(org_id, column) -> (org_id, id)``,
``org_id`` on links between tenant tables, the soft-delete trigger, and the
policies as this version writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import SchemaError
from .plan import (
    AddLinkOrgId,
    AddOrgKey,
    AddSoftDeleteTrigger,
    Migration,
    Operation,
    ReplacePolicies,
    ScopeForeignKey,
)

if TYPE_CHECKING:
    from .builder import Builder

FORMAT = 3  # the migration format this version of the template writes
TENANT_ISOLATION = 2  # the format whose upgrade has SQL of its own
NAME = f"upgrade_to_format_{TENANT_ISOLATION}"
# Format 3 writes entries that change tables holding rows live-safe (indexes built
# concurrently, foreign keys added `not valid` then validated); the SQL of entries
# written before it stays as it was, so it has no upgrade file.
LIVE_SAFE = 3
FORMATS = (TENANT_ISOLATION, LIVE_SAFE)


def parse(raw: Any, entries: int) -> dict[int, int]:
    """``{format: position}``: the changelog position from which each recorded format
    applies (formats not recorded apply to every entry).

    ``raw`` is the answers' ``format_upgrades``; ``entries`` the changelog's length.
    """
    if raw is None:
        return {}
    where = "format_upgrades"
    hint = "the template writes this key when it upgrades a repo: restore it from git"
    if not isinstance(raw, list) or not all(
        isinstance(u, Mapping) and set(u) == {"format", "after"} for u in raw
    ):
        raise SchemaError(
            where, f"must be a list of entries {{format: N, after: N}}; got {raw!r}", hint
        )
    found: dict[int, int] = {}
    for u in raw:
        fmt, after = u["format"], u["after"]
        if fmt not in FORMATS or fmt in found:
            raise SchemaError(
                where,
                f"unknown or repeated format {fmt!r}",
                f"formats are {', '.join(map(str, FORMATS))}, each at most once",
            )
        if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= entries:
            raise SchemaError(
                where,
                f"`after` must be a number of changelog entries (0 to {entries}), got {after!r}",
            )
        found[fmt] = after
    if list(found) != sorted(found) or list(found.values()) != sorted(found.values()):
        raise SchemaError(where, "formats must be listed in order, each no earlier than the last")
    return found


def format_of(position: int, upgrades: Mapping[int, int]) -> int:
    """The format of the entry at ``position``: the newest one that applies to it."""
    for fmt in reversed(FORMATS):
        if fmt not in upgrades or position >= upgrades[fmt]:
            return fmt
    return 1


def _range_of(stem: str) -> int:
    number = int(stem[:5]) if stem[:5].isdigit() else 0
    return number - number % 100


def fold(b: Builder, m: Migration) -> None:
    """The steps that bring the tables and keys of ``m``'s range, as the entries
    before it made them, to this version's format.

    A table is upgraded in the range of the entry that created it; a foreign key
    in the range of the latest of its table, its target and the entry that added
    it, so on a fresh database every upgrade step runs after what it changes.
    """
    here = m.number - m.number % 100
    tables = b.project.tables
    ops: list[Operation] = []
    for t in tables.values():
        if t.core or _range_of(t.created_in) != here:
            continue
        if t.org_key:
            ops.append(AddOrgKey(t.name, t.org_key))
        if t.tenant and t.junction_of:
            ops.append(AddLinkOrgId(t.name, t.junction_of[0], t.foreign_keys[0].column))
        if t.soft_delete:
            ops.append(AddSoftDeleteTrigger(t.name, t.primary_key))
        if t.policies:
            ops.append(ReplacePolicies(t.name, tuple(t.policies)))
    for t in tables.values():
        for fk in t.foreign_keys:
            if not fk.org_scoped:
                continue
            last = max(t.created_in, tables[fk.target].created_in, fk.created_in)
            if _range_of(last) != here:
                continue
            index = next((i for i in t.indexes if i.columns == fk.columns), None)
            # The older format indexed the column alone; an index the answers
            # name explicitly (same name, kept by the model) stays.
            old = b.derived_index_name(t.name, (fk.column,))
            kept = any(i.name == old for i in t.indexes)
            ops.append(ScopeForeignKey(t.name, fk, None if kept else old, index))
    m.operations.extend(ops)
