"""What a new changelog entry touches: the basis of incremental updates.

Entry k always renders the same bytes, so an update only needs the files of
the new entries plus the files whose inputs changed. The rules here are
conservative (a file rendered needlessly costs time, a file missed costs
correctness); tests compare incremental updates with fresh copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .project import Project


@dataclass(frozen=True)
class Impact:
    """The parts of the schema whose per-item files must be rendered again."""

    new_migrations: frozenset[str]  # migration stems not in the old project
    tables: frozenset[str]  # tables whose per-table files may change (old or new names)
    # old name -> new name of each table the new entries rename: its files move
    renamed: dict[str, str] = field(default_factory=dict)

    def wants(self, item: object) -> bool:
        """Whether a per-item template (one file per table or migration) needs ``item``."""
        stem = getattr(item, "stem", None)
        if stem is not None and hasattr(item, "operations"):
            return stem in self.new_migrations
        name = getattr(item, "name", None)
        if name is not None and hasattr(item, "columns"):
            return name in self.tables
        return True  # an item kind this module does not know: always render


def impact(old: Project, new: Project) -> Impact:
    """Compare two projects built from a changelog and the same changelog plus new entries.

    A table is affected when its model differs (columns, indexes, relations,
    policies, enum types it uses), when it references an affected table,
    directly or through other tables (per-table test fixtures insert parent
    rows, so they read the tables they point at), or when one of its relations
    reaches a table whose model differs (relation queries read its columns). A table the new entries
    renamed or dropped is affected under its old name, so that its old files
    are rendered too (the update removes them, or moves them to the new name).
    """
    old_stems = {m.stem for m in old.migrations}
    new_stems = frozenset(m.stem for m in new.migrations if m.stem not in old_stems)
    renamed = _renames(new, new_stems)
    gone = {name for name in old.tables if name not in new.tables}
    if old.has_vector != new.has_vector:
        return Impact(new_stems, frozenset({*new.tables, *gone}), renamed)
    changed = {name for name, table in new.tables.items() if old.tables.get(name) != table}
    affected = set(changed)
    # Close over "references an affected table" (parents are inserted by fixtures).
    referrers: dict[str, set[str]] = {}
    for table in new.tables.values():
        for column in table.columns:
            if column.references is not None:
                referrers.setdefault(column.references.target, set()).add(table.name)
    pending = list(affected)
    while pending:
        for referrer in referrers.get(pending.pop(), ()):
            if referrer not in affected:
                affected.add(referrer)
                pending.append(referrer)
    # A table's relation queries (the Rust model's get_with_<relation>) select the
    # columns of the tables its relations reach: its model changes with theirs.
    for table in new.tables.values():
        if any(r.target in changed or r.through in changed for r in table.relations):
            affected.add(table.name)
    return Impact(new_stems, frozenset(affected | gone), renamed)


def _renames(new: Project, stems: frozenset[str]) -> dict[str, str]:
    """Old name -> final name of each table renamed by the migrations ``stems``
    (a table renamed twice maps from its first name to its last)."""
    renamed: dict[str, str] = {}
    for m in new.migrations:
        if m.stem not in stems:
            continue
        # By kind, not class: the projects may come from another copy of the engine.
        op: Any
        for op in m.operations:
            if getattr(op, "kind", None) != "rename_table":
                continue
            first = next((k for k, v in renamed.items() if v == op.old), op.old)
            renamed[first] = op.new
    return {old: name for old, name in renamed.items() if old != name and name in new.tables}
