"""The words an answers file may use, and the names it may not take."""

from __future__ import annotations

ON_DELETE = ("cascade", "restrict", "set null", "set default", "no action")
RELATION_KINDS = ("one-to-many", "many-to-one", "many-to-many")
VECTOR_OPS = {"cosine": "vector_cosine_ops", "l2": "vector_l2_ops", "ip": "vector_ip_ops"}
CORE_TABLES = ("organizations", "organization_members")
# Tenancy tables, migration tools' tables, and names of generated modules that
# sit beside the per-table modules (Python's base.py/enums.py, Rust's mod.rs).
RESERVED_TABLES = CORE_TABLES + (
    "alembic_version",
    "_sqlx_migrations",
    "users",
    "base",
    "enums",
    "mod",
    "schema",
    "relations",
    "types",
)
# Classes every workspace generates besides the models.
RESERVED_MODELS = ("Base", "TimestampMixin", "Database", "Json")
