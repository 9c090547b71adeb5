"""The project: workspaces plus the schema state and migrations folded from the changelog."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import SchemaError
from .model import Enum, Table
from .plan import Migration
from .workspaces import ORM_REDIRECT, Workspace


@dataclass
class Project:
    """Everything the templates need, derived from the answers."""

    name: str
    slug: str
    multi_tenant: bool
    workspaces: dict[str, Workspace]
    enums: dict[str, Enum] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    migrations: list[Migration] = field(default_factory=list)  # file-name order
    # Where a template upgrade happened (the answers' ``format_upgrades``, see upgrade.py).
    format_upgrades: list = field(default_factory=list)
    formats: dict[int, int] = field(default_factory=dict)  # format -> first entry in it

    @property
    def upgrades_tenant_isolation(self) -> bool:
        """True when the first migrations predate tenant isolation (see upgrade.py)."""
        from .upgrade import TENANT_ISOLATION

        return TENANT_ISOLATION in self.formats

    def workspace(self, name: str) -> Workspace | None:
        return self.workspaces.get(name)

    def has(self, language: str) -> bool:
        """True when the workspace exists and has its ORM."""
        ws = self.workspaces.get(language)
        return ws is not None and ws.orm is not None

    def require_orm(self, workspace: str) -> Workspace:
        """The workspace, or the kodo command's redirect message when it has no ORM."""
        ws = self.workspaces.get(workspace)
        if ws is None:
            raise SchemaError(
                f"workspace '{workspace}'",
                f"is not one of this repo's workspaces ({', '.join(self.workspaces) or 'none'})",
            )
        if ws.orm is None:
            raise SchemaError(f"workspace '{workspace}'", ORM_REDIRECT)
        return ws

    @property
    def all_tables(self) -> list[Table]:
        """Every public table, the tenancy tables first, in creation order."""
        return list(self.tables.values())

    @property
    def tenant_tables(self) -> list[Table]:
        """Tables whose rows belong to an organization (they get pgTAP RLS tests)."""
        return [t for t in self.tables.values() if t.tenant and t.junction_of is None]

    @property
    def tenant_junctions(self) -> list[Table]:
        """Many-to-many link tables between two tenant tables (org_id on every link)."""
        return [t for t in self.tables.values() if t.tenant and t.junction_of is not None]

    @property
    def has_vector(self) -> bool:
        return any("vector" in t.type_bases for t in self.tables.values())

    def migrations_of(self, workspace: str) -> list[Migration]:
        return [m for m in self.migrations if m.workspace == workspace]

    def generated_of(self, workspace: str) -> list[Migration]:
        """The workspace's entries whose ORM-native file supa-schema renders.

        Synced entries are skipped: their ORM migration was written by the user
        (drizzle-kit, alembic, sqlx-cli) and already exists.
        """
        return [m for m in self.migrations_of(workspace) if m.generated]
