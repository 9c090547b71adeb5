"""The project: workspaces plus the schema state and migrations folded from the changelog."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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

    def workspace(self, name: str) -> Workspace | None:
        return self.workspaces.get(name)

    def has(self, language: str) -> bool:
        """True when the workspace exists and has its ORM."""
        ws = self.workspaces.get(language)
        return ws is not None and ws.orm is not None

    def require_orm(self, workspace: str) -> Workspace:
        """The workspace, or the seed's redirect message when it has no ORM."""
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

    def fixture(
        self,
        table: Table,
        tag: str,
        org: str | None = None,
        user: str | None = None,
        parents: str | None = None,
    ):
        """Rows (parents first) giving ``table`` one row in test organization ``org``.

        ``org``/``user`` name test sides ("a", "b"); with ``parents`` only the
        table's own row is returned, pointing at that side's parent rows.
        """
        from .samples import fixed_uuid, fixture_rows

        return fixture_rows(
            table,
            self.tables,
            org=fixed_uuid("org", org or tag),
            user=fixed_uuid("user", user or tag),
            tag=tag,
            parents=parents,
        )

    @staticmethod
    def fixed_uuid(*parts: str) -> str:
        from .samples import fixed_uuid

        return fixed_uuid(*parts)

    @staticmethod
    def sample(table: Table, tag: str) -> tuple[str, str] | None:
        """(column, SQL literal) of a data column a test can set on ``table``, if any."""
        from .samples import editable_column, sample_sql

        column = editable_column(table)
        return (column.name, sample_sql(column, tag)) if column else None

    @property
    def has_vector(self) -> bool:
        return any("vector" in t.type_bases for t in self.tables.values())

    def _dir(self, language: str) -> str:
        return self.workspaces[language].path if self.has(language) else ""

    @property
    def typescript_dir(self) -> str:
        """The workspace directory when it has its ORM, else '' (Copier skips empty names)."""
        return self._dir("typescript")

    @property
    def python_dir(self) -> str:
        return self._dir("python")

    @property
    def rust_dir(self) -> str:
        return self._dir("rust")

    def migrations_of(self, workspace: str) -> list[Migration]:
        return [m for m in self.migrations if m.workspace == workspace]

    def generated_of(self, workspace: str) -> list[Migration]:
        """The workspace's entries whose ORM-native file supa-schema renders.

        Synced entries are skipped: their ORM migration was written by the user
        (drizzle-kit, alembic, sqlx-cli) and already exists.
        """
        return [m for m in self.migrations_of(workspace) if m.generated]

    @property
    def kodo_config(self) -> dict[str, Any]:
        """``.kodo/config.json`` in the seed's format, plus each workspace's ``path``."""
        out: dict[str, Any] = {}
        for ws in self.workspaces.values():
            start, end = ws.range
            out[ws.name] = {
                "language": ws.language,
                "path": ws.path,
                "database": {
                    "orm": (
                        {"name": ws.orm, "schemaPath": ws.kind.schema_path} if ws.orm else None
                    ),
                    "migrationStrategy": {
                        "type": "hybrid",
                        "prefix": ws.kind.prefix,
                        "serviceRange": {"start": start, "end": end},
                    },
                },
            }
        return {
            "project": {"name": self.name, "multiTenant": self.multi_tenant},
            "stack": {"workspaces": out},
            "supabase": {"migrationsPath": "supabase/migrations"},
        }

    @property
    def kodo_config_json(self) -> str:
        return json.dumps(self.kodo_config, indent=2) + "\n"
