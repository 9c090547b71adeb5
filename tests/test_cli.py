"""The `supa-schema` CLI's schema evolution: `update --data-file` and the kodo command's actions.

Every test runs the real commands on git repos in tmp dirs. The fast path
(render only what an entry touches) must give exactly what the real
`copier update` gives, which must equal a fresh `copier copy`.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest
import yaml
from support import (
    HELPER,
    METHOD,
    ROOT,
    assert_fresh_apart_from_edits,
    copier_copy,
    copier_update,
    events_answers,
    git,
    load_example,
    migration_files,
    snapshot,
)

from supa_schema import build
from supa_schema_cli import database

PREFIX = {"typescript": "001", "python": "002", "rust": "003"}
# Tables each workspace may touch: an entry's file runs after its targets' files.
TABLES = {
    "typescript": ("products", "categories"),
    "python": ("orders", "products"),
    "rust": ("shipments", "products"),
}


def new_entry(kind: str, workspace: str) -> dict:
    """One changelog entry of ``kind`` owned by ``workspace``, valid on the saas example."""
    a, b = TABLES[workspace]
    actions = {
        "enum": [
            {"enum": "priority", "values": ["low", "high", "it's urgent"]},
            {
                "column": "priority",
                "table": a,
                "type": "priority",
                "required": True,
                "default": "low",
            },
        ],
        "table": [
            {
                "table": "reviews",
                "tenant": True,
                "timestamps": True,
                "soft_delete": True,
                "columns": [
                    {"name": "body", "type": "text", "required": True},
                    {"name": "stars", "type": "smallint"},
                    {"name": "subject_id", "type": "uuid", "references": a, "on_delete": "cascade"},
                ],
                "indexes": [{"columns": ["stars"]}],
            }
        ],
        "column": [
            {
                "column": "weight_grams",
                "table": a,
                "type": "integer",
                "required": True,
                "default": 0,
            }
        ],
        "index": [{"index": {"table": a, "columns": ["created_at"]}}],
        "many-to-one": [{"relation": "many-to-one", "from": a, "to": b, "inverse": f"linked_{a}"}],
        "one-to-many": [
            {"relation": "one-to-many", "from": b, "to": a, "name": "extras", "inverse": "extra_of"}
        ],
        "many-to-many": [
            {
                "table": "labels",
                "tenant": True,
                "columns": [{"name": "title", "type": "text", "required": True}],
            },
            {"relation": "many-to-many", "from": a, "to": "labels"},
        ],
    }[kind]
    return {
        "name": f"add_{kind.replace('-', '_')}_{workspace}",
        "workspace": workspace,
        "actions": actions,
    }


KINDS = ["enum", "table", "column", "index", "many-to-one", "one-to-many", "many-to-many"]

# Every modification kind, grouped three ways to keep the matrix short.
MODIFICATIONS = {
    "renames": [
        {"rename_table": "events", "to": "activity_events"},
        {"rename_column": "title", "table": "tags", "to": "label"},
        {"rename_enum_value": "archived", "enum": "event_state", "to": "shelved"},
    ],
    "alters": [
        {
            "alter_column": "estimate",
            "table": "events",
            "type": "double",
            "required": True,
            "default": 0,
        },
        {"alter_column": "body", "table": "notes", "default": "n/a", "unique": True},
        {"enum_value": "blocked", "enum": "event_state", "after": "open"},
    ],
    "drops": [
        {"drop_index": "idx_events_estimate"},
        {"drop_column": "labels", "table": "events"},
        {"drop_relation": "notes.event_id"},
        {"drop_relation": "events_tags"},
        {"drop_table": "tags"},
    ],
}


def cli(repo: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "supa_schema_cli", *args, "--repo", str(repo)],
        capture_output=True,
        text=True,
        input=input,
    )


def write_answers(path: Path, answers: dict) -> Path:
    path.write_text(yaml.safe_dump(answers, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def saas_repo(tmp_path_factory, template_repo) -> Path:
    """The saas example scaffolded from the committed template, as a committed git repo."""
    repo = tmp_path_factory.mktemp("saas-base") / "repo"
    copier_copy(load_example("saas"), repo, template=template_repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "scaffold")
    return repo


def clone(base: Path, dst: Path) -> Path:
    shutil.copytree(base, dst, symlinks=True)
    return dst


@pytest.mark.parametrize("workspace", ["typescript", "python", "rust"])
@pytest.mark.parametrize("kind", KINDS + list(MODIFICATIONS))
def test_cli_update_equals_copier_update_and_fresh_copy(
    kind, workspace, tmp_path, request, template_repo, pg
):
    if kind in MODIFICATIONS:
        base = request.getfixturevalue("events_repo")
        answers = events_answers()
        entry = {"name": f"{kind}_{workspace}", "workspace": workspace}
        answers["migrations"].append({**entry, "actions": MODIFICATIONS[kind]})
    else:
        base = request.getfixturevalue("saas_repo")
        answers = load_example("saas")
        answers["migrations"].append(new_entry(kind, workspace))
    data = write_answers(tmp_path / "answers.yml", answers)
    before = snapshot(base)

    fast = clone(base, tmp_path / "fast")
    result = cli(fast, "update", "--data-file", str(data))
    assert result.returncode == 0, result.stderr
    real = clone(base, tmp_path / "real")
    result = copier_update(real, data, tmp_path)
    assert result.returncode == 0, result.stderr
    fresh = tmp_path / "fresh"
    copier_copy(answers, fresh, template=template_repo)

    got, want, copied = snapshot(fast), snapshot(real), snapshot(fresh)
    assert sorted(got) == sorted(want) == sorted(copied)
    assert [p for p in got if got[p] != want[p]] == []
    assert [p for p in got if got[p] != copied[p]] == []
    old = migration_files(before)
    assert {p: got[p] for p in old} == old  # no existing migration changed a byte
    new_sql = sorted(p for p in set(got) - set(before) if p.startswith("supabase/migrations/"))
    # One file, or several when the entry has concurrent steps (name, name_2, ...).
    assert new_sql and all(Path(p).name.startswith(PREFIX[workspace]) for p in new_sql)
    last = len(answers["migrations"]) - 1
    stems = [m.stem for m in build(answers).migrations if m.position == last]
    assert new_sql == [f"supabase/migrations/{stem}.sql" for stem in stems]
    uri = pg.create_database(f"cli_{kind}_{workspace}".replace("-", "_"))
    applied = [f.name for f in database.apply_migrations(uri, fast)]
    assert {Path(p).name for p in new_sql} <= set(applied)


def test_cli_update_keeps_hand_edits_and_deleted_files(tmp_path, template_repo):
    base = load_example("saas")
    k = 2
    answers = copy.deepcopy(base)
    answers["migrations"] = answers["migrations"][:k]
    repo = tmp_path / "repo"
    copier_copy(answers, repo, template=template_repo)
    model = repo / "apps/python/src/db/models/products.py"
    schema = repo / "apps/python/src/schemas/products.py"
    model.write_text(model.read_text() + METHOD)
    schema.write_text(schema.read_text() + HELPER)
    (repo / "NOTES.md").write_text("our own file\n")
    (repo / "supabase/tests/categories_rls.test.sql").unlink()  # the team dropped this test
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "scaffold + edits")

    answers["migrations"] = base["migrations"][: k + 1]  # add_sku touches products
    data = write_answers(tmp_path / "answers.yml", answers)
    result = cli(repo, "update", "--data-file", str(data))
    assert result.returncode == 0, result.stderr
    assert "merged apps/python/src/db/models/products.py" in result.stderr
    after = snapshot(repo)
    assert METHOD in after["apps/python/src/db/models/products.py"].decode()
    assert HELPER in after["apps/python/src/schemas/products.py"].decode()
    assert "sku" in after["apps/python/src/db/models/products.py"].decode()
    assert after["NOTES.md"] == b"our own file\n"
    assert "supabase/tests/categories_rls.test.sql" not in after
    assert not [name for name, body in after.items() if b"<<<<<<<" in body]
    fresh = tmp_path / "fresh"
    copier_copy(answers, fresh, template=template_repo)
    want = snapshot(fresh)
    assert_fresh_apart_from_edits(
        after,
        want,
        {
            "apps/python/src/db/models/products.py",
            "apps/python/src/schemas/products.py",
            "NOTES.md",
            "supabase/tests/categories_rls.test.sql",
        },
    )
    # Running it again has nothing to do.
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "update")
    again = cli(repo, "update", "--data-file", str(data))
    assert again.returncode == 0 and "nothing to do" in again.stderr
    assert git(repo, "status", "--porcelain") == ""


def test_cli_update_conflict_is_marked_and_exits_non_zero(tmp_path, saas_repo):
    repo = clone(saas_repo, tmp_path / "repo")
    schema_ts = repo / "apps/typescript/src/db/schema.ts"
    # Edit the very lines the new column's entry changes: a real conflict.
    text = schema_ts.read_text()
    marker = "export const products = pgTable("
    assert marker in text
    schema_ts.write_text(text.replace(marker, marker.replace("products", "products /* ours */")))
    git(repo, "commit", "-qam", "edit generated line")
    answers = load_example("saas")
    answers["migrations"].append(
        {
            "name": "add_weight",
            "workspace": "typescript",
            "actions": [{"column": "weight", "table": "products", "type": "real"}],
        }
    )
    result = cli(repo, "update", "--data-file", str(write_answers(tmp_path / "a.yml", answers)))
    body = schema_ts.read_text()
    if "<<<<<<< before updating" in body:
        assert (
            result.returncode == 1 and "conflict apps/typescript/src/db/schema.ts" in result.stderr
        )
    else:  # the edit and the change did not touch: merged cleanly
        assert result.returncode == 0 and "/* ours */" in body and "weight" in body


def test_cli_update_with_other_answers_runs_real_copier_update(tmp_path, saas_repo):
    repo = clone(saas_repo, tmp_path / "repo")
    answers = load_example("saas")
    answers["project_name"] = "Renamed Store"
    result = cli(repo, "update", "--data-file", str(write_answers(tmp_path / "a.yml", answers)))
    assert result.returncode == 0, result.stderr
    assert "real copier update" in result.stderr
    recorded = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert recorded["project_name"] == "Renamed Store"
    assert "Renamed Store" in (repo / "README.md").read_text()


ACTIONS = [
    (["enum", "ticket_state", "open,closed", "-w", "rust"], "00302_rust_create_enum_ticket_state"),
    (
        [
            "table",
            "tickets",
            "-c",
            "subject:text:required",
            "-c",
            "state:ticket_state:default=open",
            "-c",
            "order_id:uuid:references=orders:on_delete=cascade",
            "--index",
            "state",
            "--tenant",
            "--soft-delete",
            "--timestamps",
            "-w",
            "rust",
            "--yes",
        ],
        "00303_rust_create_tickets",
    ),
    (
        [
            "column",
            "tickets",
            "priority",
            "--type",
            "smallint",
            "--required",
            "--default",
            "3",
            "-w",
            "rust",
            "--yes",
        ],
        "00304_rust_add_priority_to_tickets",
    ),
    (
        ["index", "tickets", "priority,state", "--unique", "-w", "rust", "--yes"],
        "00305_rust_add_index_tickets_priority_state",
    ),
    (
        ["relation", "tickets", "products", "--kind", "many-to-one", "-w", "rust", "--yes"],
        "00306_rust_relate_tickets_products",
    ),
]


def test_cli_actions_append_to_the_changelog_and_data_file(tmp_path, saas_repo, template_repo, pg):
    repo = clone(saas_repo, tmp_path / "repo")
    data = tmp_path / "schema.yml"
    shutil.copy(ROOT / "examples" / "saas.yml", data)
    original = data.read_text()
    for args, stem in ACTIONS:
        result = cli(repo, *args, "--data-file", str(data))
        assert result.returncode == 0, (args, result.stderr)
        assert f"supabase/migrations/{stem}.sql" in result.stderr, result.stderr
        assert (repo / "supabase/migrations" / f"{stem}.sql").is_file()
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", stem)
    # The user's data file kept its comments and got the same entries as the answers file.
    text = data.read_text()
    assert text.startswith(original.split("\n")[0]) and "# Render it with:" in text
    recorded = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert yaml.safe_load(text)["migrations"] == recorded["migrations"]
    assert recorded["migrations"][-1] == {
        "name": "relate_tickets_products",
        "workspace": "rust",
        "actions": [{"relation": "many-to-one", "from": "tickets", "to": "products"}],
    }
    # The result is exactly a fresh copy of the data file, and it migrates.
    fresh = tmp_path / "fresh"
    copier_copy(data, fresh, template=template_repo)
    got, want = snapshot(repo), snapshot(fresh)
    assert sorted(got) == sorted(want)
    assert [p for p in got if got[p] != want[p]] == []
    files = database.apply_migrations(pg.create_database("cli_actions"), repo)
    # The relation adds a key to a table with rows: the column and the key `not
    # valid`, the index built concurrently, then the key validated.
    assert [f.name for f in files[-3:]] == [
        "00306_rust_relate_tickets_products.sql",
        "00307_rust_relate_tickets_products_2.sql",
        "00308_rust_relate_tickets_products_3.sql",
    ]
    model = (repo / "apps/python/src/db/models/tickets.py").read_text()
    assert "priority" in model and "product_id" in model


def test_cli_table_asks_the_standard_questions(tmp_path, saas_repo):
    repo = clone(saas_repo, tmp_path / "repo")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "supa_schema_cli", "table", "coupons", "--repo", str(repo)],
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    for prompt, keys in [
        ("Column", "code:text:required\r"),
        ("Column", "\r"),
        ("Multi-tenant", "y"),
        ("Soft delete", "n"),
        ("Audit timestamps", "y"),
        ("Owning workspace", "\x1b[B\r"),
    ]:
        child.expect(prompt)
        time.sleep(0.1)
        child.send(keys)
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    assert child.exitstatus == 0, child.before
    recorded = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert recorded["migrations"][-1] == {
        "name": "create_coupons",
        "workspace": "python",
        "actions": [
            {
                "table": "coupons",
                "tenant": True,
                "soft_delete": False,
                "timestamps": True,
                "columns": [{"name": "code", "type": "text", "required": True}],
            }
        ],
    }
    assert (repo / "supabase/migrations/00206_python_create_coupons.sql").is_file()


def _saas_with(*entries: dict) -> dict:
    answers = load_example("saas")
    answers["migrations"].extend(entries)
    return answers


def _edited_entry() -> dict:
    answers = load_example("saas")
    answers["migrations"][0]["actions"][1]["soft_delete"] = False
    return answers


def _removed_entry() -> dict:
    answers = load_example("saas")
    del answers["migrations"][1]
    return answers


RUST_FULL = _saas_with(
    *(
        {
            "name": f"r{i}",
            "workspace": "rust",
            "actions": [{"table": f"r{i}_items", "columns": [{"name": "title", "type": "text"}]}],
        }
        for i in range(99)
    )
)
# (CLI arguments, or an answers dict for `update --data-file`; what the message must say)
BAD_CLI = {
    "uppercase table": (["table", "Products", "--yes"], "lower-case"),
    "table starting with a digit": (["table", "2fast", "--yes"], "2fast"),
    "quotes and semicolon in a name": (["table", "x';drop table y;--", "--yes"], "x';drop"),
    "reserved word": (["table", "select", "--yes"], "reserved word"),
    "name longer than 63 bytes": (["table", "t" * 64, "--yes"], "63 bytes"),
    "table already exists": (["table", "products", "--yes"], "already exists"),
    "duplicate column": (
        ["table", "things", "-c", "a:text", "-c", "a:integer", "--yes"],
        "already has a column 'a'",
    ),
    "unknown type": (["table", "things", "-c", "a:money", "--yes"], "unknown column type 'money'"),
    "unknown enum": (
        ["table", "things", "-c", "s:no_such_state", "--yes"],
        "declare the enum first",
    ),
    "column on unknown table": (
        ["column", "nope", "sku", "--type", "text", "--yes"],
        "unknown table 'nope'",
    ),
    "index on unknown column": (["index", "products", "nope", "--yes"], "'nope' is not a column"),
    "relation to unknown table": (
        ["relation", "products", "ghosts", "--kind", "many-to-one", "--yes"],
        "unknown `to` table 'ghosts'",
    ),
    "foreign key before its target": (
        ["column", "orders", "memo", "--type", "text", "-w", "typescript", "--yes"],
        "00102_node_add_memo_to_orders",
    ),
    "unknown workspace": (["table", "things", "-w", "go", "--yes"], "unknown workspace 'go'"),
    "scale above precision": (["table", "things", "-c", "p:numeric(4,6)", "--yes"], "scale 6"),
    "vector without dimensions": (
        ["table", "things", "-c", "v:vector", "--yes"],
        "needs `dimensions`",
    ),
    "default of the wrong type": (
        ["table", "things", "-c", "n:integer:default=many", "--yes"],
        "whole number",
    ),
    "enum value twice": (["enum", "mood", "a,a", "--yes"], "listed twice"),
    "self relation without a name": (
        ["relation", "products", "products", "--kind", "many-to-one", "--yes"],
        "needs a `name`",
    ),
    "required column without default": (
        ["column", "products", "sku2", "--type", "text", "--required", "--yes"],
        "give it a `default`",
    ),
    "duplicate migration name": (
        ["table", "things", "--migration-name", "create_catalog", "--yes"],
        "already used",
    ),
    "column flag without a type": (
        ["table", "things", "-c", "title", "--yes"],
        "column 'title' must look like name:type",
    ),
    "unknown column flag": (
        ["table", "things", "-c", "title:text:bogus", "--yes"],
        "unknown flag 'bogus'",
    ),
    "unknown relation kind": (
        ["relation", "orders", "products", "--kind", "sideways"],
        "unknown --kind 'sideways'",
    ),
    "column without --type": (["column", "products", "weight", "--yes"], "--type is required"),
    "applied entry edited": (_edited_entry(), "migrations[0] 'create_catalog'"),
    "applied entry removed": (_removed_entry(), "append-only"),
    "service range exhausted": (RUST_FULL, "range 00300-00399 is full"),
    "answers file is not YAML": ("migrations: [unclosed", "is not valid YAML"),
    "drop a referenced table": (
        ["table", "products", "--drop", "-w", "rust", "--yes"],
        "still referenced by",
    ),
    "drop without --yes or a terminal": (
        ["column", "products", "description", "--drop", "-w", "rust"],
        "pass --yes to confirm",
    ),
    "rename an unknown column": (
        ["column", "products", "nope", "--rename-to", "x", "--yes"],
        "has no column 'nope'",
    ),
    "lossy type change": (
        ["column", "products", "price", "--type", "boolean", "--yes"],
        "cannot change 'price'",
    ),
    "existing column without a change": (
        ["column", "products", "price", "--yes"],
        "say what to change",
    ),
    "drop an unknown index": (["index", "--drop", "idx_nope", "--yes"], "no index named"),
    "drop a relation that is not one": (
        ["relation", "--drop", "orders.note", "-w", "rust", "--yes"],
        "is not the foreign key of a relation",
    ),
    "enum value twice via --add-value": (
        ["enum", "order_status", "--add-value", "pending", "--yes"],
        "already has the value",
    ),
    "rename a missing enum value": (
        ["enum", "order_status", "--rename-value", "lost", "--to", "found", "--yes"],
        "'lost' is not a value",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CLI))
def test_bad_cli_input_is_refused_and_leaves_the_repo_clean(case, tmp_path, saas_repo):
    args, expected = BAD_CLI[case]
    repo = clone(saas_repo, tmp_path / "repo")
    before = snapshot(repo)
    if not isinstance(args, list):
        data = tmp_path / "answers.yml"
        data.write_text(args if isinstance(args, str) else yaml.safe_dump(args, sort_keys=False))
        args = ["update", "--data-file", str(data)]
    result = cli(repo, *args, input="")  # no terminal
    assert result.returncode != 0
    message = " ".join(result.stderr.split())  # Rich wraps long lines
    assert expected in message, message
    assert "error" in message
    assert git(repo, "status", "--porcelain") == ""
    assert snapshot(repo) == before


def test_cli_refuses_a_dirty_repo_and_a_non_generated_directory(tmp_path, saas_repo):
    repo = clone(saas_repo, tmp_path / "repo")
    (repo / "README.md").write_text("local edit\n")
    result = cli(repo, "table", "things", "--yes")
    assert result.returncode != 0 and "uncommitted changes" in result.stderr
    assert git(repo, "status", "--porcelain") == " M README.md\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli(empty, "table", "things", "--yes")
    assert result.returncode != 0 and "not found" in result.stderr
    assert list(empty.iterdir()) == []


def test_types_explains_each_workspace_and_restores_typed_files(tmp_path, saas_repo):
    repo = clone(saas_repo, tmp_path / "repo")
    (repo / "apps/rust/src/db/models/orders.rs").unlink()
    schema = repo / "apps/python/src/schemas/orders.py"
    schema.write_text(schema.read_text() + HELPER)
    result = cli(repo, "types")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stderr.split())
    assert "$inferSelect" in out and "Pydantic v2" in out and "#[derive(FromRow)]" in out
    assert "wrote apps/rust/src/db/models/orders.rs" in out
    assert "differs from the answers apps/python/src/schemas/orders.py" in out
    assert HELPER in schema.read_text()
    assert snapshot(repo) == {
        **snapshot(saas_repo),
        "apps/python/src/schemas/orders.py": schema.read_bytes(),
    }


def test_orm_only_actions_redirect_a_workspace_without_orm(tmp_path, template_repo):
    answers = load_example("saas")
    answers["rust_orm"] = "none"
    repo = tmp_path / "repo"
    copier_copy(answers, repo, template=template_repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "scaffold")
    result = cli(repo, "types", "-w", "rust")
    assert result.returncode != 0
    assert "This command requires an ORM. Use `/kodo supa-migrate`" in " ".join(
        result.stderr.split()
    )
    # Schema actions still work there: plain SQL in the rust range.
    result = cli(repo, "table", "notes", "-c", "body:text", "-w", "rust", "--yes")
    assert result.returncode == 0, result.stderr
    assert (repo / "supabase/migrations/00302_rust_create_notes.sql").is_file()


def test_fragment_store_gives_the_bytes_a_plain_render_gives(tmp_path, template_repo):
    """Blocks read back from the fragment store equal blocks rendered afresh."""
    answers = load_example("saas")
    warm, cached, plain = tmp_path / "warm", tmp_path / "cached", tmp_path / "plain"
    copier_copy(answers, warm, template=template_repo)  # fills the store
    copier_copy(answers, cached, template=template_repo)  # reads it
    data = write_answers(tmp_path / "a.yml", answers)
    env = {**os.environ, "SUPA_SCHEMA_FRAGMENT_CACHE": "0"}
    result = copier_copy(data, plain, template=template_repo, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert snapshot(cached) == snapshot(plain)


def test_successive_updates_give_the_same_bytes_with_caches_and_without(tmp_path, saas_repo):
    """Updates read parsed answers, folded projects and rendered files back from the
    cache (and parse only the entries appended to the data file): the trees are the
    same as with no cache at all, also when every step is read back, and the same
    whether the renders are shared with a forked process or all done in one."""
    answers = load_example("saas")
    steps = []
    for kind, workspace in (("table", "typescript"), ("column", "python"), ("index", "rust")):
        answers = copy.deepcopy(answers)
        entry = new_entry(kind, workspace)
        answers["migrations"].append({**entry, "name": f"{entry['name']}_{len(steps)}"})
        steps.append(copy.deepcopy(answers))

    def updates(name: str, cache: Path | None, serial: bool = False) -> dict[str, bytes]:
        repo = clone(saas_repo, tmp_path / name)
        data = tmp_path / f"{name}.yml"  # one data file that grows, as a user's does
        for i, step in enumerate(steps):
            write_answers(data, step)
            env = {**os.environ, "SUPA_SCHEMA_CACHE": str(cache or tmp_path / f"{name}-{i}")}
            if cache is None:
                env["SUPA_SCHEMA_FRAGMENT_CACHE"] = "0"
            if serial:
                env["SUPA_SCHEMA_JOBS"] = "1"
            result = subprocess.run(
                [sys.executable, "-m", "supa_schema_cli", "update", "--data-file", str(data)],
                cwd=repo,
                capture_output=True,
                text=True,
                env=env,
            )
            assert result.returncode == 0, result.stderr
            git(repo, "add", "-A")
            git(repo, "commit", "-qm", f"step {i}")
        return snapshot(repo)

    plain = updates("plain", None)
    assert updates("cached", tmp_path / "cache") == plain
    assert updates("again", tmp_path / "cache") == plain  # every step read back
    assert updates("serial", None, serial=True) == plain
