"""The CLI's modification actions: renames, type and key changes, drops, enum values.

Their update paths are in test_cli's matrix; here: what each command appends,
the files of renamed and dropped tables (with hand edits) through the fast path
and plain `copier update`, confirmation of drops, and --dry-run.
"""

from __future__ import annotations

import sys

import pexpect
import yaml
from support import METHOD, copier_copy, copier_update, events_answers, git, snapshot
from test_cli import cli, clone, write_answers

from supa_schema_cli import database

MODEL = "apps/python/src/db/models/{}.py"
# Every per-table file kind: SQLAlchemy model, Pydantic schemas, Rust struct, pgTAP test.
PER_TABLE = (
    MODEL,
    "apps/python/src/schemas/{}.py",
    "apps/rust/src/db/models/{}.rs",
    "supabase/tests/{}_rls.test.sql",
)
TAG_HELPER = "\n    def shout(self) -> str:\n        return self.title.upper()\n"

# (arguments, the entry's name, its actions): each command appends one entry.
COMMANDS = [
    (
        ["column", "events", "estimate", "--type", "double", "--required", "--default", "0"],
        "alter_events_estimate",
        [
            {
                "alter_column": "estimate",
                "table": "events",
                "type": "double",
                "required": True,
                "default": 0,
            }
        ],
    ),
    (
        ["column", "events", "title", "--unique"],
        "alter_events_title",
        [{"alter_column": "title", "table": "events", "unique": True}],
    ),
    (
        ["column", "events", "state", "--no-default", "--optional"],
        "alter_events_state",
        [{"alter_column": "state", "table": "events", "required": False, "default": None}],
    ),
    (
        ["column", "events", "estimate", "--rename-to", "estimate_hours"],
        "rename_events_estimate_to_estimate_hours",
        [{"rename_column": "estimate", "table": "events", "to": "estimate_hours"}],
    ),
    (
        ["enum", "event_state", "--add-value", "blocked", "--after", "open"],
        "add_blocked_to_event_state",
        [{"enum_value": "blocked", "enum": "event_state", "after": "open"}],
    ),
    (
        ["enum", "event_state", "--rename-value", "archived", "--to", "shelved"],
        "rename_event_state_archived_to_shelved",
        [{"rename_enum_value": "archived", "enum": "event_state", "to": "shelved"}],
    ),
    (
        ["index", "--drop", "idx_events_estimate_hours"],
        "drop_idx_events_estimate_hours",
        [{"drop_index": "idx_events_estimate_hours"}],
    ),
    (
        ["column", "events", "labels", "--drop"],
        "drop_labels_from_events",
        [{"drop_column": "labels", "table": "events"}],
    ),
    (
        ["relation", "--drop", "notes.event_id"],
        "drop_relation_notes_event_id",
        [{"drop_relation": "notes.event_id"}],
    ),
    (
        ["relation", "--drop", "events_tags"],
        "drop_relation_events_tags",
        [{"drop_relation": "events_tags"}],
    ),
    (["table", "tags", "--drop"], "drop_tags", [{"drop_table": "tags"}]),
    (
        ["table", "events", "--rename-to", "activity_events"],
        "rename_events_to_activity_events",
        [{"rename_table": "events", "to": "activity_events"}],
    ),
]


def test_each_modification_command_appends_its_entry(tmp_path, events_repo, template_repo, pg):
    repo = clone(events_repo, tmp_path / "repo")
    start = len(events_answers()["migrations"])
    for args, name, _ in COMMANDS:
        result = cli(repo, *args, "-w", "rust", "--yes")
        assert result.returncode == 0, (args, result.stderr)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", name)
    recorded = yaml.safe_load((repo / ".copier-answers.yml").read_text())["migrations"]
    assert recorded[start:] == [
        {"name": name, "workspace": "rust", "actions": actions} for _, name, actions in COMMANDS
    ]
    fresh = tmp_path / "fresh"
    copier_copy({**events_answers(), "migrations": recorded}, fresh, template=template_repo)
    got, want = snapshot(repo), snapshot(fresh)
    assert sorted(got) == sorted(want)
    assert [p for p in got if got[p] != want[p]] == []
    files = database.apply_migrations(pg.create_database("cli_modify"), repo)
    assert files[-1].name.endswith("_rust_rename_events_to_activity_events.sql")


def _reshape(repo) -> dict:
    """An entry renaming events and dropping tags, over a repo whose models of both are
    hand-edited (committed)."""
    for table, edit in (("events", METHOD), ("tags", TAG_HELPER)):
        model = repo / MODEL.format(table)
        model.write_text(model.read_text() + edit)
    git(repo, "commit", "-qam", "hand edits")
    answers = events_answers()
    answers["migrations"].append(
        {
            "name": "reshape",
            "workspace": "rust",
            "actions": [
                {"rename_table": "events", "to": "activity_events"},
                {"drop_relation": "events_tags"},
                {"drop_table": "tags"},
            ],
        }
    )
    return answers


def test_renamed_and_dropped_tables_files_through_both_update_paths(
    tmp_path, events_repo, template_repo
):
    fast, real = clone(events_repo, tmp_path / "fast"), clone(events_repo, tmp_path / "real")
    answers = _reshape(fast)
    _reshape(real)
    data = write_answers(tmp_path / "answers.yml", answers)
    result = cli(fast, "update", "--data-file", str(data))
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stderr.split())
    assert f"moved your edits of {MODEL.format('events')}" in out
    assert f"deleted {MODEL.format('tags')}: its table is gone" in out
    result = copier_update(real, data, tmp_path)
    assert result.returncode == 0, result.stderr
    fresh = tmp_path / "fresh"
    copier_copy(answers, fresh, template=template_repo)
    got, want, copied = snapshot(fast), snapshot(real), snapshot(fresh)

    # Both paths rename every per-table file and delete the dropped tables' files,
    # edited or not (git history keeps the edits), like a fresh copy.
    assert sorted(got) == sorted(want) == sorted(copied)
    for kind in PER_TABLE:
        for gone in ("events", "tags", "events_tags"):
            assert kind.format(gone) not in got
        assert kind.format("activity_events") in got
    # Both move the edit of the renamed model into its new file, merged cleanly:
    # the fast path itself, plain `copier update` through the template's task.
    renamed = MODEL.format("activity_events")
    assert got[renamed].decode() == copied[renamed].decode().rstrip("\n") + "\n" + METHOD
    assert "moved your edits of a renamed table into " + renamed in result.stderr
    assert [p for p in got if got[p] != want[p]] == []
    assert not [p for p, body in got.items() if b"<<<<<<<" in body]


def _spawn(repo, *args: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "supa_schema_cli", *args, "-w", "rust", "--repo", str(repo)],
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )


def test_a_drop_is_confirmed_on_a_terminal_and_needs_yes_without_one(tmp_path, events_repo):
    repo = clone(events_repo, tmp_path / "repo")
    before = snapshot(repo)
    child = _spawn(repo, "column", "events", "labels", "--drop")
    child.expect("drop column 'events.labels' and every value in it. Go ahead?")
    child.send("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1 and "not confirmed; nothing was written" in child.before
    assert snapshot(repo) == before
    result = cli(repo, "column", "events", "labels", "--drop", "-w", "rust", input="")
    assert result.returncode == 1
    assert "pass --yes to confirm" in " ".join(result.stderr.split())
    assert snapshot(repo) == before and git(repo, "status", "--porcelain") == ""
    child = _spawn(repo, "column", "events", "labels", "--drop")
    child.expect("Go ahead?")
    child.send("y")
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    assert child.exitstatus == 0, child.before
    assert (repo / "supabase/migrations/00302_rust_drop_labels_from_events.sql").is_file()


def test_an_existing_column_asks_what_to_change(tmp_path, events_repo):
    repo = clone(events_repo, tmp_path / "repo")
    child = _spawn(repo, "column", "tags", "title")
    child.expect("Change what?")
    child.send("\r")  # the first choice: rename it
    child.expect("New name")
    child.send("label\r")
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    assert child.exitstatus == 0, child.before
    recorded = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert recorded["migrations"][-1]["actions"] == [
        {"rename_column": "title", "table": "tags", "to": "label"}
    ]


def test_dry_run_prints_every_file_of_the_entry_and_writes_nothing(tmp_path, events_repo):
    repo = clone(events_repo, tmp_path / "repo")
    before = snapshot(repo)
    result = cli(
        repo,
        "column",
        "events",
        "estimate",
        "--unique",
        "--type",
        "bigint",
        "-w",
        "python",
        "--dry-run",
        input="",
    )
    assert result.returncode == 0, result.stderr
    headers = [line for line in result.stdout.splitlines() if line.startswith("-- supabase/")]
    assert headers == [
        f"-- supabase/migrations/{n}_python_alter_events_estimate{part}.sql"
        for n, part in (("00206", ""), ("00207", "_2"), ("00208", "_3"))
    ]
    assert "alter column estimate type bigint" in result.stdout
    assert "create unique index concurrently events_estimate_key" in result.stdout
    # A drop shows its SQL without asking (nothing is written).
    result = cli(repo, "index", "--drop", "idx_events_estimate", "--dry-run", input="")
    assert result.returncode == 0, result.stderr
    assert "drop index concurrently public.idx_events_estimate;" in result.stdout
    assert snapshot(repo) == before and git(repo, "status", "--porcelain") == ""
