"""Shared fixtures: each example is rendered once per session and migrated once.

Rendering goes through the real `copier copy`; databases are real PostgreSQL
(the pgserver wheel) prepared like `supabase db reset`.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from support import (
    CACHE,
    EXAMPLES,
    NODE_CACHE,
    ROOT,
    SQLX_CLI,
    cache_lock,
    copier_copy,
    events_answers,
    git,
    workspace_dir,
)

from supa_schema_cli import database

PRETTIER = "3.10.1"
# Supabase's type generator, at the version the Supabase CLI's Dockerfile pins
# (apps/cli-go/pkg/config/templates/Dockerfile, supabase/postgres-meta:v0.96.6).
POSTGRES_META = "0.96.6"

# Copier's update commits in scratch repositories: give git an identity
# through the environment (the user's git config stays untouched).
for _key, _value in (
    ("GIT_AUTHOR_NAME", "supa-schema tests"),
    ("GIT_AUTHOR_EMAIL", "tests@example.com"),
    ("GIT_COMMITTER_NAME", "supa-schema tests"),
    ("GIT_COMMITTER_EMAIL", "tests@example.com"),
):
    os.environ.setdefault(_key, _value)


@pytest.fixture(scope="session")
def pg():
    """One embedded PostgreSQL for the whole session.

    Its data lives outside pytest's temporary tree: pytest resets that tree's
    permissions when another session starts, which the server (running as its
    own user) would not survive.
    """
    data = tempfile.mkdtemp(prefix="supa-schema-pg-")
    server = database.start(data)
    yield server
    server.handle.cleanup()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """Render an example (by name) once per session; returns its repo path."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            dst = tmp_path_factory.mktemp(f"repo-{name}") / "repo"
            copier_copy(EXAMPLES / f"{name}.yml", dst)
            cache[name] = dst
        return cache[name]

    return get


@pytest.fixture(scope="session")
def migrated(pg, rendered):
    """A fresh database per example with every migration applied; returns its URI."""
    cache: dict[str, str] = {}

    def get(name: str) -> str:
        if name not in cache:
            uri = pg.create_database(f"ex_{name}")
            database.apply_migrations(uri, rendered(name))
            cache[name] = uri
        return cache[name]

    return get


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory) -> Path:
    """The working tree committed into a scratch git repo.

    `copier update` needs the commit recorded in `.copier-answers.yml` to exist
    in the template; a dirty checkout would record a throw-away commit.
    """
    dst = tmp_path_factory.mktemp("template") / "supa-schema"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)
    for cmd in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "t"],
    ):
        subprocess.run(["git", *cmd], cwd=dst, check=True, capture_output=True)
    return dst


@pytest.fixture(scope="session")
def fresh_db(pg, rendered):
    """A new database with every migration of the example applied, for tests that
    write rows (so unique keys never meet rows other tests wrote)."""
    counter = iter(range(10**6))

    def get(name: str, purpose: str) -> str:
        uri = pg.create_database(f"{purpose}_{name}_{next(counter)}"[:63])
        database.apply_migrations(uri, rendered(name))
        return uri

    return get


@pytest.fixture(scope="session")
def node_modules(rendered) -> Path:
    """npm packages of the generated package.json, installed once and reused across runs."""
    package = (workspace_dir(rendered("saas"), "typescript") / "package.json").read_bytes()
    home = NODE_CACHE / hashlib.sha256(package).hexdigest()[:16]
    with cache_lock("node"):
        if not (home / "node_modules" / ".bin" / "tsc").exists():
            home.mkdir(parents=True, exist_ok=True)
            (home / "package.json").write_bytes(package)
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=home,
                check=True,
                capture_output=True,
            )
    return home / "node_modules"


def npm_package(name: str, version: str, entry: str) -> Path:
    """``node_modules/<entry>`` of an npm package at a pinned version, installed once
    into a cache directory."""
    home = NODE_CACHE / f"{name.replace('/', '+')}-{version}"
    exe = home / "node_modules" / entry
    with cache_lock("node"):
        if not exe.exists():
            home.mkdir(parents=True, exist_ok=True)
            (home / "package.json").write_text(
                json.dumps({"private": True, "dependencies": {name: version}})
            )
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=home,
                check=True,
                capture_output=True,
            )
    return exe


@pytest.fixture(scope="session")
def sqlx_cli() -> Path:
    """sqlx-cli (Postgres only) at the generated workspace's sqlx version, built once
    with cargo into a cache directory."""
    root = CACHE / f"sqlx-cli-{SQLX_CLI}"
    exe = root / "bin" / "sqlx"
    with cache_lock("sqlx-cli"):
        if not exe.exists():
            subprocess.run(
                [
                    "cargo",
                    "install",
                    "sqlx-cli",
                    "--version",
                    SQLX_CLI,
                    "--locked",
                    "--no-default-features",
                    "--features",
                    "postgres",
                    "--root",
                    str(root),
                ],
                check=True,
                capture_output=True,
            )
    return exe


@pytest.fixture(scope="session")
def prettier() -> Path:
    """prettier at a pinned version."""
    return npm_package("prettier", PRETTIER, ".bin/prettier")


@pytest.fixture(scope="session")
def postgres_meta() -> Path:
    """The server script of @supabase/postgres-meta, which `supabase gen types` runs."""
    return npm_package(
        "@supabase/postgres-meta", POSTGRES_META, "@supabase/postgres-meta/dist/server/server.js"
    )


@pytest.fixture(scope="session")
def events_repo(tmp_path_factory, template_repo) -> Path:
    """The saas example plus EVENTS, scaffolded and committed."""
    repo = tmp_path_factory.mktemp("events-base") / "repo"
    copier_copy(events_answers(), repo, template=template_repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "scaffold")
    return repo


@pytest.fixture(scope="session")
def pgtap_sql() -> str:
    """pgTAP's plain install script (Debian's postgresql-*-pgtap; ./dev setup installs it)."""
    found = sorted(glob.glob("/usr/share/postgresql/*/extension/pgtap.sql"))
    assert found, "pgTAP is not installed: apt-get install postgresql-15-pgtap (./dev setup)"
    text = Path(found[-1]).read_text()
    return "\n".join(line for line in text.splitlines() if not line.startswith("\\"))
