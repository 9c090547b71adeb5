"""Fold the answers' changelog into schema state and a numbered migration plan.

``build(answers)`` is the engine's entry point: it validates every entry
(raising ``SchemaError`` that names the entry) and returns a ``Project`` that
templates and the CLI read. It never touches the file system.

The steps live in modules of their own: ``answers`` reads the settings and
the entries, ``builder`` (with one module per action in ``actions/``) folds
the entries into tables, enums and migration operations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from . import answers
from .builder import Builder
from .errors import SchemaError
from .plan import Migration, split
from .project import Project
from .workspaces import RANGE_SIZE


def build(data: Mapping[str, Any]) -> Project:
    """Validate the answers and fold their changelog into a ``Project``."""
    project = answers.project_settings(data)
    entries, raw = answers.entries(data, project)
    Builder(project, entries, raw).run()
    project.migrations = _split_and_number(entries)
    # One Alembic chain: a generated revision follows the previous python entry,
    # generated (revision = its version) or synced (the revision alembic wrote).
    previous = None
    for m in project.migrations:
        if m.workspace == "python":
            m.revision, m.down_revision = m.revision or m.version, previous
            previous = m.revision
    return project


def _split_and_number(entries: list[Migration]) -> list[Migration]:
    """Give concurrent steps files of their own, numbered after their entry's.

    ``create index concurrently`` cannot run inside a transaction, and every
    migration tool runs a file in one, so such steps get their own file (the
    tools run it outside). The builder numbered each entry leaving room for
    its extra files, so appending entries never renumbers earlier files.
    """
    files: list[Migration] = []
    for m in entries:
        if m.upgrade and not m.operations:
            continue  # nothing of this range changes (its number stays unused)
        parts = split(m.operations)
        given = m.revision
        for i, ops in enumerate(parts):
            part = m if i == 0 else dataclasses.replace(m, name=f"{m.name}_{i + 1}", part=i + 1)
            part.number = m.number + i
            part.operations = ops
            # A revision id the entry keeps (sync's) marks where the whole entry has
            # run: its last file; the others take their version, as generated ones do.
            part.revision = given if i == len(parts) - 1 else ""
            files.append(part)
    files.sort(key=lambda f: f.number)
    if files and any(f.number % 100 > RANGE_SIZE for f in files):
        full = next(f for f in files if f.number % 100 > RANGE_SIZE)
        raise SchemaError(
            full.label,
            f"the {full.workspace} service range is full ({RANGE_SIZE} migration files)",
            "own this entry by another workspace, or squash old migrations into one",
        )
    return files
