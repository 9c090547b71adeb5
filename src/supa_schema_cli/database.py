"""An embedded PostgreSQL with Supabase's roles and auth schema, and migration replay.

This recreates what `supabase db reset` does without Docker: start a local
PostgreSQL 16 (with pgvector) from the ``pgserver`` wheel, give a fresh
database Supabase's roles, ``auth.users``, ``auth.uid()`` and grants, then
apply every file of ``supabase/migrations`` in file-name order.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

BASE_SQL = resources.files(__package__).joinpath("supabase_base.sql").read_text()


class MigrationFailed(RuntimeError):
    """A migration file did not apply; the message names the file."""


@dataclass
class Server:
    """A running local PostgreSQL cluster."""

    handle: PostgresServer
    socket_dir: str

    def uri(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def create_database(self, name: str) -> str:
        """Create (or recreate) an empty database with Supabase's base objects; return its URI."""
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
            raise ValueError(f"bad database name {name!r}")
        with psycopg.connect(self.uri(), autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
            conn.execute(f'alter database {name} set search_path = "$user", public, extensions')
        uri = self.uri(name)
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute(BASE_SQL)
        return uri


def start(data_dir: str | Path | None = None) -> Server:
    """Start (or reuse) an embedded PostgreSQL whose data lives in ``data_dir``."""
    import pgserver  # imported here: only commands that need a database pay for it

    path = Path(data_dir or tempfile.mkdtemp(prefix="supa-schema-pg-"))
    path.mkdir(parents=True, exist_ok=True)
    handle = pgserver.get_server(str(path), cleanup_mode="stop")
    socket_dir = re.search(r"host=([^&]+)", handle.get_uri())
    if socket_dir is None:  # pragma: no cover - pgserver always connects through a socket
        raise RuntimeError(f"no socket directory in {handle.get_uri()}")
    return Server(handle, socket_dir.group(1))


def migration_files(repo: Path) -> list[Path]:
    """``supabase/migrations/*.sql`` in file-name order, as the Supabase CLI applies them."""
    return sorted((repo / "supabase" / "migrations").glob("*.sql"), key=lambda p: p.name)


# `create/drop index concurrently` cannot run in a transaction: a file holding
# one runs statement by statement (the Supabase CLI runs such files outside
# the migration's transaction too).
CONCURRENT = re.compile(r"^\s*(create|drop)\s+(unique\s+)?index\s+concurrently\b", re.I | re.M)


def statements(sql: str) -> list[str]:
    """The statements of a file of simple statements (no function bodies)."""
    return [s for s in re.split(r";[ \t]*(?:\n|$)", sql) if re.sub(r"--[^\n]*", "", s).strip()]


def apply_migrations(uri: str, repo: Path, upto: str | None = None) -> list[Path]:
    """Apply every migration of ``repo`` in order (through file ``upto``), each in
    its own transaction, or outside one when it builds an index concurrently."""
    files = migration_files(repo)
    if upto is not None:
        files = [f for f in files if f.name <= upto]
    with psycopg.connect(uri, autocommit=True) as conn:
        for path in files:
            apply_file(conn, path)
    return files


def apply_file(conn: psycopg.Connection, path: Path) -> None:
    """Apply one migration file on an autocommit connection."""
    sql = path.read_text()
    try:
        if CONCURRENT.search(sql):
            for statement in statements(sql):
                conn.execute(statement)
        else:
            with conn.transaction():
                conn.execute(sql)
    except psycopg.Error as err:
        raise MigrationFailed(f"{path.name} failed: {err}".strip()) from err


def advice(message: str) -> str:
    """The kodo command's error-handling advice for a migration that failed to apply."""
    enum = re.search(r'type "([^"]+)" does not exist', message)
    if enum:
        return (
            f'Type "{enum.group(1)}" does not exist: custom types (enums) must be created '
            "in an earlier migration. Declare it with an `enum:` action in an earlier "
            "changelog entry (one whose file sorts before this one)."
        )
    if "violates foreign key" in message or re.search(r'relation "[^"]+" does not exist', message):
        return (
            "A migration refers to a table that does not exist yet: ensure referenced "
            "tables are created first. Files apply in file-name order across the service "
            "ranges (typescript 00100-00199, python 00200-00299, rust 00300-00399), so "
            "create the table in an entry whose number sorts earlier."
        )
    if "already exists" in message:
        return (
            "The object already exists: it was probably created directly in Supabase or "
            "by another migration. If the database already has it, mark the migration "
            "as applied with `supabase migration repair --status applied <version>`; "
            "otherwise remove the duplicate."
        )
    return ""


def apply_failed(err: Exception) -> str:
    """The message of a failed migration with its advice, if any."""
    text = str(err)
    hint = advice(text)
    return f"{text}\n  -> {hint}" if hint else text
