"""Workspaces: the languages a repo holds, their ORMs and migration service ranges."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkspaceKind:
    """What a language's workspace is: file prefix, service range, ORM, paths."""

    language: str
    prefix: str  # used in Supabase migration file names
    range_start: int
    orms: tuple[str, ...]
    schema_path: str  # the kodo config's schemaPath for its ORM
    default_path: str


WORKSPACE_KINDS = {
    "typescript": WorkspaceKind(
        "typescript", "node", 100, ("drizzle",), "src/db/schema.ts", "apps/typescript"
    ),
    "python": WorkspaceKind(
        "python", "python", 200, ("sqlalchemy",), "src/db/models", "apps/python"
    ),
    "rust": WorkspaceKind("rust", "rust", 300, ("sqlx",), "src/db/models", "apps/rust"),
}
RANGE_SIZE = 99  # entries X01..X99 of each hundred
ORM_REDIRECT = (
    "This command requires an ORM. Use `/kodo supa-migrate` for standard Supabase-only migrations."
)


@dataclass
class Workspace:
    """One workspace of this repo: its kind, ORM (None: plain SQL) and path."""

    name: str  # typescript | python | rust (the key in .kodo/config.json)
    kind: WorkspaceKind
    orm: str | None
    path: str

    @property
    def language(self) -> str:
        return self.kind.language

    @property
    def range(self) -> tuple[str, str]:
        return f"{self.kind.range_start:05d}", f"{self.kind.range_start + RANGE_SIZE:05d}"
