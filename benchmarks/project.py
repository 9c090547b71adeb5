"""A large answers file for the benchmarks: N tables across the three workspaces."""

from __future__ import annotations

WORKSPACES = ("typescript", "python", "rust")


def table(index: int, tenant: bool, parent: int | None = None) -> dict:
    """One table of a realistic width: text, numbers, a flag, a date, json."""
    name = f"t{index:03d}_items"
    columns = [
        {"name": "title", "type": "text", "required": True},
        {"name": "code", "type": "varchar", "length": 40},
        {"name": "amount", "type": "numeric", "precision": 12, "scale": 2},
        {"name": "quantity", "type": "integer", "required": True, "default": 0},
        {"name": "active", "type": "boolean", "required": True, "default": True},
        {"name": "due_on", "type": "date"},
        {"name": "extra", "type": "jsonb"},
    ]
    if parent is not None:
        # A foreign key to a table created earlier in the same migration.
        columns.append(
            {
                "name": "parent_id",
                "type": "uuid",
                "references": f"t{parent:03d}_items",
                "on_delete": "set null",
            }
        )
    return {
        "table": name,
        "tenant": tenant,
        "timestamps": True,
        "columns": columns,
        "indexes": [{"columns": ["title"]}],
    }


def answers(tables: int = 500, entries: int = 60, tenant: bool = True) -> dict:
    """Answers with ``tables`` tables in ``entries`` changelog entries, owners in turn."""
    entries = min(entries, tables)
    migrations = []
    per_entry, extra = divmod(tables, entries)
    index = 0
    for number in range(entries):
        count = per_entry + (1 if number < extra else 0)
        actions = [table(index + i, tenant, index if i else None) for i in range(count)]
        index += count
        migrations.append(
            {"name": f"batch_{number:02d}", "workspace": WORKSPACES[number % 3], "actions": actions}
        )
    return {
        "project_name": "Bench",
        "languages": list(WORKSPACES),
        "typescript_orm": "drizzle",
        "python_orm": "sqlalchemy",
        "rust_orm": "sqlx",
        "multi_tenant": True,
        "migrations": migrations,
    }


def one_more_table(base: dict, workspace: str = "typescript", suffix: str = "") -> dict:
    """``base`` plus one entry that adds a single table (``extra_items{suffix}``)."""
    new = dict(base)
    new["migrations"] = [
        *base["migrations"],
        {
            "name": f"add_extra_table{suffix}",
            "workspace": workspace,
            "actions": [
                {
                    "table": f"extra_items{suffix}",
                    "tenant": True,
                    "timestamps": True,
                    "columns": [{"name": "title", "type": "text", "required": True}],
                }
            ],
        },
    ]
    return new
