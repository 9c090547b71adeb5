"""A repo made by supa-schema, as the commands read it.

Its workspaces (``.kodo/config.json``), its recorded answers
(``.copier-answers.yml``) and the engine's ``Project`` for answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import supa_schema

from . import apply
from .messages import fail


def validate(answers: dict[str, Any]) -> supa_schema.Project:
    """The engine's Project for ``answers``; stops with its message before anything is written."""
    try:
        return supa_schema.build(answers)
    except supa_schema.SchemaError as err:
        fail(str(err))


def orm_of(workspace: dict[str, Any]) -> str | None:
    """The ORM of a workspace in .kodo/config.json (None: plain SQL, the kodo redirect)."""
    return ((workspace.get("database") or {}).get("orm") or {}).get("name")


def kodo_config(repo: Path) -> dict[str, Any]:
    path = repo / ".kodo" / "config.json"
    if not path.is_file():
        fail(f"{path} not found: run this inside a repo made by supa-schema (or pass --repo)")
    config: dict[str, Any] = json.loads(path.read_text())
    return config


def selected_workspaces(repo: Path, workspace: str | None) -> dict[str, dict[str, Any]]:
    """The workspaces of .kodo/config.json, or only ``workspace`` (which must be one of them)."""
    workspaces: dict[str, dict[str, Any]] = kodo_config(repo)["stack"]["workspaces"]
    if workspace is None:
        return workspaces
    if workspace not in workspaces:
        fail(
            f"unknown workspace {workspace!r}: this repo's workspaces are "
            f"{', '.join(workspaces)} (.kodo/config.json)"
        )
    return {workspace: workspaces[workspace]}


_RECORDED: dict[Path, dict[str, Any]] = {}


def keep_recorded(repo: Path, answers: dict[str, Any]) -> None:
    """Use ``answers``, read by the caller, as the repo's recorded answers in this command."""
    _RECORDED[repo.resolve()] = answers


def recorded_answers(repo: Path) -> dict[str, Any]:
    """The repo's recorded answers (loaded once per command: large changelogs take time)."""
    key = repo.resolve()
    if key not in _RECORDED:
        try:
            _RECORDED[key] = apply.load_answers(repo)
        except apply.UpdateError as err:
            fail(str(err))
    return _RECORDED[key]
