"""``supa-schema update``: apply an answers file's changelog to the repo, and report.

Free of Typer: ``python -m supa_schema_cli update --data-file FILE`` (the
common, timed path) parses its few options here and starts faster: Typer,
its command tree and the other commands' modules are not imported.
Any other command line, ``--help`` or an option this parser does not know
goes to the Typer app, which gives its usual help and errors.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from . import apply, forked
from .messages import console, fail
from .repo import keep_recorded, recorded_answers, validate


def report(result: apply.Result) -> None:
    if not result.fast:
        console.print(
            "ran the real [bold]copier update[/bold] (answers other than the "
            "changelog changed, or the template's recorded commit is not local)"
        )
    for name in result.written:
        console.print(f"[green]wrote[/green] {name}", highlight=False)
    for name in result.merged:
        console.print(f"[green]merged[/green] {name} (your edits kept)", highlight=False)
    for name in result.kept:
        console.print(f"[yellow]skipped[/yellow] {name} (you deleted it)", highlight=False)
    for name in result.deleted:
        console.print(f"[green]deleted[/green] {name}", highlight=False)
    for name in result.moved:
        console.print(
            f"[green]moved[/green] your edits of {name} to the renamed table's file",
            highlight=False,
        )
    for name in result.dropped_edits:
        console.print(
            f"[yellow]deleted[/yellow] {name}: its table is gone; your edits are in git history",
            highlight=False,
        )
    for name in result.conflicts:
        console.print(f"[red]conflict[/red] {name}: resolve the <<<<<<< markers", highlight=False)
    if result.new_migrations:
        console.print(
            "new migrations: "
            + ", ".join(f"supabase/migrations/{n}.sql" for n in result.new_migrations),
            highlight=False,
        )
        console.print("next: [bold]supabase db reset[/bold] (or supa-schema check)")
    elif result.fast and not (result.written or result.merged or result.conflicts):
        console.print("nothing to do: the repo already has these entries")
    if result.conflicts:
        raise SystemExit(1)


def apply_entries(
    repo: Path, migrations: list[Any], data_file: Path | None, allow_dirty: bool
) -> None:
    try:
        result = apply.apply_changelog(
            repo, migrations, data_file, allow_dirty=allow_dirty, recorded=recorded_answers(repo)
        )
    except apply.UpdateError as err:
        fail(str(err))
    report(result)


def _recorded_with_template(repo: Path) -> dict[str, Any]:
    """The repo's recorded answers, with the template at their commit made ready in
    the cache (a ``git archive`` the fast update would wait for next)."""
    answers = apply.load_answers(repo)
    if answers.get("_src_path") and answers.get("_commit"):
        apply.template_at(str(answers["_src_path"]), str(answers["_commit"]), repo)
    return answers


def update(data_file: Path, repo: Path, allow_dirty: bool) -> None:
    """The ``update`` command (its options already parsed and checked)."""
    data_text = data_file.read_text()
    data: Any = None
    answers_file = repo / apply.ANSWERS_FILE
    if answers_file.is_file() and not apply.PARSED.known(data_text):
        # Two long changelogs, neither parsed before (a fresh clone, CI): one
        # each, in this process and a forked one (``forked``), errors in order.
        if not apply.PARSED.known(answers_file.read_text()):
            jobs = [
                partial(apply.PARSED.load, data_text, data_file),
                partial(_recorded_with_template, repo),
            ]
            try:
                data, answers = forked.run(jobs)
            except yaml.YAMLError:
                data = None  # each is parsed again below, which says which is wrong
            else:
                keep_recorded(repo, answers)
    if data is None:
        try:
            data = apply.PARSED.load(data_text, data_file)
        except yaml.YAMLError as err:
            fail(f"{data_file} is not valid YAML: {err}")
    data = data or {}
    if not isinstance(data, dict):
        fail(f"{data_file} must be a mapping of answers (project_name, migrations, ...)")
    recorded = recorded_answers(repo)
    others = {k: v for k, v in data.items() if k != "migrations" and not k.startswith("_")}
    if any(recorded.get(k) != v for k, v in others.items()):
        validate({**apply.user_answers(recorded), **data})
        report(apply.copier_update(repo.resolve(), data))
        return
    apply_entries(repo, data.get("migrations") or [], None, allow_dirty)


def lean_update(argv: list[str]) -> bool:
    """Run ``update`` for ``argv`` when it is a plain update command line; False otherwise.

    Plain: ``update`` then ``--data-file FILE`` (FILE a readable file, as the
    Typer option checks), optionally ``--repo DIR`` and ``--allow-dirty``,
    each once, in any order, ``--opt=value`` allowed. Anything else returns
    False for the Typer app to handle, so its help and errors stay its own.
    """
    if not argv or argv[0] != "update" or "_SUPA_SCHEMA_COMPLETE" in os.environ:
        return False
    values: dict[str, str] = {}
    allow_dirty = False
    rest = argv[1:]
    while rest:
        token = rest.pop(0)
        name, equals, value = token.partition("=")
        if name in ("--data-file", "--repo") and name not in values:
            if not equals:
                if not rest or rest[0].startswith("-"):
                    return False
                value = rest.pop(0)
            values[name] = value
        elif token == "--allow-dirty" and not allow_dirty:
            allow_dirty = True
        else:
            return False
    data = values.get("--data-file")
    if data is None:
        return False
    data_file = Path(data)
    if not data_file.is_file() or not os.access(data_file, os.R_OK):
        return False
    try:
        update(data_file, Path(values.get("--repo", ".")), allow_dirty)
    except KeyboardInterrupt:
        raise SystemExit(130) from None  # as Typer ends on Ctrl-C
    return True
