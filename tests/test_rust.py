"""The Rust workspace: `sqlx::query_as!` is checked against the migrated database
by the real compiler, and the generated integration test round-trips every table."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pgserver
import psycopg
import pytest
import yaml
from support import CARGO_TARGET, EXAMPLE_NAMES, EXAMPLES, own_cargo_build, workspace_dir
from test_typescript import catalog

from supa_schema_cli import database

RUST_EXAMPLES = [
    e
    for e in EXAMPLE_NAMES
    if "rust" in yaml.safe_load((EXAMPLES / f"{e}.yml").read_text())["languages"]
]
TARGET = CARGO_TARGET


def copy_workspace(src: Path, dst: Path) -> Path:
    """A copy whose sources are newer than anything built before, so cargo recompiles
    the crate and re-expands every macro (the shared target dir would reuse it)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".sqlx"))
    for source in dst.rglob("*.rs"):
        source.touch()
    return dst


def sqlx_url(pg, uri: str) -> str:
    """sqlx's spelling of the unix-socket URI."""
    dbname = uri.split("@/")[1].split("?")[0]
    return f"postgres://postgres@localhost/{dbname}?host={pg.socket_dir}"


def cargo(ws: Path, url: str | None, *args: str, **extra: str) -> subprocess.CompletedProcess:
    """``cargo <command> -j 2 <rest>`` in ``ws``; ``url=None`` leaves no DATABASE_URL at all."""
    env = {
        **os.environ,
        "SQLX_OFFLINE": "false",
        "CARGO_TARGET_DIR": str(TARGET),
        "CARGO_TERM_COLOR": "never",
        **extra,
    }
    env.pop("DATABASE_URL", None)
    if url is not None:
        env["DATABASE_URL"] = url
    own_cargo_build(ws)
    command, *rest = args
    return subprocess.run(
        ["cargo", command, "-j", "2", *rest], cwd=ws, env=env, capture_output=True, text=True
    )


# The generated tests/as_user.rs of each example: its tests (each must run and pass).
AS_USER_TESTS = {
    # products (soft delete), categories and their junction products_categories
    "saas": {
        "users_see_and_write_only_their_organizations",
        "links_stay_inside_one_organization",
        "a_users_delete_is_a_soft_delete",
    },
    # gadgets (soft delete); switch is a tenant table too, no junction
    "kitchen_sink": {
        "users_see_and_write_only_their_organizations",
        "a_users_delete_is_a_soft_delete",
    },
    # documents; chunks need a document, no soft delete
    "embeddings": {"users_see_and_write_only_their_organizations"},
    # customers (soft delete); cases (renamed from tickets) need a customer; the
    # tickets_tags link is dropped in week two
    "evolve": {
        "users_see_and_write_only_their_organizations",
        "a_users_delete_is_a_soft_delete",
    },
}


def test_every_rust_example_has_its_as_user_tests():
    assert sorted(AS_USER_TESTS) == sorted(RUST_EXAMPLES)


@pytest.mark.parametrize("example", RUST_EXAMPLES)
def test_cargo_test_builds_against_the_database_and_round_trips(example, rendered, fresh_db, pg):
    """`cargo test` builds against the migrated database and runs the generated tests:
    the round trip of every table (in a transaction: the functions take any
    executor) and, as two signed-in users through `begin_as_user`, tenant
    isolation, the organization-scoped keys and soft delete (tests/as_user.rs)."""
    ws = workspace_dir(rendered(example), "rust")
    source = (ws / "tests" / "as_user.rs").read_text()
    tests = set(re.findall(r"#\[tokio::test\]\nasync fn (\w+)", source))
    assert tests == AS_USER_TESTS[example]
    url = sqlx_url(pg, fresh_db(example, "rs_rows"))
    result = cargo(ws, url, "test")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    for name in ("every_table_round_trips", *sorted(tests)):
        assert f"test {name} ... ok" in result.stdout, result.stdout[-3000:]
    # the same database again: the round trip rolls back, as_user makes new users
    result = cargo(ws, url, "test")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert result.stdout.count(" ... ok") >= len(tests) + 1


WRONG_NULLABILITY = {
    # nullable column declared plain: query_as! cannot convert Option<T> into T
    "nullable_as_required": (
        "    pub description: Option<String>,\n",
        "    pub description: String,\n",
        ("error[E0277]", "From<std::option::Option<std::string::String>>"),
    ),
    # required column declared Option: query_as! would accept it (T into Option<T>),
    # the field-by-field check from query!'s record does not
    "required_as_nullable": (
        "    pub name: String,\n",
        "    pub name: Option<String>,\n",
        ("error[E0308]", "expected `Option<String>`, found `String`"),
    ),
}


@pytest.mark.parametrize("case", sorted(WRONG_NULLABILITY))
def test_wrong_nullability_fails_to_compile(case, rendered, migrated, pg, tmp_path):
    """The compile-time check can fail, in both directions."""
    before, after, expected = WRONG_NULLABILITY[case]
    ws = copy_workspace(workspace_dir(rendered("saas"), "rust"), tmp_path / "rust")
    model = ws / "src" / "db" / "models" / "products.rs"
    text = model.read_text()
    assert before in text
    model.write_text(text.replace(before, after, 1))
    result = cargo(ws, sqlx_url(pg, migrated("saas")), "build")
    assert result.returncode != 0
    assert "products.rs" in result.stderr, result.stderr
    for fragment in expected:
        assert fragment in result.stderr, result.stderr
    # the unedited workspace builds (the failure is the edit's, not the setup's)
    model.write_text(text)
    result = cargo(ws, sqlx_url(pg, migrated("saas")), "build")
    assert result.returncode == 0, result.stderr[-6000:]


@pytest.fixture(scope="session")
def clippy() -> None:
    """`cargo clippy`, added with rustup when the toolchain lacks it."""
    if subprocess.run(["cargo", "clippy", "--version"], capture_output=True).returncode == 0:
        return
    added = subprocess.run(["rustup", "component", "add", "clippy"], capture_output=True, text=True)
    assert added.returncode == 0, f"no clippy, and rustup could not add it: {added.stderr}"


@pytest.mark.parametrize("example", RUST_EXAMPLES)
def test_clippy_finds_nothing_in_the_workspace(example, rendered, migrated, pg, clippy):
    """`cargo clippy --all-targets -- -D warnings`: the models and both generated
    tests have no warning of rustc or clippy's default lints."""
    ws = workspace_dir(rendered(example), "rust")
    url = sqlx_url(pg, migrated(example))
    result = cargo(ws, url, "clippy", "--all-targets", "--", "-D", "warnings")
    assert result.returncode == 0, result.stderr[-6000:]
    assert "warning" not in result.stderr, result.stderr[-6000:]


# A deliberate mistake in each kind of query the models run: the build fails.
BROKEN_QUERIES = {
    "list_by_fk_wrong_column": (
        "order_items.rs",
        "from public.order_items where order_id = $1 order by id",
        "from public.order_items where order_idx = $1 order by id",
        ('column "order_idx" does not exist',),
    ),
    "relation_wrong_join_column": (
        "products.rs",
        "p.id = c.product_id where p.id = $1",
        "p.id = c.products_id where p.id = $1",
        ("column c.products_id does not exist",),
    ),
    # a nullable column's change as a single Option cannot say "set to null"
    "update_nullable_as_single_option": (
        "products.rs",
        "    pub description: Option<Option<String>>,\n",
        "    pub description: Option<String>,\n",
        ("error[E0599]", "flatten"),
    ),
    "delete_wrong_key_type": (
        "products_categories.rs",
        "        product_id: uuid::Uuid,\n        category_id: uuid::Uuid,\n    ) -> sqlx::Result<u64>",
        "        product_id: uuid::Uuid,\n        category_id: i64,\n    ) -> sqlx::Result<u64>",
        ("error[E0308]", "expected `Uuid`, found `i64`"),
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_QUERIES))
def test_broken_new_queries_fail_to_compile(case, rendered, migrated, pg, tmp_path):
    """update, delete, list_by_<fk> and the relation queries are checked against the
    database: a wrong column or type in any of them stops the build."""
    name, before, after, expected = BROKEN_QUERIES[case]
    ws = copy_workspace(workspace_dir(rendered("saas"), "rust"), tmp_path / "rust")
    model = ws / "src" / "db" / "models" / name
    text = model.read_text()
    assert text.count(before) == 1
    model.write_text(text.replace(before, after))
    result = cargo(ws, sqlx_url(pg, migrated("saas")), "build")
    assert result.returncode != 0
    assert name in result.stderr, result.stderr
    for fragment in expected:
        assert fragment in result.stderr, result.stderr[-6000:]


def test_sqlx_migrations_hold_the_rust_owned_entries(rendered):
    ws = workspace_dir(rendered("saas"), "rust")
    repo = rendered("saas")
    files = sorted(p.name for p in (ws / "migrations").glob("*.sql"))
    assert files == ["00301_create_shipments.sql"]
    assert (ws / "migrations" / files[0]).read_bytes() == (
        repo / "supabase/migrations/00301_rust_create_shipments.sql"
    ).read_bytes()


def test_offline_query_data_builds_without_a_database(rendered, migrated, pg, tmp_path):
    """What `cargo sqlx prepare` records (the macros' SQLX_OFFLINE_DIR output) is
    enough to build with SQLX_OFFLINE=true and no database."""
    online = copy_workspace(workspace_dir(rendered("saas"), "rust"), tmp_path / "online")
    (online / ".sqlx").mkdir()
    result = cargo(
        online, sqlx_url(pg, migrated("saas")), "build", SQLX_OFFLINE_DIR=str(online / ".sqlx")
    )
    assert result.returncode == 0, result.stderr[-6000:]
    recorded = sorted((online / ".sqlx").glob("query-*.json"))
    tables = [
        p for p in (online / "src/db/models").glob("*.rs") if p.name not in ("mod.rs", "enums.rs")
    ]
    assert len(recorded) >= 3 * len(tables)  # insert, list, exact_types (+ get)
    # a fresh copy with the recorded data only
    offline = copy_workspace(online, tmp_path / "offline")
    shutil.copytree(online / ".sqlx", offline / ".sqlx")
    result = cargo(offline, None, "build", SQLX_OFFLINE="true")
    assert result.returncode == 0, result.stderr[-6000:]
    assert "Compiling" in result.stderr
    # and without the data the offline build fails: the check above is not vacuous
    shutil.rmtree(offline / ".sqlx")
    (offline / "src/lib.rs").touch()
    result = cargo(offline, None, "build", SQLX_OFFLINE="true")
    assert result.returncode != 0
    assert "no cached data for this query" in result.stderr, result.stderr[-3000:]


def sqlx_env(sqlx_cli: Path, url: str) -> dict[str, str]:
    """sqlx-cli's environment: ``cargo sqlx`` on PATH, the shared target dir."""
    path = f"{sqlx_cli.parent}{os.pathsep}{os.environ['PATH']}"
    return {
        **os.environ,
        "PATH": path,
        "DATABASE_URL": url,
        "SQLX_OFFLINE": "false",
        "CARGO_TARGET_DIR": str(TARGET),
        "CARGO_TERM_COLOR": "never",
    }


@pytest.mark.parametrize("example", RUST_EXAMPLES)
def test_sqlx_migrate_run_builds_the_database_with_the_other_entries(
    example, rendered, migrated, pg, sqlx_cli
):
    """`sqlx migrate run` in the workspace applies its `migrations/` on a fresh
    database, each Rust entry in its place among the other workspaces' files (which
    the harness applies); the result is the database `supabase/migrations` builds."""
    repo = rendered(example)
    ws = workspace_dir(repo, "rust")
    own = {p.name for p in (ws / "migrations").glob("*.sql")}
    uri = pg.create_database(f"rs_sqlx_{example}"[:63])
    env = sqlx_env(sqlx_cli, sqlx_url(pg, uri))
    ran = []
    with psycopg.connect(uri, autocommit=True) as conn:
        for path in database.migration_files(repo):
            if "_rust_" not in path.name or path.name.replace("_rust_", "_", 1) not in own:
                database.apply_file(conn, path)
                continue
            version = str(int(path.name.split("_")[0]))
            result = subprocess.run(
                [str(sqlx_cli), "migrate", "run", "--target-version", version],
                cwd=ws,
                env=env,
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, result.stdout + result.stderr
            ran.append(version)
        applied = conn.execute("select version from _sqlx_migrations order by version").fetchall()
        conn.execute("drop table _sqlx_migrations")  # sqlx's bookkeeping, in public
    assert sorted(ran, key=int) == ran and len(ran) == len(own)
    assert [str(v) for (v,) in applied] == ran
    assert catalog(uri) == catalog(migrated(example))


def test_cargo_sqlx_prepare_check_fails_when_a_query_changes(
    rendered, migrated, pg, sqlx_cli, tmp_path
):
    """`cargo sqlx prepare` records every query of the crate and its tests in
    `.sqlx/`; `--check` passes on the recorded workspace and fails once a query
    changes (so CI can demand committed, current offline data)."""
    ws = copy_workspace(workspace_dir(rendered("saas"), "rust"), tmp_path / "rust")
    env = sqlx_env(sqlx_cli, sqlx_url(pg, migrated("saas")))

    def prepare(*flags: str) -> subprocess.CompletedProcess:
        own_cargo_build(ws)
        return subprocess.run(
            ["cargo", "sqlx", "prepare", *flags, "--", "--all-targets"],
            cwd=ws,
            env=env,
            capture_output=True,
            text=True,
        )

    result = prepare()
    assert result.returncode == 0, result.stderr[-6000:]
    recorded = sorted((ws / ".sqlx").glob("query-*.json"))
    tables = [
        p for p in (ws / "src/db/models").glob("*.rs") if p.name not in ("mod.rs", "enums.rs")
    ]
    assert len(recorded) >= 4 * len(tables)  # insert, list, delete, exact_types (+ more)
    result = prepare("--check")
    assert result.returncode == 0, result.stderr[-6000:]
    model = ws / "src/db/models/order_items.rs"
    text = model.read_text()
    before = "from public.order_items where order_id = $1 order by id limit $2"
    assert text.count(before) == 1
    model.write_text(text.replace(before, before.replace("order by id", "order by id desc")))
    result = prepare("--check")
    assert result.returncode != 0
    assert "prepare check failed" in result.stdout + result.stderr, result.stderr[-3000:]


def postgres_with_ssl() -> Path | None:
    """The bin directory of an installed PostgreSQL built with OpenSSL (pgserver's
    wheel is not), or None."""
    candidates = [
        *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True),
        Path(pgserver.__file__).parent / "pginstall" / "bin",
    ]
    for bin_dir in candidates:
        if not (bin_dir / "pg_ctl").exists():
            continue
        config = subprocess.run(
            [str(bin_dir / "pg_config"), "--configure"], capture_output=True, text=True
        ).stdout
        if "openssl" in config:
            return bin_dir
    return None


@pytest.fixture(scope="session")
def tls_server(pg):
    """A PostgreSQL that, like a hosted Supabase database, takes TCP connections over
    SSL only (a self-signed certificate; pg_hba has `hostssl` and no `host` line).
    Returns its port on 127.0.0.1."""
    bin_dir = postgres_with_ssl()
    if bin_dir is None:
        # ./dev setup installs Debian's PostgreSQL (pgTAP's package depends on it).
        pytest.fail("no PostgreSQL built with SSL: apt-get install postgresql-15 (./dev setup)")
    home = Path(tempfile.mkdtemp(prefix="supa-schema-tls-"))
    data = home / "data"
    # PostgreSQL refuses to run as root: run it as pgserver's user (`pg` made it)
    owner = "pgserver" if os.geteuid() == 0 else None
    if owner:
        shutil.chown(home, owner, owner)
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
    subprocess.run(initdb, check=True, capture_output=True, user=owner)
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost",
            "-keyout", str(data / "server.key"), "-out", str(data / "server.crt"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    for name in ("server.key", "server.crt"):
        (data / name).chmod(0o600)
        if owner:
            shutil.chown(data / name, owner, owner)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(
            f"ssl = on\nlisten_addresses = '127.0.0.1'\nport = {port}\n"
            f"unix_socket_directories = '{home}'\n"
        )
    (data / "pg_hba.conf").write_text("local all all trust\nhostssl all all 127.0.0.1/32 trust\n")
    ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(home / "log")]
    subprocess.run([*ctl, "start"], check=True, capture_output=True, user=owner)
    yield port
    subprocess.run([*ctl, "stop"], capture_output=True, user=owner)
    shutil.rmtree(home, ignore_errors=True)


TLS_TEST = """\
//! Connects to the database of TLS_DATABASE_URL, which takes SSL connections only.

#[tokio::test]
async fn a_database_that_requires_ssl_is_reached_over_tls() -> Result<(), sqlx::Error> {
    let url = std::env::var("TLS_DATABASE_URL").expect("TLS_DATABASE_URL");
    let pool = sqlx::PgPool::connect(&format!("{url}?sslmode=require")).await?;
    let sql = "select ssl from pg_stat_ssl where pid = pg_backend_pid()";
    let ssl: bool = sqlx::query_scalar(sql).fetch_one(&pool).await?;
    assert!(ssl);
    // without TLS the server turns the connection away: the test above is not vacuous
    let plain = sqlx::PgPool::connect(&format!("{url}?sslmode=disable")).await;
    let refused = plain.expect_err("a connection without TLS").to_string();
    assert!(refused.contains("no encryption"), "{refused}");
    Ok(())
}
"""


def test_the_workspace_connects_to_a_database_that_requires_ssl(
    rendered, migrated, pg, tls_server, tmp_path
):
    """sqlx is built with rustls: `sslmode=require` reaches a server that takes SSL
    connections only (as hosted Supabase does), and the session is encrypted."""
    ws = copy_workspace(workspace_dir(rendered("saas"), "rust"), tmp_path / "rust")
    (ws / "tests" / "tls.rs").write_text(TLS_TEST)
    url = f"postgres://postgres@127.0.0.1:{tls_server}/postgres"
    result = cargo(
        ws, sqlx_url(pg, migrated("saas")), "test", "--test", "tls", TLS_DATABASE_URL=url
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert "test a_database_that_requires_ssl_is_reached_over_tls ... ok" in result.stdout


# Names near PostgreSQL's limit, an owner + soft-delete tenant table and a named junction.
LONG_NAMES = {
    "project_name": "Long Names",
    "languages": ["rust"],
    "rust_orm": "sqlx",
    "multi_tenant": True,
    "migrations": [
        {
            "name": "create_things",
            "workspace": "rust",
            "actions": [
                {
                    "table": "warehouse_inventory_adjustment_records",
                    "tenant": True,
                    "soft_delete": True,
                    "owner": True,
                    "columns": [
                        {
                            "name": "adjustment_reason_description_text",
                            "type": "text",
                            "required": True,
                        },
                        {"name": "quantity_delta", "type": "integer", "required": True},
                    ],
                },
                {
                    "table": "warehouse_storage_locations",
                    "tenant": True,
                    "columns": [{"name": "label", "type": "text", "required": True}],
                },
                {
                    "relation": "many-to-many",
                    "from": "warehouse_inventory_adjustment_records",
                    "to": "warehouse_storage_locations",
                    "through": "adjust_links",
                },
            ],
        }
    ],
}
SINGLE_TENANT = {
    "project_name": "Solo Notes",
    "languages": ["rust"],
    "rust_orm": "sqlx",
    "multi_tenant": False,
    "migrations": [
        {
            "name": "create_notes",
            "workspace": "rust",
            "actions": [
                {
                    "table": "notes",
                    "owner": True,
                    "soft_delete": True,
                    "columns": [{"name": "body", "type": "text", "required": True}],
                }
            ],
        }
    ],
}


@pytest.mark.parametrize(
    "answers", [LONG_NAMES, SINGLE_TENANT], ids=["long_names", "single_tenant"]
)
def test_rust_workspace_is_rustfmt_clean_for_long_names_and_single_tenant(answers, tmp_path):
    """Every project gets the `begin_as_user` helper; the as-user test comes with tenant
    tables only; long model and table names keep every file rustfmt-clean."""
    from support import copier_copy

    repo = tmp_path / "repo"
    copier_copy(answers, repo)
    ws = workspace_dir(repo, "rust")
    assert "pub async fn begin_as_user(" in (ws / "src/db/as_user.rs").read_text()
    assert (ws / "tests/as_user.rs").exists() == answers["multi_tenant"]
    if answers["multi_tenant"]:
        source = (ws / "tests/as_user.rs").read_text()
        assert set(re.findall(r"#\[tokio::test\]\nasync fn (\w+)", source)) == AS_USER_TESTS["saas"]
    files = sorted(str(p) for p in ws.rglob("*.rs"))
    result = subprocess.run(
        ["rustfmt", "--check", "--edition", "2021", *files], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
