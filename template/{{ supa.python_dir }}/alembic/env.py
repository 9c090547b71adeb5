"""Alembic environment: compares the models with the database Supabase migrated.

Supabase applies supabase/migrations (the source of truth); Alembic keeps its
version table in the `private` schema, out of the Data API, and compares only
the `public` schema, including types and server defaults.
"""

import os
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlalchemy.engine import URL, make_url
from sqlalchemy.schema import SchemaItem

from db.models import Base

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

target_metadata = Base.metadata
VERSION_SCHEMA = "private"


def database_url() -> URL:
    """DATABASE_URL in libpq URI form, driven by psycopg 3."""
    raw = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not raw:
        raise RuntimeError(
            "Set DATABASE_URL, e.g. postgresql://postgres:postgres@127.0.0.1:54322/postgres"
        )
    url = make_url(raw.replace("postgres://", "postgresql://", 1))
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    if type_ == "schema":
        return name in (None, "public")
    return True


def include_object(
    obj: SchemaItem,
    name: str | None,
    type_: str,
    reflected: bool,
    compare_to: SchemaItem | None,
) -> bool:
    if type_ == "table":
        return getattr(obj, "schema", None) in (None, "public")
    return True


def configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        include_name=include_name,
        include_object=include_object,
        version_table_schema=VERSION_SCHEMA,
        **kwargs,
    )


def run_migrations_offline() -> None:
    configure(url=database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    section = config.get_section(config.config_ini_section, {})
    section["sqlalchemy.url"] = database_url().render_as_string(hide_password=False)
    connectable = engine_from_config(
        section, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
