"""Schema evolution through the real `copier update`.

A repo scaffolded from the first k entries, committed and hand-edited, gets
entry k+1: existing migrations keep their bytes, the new files land in the
owner's range, hand edits survive without conflicts, and the result equals a
fresh copy of k+1 entries apart from those edits.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import (
    HELPER,
    METHOD,
    answers_with,
    assert_fresh_apart_from_edits,
    copier_copy,
    copier_update,
    git,
    migration_files,
    scaffold,
    snapshot,
)

from supa_schema import build


@pytest.mark.parametrize("k", [1, 2, 3])
def test_update_adds_one_entry_and_keeps_everything_else(k, tmp_path, template_repo):
    repo = scaffold(tmp_path, template_repo, k)
    model = repo / "apps/python/src/db/models/products.py"
    schema = repo / "apps/python/src/schemas/products.py"
    model.write_text(model.read_text() + METHOD)
    schema.write_text(schema.read_text() + HELPER)
    (repo / "NOTES.md").write_text("our own file\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hand edits")
    before = snapshot(repo)

    result = copier_update(repo, answers_with(k + 1), tmp_path, "--conflict", "inline")
    assert result.returncode == 0, result.stderr
    after = snapshot(repo)

    # No existing migration changed a byte.
    old = migration_files(before)
    assert {k_: after.get(k_) for k_ in old} == old
    # The new entry's files are exactly those a fresh render adds, in the owner's range.
    added = sorted(set(migration_files(after)) - set(old))
    entry = answers_with(k + 1)["migrations"][k]
    prefix = {"typescript": "001", "python": "002", "rust": "003"}[entry["workspace"]]
    new_sql = [a for a in added if a.startswith("supabase/migrations/")]
    assert new_sql and all(Path(a).name.startswith(prefix) for a in new_sql)
    # (an entry adding keys to a table with rows spans files: NAME, NAME_2, ...)
    stems = [m.stem for m in build(answers_with(k + 1)).migrations if m.position == k]
    assert new_sql == [f"supabase/migrations/{stem}.sql" for stem in stems]
    assert new_sql[0].endswith(f"_{entry['name']}.sql")
    # Hand edits survived without conflict markers.
    assert METHOD in after["apps/python/src/db/models/products.py"].decode()
    assert HELPER in after["apps/python/src/schemas/products.py"].decode()
    assert after["NOTES.md"] == b"our own file\n"
    assert not [name for name, body in after.items() if b"<<<<<<<" in body]
    # Apart from the edits, the repo equals a fresh copy of k+1 entries.
    fresh_dir = tmp_path / "fresh"
    copier_copy(answers_with(k + 1), fresh_dir, template=template_repo)
    fresh = snapshot(fresh_dir)
    assert_fresh_apart_from_edits(
        after,
        fresh,
        {
            "apps/python/src/db/models/products.py",
            "apps/python/src/schemas/products.py",
            "NOTES.md",
            ".copier-answers.yml",
        },
    )


def test_update_refuses_bad_new_entry_and_leaves_repo_clean(tmp_path, template_repo):
    repo = scaffold(tmp_path, template_repo, 1)
    bad = answers_with(1)
    bad["migrations"].append(
        {
            "name": "oops",
            "workspace": "python",
            "actions": [{"column": "x", "table": "nope", "type": "text"}],
        }
    )
    result = copier_update(repo, bad, tmp_path)
    assert result.returncode != 0
    assert "migrations[1] 'oops'" in result.stderr and "unknown table 'nope'" in result.stderr
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("change", ["edit", "remove"])
def test_update_refuses_editing_or_removing_an_applied_entry(change, tmp_path, template_repo):
    repo = scaffold(tmp_path, template_repo, 2)
    changed = answers_with(3)
    if change == "edit":
        changed["migrations"][0]["actions"][1]["soft_delete"] = False
    else:
        del changed["migrations"][1]
    result = copier_update(repo, changed, tmp_path)
    assert result.returncode != 0
    where = (
        "migrations[0] 'create_catalog'" if change == "edit" else "migrations[1] 'create_orders'"
    )
    assert where in result.stderr and "append-only" in result.stderr, result.stderr
    assert git(repo, "status", "--porcelain") == ""


def test_a_newer_template_never_rewrites_an_applied_migration(tmp_path, template_repo):
    """A template version that renders existing migrations differently (a new
    header, say) leaves their bytes alone on `copier update`; other files follow."""
    newer = tmp_path / "newer-template"
    git(template_repo, "clone", "-q", str(template_repo), str(newer))
    macros = newer / "macros" / "sql.jinja"
    macros.write_text(
        macros.read_text().replace(
            "applied migrations never change.", "applied migrations never change (v2)."
        )
    )
    readme = newer / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nRendered by the newer template.\n")
    git(newer, "commit", "-qam", "newer template")
    repo = scaffold(tmp_path, template_repo, 3)
    before = snapshot(repo)
    answers = (repo / ".copier-answers.yml").read_text()
    (repo / ".copier-answers.yml").write_text(
        answers.replace(f"_src_path: {template_repo}", f"_src_path: {newer}")
    )
    git(repo, "commit", "-qam", "point at the newer template")

    result = copier_update(repo, answers_with(4), tmp_path, "--conflict", "inline")
    assert result.returncode == 0, result.stderr
    after = snapshot(repo)

    old = migration_files(before)
    assert old and {name: after[name] for name in old} == old
    added = sorted(set(migration_files(after)) - set(old))
    assert added and all(b"(v2)." in after[name] for name in added), added
    assert b"Rendered by the newer template." in after["README.md"]
