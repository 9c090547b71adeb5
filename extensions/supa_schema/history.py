"""The changelog is append-only: applied entries never change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import SchemaError


def check_append_only(recorded: Sequence[Any], proposed: Sequence[Any]) -> None:
    """Refuse a changelog that edits, removes or reorders an entry already recorded.

    ``recorded`` is the ``migrations`` answer of the repo being updated (from
    its ``.copier-answers.yml``); ``proposed`` is the new answer.
    """
    for pos, old in enumerate(recorded):
        name = old.get("name") if isinstance(old, dict) else None
        where = f"migrations[{pos}] '{name}'"
        if pos >= len(proposed):
            raise SchemaError(
                where,
                "this applied entry was removed from the changelog",
                "entries are append-only: keep it, and add a new entry that "
                "undoes what you no longer want",
            )
        if proposed[pos] != old:
            raise SchemaError(
                where,
                "this applied entry was edited (its migration files "
                "already exist and may be deployed)",
                "entries are append-only: restore it and add a new entry with the change",
            )
