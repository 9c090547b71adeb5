"""The one error the engine raises for bad answers."""

from __future__ import annotations


class SchemaError(ValueError):
    """Bad answers. The message names the offending entry and says what to do."""

    def __init__(self, where: str, problem: str, hint: str = "") -> None:
        self.where = where
        self.problem = problem
        self.hint = hint
        text = f"{where}: {problem}" if where else problem
        if hint:
            text += f"\n  -> {hint}"
        super().__init__(text)
