"""Fold the answers' changelog into schema state and a numbered migration plan.

``build(answers)`` is the engine's entry point: it validates every entry
(raising ``SchemaError`` that names the entry) and returns a ``Project`` that
templates and the CLI read. It never touches the file system.

The steps live in modules of their own: ``answers`` reads the settings and
the entries, ``builder`` (with one module per action in ``actions/``) folds
the entries into tables, enums and migration operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import answers
from .builder import Builder
from .project import Project


def build(data: Mapping[str, Any]) -> Project:
    """Validate the answers and fold their changelog into a ``Project``."""
    project = answers.project_settings(data)
    entries, raw = answers.entries(data, project)
    Builder(project, entries, raw).run()
    project.migrations = entries
    # One Alembic chain: a generated revision follows the previous python entry,
    # generated (revision = its version) or synced (the revision alembic wrote).
    previous = None
    for m in entries:
        if m.workspace == "python":
            m.revision, m.down_revision = m.revision or m.version, previous
            previous = m.revision
    return project
